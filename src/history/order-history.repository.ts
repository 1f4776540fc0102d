import { Injectable } from '@nestjs/common';
import { FilterQuery, QueryOrderMap } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { offsetOf, Page, PageQueryDto, toPage } from '../common/pagination';
import { OrderHistory } from './order-history.entity';
import {
  lockOrdersSql,
  moveHistoryHeadAndOrderSql,
  moveHistoryHeadSql,
  ORDER_CHANGE_RECORD,
} from '../orders/orders.repository';
import type { ShippingAddress } from '../orders/order.entity';
import { executePrepared } from '../database/prepared-statement';
import type { HistoryRow as PerformerHistoryRow } from './history.mapper';

/**
 * The SQL of order_history: the only file that writes it, and the one definition of an entry's
 * hash as the statements use it.
 *
 * THE HASH is the database function order_history_hash(...) (src/database/migrations/
 * Migration20261205030000.ts): sha256 over the canonical text of the stored content (a jsonb array
 * of id, order, sequence, action, statuses, description, performer, additional data, IP, user
 * agent, created_at in UTC to the microsecond, previous hash). Writing computes it inside the entry
 * statement; verify recomputes it over the stored columns with the same call (HASH_OF_STORED).
 *
 * THE CHAIN: an order's head (newest sequence, hash and time) lives on its order row. The entry
 * statement locks the order row (the order lock, see src/orders/orders.repository.ts), computes the
 * new entries from the head it read with the lock, inserts them and moves the head, all in ONE
 * statement; a concurrent writer of the same order waits for the lock and then reads the head
 * this one left. created_at is the clock when the lock is held, in milliseconds (what JavaScript
 * dates and the API carry, so that an exported entry still hashes to its hash), at least 1 ms
 * after the head: strictly increasing per order, so that time order and chain order agree.
 */

/** An entry to append; performer, IP and user agent already taken from the request context. */
export interface NewHistoryEntry {
  id: string;
  orderId: string;
  action: string;
  oldStatus: string | null;
  newStatus: string | null;
  description: string;
  performedById: string | null;
  additionalData: Record<string, unknown> | null;
  ipAddress: string | null;
  userAgent: string | null;
}

export interface AppendedEntry {
  id: string;
  order_id: string;
  sequence: number;
  created_at: Date;
  hash: string;
}

/** An order_history row as raw SQL returns it (snake_case, jsonb parsed, timestamptz as Date). */
export interface HistoryRow {
  id: string;
  order_id: string;
  sequence: number;
  action: string;
  old_status: string | null;
  new_status: string | null;
  description: string;
  performed_by_id: string | null;
  additional_data: Record<string, unknown> | null;
  ip_address: string | null;
  user_agent: string | null;
  created_at: Date;
  previous_hash: string | null;
  hash: string;
}

export interface ChainRow extends HistoryRow {
  performer_full_name?: string | null;
  performer_role?: string | null;
}

export const HISTORY_ROW_COLUMNS =
  'h.id, h.order_id, h.sequence, h.action, h.old_status, h.new_status, h.description, h.performed_by_id, ' +
  'h.additional_data, h.ip_address, h.user_agent, h.created_at, h.previous_hash, h.hash';

/** The hash of the stored entry `h` (alias of order_history), as it was computed when it was written. */
export const HASH_OF_STORED =
  'order_history_hash(h.id, h.order_id, h.sequence, h.action::text, h.old_status, h.new_status, h.description, ' +
  'h.performed_by_id, h.additional_data, h.ip_address, h.user_agent, h.created_at, h.previous_hash)';

/**
 * The CTEs that append entries, for a write statement that has already defined (under WITH
 * RECURSIVE):
 * - `history_input` (k, order_id, id, action, old_status, new_status, description, performed_by_id,
 *   additional_data, ip_address, user_agent): the entries, k = 1, 2, … per order in chain order;
 * - `history_head`: the locked orders (lockOrdersSql) of those entries.
 * Defines history_chain, history_inserted (id, order_id, sequence, created_at, hash) and
 * history_moved. Exported for the reservation statement, which locks other rows before the order.
 * With `changesSql` (a query of ORDER_CHANGE_RECORD over the locked orders, e.g. orderStatusChangesSql),
 * history_moved also applies those changes to the orders: a change and its entry in one statement.
 */
