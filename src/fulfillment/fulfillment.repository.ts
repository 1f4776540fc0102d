import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { executePrepared } from '../database/prepared-statement';
import {
  HISTORY_APPEND_CTES,
  HISTORY_INPUT_RECORD,
  historyAppendCtes,
  historyInputRecords,
  NewHistoryEntry,
} from '../history/order-history.repository';
import { lockOrdersSql, orderStatusChangesSql } from '../orders/orders.repository';
import { FulfillmentStatus } from './fulfillment-status.enum';
import { FULFILLMENT_COLUMNS, FulfillmentRow } from './fulfillment-query.repository';
import { FulfillmentItems } from './order-fulfillment.entity';
import { OPEN_STATUSES, SHIPPED_STATUSES, STAMPS_ON_ENTRY } from './fulfillment-state-machine';

export interface MoveInput {
  fulfillmentId: string;
  to: FulfillmentStatus;
  /** The states `to` may be entered from (the state machine's table). */
  allowedFrom: readonly FulfillmentStatus[];
  /** Order statuses the move needs (empty: any). */
  orderStatuses: readonly string[];
  now: Date;
  /** The history entry: description a format() template, %1$s the fulfillment number, %2$s from. */
  history: NewHistoryEntry;
  /**
   * Picking only: the description template of the entry when the order is still confirmed (the first
   * picking): the entry is then `processing_started` (confirmed → processing) and the order moves to
   * processing in the same statement.
   */
  processingDescription?: string;
}

/** What the move statement read under its locks, and the moved row when it moved. */
export interface MoveRow extends Partial<FulfillmentRow> {
  found: boolean;
  order_id: string;
  order_status: string | null;
  order_number: string | null;
  fulfillment_number: string;
  from_status: FulfillmentStatus | null;
  from_items: FulfillmentItems | null;
  /** The code of the location the fulfillment ships from. */
  from_location: string | null;
  /** The move is one the statement does not make (shipping, which changes stock and the order): nothing written. */
  special: boolean;
  moved: boolean;
  /** The move was the first picking of a confirmed order, which moved the order to processing. */
  started_processing: boolean;
}

/**
 * THE FULFILLMENT MOVE STATEMENT (docs/data-access.md): a status move that changes nothing but the
 * fulfillment costs ONE statement: lock the order through the fulfillment (the order lock, with its
 * history head), lock the fulfillment row (FOR UPDATE: its newest status), check the move (from one
 * of `allowedFrom`, the order in one of `orderStatuses`), move it (stamping its timestamps) and
 * append the history entry, `from` and the number read under the lock. The first picking of a
 * confirmed order also moves the order to processing, with a `processing_started` entry instead (its
 * status and history head in one UPDATE). Shipping, which changes stock as well, is reported as
 * `special` and not made: the service ships with the shipping read and write (below).
 */
