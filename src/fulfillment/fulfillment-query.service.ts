import { Injectable } from '@nestjs/common';
import { FilterQuery, raw } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { NotFoundError } from '../common/errors';
import { inclusiveEndSql, parseInstant } from '../common/instant';
import { offsetOf, Page, PageQueryDto, parseSort, toPage } from '../common/pagination';
import { OrdersService } from '../orders/orders.service';
import { FulfillmentStatus } from './fulfillment-status.enum';
import { OPEN_STATUSES, SHIPPED_STATUSES } from './fulfillment-state-machine';
import { FULFILLMENT_COLUMNS, FulfillmentRow, toFulfillmentResponseFromRow } from './fulfillment-response';
import { OrderFulfillment } from './order-fulfillment.entity';
import {
  FulfillmentStatisticsQueryDto,
  ListFulfillmentsQueryDto,
  MyFulfillmentsQueryDto,
} from './dto/fulfillment.dto';
import { FulfillmentResponse, FulfillmentStatisticsResponse } from './dto/fulfillment-response.dto';

const SORTABLE = {
  createdAt: 'createdAt',
  updatedAt: 'updatedAt',
  status: 'status',
  fulfillmentNumber: 'fulfillmentNumber',
  warehouseLocation: 'warehouseLocation',
  shippedAt: 'shippedAt',
};

/** The same sort fields, by column, for the lean list. */
const SORT_COLUMNS: Record<string, string> = {
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  status: 'status',
  fulfillmentNumber: 'fulfillment_number',
  warehouseLocation: 'warehouse_location',
  shippedAt: 'shipped_at',
};

const sqlList = (statuses: readonly string[]) => statuses.map((s) => `'${s}'`).join(', ');

/** The read side of fulfillment: lookups, filtered lists, the warehouse queue and statistics. */
@Injectable()
export class FulfillmentQueryService {
  constructor(
    private readonly em: EntityManager,
    private readonly orders: OrdersService,
  ) {}

  async get(id: string): Promise<OrderFulfillment> {
    const fulfillment = await this.em.findOne(OrderFulfillment, { id });
    if (!fulfillment) throw new NotFoundError('Fulfillment', id);
    return fulfillment;
  }

