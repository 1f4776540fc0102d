import { Check, Entity, Index, ManyToOne, Property, Unique } from '@mikro-orm/core';
import { BaseEntity } from '../database/base.entity';
import { ProductVariant } from './product-variant.entity';
import { StockLocation } from './stock-location.entity';

/**
 * On-hand and reserved units of one variant at one location. `quantityReserved` is a counter kept
 * equal to the outstanding quantity of the active reservations (docs/architecture.md §5); it only changes
 * through guarded UPDATE statements, never read-modify-write.
 */
@Entity({ tableName: 'stock_levels' })
@Unique({ name: 'stock_levels_variant_location_unique', properties: ['productVariant', 'stockLocation'] })
@Index({ name: 'stock_levels_stock_location_id_index', properties: ['stockLocation'] })
@Check({ name: 'stock_levels_quantity_on_hand_check', expression: 'quantity_on_hand >= 0' })
@Check({ name: 'stock_levels_quantity_reserved_check', expression: 'quantity_reserved >= 0' })
@Check({
  name: 'stock_levels_reserved_within_on_hand_check',
  expression: 'quantity_reserved <= quantity_on_hand',
})
export class StockLevel extends BaseEntity {
  @ManyToOne(() => ProductVariant, { deleteRule: 'restrict' })
  productVariant: ProductVariant;

  @ManyToOne(() => StockLocation, { deleteRule: 'restrict' })
  stockLocation: StockLocation;

  @Property({ type: 'integer', default: 0 })
  quantityOnHand: number = 0;

  @Property({ type: 'integer', default: 0 })
  quantityReserved: number = 0;

  constructor(productVariant: ProductVariant, stockLocation: StockLocation, quantityOnHand = 0) {
    super();
    this.productVariant = productVariant;
    this.stockLocation = stockLocation;
    this.quantityOnHand = quantityOnHand;
  }
}