const moveSql = (to: FulfillmentStatus) => {
  const stamps = STAMPS_ON_ENTRY[to];
  const sets = [
    'status = p.target',
    'version = f.version + 1',
    'updated_at = p.now',
    ...stamps.first.map((column) => `${column} = coalesce(f.${column}, p.now)`),
    ...stamps.latest.map((column) => `${column} = p.now`),
    ...stamps.cleared.map((column) => `${column} = null`),
  ];
  return `
with recursive
params as materialized (
  select ?::uuid as fulfillment_id, ?::fulfillment_status as target, ?::timestamptz as now,
         ?::jsonb as allowed_from, ?::jsonb as order_statuses, ?::jsonb as entry
),
history_head as materialized (
  ${lockOrdersSql('select order_id from order_fulfillments where id = (select fulfillment_id from params)')}
),
moving as materialized (
  select id, fulfillment_number, status, items, warehouse_location from order_fulfillments
   where id = (select fulfillment_id from params) and (select count(*) from history_head) >= 0
     for update
),
verdict as materialized (
  select m.id is not null and h.id is not null as found, h.status::text as order_status, h.order_number,
         m.fulfillment_number, m.status as from_status, m.items as from_items, m.warehouse_location as from_location,
         p.target = 'shipped' as special,
         p.target = 'picking' and h.status = 'confirmed' as starts_processing,
         m.id is not null and h.id is not null
           and m.status::text in (select jsonb_array_elements_text(p.allowed_from))
           and (jsonb_array_length(p.order_statuses) = 0
                or h.status::text in (select jsonb_array_elements_text(p.order_statuses)))
           and p.target <> 'shipped' as ok
    from params p left join moving m on true left join history_head h on true
),
moved as (
  update order_fulfillments f set ${sets.join(', ')}
    from params p
   where f.id = p.fulfillment_id and (select ok from verdict)
  returning ${FULFILLMENT_COLUMNS.split(',')
    .map((column) => `f.${column.trim()}`)
    .join(', ')}
),
history_input as (
  select 1 as k, h.id as order_id, (p.entry->>'id')::uuid as id,
         case when v.starts_processing then 'processing_started' else p.entry->>'action' end as action,
         case when v.starts_processing then h.status::text end::varchar(32) as old_status,
         case when v.starts_processing then 'processing' end::varchar(32) as new_status,
         format(case when v.starts_processing then p.entry->>'processing_description' else p.entry->>'description' end,
                v.fulfillment_number, v.from_status) as description,
         (p.entry->>'performed_by_id')::uuid as performed_by_id,
         (p.entry->'additional_data')
           || jsonb_build_object('fulfillmentNumber', v.fulfillment_number, 'from', v.from_status) as additional_data,
         (p.entry->>'ip_address')::varchar(45) as ip_address, (p.entry->>'user_agent')::varchar(512) as user_agent
    from params p cross join verdict v cross join history_head h
   where v.ok
),
${
  to === FulfillmentStatus.PICKING
    ? historyAppendCtes(
        orderStatusChangesSql(
          "select h.id as order_id, 'processing'::order_status as status from history_head h cross join verdict v where v.ok and v.starts_processing",
        ),
      )
    : HISTORY_APPEND_CTES
}
select m.*, v.found, h.id as order_id, v.order_status, v.order_number, v.fulfillment_number, v.from_status,
       v.from_items, v.from_location, v.special, m.id is not null as moved,
       m.id is not null and v.starts_processing as started_processing
  from verdict v left join history_head h on true left join moved m on true`;
};

const MOVE_SQL = new Map(Object.values(FulfillmentStatus).map((to) => [to, moveSql(to)]));

/** A new fulfillment (creation: pending; a reservation handed over directly: shipped). */
export interface NewFulfillment {
  id: string;
  orderId: string;
  status: FulfillmentStatus;
  warehouseLocation: string;
  items: FulfillmentItems;
  assignedToId: string | null;
  now: Date;
}

/** A fulfillment locked for a change (lockForChange), with what the change checks and records. */
export interface LockedFulfillmentRow {
  id: string;
  order_id: string;
  fulfillment_number: string;
  status: FulfillmentStatus;
  assigned_to_id: string | null;
}

/** Package details a PATCH may set; a key that is absent is left as it is, `null` clears it. */
export interface PackingDetails {
  boxSize?: string | null;
  /** Kilograms, as numeric text. */
  weight?: string | null;
  packingMaterials?: string[] | null;
  pickingNotes?: string | null;
  packingNotes?: string | null;
}

/** Each package detail's column and the cast of its parameter. */
const DETAIL_COLUMNS: Record<keyof PackingDetails, { column: string; cast: string }> = {
  boxSize: { column: 'box_size', cast: 'varchar' },
  weight: { column: 'weight', cast: 'numeric' },
  packingMaterials: { column: 'packing_materials', cast: 'jsonb' },
  pickingNotes: { column: 'picking_notes', cast: 'text' },
  packingNotes: { column: 'packing_notes', cast: 'text' },
};

/** A fulfillment cancelled with its order (cancelOpen). */
export interface CancelledFulfillmentRow {
  id: string;
  fulfillment_number: string;
  from_status: FulfillmentStatus;
}

