import { randomUUID } from 'node:crypto';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Order } from '../orders/order.entity';
import { User } from '../identity/user.entity';
import { OrderHistoryAction } from './order-history-action.enum';

/**
 * One entry of an order's audit trail. Append-only: a database trigger refuses UPDATE, DELETE
 * and TRUNCATE. Entries of one order form a hash chain (`sequence`, `previousHash`, `hash`).
 */
// Written by repository statements only (docs/data-access.md): readonly, so no flush ever writes it.
@Entity({ tableName: 'order_history', readonly: true })
@Index({ name: 'order_history_order_id_created_at_index', properties: ['order', 'createdAt'] })
@Index({ name: 'order_history_created_at_index', properties: ['createdAt'] })
@Index({ name: 'order_history_action_created_at_index', properties: ['action', 'createdAt'] })
@Index({ name: 'order_history_performed_by_id_index', properties: ['performedBy'] })
@Index({ name: 'order_history_feed_index', properties: ['xid', 'order', 'sequence'] })
@Unique({ name: 'order_history_order_id_sequence_unique', properties: ['order', 'sequence'] })
export class OrderHistory {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Order, { deleteRule: 'cascade' })
  order: Order;

  /** Position of the entry in its order's chain, from 1. */
  @Property({ type: 'integer' })
  sequence: number;

  @Enum({ items: () => OrderHistoryAction, nativeEnumName: 'order_history_action' })
  action: OrderHistoryAction;

  @Property({ type: 'varchar', length: 32, nullable: true })
  oldStatus?: string | null;

  @Property({ type: 'varchar', length: 32, nullable: true })
  newStatus?: string | null;

  @Property({ type: 'text' })
  description: string;

  /** Null when the system (a job) acted. */
  @ManyToOne(() => User, { nullable: true, deleteRule: 'restrict' })
  performedBy?: User | null;

  @Property({ type: 'jsonb', nullable: true })
  additionalData?: Record<string, unknown> | null;

  @Property({ type: 'varchar', length: 45, nullable: true })
  ipAddress?: string | null;

  @Property({ type: 'varchar', length: 512, nullable: true })
  userAgent?: string | null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  /**
   * The id of the transaction that wrote the entry, filled in by PostgreSQL (column default; OMS
   * never writes it). The event feed's position: see history-feed.repository.ts.
   */
  @Property({
    type: 'string',
    columnType: 'xid8',
    defaultRaw: 'pg_current_xact_id()',
    lazy: true,
    hidden: true,
  })
  xid?: string;

  @Property({ type: 'char', length: 64, nullable: true })
  previousHash?: string | null;

  @Property({ type: 'char', length: 64 })
  hash: string;

  constructor(order: Order, sequence: number, action: OrderHistoryAction, description: string) {
    this.order = order;
    this.sequence = sequence;
    this.action = action;
    this.description = description;
  }
}