export function historyAppendCtes(changesSql?: string): string {
  const heads =
    'select distinct on (order_id) order_id, sequence, hash, created_at from history_chain where k > 0 order by order_id, k desc';
  return `
history_chain (order_id, k, sequence, created_at, previous_hash, hash) as (
  select h.id, 0, h.history_sequence, h.history_at, null::text, h.history_hash::text from history_head h
  union all
  select c.order_id, e.k, c.sequence + 1, t.at, c.hash,
         order_history_hash(e.id, e.order_id, c.sequence + 1, e.action::text, e.old_status, e.new_status,
                            e.description, e.performed_by_id, e.additional_data, e.ip_address, e.user_agent,
                            t.at, c.hash)
    from history_chain c
    join history_input e on e.order_id = c.order_id and e.k = c.k + 1
    cross join lateral (
      select greatest(date_trunc('milliseconds', clock_timestamp()), c.created_at + interval '1 millisecond') as at
    ) t
),
history_inserted as (
  insert into order_history (id, order_id, sequence, action, old_status, new_status, description, performed_by_id,
                             additional_data, ip_address, user_agent, created_at, previous_hash, hash)
  select e.id, e.order_id, c.sequence, e.action::order_history_action, e.old_status, e.new_status, e.description,
         e.performed_by_id, e.additional_data, e.ip_address, e.user_agent, c.created_at, c.previous_hash, c.hash
    from history_chain c join history_input e on e.order_id = c.order_id and e.k = c.k
  returning id, order_id, sequence, created_at, hash
),
history_moved as (
  ${changesSql ? moveHistoryHeadAndOrderSql(heads, changesSql) : moveHistoryHeadSql(heads)}
)`;
}

export const HISTORY_APPEND_CTES = historyAppendCtes();

/** The columns of history_input, for jsonb_to_recordset. */
export const HISTORY_INPUT_RECORD =
  'k int, order_id uuid, id uuid, action text, old_status varchar(32), new_status varchar(32), description text, ' +
  'performed_by_id uuid, additional_data jsonb, ip_address varchar(45), user_agent varchar(512)';

/** Entries as history_input records (k numbers each order's entries in the given order). */
export function historyInputRecords(entries: readonly NewHistoryEntry[]): Record<string, unknown>[] {
  const k = new Map<string, number>();
  return entries.map((entry) => {
    const next = (k.get(entry.orderId) ?? 0) + 1;
    k.set(entry.orderId, next);
    return {
      k: next,
      order_id: entry.orderId,
      id: entry.id,
      action: entry.action,
      old_status: entry.oldStatus,
      new_status: entry.newStatus,
      description: entry.description,
      performed_by_id: entry.performedById,
      additional_data: entry.additionalData,
      ip_address: entry.ipAddress,
      user_agent: entry.userAgent,
    };
  });
}

/** The append statement (one parameter: the history_input records as JSON). */
export const HISTORY_APPEND_SQL = `with recursive
  history_input as (select * from jsonb_to_recordset(?::jsonb) as e(${HISTORY_INPUT_RECORD})),
  history_head as (${lockOrdersSql('select order_id from history_input')}),
  ${HISTORY_APPEND_CTES}
  select id, order_id, sequence, created_at, hash from history_inserted order by order_id, sequence`;

/**
 * A change of an order that entries record, applied only if the order is still in status `from`:
 * the new status and amounts (decimal strings) and address; what is left out stays as it is.
 */
export interface OrderChangeInput {
  orderId: string;
  from: string;
  to?: string;
  totalAmount?: string;
  amountPaid?: string;
  amountRefunded?: string;
  shippingAddress?: ShippingAddress;
}

/**
 * The append statement that also changes the orders (parameters: the history_input records, the
 * changes as JSON): ONE statement locks the orders, checks each is still in its `from` status, and
 * only then appends the entries and applies each change with its order's new history head. Writes
 * nothing (returns no rows) when an order is gone or no longer in the status the change starts from.
 */
export const HISTORY_APPEND_WITH_ORDER_CHANGE_SQL = `with recursive
  history_raw as materialized (select * from jsonb_to_recordset(?::jsonb) as e(${HISTORY_INPUT_RECORD})),
  change_input as materialized (
    select * from jsonb_to_recordset(?::jsonb) as s(from_status text, ${ORDER_CHANGE_RECORD})
  ),
  history_head as materialized (
    ${lockOrdersSql('select order_id from history_raw union select order_id from change_input')}
  ),
  change_ok as materialized (
    select coalesce(bool_and(h.status::text is not distinct from s.from_status), true) as ok
      from change_input s left join history_head h on h.id = s.order_id
  ),
  history_input as (select * from history_raw where (select ok from change_ok)),
  ${historyAppendCtes(
    `select order_id, status, total_amount, amount_paid, amount_refunded, shipping_address
       from change_input where (select ok from change_ok)`,
  )}
  select id, order_id, sequence, created_at, hash from history_inserted order by order_id, sequence`;

export const CHAIN_BATCH_SIZE = 1000;

