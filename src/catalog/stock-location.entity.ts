import { Entity, Property, Unique } from '@mikro-orm/core';
import { BaseEntity } from '../database/base.entity';

@Entity({ tableName: 'stock_locations' })
export class StockLocation extends BaseEntity {
  @Property({ type: 'varchar', length: 32 })
  @Unique({ name: 'stock_locations_code_unique' })
  code: string;

  @Property({ type: 'varchar', length: 255 })
  name: string;

  @Property({ type: 'boolean', default: true })
  isActive: boolean = true;

  constructor(code: string, name: string) {
    super();
    this.code = code;
    this.name = name;
  }
}