/**
 * The write side of order_fulfillments: EVERY write of the table is one of these statements
 * (never an entity flush; docs/data-access.md, "Fulfillment"). Each keeps `version` and
 * `updated_at` as the entity's optimistic version would: +1 and now on every change.
 */
@Injectable()
export class FulfillmentRepository {
  constructor(private readonly em: EntityManager) {}

  /**
   * Inserts a fulfillment with the next number of `fulfillment_number_seq`: FUL-<year>-<6 digits>
   * (more digits past 999999), unique without races. `assignedToId` is stamped `assigned_at` now;
   * a `shipped` one is stamped `shipped_at` now. Returns the number.
   */
  async insert(input: NewFulfillment): Promise<{ id: string; fulfillment_number: string }> {
    const [row] = await this.em.execute<{ id: string; fulfillment_number: string }[]>(
      `insert into order_fulfillments
         (id, order_id, fulfillment_number, status, warehouse_location, items, assigned_to_id, assigned_at,
          shipped_at, version, created_at, updated_at)
       select p.id, p.order_id, format('FUL-%s-%s', p.year, lpad(n.v::text, greatest(6, length(n.v::text)), '0')),
              p.status, p.warehouse_location, p.items, p.assigned_to_id,
              case when p.assigned_to_id is not null then p.now end,
              case when p.status = 'shipped' then p.now end, 1, p.now, p.now
         from (select ?::uuid as id, ?::uuid as order_id, ?::text as year, ?::fulfillment_status as status,
                      ?::varchar as warehouse_location, ?::jsonb as items, ?::uuid as assigned_to_id,
                      ?::timestamptz as now) p
        cross join (select nextval('fulfillment_number_seq') as v) n
       returning id, fulfillment_number`,
      [
        input.id,
        input.orderId,
        String(input.now.getUTCFullYear()),
        input.status,
        input.warehouseLocation,
        JSON.stringify(input.items),
        input.assignedToId,
        input.now,
      ],
    );
    return row;
  }

  /**
   * Takes the order lock through the fulfillment (the order row, lockOrdersSql), then the
   * fulfillment row's (FOR UPDATE: its newest version): one statement, locks in the order every
   * change of a fulfillment takes them. Undefined when there is no such fulfillment.
   */
  async lockForChange(id: string): Promise<LockedFulfillmentRow | undefined> {
    const [row] = await this.em.execute<LockedFulfillmentRow[]>(
      `with target as materialized (select order_id from order_fulfillments where id = ?),
            locked_order as materialized (${lockOrdersSql('select order_id from target')})
       select f.id, f.order_id, f.fulfillment_number, f.status, f.assigned_to_id
         from order_fulfillments f
        where f.id = ? and (select count(*) from locked_order) >= 0
          for update of f`,
      [id, id],
    );
    return row;
  }

  /** Sets the given package details; writes nothing when each already has its value. */
  async updateDetails(id: string, details: PackingDetails, now: Date): Promise<void> {
    const given = (Object.keys(DETAIL_COLUMNS) as (keyof PackingDetails)[]).filter(
      (key) => details[key] !== undefined,
    );
    if (given.length === 0) return;
    const values = given.map((key) => {
      const value = details[key];
      return key === 'packingMaterials' && value !== null ? JSON.stringify(value) : value;
    });
    const columns = given.map((key) => DETAIL_COLUMNS[key].column);
    const params = given.map((key) => `?::${DETAIL_COLUMNS[key].cast}`);
    await this.em.execute(
      `update order_fulfillments
          set ${columns.map((column, i) => `${column} = ${params[i]}`).join(', ')},
              version = version + 1, updated_at = ?
        where id = ? and (${columns.join(', ')}, null) is distinct from (${params.join(', ')}, null)`,
      [...values, now, id, ...values],
    );
  }

  /** Gives the fulfillment to `userId`, stamping `assigned_at`. */
  async assign(id: string, userId: string, now: Date): Promise<void> {
    await this.em.execute(
      `update order_fulfillments
          set assigned_to_id = ?, assigned_at = ?, version = version + 1, updated_at = ?
        where id = ?`,
      [userId, now, now, id],
    );
  }