  /**
   * Filtered fulfillments. Two lean statements run concurrently (the page and the count), mapped
   * straight to the response: no query builder, no hydration (the busiest fulfillment read;
   * docs/BENCHMARKS.md). Same filters, order and paging as the entity reads of this service.
   */
  async list(query: ListFulfillmentsQueryDto): Promise<Page<FulfillmentResponse>> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    const filter = (condition: string, value: unknown) => {
      conditions.push(condition);
      params.push(value);
    };
    if (query.status) filter('status = ?', query.status);
    if (query.warehouseLocation) filter('warehouse_location = ?', query.warehouseLocation);
    if (query.assignedToId) filter('assigned_to_id = ?', query.assignedToId);
    if (query.orderId) filter('order_id = ?', query.orderId);
    if (query.from) filter('created_at >= ?', parseInstant(query.from, 'from'));
    if (query.to) filter(...inclusiveEndSql('created_at', query.to, 'to'));
    const orderBy = parseSort(query.sort, SORT_COLUMNS, '-createdAt')
      .flatMap((field) => Object.entries(field))
      .map(([column, direction]) => `${column} ${direction}`);
    const where = conditions.length ? `where ${conditions.join(' and ')}` : '';
    const [rows, [{ total }]] = await Promise.all([
      this.em.execute<FulfillmentRow[]>(
        `select ${FULFILLMENT_COLUMNS} from order_fulfillments ${where}
          order by ${[...orderBy, 'id asc'].join(', ')}
          limit ? offset ?`,
        [...params, query.pageSize, offsetOf(query)],
      ),
      this.em.execute<{ total: number }[]>(
        `select count(*)::int as total from order_fulfillments ${where}`,
        params,
      ),
    ]);
    return toPage(rows.map(toFulfillmentResponseFromRow), total, query);
  }

  /** The fulfillments of one order (404 when the order does not exist), oldest first by default. */
  async byOrder(orderId: string, query: PageQueryDto): Promise<Page<OrderFulfillment>> {
    await this.orders.get(orderId);
    const [data, total] = await this.em.findAndCount(
      OrderFulfillment,
      { order: orderId },
      {
        orderBy: [...parseSort(query.sort, SORTABLE, 'createdAt'), { id: 'asc' }],
        limit: query.pageSize,
        offset: offsetOf(query),
      },
    );
    return toPage(data, total, query);
  }

  /**
   * Up to `limit` fulfillments of an order the caller already has, oldest first: one statement, no
   * count and no order lookup (the order detail reads them on every request; docs/BENCHMARKS.md).
   */
  ofOrder(orderId: string, limit: number): Promise<OrderFulfillment[]> {
    return this.em.find(
      OrderFulfillment,
      { order: orderId },
      { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], limit },
    );
  }

  /**
   * A warehouse worker's queue: open work (not yet shipped or cancelled) first, oldest first, then
   * everything else, newest first.
   */
  async byAssignee(userId: string, query: MyFulfillmentsQueryDto): Promise<Page<OrderFulfillment>> {
    const open = sqlList(OPEN_STATUSES);
    const where: FilterQuery<OrderFulfillment> = { assignedTo: userId };
    if (query.status) where.status = query.status;
    const [data, total] = await this.em.findAndCount(OrderFulfillment, where, {
      orderBy: [
        { [raw((a) => `case when ${a}.status in (${open}) then 0 else 1 end`)]: 'asc' },
        { [raw((a) => `case when ${a}.status in (${open}) then ${a}.created_at end`)]: 'asc' },
        { createdAt: 'desc' },
        { id: 'asc' },
      ],
      limit: query.pageSize,
      offset: offsetOf(query),
    });
    return toPage(data, total, query);
  }

  /** Counts per status (all eight, zeros included) and average seconds per stage, in SQL. */
  async statistics(query: FulfillmentStatisticsQueryDto): Promise<FulfillmentStatisticsResponse> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    if (query.from) {
      conditions.push('created_at >= ?');
      params.push(parseInstant(query.from, 'from'));
    }
    if (query.to) {
      const [condition, at] = inclusiveEndSql('created_at', query.to, 'to');
      conditions.push(condition);
      params.push(at);
    }
    if (query.warehouseLocation) {
      conditions.push('warehouse_location = ?');
      params.push(query.warehouseLocation);
    }
    const where = conditions.length ? `where ${conditions.join(' and ')}` : '';
    const counts = await this.em.execute<{ status: FulfillmentStatus; count: string }[]>(
      `select status, count(*) as count from order_fulfillments ${where} group by status`,
      params,
    );
    const [averages] = await this.em.execute<
      { picking: string | null; packing: string | null; to_ship: string | null }[]
    >(
      `select avg(extract(epoch from picking_completed_at - picking_started_at)) as picking,
              avg(extract(epoch from packing_completed_at - packing_started_at)) as packing,
              avg(extract(epoch from shipped_at - packing_completed_at)) as to_ship
         from order_fulfillments ${where}`,
      params,
    );
    const byStatus = Object.fromEntries(Object.values(FulfillmentStatus).map((s) => [s, 0])) as Record<
      FulfillmentStatus,
      number
    >;
    for (const row of counts) byStatus[row.status] = Number(row.count);
    const seconds = (value: string | null) =>
      value === null ? null : Math.round(Number(value) * 1000) / 1000;
    return {
      byStatus,
      averages: {
        pickingSeconds: seconds(averages.picking),
        packingSeconds: seconds(averages.packing),
        toShipSeconds: seconds(averages.to_ship),
      },
    };
  }

  /** Per order item, the quantity in fulfillments that are not cancelled (what is spoken for). */
  committedQuantities(orderId: string): Promise<Record<string, number>> {
    return this.sumItems(orderId, `status <> '${FulfillmentStatus.CANCELLED}'`);
  }

  /** Per order item, the quantity in fulfillments that have shipped (shipped, partially or fully fulfilled). */
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
    const rows = await this.em.execute<{ order_item_id: string; quantity: string }[]>(
      `select e.key as order_item_id, sum(e.value::int) as quantity
         from order_fulfillments f cross join lateral jsonb_each_text(f.items) e
        where f.order_id = ? and f.${condition}
        group by e.key`,
      [orderId],
    );
    return Object.fromEntries(rows.map((r) => [r.order_item_id, Number(r.quantity)]));
  }
}
