import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';

export interface SubscriptionRow {
  id: string;
  url: string;
  secret: string;
  events: string[];
  description: string | null;
  is_active: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface SubscriptionChanges {
  url?: string;
  secret?: string;
  events?: string[];
  description?: string | null;
  isActive?: boolean;
}

const COLUMNS = 'id, url, secret, events, description, is_active, created_at, updated_at';
/** A text[] from a JSON array parameter (knex would expand a JS array into a list). */
const TEXT_ARRAY = 'array(select jsonb_array_elements_text(?::jsonb))';

/** Every statement on webhook_subscriptions. */
@Injectable()
export class WebhookSubscriptionsRepository {
  constructor(private readonly em: EntityManager) {}

  async insert(row: {
    id: string;
    url: string;
    secret: string;
    events: string[];
    description: string | null;
  }): Promise<SubscriptionRow> {
    const [created] = await this.em.execute<SubscriptionRow[]>(
      `insert into webhook_subscriptions (id, url, secret, events, description)
       values (?, ?, ?, ${TEXT_ARRAY}, ?)
       returning ${COLUMNS}`,
      [row.id, row.url, row.secret, JSON.stringify(row.events), row.description],
    );
    return created;
  }

  async findById(id: string): Promise<SubscriptionRow | null> {
    const [row] = await this.em.execute<SubscriptionRow[]>(
      `select ${COLUMNS} from webhook_subscriptions where id = ?`,
      [id],
    );
    return row ?? null;
  }

  async page(offset: number, limit: number, direction: 'asc' | 'desc'): Promise<[SubscriptionRow[], number]> {
    const [rows, [{ total }]] = await Promise.all([
      this.em.execute<SubscriptionRow[]>(
        `select ${COLUMNS} from webhook_subscriptions order by created_at ${direction}, id ${direction} offset ? limit ?`,
        [offset, limit],
      ),
      this.em.execute<{ total: number }[]>('select count(*)::int as total from webhook_subscriptions'),
    ]);
    return [rows, total];
  }

  /** Applies the given changes (absent fields keep their value). */
  async update(id: string, changes: SubscriptionChanges): Promise<SubscriptionRow | null> {
    const sets: string[] = [];
    const params: unknown[] = [];
    const set = (column: string, value: unknown, expression = '?') => {
      sets.push(`${column} = ${expression}`);
      params.push(value);
    };
    if (changes.url !== undefined) set('url', changes.url);
    if (changes.secret !== undefined) set('secret', changes.secret);
    if (changes.events !== undefined) set('events', JSON.stringify(changes.events), TEXT_ARRAY);
    if (changes.description !== undefined) set('description', changes.description);
    if (changes.isActive !== undefined) set('is_active', changes.isActive);
    const [row] = await this.em.execute<SubscriptionRow[]>(
      `update webhook_subscriptions set ${[...sets, 'updated_at = now()'].join(', ')}
        where id = ? returning ${COLUMNS}`,
      [...params, id],
    );
    return row ?? null;
  }

  /** Deletes the subscription and (cascade) its deliveries; false when there was none. */
  async delete(id: string): Promise<boolean> {
    const rows = await this.em.execute<{ id: string }[]>(
      'delete from webhook_subscriptions where id = ? returning id',
      [id],
    );
    return rows.length > 0;
  }

  /** The active subscriptions, for the fan-out. */
  active(): Promise<Pick<SubscriptionRow, 'id' | 'events' | 'created_at'>[]> {
    return this.em.execute('select id, events, created_at from webhook_subscriptions where is_active');
  }

  /** URL and sealed secret of the given subscriptions, for sending. */
  targets(ids: string[]): Promise<Pick<SubscriptionRow, 'id' | 'url' | 'secret'>[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.em.execute('select id, url, secret from webhook_subscriptions where id in (?)', [ids]);
  }
}
