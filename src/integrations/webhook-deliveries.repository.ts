import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { FeedPosition } from '../history/history-feed.service';
import { WebhookDeliveryStatus } from './webhook-delivery-status.enum';

export interface DeliveryRow {
  id: string;
  subscription_id: string;
  event_id: string;
  event_type: string;
  order_id: string;
  sequence: number;
  status: WebhookDeliveryStatus;
  attempts: number;
  last_error: string | null;
  response_status: number | null;
  next_attempt_at: Date;
  sent_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface NewDelivery {
  id: string;
  subscriptionId: string;
  eventId: string;
  eventType: string;
  orderId: string;
  sequence: number;
  payload: Record<string, unknown>;
}

export interface ClaimedDelivery {
  id: string;
  subscription_id: string;
  payload: Record<string, unknown>;
  attempts: number;
  /** This claim's token: settle matches it, so a later claim or a redelivery voids this one. */
  claim_token: string;
}

const COLUMNS = `id, subscription_id, event_id, event_type, order_id, sequence, status, attempts, last_error,
  response_status, next_attempt_at, sent_at, created_at, updated_at`;
const FANOUT_CURSOR = 'webhooks';
const SORT_COLUMNS = ['created_at', 'next_attempt_at', 'sequence', 'attempts'] as const;
export type DeliverySortColumn = (typeof SORT_COLUMNS)[number];

/** Every statement on webhook_deliveries and the fan-out cursor. */
@Injectable()
export class WebhookDeliveriesRepository {
  constructor(private readonly em: EntityManager) {}

  /**
   * Takes the fan-out for this transaction, or answers false when another instance has it. An
   * advisory lock, not a row lock: it gives the transaction no xid, so the feed read that follows
   * does not hold its own horizon back.
   */
  async tryLockFanout(): Promise<boolean> {
    const [row] = await this.em.execute<{ locked: boolean }[]>(
      `select pg_try_advisory_xact_lock(hashtextextended('webhook_fanout', 0)) as locked`,
    );
    return row.locked;
  }

  async fanoutCursor(): Promise<FeedPosition> {
    const [row] = await this.em.execute<{ xid: string; order_id: string; sequence: number }[]>(
      'select xid::text as xid, order_id, sequence from webhook_fanout_cursor where name = ?',
      [FANOUT_CURSOR],
    );
    return { xid: row.xid, orderId: row.order_id, sequence: row.sequence };
  }

  async moveFanoutCursor(position: FeedPosition): Promise<void> {
    await this.em.execute(
      `update webhook_fanout_cursor set xid = ?::xid8, order_id = ?, sequence = ?, updated_at = now()
        where name = ?`,
      [position.xid, position.orderId, position.sequence, FANOUT_CURSOR],
    );
  }

  /** One statement for the whole batch; an event already queued for a subscription is skipped. */
  async insertMany(deliveries: NewDelivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    await this.em.execute(
      `insert into webhook_deliveries (id, subscription_id, event_id, event_type, order_id, sequence, payload)
       select d.id, d.subscription_id, d.event_id, d.event_type, d.order_id, d.sequence, d.payload
         from jsonb_to_recordset(?::jsonb) as d(id uuid, subscription_id uuid, event_id uuid, event_type varchar,
                                               order_id uuid, sequence int, payload jsonb)
       on conflict (subscription_id, event_id) do nothing`,
      [
        JSON.stringify(
          deliveries.map((d) => ({
            id: d.id,
            subscription_id: d.subscriptionId,
            event_id: d.eventId,
            event_type: d.eventType,
            order_id: d.orderId,
            sequence: d.sequence,
            payload: d.payload,
          })),
        ),
      ],
    );
  }

  /**
   * Claims up to `limit` due deliveries of active subscriptions: counts the attempt and pushes
   * next_attempt_at a lease ahead, so other dispatchers skip them (SKIP LOCKED while this runs,
   * not due after it commits). Only the earliest pending delivery of each (subscription, order) is
   * due: a later event of an order waits while an earlier one is in flight or being retried.
   */
  claim(
    limit: number,
    leaseMs: number,
    subscriptionIds?: string[],
    orderIds?: string[],
  ): Promise<ClaimedDelivery[]> {
    const scoped =
      (subscriptionIds ? 'and c.subscription_id in (?)' : '') + (orderIds ? ' and c.order_id in (?)' : '');
    return this.em.execute<ClaimedDelivery[]>(
      `update webhook_deliveries d
          set attempts = d.attempts + 1,
              claim_token = gen_random_uuid(),
              next_attempt_at = now() + (? * interval '1 millisecond'),
              updated_at = now()
        where d.id in (
              select c.id
                from webhook_deliveries c
                join webhook_subscriptions s on s.id = c.subscription_id and s.is_active
               where c.status = 'pending' and c.next_attempt_at <= now() ${scoped}
                 and not exists (
                       select 1 from webhook_deliveries e
                        where e.subscription_id = c.subscription_id and e.order_id = c.order_id
                          and e.status = 'pending' and e.sequence < c.sequence)
               order by c.next_attempt_at, c.id
               limit ?
                 for update of c skip locked)
    returning d.id, d.subscription_id, d.payload, d.attempts, d.claim_token`,
      [leaseMs, ...(subscriptionIds ? [subscriptionIds] : []), ...(orderIds ? [orderIds] : []), limit],
    );
  }

