import { Check, Entity, Enum, Index, ManyToOne, Property, Unique } from '@mikro-orm/core';
import { BaseEntity } from '../database/base.entity';
import { User } from '../identity/user.entity';
import { OrderStatus } from './order-status.enum';

export interface ShippingAddress {
  name: string;
  line1: string;
  line2?: string;
  city: string;
  postalCode: string;
  region?: string;
  country: string;
  phone?: string;
}

/**
 * An order, for reading. Read-only: the flush never writes it. The row is inserted by
 * OrdersRepository.insert and changed only by the statement that appends the history entry
 * recording the change (src/orders/orders.repository.ts, moveHistoryHeadAndOrderSql).
 */
@Entity({ tableName: 'orders', readonly: true })
@Index({ name: 'orders_customer_id_created_at_index', properties: ['customer', 'createdAt'] })
@Index({ name: 'orders_status_created_at_index', properties: ['status', 'createdAt'] })
@Index({ name: 'orders_created_at_index', properties: ['createdAt'] })
// Order-number prefix search (`q`) with LIKE 'ORD-2026-%', whatever the database collation.
@Index({
  name: 'orders_order_number_pattern_index',
  expression:
    'create index "orders_order_number_pattern_index" on "orders" ("order_number" text_pattern_ops)',
})
@Check({ name: 'orders_total_amount_check', expression: 'total_amount >= 0' })
@Check({ name: 'orders_amount_paid_check', expression: 'amount_paid >= 0' })
@Check({
  name: 'orders_amount_refunded_check',
  expression: 'amount_refunded >= 0 and amount_refunded <= amount_paid',
})
export class Order extends BaseEntity {
  @Property({ type: 'varchar', length: 32 })
  @Unique({ name: 'orders_order_number_unique' })
  orderNumber: string;

  @ManyToOne(() => User, { deleteRule: 'restrict' })
  customer: User;

  @Enum({ items: () => OrderStatus, nativeEnumName: 'order_status', default: OrderStatus.PENDING })
  status: OrderStatus = OrderStatus.PENDING;

  @Property({ type: 'char', length: 3 })
  currency: string;

  /** Sum of quantity × unit price over the items, as a decimal string. */
  @Property({ type: 'decimal', precision: 12, scale: 2, default: '0' })
  totalAmount: string = '0.00';

  @Property({ type: 'decimal', precision: 12, scale: 2, default: '0' })
  amountPaid: string = '0.00';

  @Property({ type: 'decimal', precision: 12, scale: 2, default: '0' })
  amountRefunded: string = '0.00';

  @Property({ type: 'jsonb' })
  shippingAddress: ShippingAddress;

  @Property({ type: 'integer', version: true, default: 1 })
  version: number = 1;

  /**
   * The head of the order's history chain (sequence, hash and time of its newest entry). Written
   * only by the history entry statement (src/history/order-history.repository.ts), which locks the
   * row to move it on; lazy, so that no entity ever loads, and so never writes back, a stale head.
   */
  @Property({ type: 'integer', default: 0, lazy: true, hidden: true })
  historySequence?: number;

  @Property({ type: 'char', length: 64, nullable: true, lazy: true, hidden: true })
  historyHash?: string | null;

  @Property({ type: 'timestamptz', nullable: true, lazy: true, hidden: true })
  historyAt?: Date | null;
}
