import { Injectable } from '@nestjs/common';
import { FilterQuery, LockMode } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { offsetOf, Page, PageQueryDto, toPage } from '../common/pagination';
import { InventoryReservation } from './inventory-reservation.entity';
import { lockStockLevelsSql, reserveStockSql } from '../catalog/stock-levels.repository';
import { allocateOrderItemsSql, lockOrderItemsSql, lockOrdersSql } from '../orders/orders.repository';
import { HISTORY_APPEND_CTES, NewHistoryEntry } from '../history/order-history.repository';
import { executePrepared } from '../database/prepared-statement';

/** One line of a reservation statement, with its reservation and history entry prepared. */
export interface BookingLine {
  reservationId: string;
  orderItemId: string;
  productVariantId: string;
  stockLocationId: string;
  quantity: number;
  /** Position of the line's history entry in the order's chain among this statement's entries (1..n). */
  k: number;
  /**
   * The history entry, with `description` a format() template: %1$s is the variant's sku and %2$s
   * the location's code (read by the statement under its locks), also added to additionalData.
   */
  history: NewHistoryEntry;
}

export interface BookingInput {
  orderId: string;
  lines: readonly BookingLine[];
  /** Order statuses that take no new reservations (empty: any status). */
  closedStatuses: readonly string[];
  /** Active holds with expires_at <= now on these stock levels block the statement. */
  now: Date;
  expiresAt: Date | null;
  notes: string | null;
  reservedAt: Date;
}

/** One row per line: what the statement read under its locks, and whether it wrote. */
export interface BookingRow {
  line: number;
  order_found: boolean;
  order_status: string | null;
  order_number: string | null;
  /**
   * Active expired holds on these stock levels: nothing was locked or written (the other columns
   * are empty); release them and run again.
   */
  expired: boolean;
  /** Every guard held and everything was written. */
  ok: boolean;
  item_id: string | null;
  item_variant_id: string | null;
  item_quantity: number | null;
  item_allocated: number | null;
  item_sku: string | null;
  /** Units requested by all lines of this item / of this stock level. */
  item_requested: number;
  level_requested: number;
  level_id: string | null;
  quantity_on_hand: number | null;
  quantity_reserved: number | null;
  level_sku: string | null;
  location_id: string | null;
  location_code: string | null;
  location_active: boolean | null;
  levels_reserved: number;
  entries: number;
}

/**
 * THE RESERVATION STATEMENT (docs/data-access.md): reserving lines of one order costs ONE
 * statement, whatever the number of lines. It spans the tables of three modules because it is the
 * budgeted write command of a flash sale; the parts that touch other modules' tables are their
 * repositories' fragments (catalog: lockStockLevelsSql, reserveStockSql; orders: lockOrdersSql,
 * lockOrderItemsSql, allocateOrderItemsSql; history: HISTORY_APPEND_CTES).
 *
 * The stock level row is the queue of a flash sale (every request for one variant at one location
 * waits for it), so it is locked LAST: the order and its items, the snapshot reads and every guard
 * that does not need the level come first, and the level is held only for the writes, the rest of
 * this statement and the commit.
 *
 * 1. Reads from the snapshot whether an active hold on these levels has expired (through the index
 *    of active holds by expiry, not by scanning every hold of the level: a hot level has
 *    thousands). If one has, it locks nothing and writes nothing (`expired`): the service releases
 *    the expired holds through the release path (which locks reservations → orders → items →
 *    levels) and runs the statement again, so that this transaction takes no order before it.
 * 2. Locks, each returning the rows' newest versions (FOR UPDATE in READ COMMITTED), in the lock
 *    order every path that reserves or releases stock follows: the order (its status and history
 *    head), then the order items (their quantity_allocated), then the stock levels (id order).
 * 3. Decides: first the guards of the order and its items (order open, item of the order and of the
 *    line's variant, allocated + requested <= ordered per item); only if they hold are the stock
 *    levels locked (a refused request never waits for the hot row); then the level's guards
 *    (exists at an active location, on hand - reserved >= requested per level, on the locked row).
 * 4. Only if all hold: moves the stock counters, the items' allocations, inserts the reservations
 *    and the history entries (chained from the head read in 2) and moves the head. Otherwise it
 *    writes nothing, and the rows tell the service which guard failed.
 */
