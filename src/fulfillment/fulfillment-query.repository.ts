import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { FulfillmentStatus } from './fulfillment-status.enum';
import { OPEN_STATUSES, SHIPPED_STATUSES } from './fulfillment-state-machine';
import { FulfillmentItems } from './order-fulfillment.entity';

/**
 * THE FULFILLMENT READ MODEL: every column of `order_fulfillments`, what the one response mapper
 * (toFulfillmentResponse, fulfillment-response.ts) needs. The GET of one fulfillment, every list
 * and the RETURNING of the move statements select exactly these, so every answer that carries a
 * fulfillment is the same row mapped the same way.
 */
export const FULFILLMENT_COLUMNS =
  'id, order_id, fulfillment_number, status, warehouse_location, items, assigned_to_id, assigned_at, ' +
  'box_size, weight, packing_materials, picking_notes, packing_notes, picking_started_at, ' +
  'picking_completed_at, packing_started_at, packing_completed_at, shipped_at, fulfilled_at, ' +
  'cancelled_at, version, created_at, updated_at';

/** A timestamp as the driver returns it (a Date, or text for a prepared statement's row). */
export type Timestamp = Date | string;

/** A row of FULFILLMENT_COLUMNS (weight is numeric text, kilograms). */
export interface FulfillmentRow {
  id: string;
  order_id: string;
  fulfillment_number: string;
  status: FulfillmentStatus;
  warehouse_location: string;
  items: FulfillmentItems;
  assigned_to_id: string | null;
  assigned_at: Timestamp | null;
  box_size: string | null;
  weight: string | null;
  packing_materials: string[] | null;
  picking_notes: string | null;
  packing_notes: string | null;
  picking_started_at: Timestamp | null;
  picking_completed_at: Timestamp | null;
  packing_started_at: Timestamp | null;
  packing_completed_at: Timestamp | null;
  shipped_at: Timestamp | null;
  fulfilled_at: Timestamp | null;
  cancelled_at: Timestamp | null;
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** The fields a list may be sorted by (API name → column). */
const SORT_COLUMNS = {
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  status: 'status',
  fulfillmentNumber: 'fulfillment_number',
  warehouseLocation: 'warehouse_location',
  shippedAt: 'shipped_at',
} as const;

export type FulfillmentSortField = keyof typeof SORT_COLUMNS;

/** The sortable fields by name: the whitelist for `parseSort` (src/common/pagination.ts). */
export const FULFILLMENT_SORT_FIELDS: Readonly<Record<FulfillmentSortField, FulfillmentSortField>> =
  Object.fromEntries(Object.keys(SORT_COLUMNS).map((field) => [field, field])) as Record<
    FulfillmentSortField,
    FulfillmentSortField
  >;

/** What a list may be filtered by; every field optional, all given ones must hold. */
export interface FulfillmentFilter {
  /** Any of these statuses. */
  statuses?: readonly FulfillmentStatus[];
  warehouseLocation?: string;
  assignedToId?: string;
  orderId?: string;
  createdFrom?: Date;
  /** Upper bound of created_at; `inclusive` compares with `<=`, else `<`. */
  createdTo?: { at: Date; inclusive: boolean };
}

/**
 * The order of a list: fields with their direction (the id breaks ties), or `queue`: a worker's
 * queue, open work (not yet shipped or cancelled) first, oldest first, then the rest newest first.
 */
export type FulfillmentOrder = Array<Record<string, 'asc' | 'desc'>> | 'queue';

export interface StatisticsFilter {
  createdFrom?: Date;
  createdTo?: { at: Date; inclusive: boolean };
  warehouseLocation?: string;
}

export interface StatusCountRow {
  status: FulfillmentStatus;
  count: number;
}

/** Average seconds per stage (text from numeric), null when no fulfillment has the stage. */
export interface StageAveragesRow {
  picking: string | null;
  packing: string | null;
  to_ship: string | null;
}

const sqlList = (statuses: readonly string[]) => statuses.map((s) => `'${s}'`).join(', ');
const OPEN = sqlList(OPEN_STATUSES);

/** The SQL of a filter: the where clause and its parameters, in order. */
function whereOf(filter: FulfillmentFilter): { where: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (condition: string, value: unknown) => {
    conditions.push(condition);
    params.push(value);
  };
  if (filter.statuses?.length) {
    conditions.push(`status in (${filter.statuses.map(() => '?').join(', ')})`);
    params.push(...filter.statuses);
  }
  if (filter.warehouseLocation) add('warehouse_location = ?', filter.warehouseLocation);
  if (filter.assignedToId) add('assigned_to_id = ?', filter.assignedToId);
  if (filter.orderId) add('order_id = ?', filter.orderId);
  if (filter.createdFrom) add('created_at >= ?', filter.createdFrom);
  if (filter.createdTo) add(`created_at ${filter.createdTo.inclusive ? '<=' : '<'} ?`, filter.createdTo.at);
  return { where: conditions.length ? `where ${conditions.join(' and ')}` : '', params };
}

function orderByOf(order: FulfillmentOrder): string {
  if (order === 'queue') {
    return [
      `case when status in (${OPEN}) then 0 else 1 end asc`,
      `case when status in (${OPEN}) then created_at end asc`,
      'created_at desc',
      'id asc',
    ].join(', ');
  }
  const fields = order.flatMap((field) => Object.entries(field));
  return [
    ...fields.map(([field, direction]) => {
      const column = SORT_COLUMNS[field as FulfillmentSortField];
      if (!column) throw new Error(`Fulfillments cannot be sorted by ${field}`);
      return `${column} ${direction === 'desc' ? 'desc' : 'asc'}`;
    }),
    'id asc',
  ].join(', ');
}

/** The read side of order_fulfillments: every SELECT of the table the fulfillment module sends. */
@Injectable()
export class FulfillmentQueryRepository {
  constructor(private readonly em: EntityManager) {}

