import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { executePrepared } from '../database/prepared-statement';
import { HISTORY_APPEND_CTES, NewHistoryEntry } from '../history/order-history.repository';
import { lockOrdersSql } from '../orders/orders.repository';
import { FulfillmentStatus } from './fulfillment-status.enum';
import { FULFILLMENT_COLUMNS, FulfillmentRow } from './fulfillment-response';
import { FulfillmentItems } from './order-fulfillment.entity';
import { STAMPS_ON_ENTRY } from './fulfillment-state-machine';

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

@Injectable()
export class FulfillmentRepository {
  constructor(private readonly em: EntityManager) {}

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
