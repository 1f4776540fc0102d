import { Check, Entity, Enum, Index, ManyToOne, Property } from '@mikro-orm/core';
import { BaseEntity } from '../database/base.entity';
import { Order } from '../orders/order.entity';
import { OrderNote } from './order-note.entity';
import { NotificationStatus } from './notification-status.enum';

/** Outbox row: written in the transaction of the note it announces, delivered by a dispatcher. */
// Written by repository statements only (docs/data-access.md): readonly, so no flush ever writes it.
@Entity({ tableName: 'customer_notifications', readonly: true })
@Index({
  name: 'customer_notifications_due_index',
  expression:
    'create index "customer_notifications_due_index" on "customer_notifications" ("next_attempt_at") where "status" = \'pending\'',
})
@Index({ name: 'customer_notifications_status_created_at_index', properties: ['status', 'createdAt'] })
@Index({ name: 'customer_notifications_order_id_index', properties: ['order'] })
@Index({ name: 'customer_notifications_note_id_index', properties: ['note'] })
@Check({ name: 'customer_notifications_attempts_check', expression: 'attempts >= 0' })
export class CustomerNotification extends BaseEntity {
  @ManyToOne(() => Order, { deleteRule: 'cascade' })
  order: Order;

  /** Kept when the note is deleted later: the payload holds what was sent. */
  @ManyToOne(() => OrderNote, { nullable: true, deleteRule: 'set null' })
  note?: OrderNote | null;

  @Property({ type: 'varchar', length: 32 })
  channel: string;

  @Property({ type: 'jsonb' })
  payload: Record<string, unknown>;

  @Enum({
    items: () => NotificationStatus,
    nativeEnumName: 'notification_status',
    default: NotificationStatus.PENDING,
  })
  status: NotificationStatus = NotificationStatus.PENDING;

  @Property({ type: 'integer', default: 0 })
  attempts: number = 0;

  @Property({ type: 'text', nullable: true })
  lastError?: string | null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  nextAttemptAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  sentAt?: Date | null;

  constructor(order: Order, note: OrderNote | null, channel: string, payload: Record<string, unknown>) {
    super();
    this.order = order;
    this.note = note;
    this.channel = channel;
    this.payload = payload;
  }
}