  /**
   * Cancels every fulfillment of the order that has not shipped (OPEN_STATUSES), in one statement:
   * the rows locked, stamped `cancelled_at`; returns each with the status it left. The caller
   * holds the order lock.
   */
  cancelOpen(orderId: string, now: Date): Promise<CancelledFulfillmentRow[]> {
    return this.em.execute<CancelledFulfillmentRow[]>(
      `update order_fulfillments f
          set status = ?, cancelled_at = ?, updated_at = ?, version = f.version + 1
         from (select id, status from order_fulfillments
                where order_id = ? and status in (${OPEN_STATUSES.map(() => '?').join(', ')})
                order by id
                for update) old
        where f.id = old.id
        returning f.id, f.fulfillment_number, old.status as from_status`,
      [FulfillmentStatus.CANCELLED, now, now, orderId, ...OPEN_STATUSES],
    );
  }

  /** The move statement (above): one round trip. */
  async move(input: MoveInput): Promise<MoveRow> {
    const entry = input.history;
    const [row] = await executePrepared<MoveRow>(
      this.em,
      `oms_fulfillment_move_${input.to}`,
      MOVE_SQL.get(input.to) as string,
      [
        input.fulfillmentId,
        input.to,
        input.now,
        JSON.stringify(input.allowedFrom),
        JSON.stringify(input.orderStatuses),
        JSON.stringify({
          id: entry.id,
          action: entry.action,
          description: entry.description,
          performed_by_id: entry.performedById,
          additional_data: entry.additionalData,
          ip_address: entry.ipAddress,
          user_agent: entry.userAgent,
          processing_description: input.processingDescription ?? null,
        }),
      ],
    );
    return row;
  }

  /** The shipping read (SHIP_INPUT_SQL): one round trip. */
  async shipInput(fulfillmentId: string): Promise<ShipInputRow | undefined> {
    const [row] = await executePrepared<ShipInputRow>(this.em, 'oms_fulfillment_ship_input', SHIP_INPUT_SQL, [
      fulfillmentId,
      fulfillmentId,
    ]);
    return row;
  }

  /** The shipping write (SHIP_SQL): one round trip. */
  async ship(input: ShipInput): Promise<ShipRow> {
    const [row] = await executePrepared<ShipRow>(this.em, 'oms_fulfillment_ship', SHIP_SQL, [
      input.fulfillmentId,
      input.now,
      JSON.stringify(input.parts.map((p) => ({ reservation_id: p.reservationId, quantity: p.quantity }))),
      JSON.stringify(input.levels.map((l) => ({ stock_level_id: l.stockLevelId, quantity: l.quantity }))),
      JSON.stringify(historyInputRecords(input.entries)),
      JSON.stringify(
        input.orderStatus
          ? [
              {
                order_id: input.orderStatus.orderId,
                from_status: input.orderStatus.from,
                to_status: input.orderStatus.to,
              },
            ]
          : [],
      ),
    ]);
    return row;
  }
}

/** What shipping reads under its locks (SHIP_INPUT_SQL); undefined when the fulfillment does not exist. */
export interface ShipInputRow {
  order_id: string;
  order_status: string;
  order_number: string;
  /**
   * False when the order row changed between the statement's snapshot and its lock (another
   * transaction wrote the order, e.g. shipped another parcel, while this one waited): the snapshot
   * reads (other parcels, holds, items) are then older than the lock and the statement must run
   * again, which it then does on current data (the lock is held). Every change to an order's
   * parcels, items or holds also moves its history head on the order row.
   */
  fresh: boolean;
  found: boolean;
  fulfillment_number: string | null;
  from_status: FulfillmentStatus | null;
  items: FulfillmentItems | null;
  warehouse_location: string | null;
  /** The stock location the parcel ships from (by its code), if it is one. */
  location_id: string | null;
  location_code: string | null;
  /** The active holds of the parcel's items, at any location, locked in id order. */
  holds: {
    id: string;
    order_item_id: string;
    product_variant_id: string;
    stock_location_id: string;
    stock_location_code: string;
    stock_level_id: string | null;
    sku: string;
    quantity_reserved: number;
    quantity_fulfilled: number;
    reserved_at: string;
    expires_at: string | null;
    notes: string | null;
  }[];
  /** Units per item in the order's other parcels that have shipped. */
  shipped: Record<string, number>;
  /** The order's items and their ordered quantities. */
  order_items: { id: string; quantity: number }[];
}

