import { Entity, Index, Property } from '@mikro-orm/core';
import { BaseEntity } from '../database/base.entity';

/**
 * An integrator's subscription to order events. Declares the table; every statement on it is in
 * webhook-subscriptions.repository.ts. `secret` holds the AES-256-GCM sealed secret
 * (webhook-secret-box.ts), never the secret itself.
 */
// Written by repository statements only (docs/data-access.md): readonly, so no flush ever writes it.
@Entity({ tableName: 'webhook_subscriptions', readonly: true })
@Index({ name: 'webhook_subscriptions_created_at_index', properties: ['createdAt'] })
export class WebhookSubscription extends BaseEntity {
  @Property({ type: 'varchar', length: 2048 })
  url!: string;

  @Property({ type: 'text' })
  secret!: string;

  /** History actions to deliver, or `*` for all. */
  @Property({ type: 'text[]' })
  events!: string[];

  @Property({ type: 'varchar', length: 500, nullable: true })
  description?: string | null;

  @Property({ type: 'boolean', default: true })
  isActive: boolean = true;
}
