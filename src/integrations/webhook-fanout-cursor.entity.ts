import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * How far the dispatcher's fan-out has read the history feed (one row, `name = 'webhooks'`):
 * the feed position (xid, order_id, sequence) of the last entry turned into deliveries.
 */
// Written by repository statements only (docs/data-access.md): readonly, so no flush ever writes it.
@Entity({ tableName: 'webhook_fanout_cursor', readonly: true })
export class WebhookFanoutCursor {
  @PrimaryKey({ type: 'varchar', length: 32 })
  name!: string;

  @Property({ type: 'string', columnType: 'xid8' })
  xid!: string;

  @Property({ type: 'uuid' })
  orderId!: string;

  @Property({ type: 'integer' })
  sequence!: number;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  updatedAt: Date = new Date();
}