/**
 * THE SHIPPING READ (docs/data-access.md): one statement that locks, in the order every shipping
 * path uses, the order (the order lock), the fulfillment and the active holds of its items (id
 * order), and reads the rest: the parcel's stock location by code, each hold's location code, sku
 * and stock level, the units of the order's other shipped parcels and the ordered quantities.
 * Parameter: the fulfillment id.
 */
export const SHIP_INPUT_SQL = `
with target as materialized (
  select order_id from order_fulfillments where id = ?::uuid
),
locked as materialized (
  select id, status::text as status, order_number, xmin::text as row_version
    from orders where id = (select order_id from target) for update
),
seen as materialized (
  select xmin::text as row_version from orders where id = (select id from locked)
),
moving as materialized (
  select id, fulfillment_number, status, items, warehouse_location from order_fulfillments
   where id = ?::uuid and order_id = (select id from locked)
     for update
),
location as materialized (
  select id, code from stock_locations where code = (select warehouse_location from moving)
),
holds as materialized (
  select r.id, r.order_item_id, r.product_variant_id, r.stock_location_id, r.quantity_reserved,
         r.quantity_fulfilled, r.reserved_at, r.expires_at, r.notes
    from inventory_reservations r
   where r.order_id = (select id from locked) and r.is_active
     and r.order_item_id::text in (select jsonb_object_keys(items) from moving)
   order by r.id
     for update
)
select l.id as order_id, l.status as order_status, l.order_number,
       l.row_version = (select row_version from seen) as fresh,
       m.id is not null as found, m.fulfillment_number, m.status as from_status, m.items, m.warehouse_location,
       loc.id as location_id, loc.code as location_code,
       coalesce((select jsonb_agg(jsonb_build_object(
                   'id', h.id, 'order_item_id', h.order_item_id, 'product_variant_id', h.product_variant_id,
                   'stock_location_id', h.stock_location_id, 'stock_location_code', hl.code,
                   'stock_level_id', sl.id, 'sku', v.sku, 'quantity_reserved', h.quantity_reserved,
                   'quantity_fulfilled', h.quantity_fulfilled, 'reserved_at', h.reserved_at,
                   'expires_at', h.expires_at, 'notes', h.notes) order by h.id)
                   from holds h
                   join stock_locations hl on hl.id = h.stock_location_id
                   join product_variants v on v.id = h.product_variant_id
                   left join stock_levels sl on sl.product_variant_id = h.product_variant_id
                                            and sl.stock_location_id = h.stock_location_id), '[]'::jsonb) as holds,
       coalesce((select jsonb_object_agg(s.order_item_id, s.quantity)
                   from (select e.key as order_item_id, sum(e.value::int) as quantity
                           from order_fulfillments f cross join lateral jsonb_each_text(f.items) e
                          where f.order_id = l.id and f.id <> m.id
                            and f.status in (${SHIPPED_STATUSES.map((status) => `'${status}'`).join(', ')})
                          group by e.key) s), '{}'::jsonb) as shipped,
       coalesce((select jsonb_agg(jsonb_build_object('id', i.id, 'quantity', i.quantity))
                   from order_items i where i.order_id = l.id), '[]'::jsonb) as order_items
  from locked l left join moving m on true left join location loc on true`;

export interface ShipInput {
  fulfillmentId: string;
  now: Date;
  /** Units taken from each reservation (the plan: ReservationSettlementService.planFulfilment). */
  parts: readonly { reservationId: string; quantity: number }[];
  /** Units leaving each stock level. */
  levels: readonly { stockLevelId: string; quantity: number }[];
  /** The entries (inventory_released per part, then `shipped`), in chain order. */
  entries: readonly NewHistoryEntry[];
  /** The order's new status when shipping changes it. */
  orderStatus: { orderId: string; from: string; to: string } | null;
}

