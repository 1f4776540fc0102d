import { Entity, Property, Unique } from '@mikro-orm/core';
import { BaseEntity } from '../database/base.entity';

@Entity({ tableName: 'product_variants' })
export class ProductVariant extends BaseEntity {
  @Property({ type: 'varchar', length: 64 })
  @Unique({ name: 'product_variants_sku_unique' })
  sku: string;

  @Property({ type: 'varchar', length: 255 })
  name: string;

  constructor(sku: string, name: string) {
    super();
    this.sku = sku;
    this.name = name;
  }
}
