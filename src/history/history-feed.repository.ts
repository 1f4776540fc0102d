import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';

/** A place in the feed: entries are ordered by (xid, orderId, sequence). */
export interface FeedPosition {
  /** The writing transaction's id (xid8, as decimal text). */
  xid: string;
  orderId: string;
  sequence: number;
}

export interface FeedFilter {
  action?: string;
  orderId?: string;
}

export interface FeedEntryRow {
  id: string;
  xid: string;
  order_id: string;
  order_number: string;
  sequence: number;
  action: string;
  old_status: string | null;
  new_status: string | null;
  performed_by_id: string | null;
  additional_data: Record<string, unknown> | null;
  created_at: Date;
}

/**
 * The history feed's one statement. Why the position is the writing transaction's id and why only
 * entries below the snapshot's xmin are returned:
 *
 * A number taken at insert time (a sequence, a timestamp) is not enough: a transaction that took a
 * smaller number can commit after one that took a larger number, and a reader that has already
 * moved past the larger one would never see it. `order_history.xid` is the id of the writing
 * transaction (column default `pg_current_xact_id()`), and `pg_snapshot_xmin(pg_current_snapshot())`
 * is the oldest transaction still running: every transaction below it has ended, and every
 * transaction that starts later gets a larger id. So the entries below that horizon are final —
 * no entry can appear there any more — and a reader that only ever moves through final entries, in
 * (xid, order_id, sequence) order, sees each entry exactly once. The price: the feed trails the
 * oldest open transaction on the server (normally milliseconds).
 *
 * Within one transaction, (order_id, sequence) keeps each order's entries in chain order; entries
 * written before the column existed have xid 0 and come first.
 */
@Injectable()
export class HistoryFeedRepository {
  constructor(private readonly em: EntityManager) {}

  /**
   * The largest stored xid and the server's next one, when the stored one is not below it; null
   * when all is well. Positions are only comparable with the ids of the cluster that wrote them: a
   * `pg_dump` restored into a new cluster keeps the old ids while the new cluster counts from its
   * own, lower, start. One probe of the feed index's last entry; reads the snapshot's xmax without
   * taking a transaction id.
   */
  async idsAhead(): Promise<{ storedXid: string; nextXid: string } | null> {
    const [row] = await this.em.execute<{ stored_xid: string; next_xid: string }[]>(
      `select h.xid::text as stored_xid, pg_snapshot_xmax(pg_current_snapshot())::text as next_xid
         from (select xid from order_history order by xid desc limit 1) h
        where h.xid >= pg_snapshot_xmax(pg_current_snapshot())`,
    );
    return row ? { storedXid: row.stored_xid, nextXid: row.next_xid } : null;
  }

  /**
   * Seconds since the oldest entry after `after` was written (0: none), final or not: while an open
   * transaction holds the feed back, the entries committed after it wait here and this grows.
   */
  async secondsWaitingAfter(after: FeedPosition): Promise<number> {
    const [row] = await this.em.execute<{ age: number | null }[]>(
      `select extract(epoch from now() - min(h.created_at))::float8 as age
         from order_history h
        where (h.xid, h.order_id, h.sequence) > (?::xid8, ?::uuid, ?::int)`,
      [after.xid, after.orderId, after.sequence],
    );
    return Math.max(0, row.age ?? 0);
  }

  /** The position of the newest final entry after `after`; null when there is none. */
  async lastFinalAfter(after: FeedPosition): Promise<FeedPosition | null> {
    const [row] = await this.em.execute<{ xid: string; order_id: string; sequence: number }[]>(
      `select h.xid::text as xid, h.order_id, h.sequence
         from order_history h
        where h.xid < pg_snapshot_xmin(pg_current_snapshot())
          and (h.xid, h.order_id, h.sequence) > (?::xid8, ?::uuid, ?::int)
        order by h.xid desc, h.order_id desc, h.sequence desc
        limit 1`,
      [after.xid, after.orderId, after.sequence],
    );
    return row ? { xid: row.xid, orderId: row.order_id, sequence: row.sequence } : null;
  }

  entriesAfter(after: FeedPosition | null, limit: number, filter: FeedFilter = {}): Promise<FeedEntryRow[]> {
    const conditions = ['h.xid < pg_snapshot_xmin(pg_current_snapshot())'];
    const params: unknown[] = [];
    if (after) {
      conditions.push('(h.xid, h.order_id, h.sequence) > (?::xid8, ?::uuid, ?::int)');
      params.push(after.xid, after.orderId, after.sequence);
    }
    if (filter.action) {
      conditions.push('h.action = ?');
      params.push(filter.action);
    }
    if (filter.orderId) {
      conditions.push('h.order_id = ?');
      params.push(filter.orderId);
    }
    params.push(limit);
    return this.em.execute<FeedEntryRow[]>(
      `select h.id, h.xid::text as xid, h.order_id, o.order_number, h.sequence, h.action, h.old_status,
              h.new_status, h.performed_by_id, h.additional_data, h.created_at
         from order_history h
         join orders o on o.id = h.order_id
        where ${conditions.join(' and ')}
        order by h.xid, h.order_id, h.sequence
        limit ?`,
      params,
    );
  }
}