export interface ShipRow extends Partial<FulfillmentRow> {
  moved: boolean;
  /** The order's status after the statement. */
  order_status: string | null;
  levels_consumed: number;
  reservations_fulfilled: number;
  entries: number;
}

/**
 * THE SHIPPING WRITE (docs/data-access.md): with the rows locked by the shipping read, ONE
 * statement takes the units off stock at each level (on hand and reserved together, guarded),
 * fulfils the reservations (inactive once fully fulfilled), moves the parcel ready_to_ship →
 * shipped (stamping shipped_at), appends the entries and moves the order's status with its history
 * head. The counts it returns let the service refuse a partial write (counter drift) by rolling back.
 */
export const SHIP_SQL = (() => {
  const stamps = STAMPS_ON_ENTRY[FulfillmentStatus.SHIPPED];
  const sets = [
    `status = '${FulfillmentStatus.SHIPPED}'`,
    'version = f.version + 1',
    'updated_at = p.now',
    ...stamps.first.map((column) => `${column} = coalesce(f.${column}, p.now)`),
    ...stamps.latest.map((column) => `${column} = p.now`),
    ...stamps.cleared.map((column) => `${column} = null`),
  ];
  return `
with recursive
params as materialized (select ?::uuid as fulfillment_id, ?::timestamptz as now),
parts as materialized (select * from jsonb_to_recordset(?::jsonb) as p(reservation_id uuid, quantity int)),
level_totals as materialized (select * from jsonb_to_recordset(?::jsonb) as t(stock_level_id uuid, quantity int)),
history_input as materialized (select * from jsonb_to_recordset(?::jsonb) as e(${HISTORY_INPUT_RECORD})),
status_input as materialized (
  select * from jsonb_to_recordset(?::jsonb) as s(order_id uuid, from_status text, to_status text)
),
history_head as materialized (${lockOrdersSql('select order_id from history_input')}),
consumed as (
  update stock_levels sl
     set quantity_on_hand = sl.quantity_on_hand - t.quantity, quantity_reserved = sl.quantity_reserved - t.quantity,
         updated_at = now()
    from level_totals t
   where sl.id = t.stock_level_id and sl.quantity_reserved >= t.quantity and sl.quantity_on_hand >= t.quantity
  returning sl.id
),
fulfilled as (
  update inventory_reservations r
     set quantity_fulfilled = r.quantity_fulfilled + p.quantity,
         is_active = r.quantity_fulfilled + p.quantity < r.quantity_reserved,
         fulfilled_at = case when r.quantity_fulfilled + p.quantity = r.quantity_reserved
                             then (select now from params) else r.fulfilled_at end,
         release_reason = case when r.quantity_fulfilled + p.quantity = r.quantity_reserved
                               then 'fulfilled'::release_reason else r.release_reason end,
         updated_at = (select now from params)
    from parts p
   where r.id = p.reservation_id and r.is_active and r.quantity_fulfilled + p.quantity <= r.quantity_reserved
  returning r.id
),
moved as (
  update order_fulfillments f set ${sets.join(', ')}
    from params p
   where f.id = p.fulfillment_id and f.status = '${FulfillmentStatus.READY_TO_SHIP}'
  returning ${FULFILLMENT_COLUMNS.split(',')
    .map((column) => `f.${column.trim()}`)
    .join(', ')}
),
${historyAppendCtes(
  orderStatusChangesSql(
    `select s.order_id, s.to_status::order_status as status from status_input s
       join history_head h on h.id = s.order_id and h.status::text = s.from_status`,
  ),
)}
select m.*, m.id is not null as moved, (select count(*) from consumed)::int as levels_consumed,
       (select status::text from history_moved limit 1) as order_status,
       (select count(*) from fulfilled)::int as reservations_fulfilled,
       (select count(*) from history_inserted)::int as entries
  from (select 1) one left join moved m on true`;
})();