export const bookingSql = (lineCount: number) => `
with recursive
lines as materialized (
  select * from jsonb_to_recordset(?::jsonb) as l(
    line int, k int, reservation_id uuid, order_item_id uuid, product_variant_id uuid, stock_location_id uuid,
    quantity int, history_id uuid, description text, additional_data jsonb, performed_by_id uuid,
    ip_address varchar(45), user_agent varchar(512))
  -- The number of lines, for the planner (a function scan is otherwise guessed at 100 rows, which
  -- turns index lookups of the stock levels and items into scans of the whole tables).
  limit ${lineCount}
),
params as materialized (
  select ?::uuid as order_id, ?::jsonb as closed_statuses, ?::timestamptz as now, ?::timestamptz as expires_at,
         ?::text as notes, ?::timestamptz as reserved_at
),
expired as materialized (
  -- "expires_at is not null" lets the planner use the index of active holds by expiry.
  select exists (
    select 1 from inventory_reservations r
     where r.is_active and r.expires_at is not null and r.expires_at <= (select now from params)
       and (r.product_variant_id, r.stock_location_id) in (select product_variant_id, stock_location_id from lines)
  ) as blocked
),
history_head as materialized (
  ${lockOrdersSql('select p.order_id from params p where not (select blocked from expired)')}
),
items as materialized (
  ${lockOrderItemsSql(
    'select order_item_id from lines where not (select blocked from expired) and (select count(*) from history_head) >= 0',
  )}
),
item_info as materialized (
  select l.line, i.id as item_id, i.product_variant_id as item_variant_id, i.quantity as item_quantity,
         i.quantity_allocated as item_allocated, i.sku as item_sku,
         sum(l.quantity) over (partition by l.order_item_id)::int as item_requested
    from lines l
    left join items i on i.id = l.order_item_id and i.order_id = (select order_id from params)
),
order_verdict as materialized (
  select h.id is not null as order_found, h.status::text as order_status, h.order_number,
         (select blocked from expired) as expired,
         h.id is not null
           and h.status::text not in (select jsonb_array_elements_text(p.closed_statuses) from params p)
           and not (select blocked from expired)
           and (select bool_and(i.item_id is not null
                                and i.item_variant_id = l.product_variant_id
                                and i.item_allocated + i.item_requested <= i.item_quantity)
                  from item_info i join lines l on l.line = i.line) as ok
    from (select 1) one left join history_head h on true
),
levels as materialized (
  ${lockStockLevelsSql('select product_variant_id, stock_location_id from lines where (select ok from order_verdict)')}
),
info as materialized (
  select l.*, ii.item_id, ii.item_variant_id, ii.item_quantity, ii.item_allocated, ii.item_sku, ii.item_requested,
         sum(l.quantity) over (partition by l.product_variant_id, l.stock_location_id)::int as level_requested,
         lv.id as level_id, lv.quantity_on_hand, lv.quantity_reserved, lv.sku as level_sku,
         loc.id as location_id, loc.code as location_code, loc.is_active as location_active
    from lines l
    join item_info ii on ii.line = l.line
    left join levels lv on lv.product_variant_id = l.product_variant_id and lv.stock_location_id = l.stock_location_id
    left join stock_locations loc on loc.id = l.stock_location_id
),
verdict as materialized (
  select o.order_found, o.order_status, o.order_number, o.expired,
         coalesce(o.ok
                  and (select bool_and(i.level_id is not null
                                       and i.location_active
                                       and i.quantity_on_hand - i.quantity_reserved >= i.level_requested)
                         from info i), false) as ok
    from order_verdict o
),
reserved_levels as (
  ${reserveStockSql(
    `select level_id as stock_level_id, min(level_requested) as quantity, min(quantity_on_hand) as quantity_on_hand,
            min(quantity_reserved) as quantity_reserved
       from info where (select ok from verdict) group by level_id`,
  )}
),
allocated_items as (
  ${allocateOrderItemsSql(
    'select order_item_id, min(item_requested) as quantity from info where (select ok from verdict) group by order_item_id',
  )}
),
inserted as (
  insert into inventory_reservations (id, created_at, updated_at, order_id, order_item_id, product_variant_id,
                                      stock_location_id, quantity_reserved, quantity_fulfilled, is_active,
                                      expires_at, notes, reserved_at)
  select i.reservation_id, p.reserved_at, p.reserved_at, p.order_id, i.order_item_id, i.product_variant_id,
         i.stock_location_id, i.quantity, 0, true, p.expires_at, p.notes, p.reserved_at
    from info i cross join params p
   where (select ok from verdict)
  returning id
),
history_input as (
  select i.k, p.order_id, i.history_id as id, 'inventory_reserved'::text as action,
         null::varchar(32) as old_status, null::varchar(32) as new_status,
         format(i.description, i.level_sku, i.location_code) as description, i.performed_by_id,
         i.additional_data || jsonb_build_object('sku', i.level_sku, 'stockLocationCode', i.location_code)
           as additional_data,
         i.ip_address, i.user_agent
    from info i cross join params p
   where (select ok from verdict)
),
${HISTORY_APPEND_CTES}
select i.line, v.order_found, v.order_status, v.order_number, v.expired, v.ok,
       i.item_id, i.item_variant_id, i.item_quantity, i.item_allocated, i.item_sku, i.item_requested,
       i.level_requested, i.level_id, i.quantity_on_hand, i.quantity_reserved, i.level_sku, i.location_id,
       i.location_code, i.location_active,
       (select count(*) from reserved_levels)::int as levels_reserved,
       (select count(*) from history_inserted)::int as entries
  from info i cross join verdict v
 order by i.line`;

