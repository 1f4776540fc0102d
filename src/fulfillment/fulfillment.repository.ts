import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { executePrepared } from '../database/prepared-statement';
import { HISTORY_APPEND_CTES, NewHistoryEntry } from '../history/order-history.repository';
import { lockOrdersSql } from '../orders/orders.repository';
import { FulfillmentStatus } from './fulfillment-status.enum';
import { FULFILLMENT_COLUMNS, FulfillmentRow } from './fulfillment-query.repository';
import { FulfillmentItems } from './order-fulfillment.entity';
import { OPEN_STATUSES, STAMPS_ON_ENTRY } from './fulfillment-state-machine';

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
  /** The move is one the statement does not make (it changes the order too): nothing written. */
  special: boolean;
  moved: boolean;
}

/**
 * THE FULFILLMENT MOVE STATEMENT (docs/data-access.md): a status move that changes nothing but the
 * fulfillment costs ONE statement: lock the order through the fulfillment (the order lock, with its
 * history head), lock the fulfillment row (FOR UPDATE: its newest status), check the move (from one
 * of `allowedFrom`, the order in one of `orderStatuses`), move it (stamping its timestamps) and
 * append the history entry, `from` and the number read under the lock. Moves that change the order
 * as well (the first picking of a confirmed order, shipping) are reported as `special` and not
 * made: the service makes them in several statements.
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
         (p.target = 'shipped' or (p.target = 'picking' and h.status = 'confirmed')) as special,
         m.id is not null and h.id is not null
           and m.status::text in (select jsonb_array_elements_text(p.allowed_from))
           and (jsonb_array_length(p.order_statuses) = 0
                or h.status::text in (select jsonb_array_elements_text(p.order_statuses)))
           and not (p.target = 'shipped' or (p.target = 'picking' and h.status = 'confirmed')) as ok
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
  select 1 as k, h.id as order_id, (p.entry->>'id')::uuid as id, p.entry->>'action' as action,
         null::varchar(32) as old_status, null::varchar(32) as new_status,
         format(p.entry->>'description', v.fulfillment_number, v.from_status) as description,
         (p.entry->>'performed_by_id')::uuid as performed_by_id,
         (p.entry->'additional_data')
           || jsonb_build_object('fulfillmentNumber', v.fulfillment_number, 'from', v.from_status) as additional_data,
         (p.entry->>'ip_address')::varchar(45) as ip_address, (p.entry->>'user_agent')::varchar(512) as user_agent
    from params p cross join verdict v cross join history_head h
   where v.ok
),
${HISTORY_APPEND_CTES}
select m.*, v.found, h.id as order_id, v.order_status, v.order_number, v.fulfillment_number, v.from_status,
       v.from_items, v.from_location, v.special, m.id is not null as moved
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

const RETURNING_ROW = `returning ${FULFILLMENT_COLUMNS}`;

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
   * The guarded move of the longer path (moves that change the order too, see MoveRow.special):
   * only from `from`; stamps the stage timestamps of `to` (STAMPS_ON_ENTRY). The moved row, or
   * undefined when the fulfillment is no longer in `from`. The caller holds the order lock.
   */
  async moveFrom(
    id: string,
    from: FulfillmentStatus,
    to: FulfillmentStatus,
    now: Date,
  ): Promise<FulfillmentRow | undefined> {
    const stamps = STAMPS_ON_ENTRY[to];
    const sets = [
      'status = ?',
      'version = version + 1',
      'updated_at = ?',
      ...stamps.first.map((column) => `${column} = coalesce(${column}, ?)`),
      ...stamps.latest.map((column) => `${column} = ?`),
      ...stamps.cleared.map((column) => `${column} = null`),
    ];
    const [row] = await this.em.execute<FulfillmentRow[]>(
      `update order_fulfillments set ${sets.join(', ')} where id = ? and status = ? ${RETURNING_ROW}`,
      [to, now, ...stamps.first.map(() => now), ...stamps.latest.map(() => now), id, from],
    );
    return row;
  }

  /** The fulfillment's status as stored (for the 409 of a move that lost a race). */
  async statusOf(id: string): Promise<FulfillmentStatus | undefined> {
    const [row] = await this.em.execute<{ status: FulfillmentStatus }[]>(
      'select status from order_fulfillments where id = ?',
      [id],
    );
    return row?.status;
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
        }),
      ],
    );
    return row;
  }
}
