import { Check, Entity, Index, ManyToOne, Property } from '@mikro-orm/core';
import { BaseEntity } from '../database/base.entity';
import { ProductVariant } from '../catalog/product-variant.entity';
import { Order } from './order.entity';

@Entity({ tableName: 'order_items' })
@Index({ name: 'order_items_order_id_index', properties: ['order'] })
@Index({ name: 'order_items_product_variant_id_index', properties: ['productVariant'] })
@Check({ name: 'order_items_quantity_check', expression: 'quantity > 0' })
@Check({ name: 'order_items_unit_price_check', expression: 'unit_price >= 0' })
@Check({ name: 'order_items_quantity_allocated_check', expression: 'quantity_allocated >= 0' })
@Check({
  name: 'order_items_quantity_returned_check',
  expression: 'quantity_returned >= 0 and quantity_returned <= quantity',
})
export class OrderItem extends BaseEntity {
  @ManyToOne(() => Order, { deleteRule: 'cascade' })
  order: Order;

  @ManyToOne(() => ProductVariant, { deleteRule: 'restrict' })
  productVariant: ProductVariant;

  /** SKU and name as they were when the order was placed. */
  @Property({ type: 'varchar', length: 64 })
  sku: string;

  @Property({ type: 'varchar', length: 255 })
  name: string;

  @Property({ type: 'integer' })
  quantity: number;

  @Property({ type: 'decimal', precision: 12, scale: 2 })
  unitPrice: string;

  @Property({ type: 'integer', default: 0 })
  quantityReturned: number = 0;

  /**
   * Units reserved or fulfilled through reservations: Σ quantity_reserved of the active ones plus
   * Σ quantity_fulfilled of the others. Written only by the reservations repository (the
   * reservation statement adds, a release subtracts what was still held); lazy, so that no entity
   * writes back a stale value.
   */
  @Property({ type: 'integer', default: 0, lazy: true, hidden: true })
  quantityAllocated?: number;

  constructor(order: Order, productVariant: ProductVariant, quantity: number, unitPrice: string) {
    super();
    this.order = order;
    this.productVariant = productVariant;
    this.sku = productVariant.sku;
    this.name = productVariant.name;
    this.quantity = quantity;
    this.unitPrice = unitPrice;
  }
}