/** What confirming an order starts from, read under its lock by ONE statement (confirmationInputSql). */
export interface ConfirmationInputRow {
  id: string;
  status: string;
  order_number: string;
  /**
   * False when the order row changed between the statement's snapshot and its lock (another
   * transaction wrote the order while this one waited): the snapshot reads are then older than the
   * lock, and the statement must run again (the lock is held by then, so it runs on current data).
   * Every change to an order's items or holds also moves its history head on the order row.
   */
  fresh: boolean;
  /** The order's items (created_at, id order), each with the units its active holds keep. */
  items: { id: string; productVariantId: string; sku: string; quantity: number; held: number }[];
  /** What active locations can still give of the items' variants (on hand − reserved). */
  stock: { productVariantId: string; stockLocationId: string; code: string; available: number }[];
  /** The pinned stock locations that exist. */
  pins: { id: string; isActive: boolean }[];
}

/**
 * THE CONFIRMATION READ (docs/data-access.md): locks the order (the order lock) and, in the same
 * statement, reads its items, the units their active holds keep, the availability of their
 * variants at active locations and the pinned locations, with the check that the snapshot these
 * reads come from is not older than the lock (`fresh`). Parameters: order id, pinned location ids
 * (JSON array of text: a pin that is no uuid finds nothing).
 */
export const CONFIRMATION_INPUT_SQL = `
with locked as materialized (
  select id, status::text as status, order_number, xmin::text as row_version from orders where id = ?::uuid for update
),
seen as materialized (
  select xmin::text as row_version from orders where id = (select id from locked)
),
items as materialized (
  select i.id, i.product_variant_id, i.sku, i.quantity, i.created_at
    from order_items i where i.order_id = (select id from locked)
),
held as (
  select r.order_item_id, sum(r.quantity_reserved - r.quantity_fulfilled)::int as held
    from inventory_reservations r
   where r.order_id = (select id from locked) and r.is_active
   group by r.order_item_id
)
select l.id, l.status, l.order_number,
       l.row_version = (select row_version from seen) as fresh,
       coalesce((select jsonb_agg(jsonb_build_object('id', i.id, 'productVariantId', i.product_variant_id,
                                                     'sku', i.sku, 'quantity', i.quantity,
                                                     'held', coalesce(h.held, 0))
                                  order by i.created_at, i.id)
                   from items i left join held h on h.order_item_id = i.id), '[]'::jsonb) as items,
       coalesce((select jsonb_agg(jsonb_build_object('productVariantId', sl.product_variant_id,
                                                     'stockLocationId', sl.stock_location_id, 'code', loc.code,
                                                     'available', sl.quantity_on_hand - sl.quantity_reserved))
                   from stock_levels sl join stock_locations loc on loc.id = sl.stock_location_id and loc.is_active
                  where sl.product_variant_id in (select product_variant_id from items)), '[]'::jsonb) as stock,
       coalesce((select jsonb_agg(jsonb_build_object('id', loc.id, 'isActive', loc.is_active))
                   from stock_locations loc
                  where loc.id::text in (select jsonb_array_elements_text(?::jsonb))), '[]'::jsonb) as pins
  from locked l`;

