import { Check, Entity, Enum, Index, ManyToOne, Property } from '@mikro-orm/core';
import { BaseEntity } from '../database/base.entity';
import { Order } from '../orders/order.entity';
import { OrderItem } from '../orders/order-item.entity';
import { ProductVariant } from '../catalog/product-variant.entity';
import { StockLocation } from '../catalog/stock-location.entity';
import { ReleaseReason } from './release-reason.enum';

/**
 * Units of a variant held at a location for an order item. Never deleted: released or fulfilled.
 * Written only by the reservations repository's statements (docs/data-access.md, write style per
 * table): the entity is read, never flushed.
 */
@Entity({ tableName: 'inventory_reservations', readonly: true })
@Index({
  name: 'inventory_reservations_active_variant_location_index',
  expression:
    'create index "inventory_reservations_active_variant_location_index" on "inventory_reservations" ("product_variant_id", "stock_location_id") where "is_active"',
})
@Index({
  name: 'inventory_reservations_active_expires_at_index',
  expression:
    'create index "inventory_reservations_active_expires_at_index" on "inventory_reservations" ("expires_at") where "is_active" and "expires_at" is not null',
})
@Index({ name: 'inventory_reservations_order_id_index', properties: ['order'] })
@Index({ name: 'inventory_reservations_order_item_id_index', properties: ['orderItem'] })
@Index({ name: 'inventory_reservations_product_variant_id_index', properties: ['productVariant'] })
@Check({ name: 'inventory_reservations_quantity_reserved_check', expression: 'quantity_reserved > 0' })
@Check({
  name: 'inventory_reservations_quantity_fulfilled_check',
  expression: 'quantity_fulfilled >= 0 and quantity_fulfilled <= quantity_reserved',
})
export class InventoryReservation extends BaseEntity {
  @ManyToOne(() => Order, { deleteRule: 'cascade' })
  order: Order;

  @ManyToOne(() => OrderItem, { deleteRule: 'cascade' })
  orderItem: OrderItem;

  @ManyToOne(() => ProductVariant, { deleteRule: 'restrict' })
  productVariant: ProductVariant;

  @ManyToOne(() => StockLocation, { deleteRule: 'restrict' })
  stockLocation: StockLocation;

  @Property({ type: 'integer' })
  quantityReserved: number;

  @Property({ type: 'integer', default: 0 })
  quantityFulfilled: number = 0;

  @Property({ type: 'boolean', default: true })
  isActive: boolean = true;

  @Property({ type: 'timestamptz', nullable: true })
  expiresAt?: Date | null;

  @Property({ type: 'text', nullable: true })
  notes?: string | null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  reservedAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  releasedAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  fulfilledAt?: Date | null;

  @Enum({ items: () => ReleaseReason, nativeEnumName: 'release_reason', nullable: true })
  releaseReason?: ReleaseReason | null;

  constructor(
    order: Order,
    orderItem: OrderItem,
    productVariant: ProductVariant,
    stockLocation: StockLocation,
    quantityReserved: number,
  ) {
    super();
    this.order = order;
    this.orderItem = orderItem;
    this.productVariant = productVariant;
    this.stockLocation = stockLocation;
    this.quantityReserved = quantityReserved;
  }
}

/** A reservation as responses and history read it: the entity, or the row of one just inserted. */
export type ReservationData = Pick<
  InventoryReservation,
  | 'id'
  | 'quantityReserved'
  | 'quantityFulfilled'
  | 'isActive'
  | 'expiresAt'
  | 'notes'
  | 'reservedAt'
  | 'releasedAt'
  | 'fulfilledAt'
  | 'releaseReason'
> & {
  order: { id: string };
  orderItem: { id: string };
  productVariant: { id: string };
  stockLocation: { id: string };
};