/** Filters of an order's trail page. */
export interface OrderTrailFilter {
  orderId: string;
  actions?: string[];
  performedById?: string;
  from?: Date;
  toInclusive?: Date;
  toExclusive?: Date;
}

@Injectable()
export class OrderHistoryRepository {
  constructor(private readonly em: EntityManager) {}

  /** Whether a transaction is open: the entry statement must join the change it records. */
  inTransaction(): boolean {
    return this.em.getTransactionContext() !== undefined;
  }

  /** One entry as an entity, with its performer. */
  findById(id: string): Promise<OrderHistory | null> {
    return this.em.findOne(OrderHistory, { id }, { populate: ['performedBy'] });
  }

  /** A page of entries as entities, with their performers. */
  async page(
    where: FilterQuery<OrderHistory>,
    orderBy: QueryOrderMap<OrderHistory>[],
    query: Pick<PageQueryDto, 'page' | 'pageSize'>,
  ): Promise<Page<OrderHistory>> {
    const [entries, total] = await this.em.findAndCount(OrderHistory, where, {
      populate: ['performedBy'],
      orderBy,
      limit: query.pageSize,
      offset: offsetOf(query),
    });
    return toPage(entries, total, query);
  }

  /**
   * A page of one order's trail with its performers, and the count: two lean statements run
   * concurrently (no query builder, no hydration: the busiest read of the audit trail,
   * docs/BENCHMARKS.md); created_at then sequence; the count does not join users.
   */
  async pageForOrder(
    filter: OrderTrailFilter,
    page: { direction: 'asc' | 'desc'; limit: number; offset: number },
  ): Promise<[PerformerHistoryRow[], number]> {
    const conditions = ['h.order_id = ?'];
    const params: unknown[] = [filter.orderId];
    if (filter.actions?.length) {
      conditions.push(`h.action in (${filter.actions.map(() => '?').join(', ')})`);
      params.push(...filter.actions);
    }
    if (filter.performedById) {
      conditions.push('h.performed_by_id = ?');
      params.push(filter.performedById);
    }
    for (const [op, at] of [
      ['>=', filter.from],
      ['<=', filter.toInclusive],
      ['<', filter.toExclusive],
    ] as const) {
      if (at) {
        conditions.push(`h.created_at ${op} ?`);
        params.push(at);
      }
    }
    const where = conditions.join(' and ');
    const direction = page.direction === 'desc' ? 'desc' : 'asc';
    const [rows, [{ total }]] = await Promise.all([
      this.em.execute<PerformerHistoryRow[]>(
        `select h.id, h.order_id, h.sequence, h.action, h.old_status, h.new_status, h.description,
                h.performed_by_id, u.full_name as performer_full_name, u.role as performer_role,
                h.additional_data, h.ip_address, h.user_agent, h.created_at, h.hash, h.previous_hash
           from order_history h left join users u on u.id = h.performed_by_id
          where ${where}
          order by h.created_at ${direction}, h.sequence ${direction}
          limit ? offset ?`,
        [...params, page.limit, page.offset],
      ),
      this.em.execute<{ total: number }[]>(
        `select count(*)::int as total from order_history h where ${where}`,
        params,
      ),
    ]);
    return [rows, total];
  }

  /** What the customer timeline is made of, in chain order. */
  timelineRows(
    orderId: string,
  ): Promise<{ action: string; old_status: string | null; new_status: string | null; created_at: Date }[]> {
    return this.em.execute(
      'select action, old_status, new_status, created_at from order_history where order_id = ? order by sequence',
      [orderId],
    );
  }

  /** The additional data of the order's entries of one action, in chain order. */
  async additionalDataOf(orderId: string, action: string): Promise<Record<string, unknown>[]> {
    const rows = await this.em.execute<{ additional_data: Record<string, unknown> | null }[]>(
      'select additional_data from order_history where order_id = ? and action = ? order by sequence',
      [orderId, action],
    );
    return rows.map((row) => row.additional_data ?? {});
  }

  /** The order's number, or undefined when there is no such order. */
  async orderNumber(orderId: string): Promise<string | undefined> {
    const [row] = await this.em.execute<{ order_number: string }[]>(
      'select order_number from orders where id = ?',
      [orderId],
    );
    return row?.order_number;
  }

  /**
   * Appends the entries (any number, any orders; each order's in the given order) in ONE
   * statement: lock the orders (id order), chain the entries from each head, insert them, move the
   * heads. Returns the inserted rows; an entry of an order that does not exist is not inserted.
   */
  append(entries: readonly NewHistoryEntry[]): Promise<AppendedEntry[]> {
    return executePrepared<AppendedEntry>(this.em, 'oms_history_append', HISTORY_APPEND_SQL, [
      JSON.stringify(historyInputRecords(entries)),
    ]);
  }

