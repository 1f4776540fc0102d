import { Check, Entity, Enum, Index, ManyToOne, Property, Unique } from '@mikro-orm/core';
import { BaseEntity } from '../database/base.entity';
import { Order } from '../orders/order.entity';
import { User } from '../identity/user.entity';
import { FulfillmentStatus } from './fulfillment-status.enum';

/** Order item id → quantity in this fulfillment. */
export type FulfillmentItems = Record<string, number>;

@Entity({ tableName: 'order_fulfillments' })
@Index({ name: 'order_fulfillments_order_id_index', properties: ['order'] })
@Index({ name: 'order_fulfillments_status_created_at_index', properties: ['status', 'createdAt'] })
@Index({ name: 'order_fulfillments_assigned_to_id_status_index', properties: ['assignedTo', 'status'] })
@Index({ name: 'order_fulfillments_warehouse_location_index', properties: ['warehouseLocation'] })
@Check({ name: 'order_fulfillments_weight_check', expression: 'weight is null or weight >= 0' })
export class OrderFulfillment extends BaseEntity {
  @ManyToOne(() => Order, { deleteRule: 'cascade' })
  order: Order;

  /** Human-readable, from a sequence: FUL-2026-000123. */
  @Property({ type: 'varchar', length: 32 })
  @Unique({ name: 'order_fulfillments_fulfillment_number_unique' })
  fulfillmentNumber: string;

  @Enum({
    items: () => FulfillmentStatus,
    nativeEnumName: 'fulfillment_status',
    default: FulfillmentStatus.PENDING,
  })
  status: FulfillmentStatus = FulfillmentStatus.PENDING;

  @Property({ type: 'varchar', length: 64 })
  warehouseLocation: string;

  @ManyToOne(() => User, { nullable: true, deleteRule: 'restrict' })
  assignedTo?: User | null;

  @Property({ type: 'jsonb' })
  items: FulfillmentItems;

  @Property({ type: 'varchar', length: 32, nullable: true })
  boxSize?: string | null;

  /** Kilograms. */
  @Property({ type: 'decimal', precision: 10, scale: 3, nullable: true })
  weight?: string | null;

  @Property({ type: 'jsonb', nullable: true })
  packingMaterials?: string[] | null;

  @Property({ type: 'text', nullable: true })
  pickingNotes?: string | null;

  @Property({ type: 'text', nullable: true })
  packingNotes?: string | null;

  @Property({ type: 'timestamptz', nullable: true })
  assignedAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  pickingStartedAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  pickingCompletedAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  packingStartedAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  packingCompletedAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  shippedAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  fulfilledAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  cancelledAt?: Date | null;

  @Property({ type: 'integer', version: true, default: 1 })
  version: number = 1;

  constructor(order: Order, fulfillmentNumber: string, warehouseLocation: string, items: FulfillmentItems) {
    super();
    this.order = order;
    this.fulfillmentNumber = fulfillmentNumber;
    this.warehouseLocation = warehouseLocation;
    this.items = items;
  }
}