  /**
   * Settles a claimed delivery, unless it was claimed again or redelivered meanwhile: the claim's
   * token must still be the row's (each claim sets a new one, a redelivery clears it).
   */
  async settle(
    claimed: ClaimedDelivery,
    outcome:
      | { status: WebhookDeliveryStatus.SENT; responseStatus: number | null }
      | { status: WebhookDeliveryStatus.FAILED; responseStatus: number | null; error: string }
      | {
          status: WebhookDeliveryStatus.PENDING;
          responseStatus: number | null;
          error: string;
          retryInMs: number;
        },
  ): Promise<boolean> {
    const params: unknown[] = [];
    let sets: string;
    if (outcome.status === WebhookDeliveryStatus.SENT) {
      sets = `status = 'sent', sent_at = now(), last_error = null, response_status = ?`;
      params.push(outcome.responseStatus);
    } else if (outcome.status === WebhookDeliveryStatus.FAILED) {
      sets = `status = 'failed', last_error = ?, response_status = ?`;
      params.push(outcome.error, outcome.responseStatus);
    } else {
      sets = `next_attempt_at = now() + (? * interval '1 millisecond'), last_error = ?, response_status = ?`;
      params.push(outcome.retryInMs, outcome.error, outcome.responseStatus);
    }
    const rows = await this.em.execute<{ id: string }[]>(
      `update webhook_deliveries set ${sets}, updated_at = now()
        where id = ? and status = 'pending' and claim_token = ?
    returning id`,
      [...params, claimed.id, claimed.claim_token],
    );
    return rows.length > 0;
  }

  /**
   * A page of a subscription's deliveries in the given order (columns from the fixed list
   * DeliverySortColumn, never from input), ties broken by order, sequence and id.
   */
  async page(
    subscriptionId: string,
    status: WebhookDeliveryStatus | undefined,
    sort: [DeliverySortColumn, 'asc' | 'desc'][],
    offset: number,
    limit: number,
  ): Promise<[DeliveryRow[], number]> {
    const where = status ? 'subscription_id = ? and status = ?' : 'subscription_id = ?';
    const params = status ? [subscriptionId, status] : [subscriptionId];
    const orderBy = [
      ...sort.map(([column, direction]) => {
        if (!SORT_COLUMNS.includes(column)) throw new Error(`not a sort column: ${column}`);
        return `${column} ${direction === 'desc' ? 'desc' : 'asc'}`;
      }),
      'order_id',
      'sequence',
      'id',
    ].join(', ');
    const [rows, [{ total }]] = await Promise.all([
      this.em.execute<DeliveryRow[]>(
        `select ${COLUMNS} from webhook_deliveries where ${where}
          order by ${orderBy} offset ? limit ?`,
        [...params, offset, limit],
      ),
      this.em.execute<{ total: number }[]>(
        `select count(*)::int as total from webhook_deliveries where ${where}`,
        params,
      ),
    ]);
    return [rows, total];
  }

  /** Due now with a fresh round of attempts, whatever its status; null when there is no such delivery. */
  async redeliver(subscriptionId: string, deliveryId: string): Promise<DeliveryRow | null> {
    const [row] = await this.em.execute<DeliveryRow[]>(
      `update webhook_deliveries
          set status = 'pending', attempts = 0, claim_token = null, next_attempt_at = now(), sent_at = null,
              updated_at = now()
        where id = ? and subscription_id = ?
    returning ${COLUMNS}`,
      [deliveryId, subscriptionId],
    );
    return row ?? null;
  }

  /** Seconds since the oldest undelivered event of an active subscription was queued (0: none). */
  async lagSeconds(): Promise<number> {
    const [row] = await this.em.execute<{ lag: number | null }[]>(
      `select extract(epoch from now() - min(d.created_at))::float8 as lag
         from webhook_deliveries d
         join webhook_subscriptions s on s.id = d.subscription_id and s.is_active
        where d.status = 'pending'`,
    );
    return row.lag ?? 0;
  }
}