/** Line counts up to which each count's statement is kept prepared on every connection. */
const MAX_PREPARED_LINES = 8;

/** bookingSql's parameters, in order. */
export function bookingParams(input: BookingInput): unknown[] {
  const lines = input.lines.map((line, index) => ({
    line: index + 1,
    k: line.k,
    reservation_id: line.reservationId,
    order_item_id: line.orderItemId,
    product_variant_id: line.productVariantId,
    stock_location_id: line.stockLocationId,
    quantity: line.quantity,
    history_id: line.history.id,
    description: line.history.description,
    additional_data: line.history.additionalData,
    performed_by_id: line.history.performedById,
    ip_address: line.history.ipAddress,
    user_agent: line.history.userAgent,
  }));
  return [
    JSON.stringify(lines),
    input.orderId,
    JSON.stringify(input.closedStatuses),
    input.now,
    input.expiresAt,
    input.notes,
    input.reservedAt,
  ];
}

type OrderBy = Record<string, 'asc' | 'desc'>[];

/** Per order item: units held, units fulfilled, number of active reservations. */
export interface ReservationSummaryRow {
  order_item_id: string;
  reserved: number;
  fulfilled: number;
  active: number;
}

@Injectable()
export class ReservationsRepository {
  constructor(private readonly em: EntityManager) {}

  /** The reservation, row-locked for the rest of the transaction and read afresh. */
  lockById(id: string): Promise<InventoryReservation | null> {
    return this.em.findOne(
      InventoryReservation,
      { id },
      { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true },
    );
  }

  /** Active reservations matching `where`, locked in id order (waits for, never skips, other holders). */
  lockActive(where: FilterQuery<InventoryReservation>): Promise<InventoryReservation[]> {
    return this.em.find(
      InventoryReservation,
      { $and: [where, { isActive: true }] },
      { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true, orderBy: { id: 'asc' } },
    );
  }

  /**
   * Up to `limit` expired active reservations, oldest expiry first, locked with SKIP LOCKED: rows
   * another sweeper or request holds are left to it.
   */
  claimExpired(now: Date, limit: number): Promise<InventoryReservation[]> {
    return this.em.find(
      InventoryReservation,
      { isActive: true, expiresAt: { $lte: now } },
      {
        lockMode: LockMode.PESSIMISTIC_PARTIAL_WRITE,
        refresh: true,
        orderBy: { expiresAt: 'asc', id: 'asc' },
        limit,
      },
    );
  }

  /** Whether an active reservation of these stock levels has expired (a plain look, no lock). */
  async anyExpired(
    pairs: readonly { productVariantId: string; stockLocationId: string }[],
    now: Date,
  ): Promise<boolean> {
    const due = await this.em.execute<{ id: string }[]>(
      `select id from inventory_reservations
        where is_active and expires_at <= ?
          and (product_variant_id, stock_location_id) in (${pairs.map(() => '(?, ?)').join(', ')})
        limit 1`,
      [now, ...pairs.flatMap((pair) => [pair.productVariantId, pair.stockLocationId])],
    );
    return due.length > 0;
  }

  /** Ends these holds: inactive, released now, for `reason`. */
  async markReleased(ids: readonly string[], reason: string, now: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.em.execute(
      `update inventory_reservations
          set is_active = false, released_at = ?, release_reason = ?, updated_at = ?
        where id in (${ids.map(() => '?').join(', ')})`,
      [now, reason, now, ...ids],
    );
  }

  /**
   * Adds fulfilled units to these holds; a hold fulfilled in full ends (inactive, fulfilled now,
   * reason `fulfilled`).
   */
  async addFulfilled(parts: readonly { id: string; quantity: number }[], now: Date): Promise<void> {
    if (parts.length === 0) return;
    await this.em.execute(
      `update inventory_reservations r
          set quantity_fulfilled = r.quantity_fulfilled + p.quantity,
              is_active = r.quantity_fulfilled + p.quantity < r.quantity_reserved,
              fulfilled_at = case when r.quantity_fulfilled + p.quantity = r.quantity_reserved then ?::timestamptz
                                  else r.fulfilled_at end,
              release_reason = case when r.quantity_fulfilled + p.quantity = r.quantity_reserved then 'fulfilled'
                                    else r.release_reason end,
              updated_at = ?
         from jsonb_to_recordset(?::jsonb) as p(id uuid, quantity int)
        where r.id = p.id`,
      [now, now, JSON.stringify(parts)],
    );
  }

