import { Check, Entity, Enum, Index, ManyToOne, Property, Unique } from '@mikro-orm/core';
import { BaseEntity } from '../database/base.entity';
import { WebhookSubscription } from './webhook-subscription.entity';
import { WebhookDeliveryStatus } from './webhook-delivery-status.enum';

/**
 * Outbox row: one event for one subscription, written by the dispatcher's fan-out from the history
 * feed. Declares the table; every statement on it is in webhook-deliveries.repository.ts.
 */
// Written by repository statements only (docs/data-access.md): readonly, so no flush ever writes it.
@Entity({ tableName: 'webhook_deliveries', readonly: true })
@Unique({
  name: 'webhook_deliveries_subscription_id_event_id_unique',
  properties: ['subscription', 'eventId'],
})
@Index({
  name: 'webhook_deliveries_due_index',
  expression:
    'create index "webhook_deliveries_due_index" on "webhook_deliveries" ("next_attempt_at") where "status" = \'pending\'',
})
@Index({
  name: 'webhook_deliveries_pending_order_index',
  expression:
    'create index "webhook_deliveries_pending_order_index" on "webhook_deliveries" ("subscription_id", "order_id", "sequence") where "status" = \'pending\'',
})
@Index({
  name: 'webhook_deliveries_subscription_id_created_at_index',
  properties: ['subscription', 'createdAt'],
})
@Check({ name: 'webhook_deliveries_attempts_check', expression: 'attempts >= 0' })
export class WebhookDelivery extends BaseEntity {
  @ManyToOne(() => WebhookSubscription, { deleteRule: 'cascade' })
  subscription!: WebhookSubscription;

  /** The history entry's id: the event id receivers deduplicate on. */
  @Property({ type: 'uuid' })
  eventId!: string;

  @Property({ type: 'varchar', length: 32 })
  eventType!: string;

  @Property({ type: 'uuid' })
  orderId!: string;

  /** The entry's place in its order's chain: deliveries of one order go out in this order. */
  @Property({ type: 'integer' })
  sequence!: number;

  /** The event as sent (history is append-only, so it never changes). */
  @Property({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  @Enum({
    items: () => WebhookDeliveryStatus,
    nativeEnumName: 'webhook_delivery_status',
    default: WebhookDeliveryStatus.PENDING,
  })
  status: WebhookDeliveryStatus = WebhookDeliveryStatus.PENDING;

  @Property({ type: 'integer', default: 0 })
  attempts: number = 0;

  @Property({ type: 'text', nullable: true })
  lastError?: string | null;

  @Property({ type: 'integer', nullable: true })
  responseStatus?: number | null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  nextAttemptAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  sentAt?: Date | null;

  /** Set by each claim, cleared by a redelivery: only the current claim's send may settle it. */
  @Property({ type: 'uuid', nullable: true })
  claimToken?: string | null;
}