  /** One fulfillment: THE query of the read model (GET /fulfillments/:id and every action's answer). */
  async findById(id: string): Promise<FulfillmentRow | undefined> {
    const [row] = await this.em.execute<FulfillmentRow[]>(
      `select ${FULFILLMENT_COLUMNS} from order_fulfillments where id = ?`,
      [id],
    );
    return row;
  }

  /**
   * A page of a filtered list, then the number of matches: two statements. (A count over the
   * matches as a window of the page's statement would save the round trip but read every matching
   * row in full before the limit: slower on a list of thousands than an index scan plus a count.)
   */
  async page(
    filter: FulfillmentFilter,
    order: FulfillmentOrder,
    limit: number,
    offset: number,
  ): Promise<{ rows: FulfillmentRow[]; total: number }> {
    const { where, params } = whereOf(filter);
    const rows = await this.em.execute<FulfillmentRow[]>(
      `select ${FULFILLMENT_COLUMNS} from order_fulfillments ${where}
        order by ${orderByOf(order)} limit ? offset ?`,
      [...params, limit, offset],
    );
    // A short first page holds every match: no count needed.
    if (offset === 0 && rows.length < limit) return { rows, total: rows.length };
    const [{ total }] = await this.em.execute<{ total: number }[]>(
      `select count(*)::int as total from order_fulfillments ${where}`,
      params,
    );
    return { rows, total };
  }

  /** Counts per status (only the statuses that occur). */
  countsByStatus(filter: StatisticsFilter): Promise<StatusCountRow[]> {
    const { where, params } = whereOf(filter);
    return this.em.execute<StatusCountRow[]>(
      `select status, count(*)::int as count from order_fulfillments ${where} group by status`,
      params,
    );
  }

  /** Average seconds of picking, packing and packed-to-shipped. */
  async stageAverages(filter: StatisticsFilter): Promise<StageAveragesRow> {
    const { where, params } = whereOf(filter);
    const [row] = await this.em.execute<StageAveragesRow[]>(
      `select avg(extract(epoch from picking_completed_at - picking_started_at))::text as picking,
              avg(extract(epoch from packing_completed_at - packing_started_at))::text as packing,
              avg(extract(epoch from shipped_at - packing_completed_at))::text as to_ship
         from order_fulfillments ${where}`,
      params,
    );
    return row;
  }

  /** Per order item of the order, the quantity in fulfillments that are not cancelled. */
  committedQuantities(orderId: string): Promise<Record<string, number>> {
    return this.sumItems(orderId, `status <> '${FulfillmentStatus.CANCELLED}'`);
  }

  /** Per order item of the order, the quantity in fulfillments that have shipped. */
  shippedQuantities(orderId: string): Promise<Record<string, number>> {
    return this.sumItems(orderId, `status in (${sqlList(SHIPPED_STATUSES)})`);
  }

  async hasShipped(orderId: string): Promise<boolean> {
    const rows = await this.em.execute(
      `select 1 from order_fulfillments where order_id = ? and status in (${sqlList(SHIPPED_STATUSES)}) limit 1`,
      [orderId],
    );
    return rows.length > 0;
  }

  private async sumItems(orderId: string, condition: string): Promise<Record<string, number>> {
    const rows = await this.em.execute<{ order_item_id: string; quantity: number }[]>(
      `select e.key as order_item_id, sum(e.value::int)::int as quantity
         from order_fulfillments f cross join lateral jsonb_each_text(f.items) e
        where f.order_id = ? and f.${condition}
        group by e.key`,
      [orderId],
    );
    return Object.fromEntries(rows.map((r) => [r.order_item_id, Number(r.quantity)]));
  }
}