  /** Moves a hold's expiry. */
  async setExpiry(id: string, expiresAt: Date, now: Date): Promise<void> {
    await this.em.execute('update inventory_reservations set expires_at = ?, updated_at = ? where id = ?', [
      expiresAt,
      now,
      id,
    ]);
  }

  findById(id: string): Promise<InventoryReservation | null> {
    return this.em.findOne(InventoryReservation, { id });
  }

  async page(
    where: FilterQuery<InventoryReservation>,
    orderBy: OrderBy,
    query: Pick<PageQueryDto, 'page' | 'pageSize'>,
  ): Promise<Page<InventoryReservation>> {
    const [reservations, total] = await this.em.findAndCount(InventoryReservation, where, {
      orderBy: [...orderBy, { id: 'asc' }],
      limit: query.pageSize,
      offset: offsetOf(query),
    });
    return toPage(reservations, total, query);
  }

  /** Reservations matching `where`, oldest first. */
  findOldestFirst(where: FilterQuery<InventoryReservation>): Promise<InventoryReservation[]> {
    return this.em.find(InventoryReservation, where, { orderBy: { reservedAt: 'asc', id: 'asc' } });
  }

  summaryForOrder(orderId: string): Promise<ReservationSummaryRow[]> {
    return this.em.execute<ReservationSummaryRow[]>(
      `select order_item_id,
              coalesce(sum(quantity_reserved - quantity_fulfilled) filter (where is_active), 0)::int as reserved,
              coalesce(sum(quantity_fulfilled), 0)::int as fulfilled,
              (count(*) filter (where is_active))::int as active
         from inventory_reservations where order_id = ?
        group by order_item_id order by order_item_id`,
      [orderId],
    );
  }

  /** Units held by active reservations of a variant, everywhere or at one location. */
  async totalReserved(variantId: string, stockLocationId?: string): Promise<number> {
    const [row] = await this.em.execute<{ total: number }[]>(
      `select coalesce(sum(quantity_reserved - quantity_fulfilled), 0)::int as total
         from inventory_reservations
        where is_active and product_variant_id = ?${stockLocationId ? ' and stock_location_id = ?' : ''}`,
      stockLocationId ? [variantId, stockLocationId] : [variantId],
    );
    return row.total;
  }

  /** Units held per location for a variant, by location id. */
  totalReservedByLocation(variantId: string): Promise<{ stock_location_id: string; reserved: number }[]> {
    return this.em.execute<{ stock_location_id: string; reserved: number }[]>(
      `select stock_location_id, sum(quantity_reserved - quantity_fulfilled)::int as reserved
         from inventory_reservations where is_active and product_variant_id = ?
        group by stock_location_id order by stock_location_id`,
      [variantId],
    );
  }

  /** The reservation statement (above): one round trip, prepared (src/database/prepared-statement.ts). */
  book(input: BookingInput): Promise<BookingRow[]> {
    const n = input.lines.length;
    if (n > MAX_PREPARED_LINES) return this.em.execute<BookingRow[]>(bookingSql(n), bookingParams(input));
    return executePrepared<BookingRow>(
      this.em,
      `oms_reservation_book_${n}`,
      bookingSql(n),
      bookingParams(input),
    );
  }

  /** The confirmation read (above): one round trip; undefined when there is no such order. */
  async confirmationInput(
    orderId: string,
    pinnedLocationIds: readonly string[],
  ): Promise<ConfirmationInputRow | undefined> {
    const [row] = await executePrepared<ConfirmationInputRow>(
      this.em,
      'oms_confirmation_input',
      CONFIRMATION_INPUT_SQL,
      [orderId, JSON.stringify(pinnedLocationIds)],
    );
    return row;
  }

  /** Per item: units held by its active reservations and units fulfilled (for the over-ordered answer). */
  itemTotals(
    itemIds: readonly string[],
  ): Promise<{ order_item_id: string; held: number; fulfilled: number }[]> {
    return this.em.execute(
      `select order_item_id,
              coalesce(sum(quantity_reserved - quantity_fulfilled) filter (where is_active), 0)::int as held,
              coalesce(sum(quantity_fulfilled), 0)::int as fulfilled
         from inventory_reservations
        where order_item_id in (${itemIds.map(() => '?').join(', ')})
        group by order_item_id`,
      [...itemIds],
    );
  }
}