  /**
   * append() for entries that record changes of their orders: the entries and the changes in ONE
   * statement (HISTORY_APPEND_WITH_ORDER_CHANGE_SQL); nothing is written, and no row returned, when
   * an order is no longer in the status the change starts from.
   */
  appendWithOrderChanges(
    entries: readonly NewHistoryEntry[],
    changes: readonly OrderChangeInput[],
  ): Promise<AppendedEntry[]> {
    return executePrepared<AppendedEntry>(
      this.em,
      'oms_history_append_order_change',
      HISTORY_APPEND_WITH_ORDER_CHANGE_SQL,
      [
        JSON.stringify(historyInputRecords(entries)),
        JSON.stringify(
          changes.map((c) => ({
            order_id: c.orderId,
            from_status: c.from,
            status: c.to ?? null,
            total_amount: c.totalAmount ?? null,
            amount_paid: c.amountPaid ?? null,
            amount_refunded: c.amountRefunded ?? null,
            shipping_address: c.shippingAddress ?? null,
          })),
        ),
      ],
    );
  }

  /**
   * Recomputes the order's chain in one statement: each entry's hash from its stored content
   * (HASH_OF_STORED), each link (previous_hash = the hash before it), sequences 1..n without gaps,
   * and the head on the order row (so that removing the newest entries is noticed too).
   */
  async verify(
    orderId: string,
  ): Promise<{ entries: number; first_broken_id: string | null; head_ok: boolean }> {
    const [row] = await this.em.execute<
      { entries: number; first_broken_id: string | null; head_ok: boolean }[]
    >(
      `select count(c.id)::int as entries,
              (array_agg(c.id order by c.sequence) filter (where c.broken))[1] as first_broken_id,
              coalesce(max(c.sequence) filter (where c.last), 0) = o.history_sequence
                and (array_agg(c.hash) filter (where c.last))[1] is not distinct from o.history_hash as head_ok
         from orders o
         left join lateral (
           select h.id, h.sequence, h.hash,
                  h.sequence <> row_number() over w
                    or h.previous_hash is distinct from lag(h.hash) over w
                    or ${HASH_OF_STORED} is distinct from h.hash as broken,
                  row_number() over w = count(*) over () as last
             from order_history h where h.order_id = o.id
           window w as (order by h.sequence)
         ) c on true
        where o.id = ?
        group by o.id, o.history_sequence, o.history_hash`,
      [orderId],
    );
    return row ?? { entries: 0, first_broken_id: null, head_ok: true };
  }

  /**
   * An order's entries in chain order, batch by batch, so that an order with a million entries never
   * sits in memory at once. Each batch is a window of sequence values read through the unique
   * (order_id, sequence) index: `sequence > last LIMIT n` looks the same but the planner, misjudging
   * how many rows lie above `last` for one order, may fetch and sort every remaining row each time.
   * After a window with gaps (only a tampered chain has them) the next existing sequence is looked up.
   * It uses the connection pool directly (no EntityManager context, no identity map), so it can run
   * after the request handler has returned, while a response streams.
   */
  async *readChain(
    orderId: string,
    options: { withPerformer?: boolean; batchSize?: number } = {},
  ): AsyncGenerator<ChainRow[]> {
    const connection = this.em.getConnection();
    const batchSize = options.batchSize ?? CHAIN_BATCH_SIZE;
    const window = `h.order_id = ? and h.sequence >= cast(? as bigint) and h.sequence <= cast(? as bigint) order by h.sequence`;
    const query = options.withPerformer
      ? `select ${HISTORY_ROW_COLUMNS}, u.full_name as performer_full_name, u.role as performer_role
         from order_history h left join users u on u.id = h.performed_by_id where ${window}`
      : `select ${HISTORY_ROW_COLUMNS} from order_history h where ${window}`;
    const nextSequence = async (after: number): Promise<number | null> => {
      const [row] = await connection.execute<{ next: number | null }[]>(
        'select min(sequence) as next from order_history where order_id = ? and sequence > cast(? as bigint)',
        [orderId, after],
      );
      return row?.next ?? null;
    };
    // From below any sequence: a tampered row with sequence 0 or less is read too.
    let from = await nextSequence(Number.MIN_SAFE_INTEGER);
    while (from !== null) {
      const to = from + batchSize - 1;
      const rows = await connection.execute<ChainRow[]>(query, [orderId, from, to]);
      if (rows.length > 0) yield rows;
      from = rows.length === batchSize ? to + 1 : await nextSequence(to);
    }
  }
}
