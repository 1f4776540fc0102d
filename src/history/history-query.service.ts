import { Injectable } from '@nestjs/common';
import { FilterQuery, QueryOrderMap } from '@mikro-orm/core';
import { BadRequestError, NotFoundError } from '../common/errors';
import { parseInclusiveEnd, parseInstant } from '../common/instant';
import { offsetOf, Page, parseSort, toPage } from '../common/pagination';
import { OrderHistory } from './order-history.entity';
import { OrderHistoryAction } from './order-history-action.enum';
import { CustomerTimelineEntry, toCustomerTimeline } from './customer-timeline';
import { HistoryEntryResponse, ListHistoryQueryDto, ListOrderHistoryQueryDto } from './dto/history.dto';
import { toHistoryEntryResponseFromRow } from './history.mapper';
import { OrderHistoryRepository } from './order-history.repository';

interface HistoryWhere {
  order?: string;
  action?: { $in: string[] };
  performedBy?: string;
  createdAt?: { $gte?: Date; $lte?: Date; $lt?: Date };
}

const SORTABLE = { createdAt: 'createdAt' };

/** The read side of the audit trail: lists, single entries and the customer projection. */
@Injectable()
export class HistoryQueryService {
  constructor(private readonly repository: OrderHistoryRepository) {}

  /**
   * One order's trail; a missing order is a 404 (an order always has its `created` entry).
   * Two lean statements mapped straight to the response (no query builder, no hydration: the
   * busiest read of the audit trail; docs/BENCHMARKS.md). Same filters, order and paging as
   * `list`; the count does not join users.
   */
  async listForOrder(orderId: string, query: ListOrderHistoryQueryDto): Promise<Page<HistoryEntryResponse>> {
    const filters = this.filters(query);
    const [createdAt] = parseSort(query.sort, SORTABLE, 'createdAt');
    const [rows, total] = await this.repository.pageForOrder(
      {
        orderId,
        actions: filters.action?.$in,
        performedById: filters.performedBy,
        from: filters.createdAt?.$gte,
        toInclusive: filters.createdAt?.$lte,
        toExclusive: filters.createdAt?.$lt,
      },
      {
        direction: createdAt.createdAt === 'desc' ? 'desc' : 'asc',
        limit: query.pageSize,
        offset: offsetOf(query),
      },
    );
    if (total === 0) await this.assertOrderExists(orderId);
    return toPage(rows.map(toHistoryEntryResponseFromRow), total, query);
  }

  /** Entries across orders, optionally of one order. */
  list(query: ListHistoryQueryDto): Promise<Page<OrderHistory>> {
    const where = this.filters(query);
    if (query.orderId) where.order = query.orderId;
    return this.find(where, query, true);
  }

  async get(id: string): Promise<OrderHistory> {
    const entry = await this.repository.findById(id);
    if (!entry) throw new NotFoundError('History entry', id);
    return entry;
  }

  /** The customer-safe timeline of an order (the caller has checked that the order is theirs). */
  async customerTimeline(orderId: string): Promise<CustomerTimelineEntry[]> {
    const rows = await this.repository.timelineRows(orderId);
    return toCustomerTimeline(
      rows.map((row) => ({
        action: row.action,
        oldStatus: row.old_status,
        newStatus: row.new_status,
        createdAt: new Date(row.created_at),
      })),
    );
  }

  /**
   * The additional data of an order's entries of one action, in chain order: what an earlier step
   * of the order recorded that a later one builds on (returns: where returned units went).
   */
  additionalDataOf(orderId: string, action: OrderHistoryAction): Promise<Record<string, unknown>[]> {
    return this.repository.additionalDataOf(orderId, action);
  }

  /**
   * 404 unless the order exists; returns its number. A plain existence check on the orders table:
   * the orders module depends on this one (it records history), so this one cannot call it back.
   */
  async assertOrderExists(orderId: string): Promise<string> {
    const orderNumber = await this.repository.orderNumber(orderId);
    if (orderNumber === undefined) throw new NotFoundError('Order', orderId);
    return orderNumber;
  }

  private async find(
    where: HistoryWhere,
    query: ListOrderHistoryQueryDto,
    acrossOrders: boolean,
  ): Promise<Page<OrderHistory>> {
    // created_at, then sequence (the chain order within an order), then id across orders.
    const [createdAt] = parseSort(query.sort, SORTABLE, 'createdAt');
    const direction = createdAt.createdAt;
    const orderBy: QueryOrderMap<OrderHistory>[] = [{ createdAt: direction }, { sequence: direction }];
    if (acrossOrders) orderBy.push({ id: direction });
    return this.repository.page(where as FilterQuery<OrderHistory>, orderBy, query);
  }

  private filters(query: ListOrderHistoryQueryDto): HistoryWhere {
    const where: HistoryWhere = {};
    if (query.action?.length) where.action = { $in: query.action };
    if (query.performedById) where.performedBy = query.performedById;
    const from = query.from ? parseInstant(query.from, 'from') : undefined;
    // A date alone as `to` includes that whole day.
    const to = query.to ? parseInclusiveEnd(query.to, 'to') : undefined;
    if (from && to && (to.inclusive ? from > to.at : from >= to.at)) {
      throw new BadRequestError('from must not be after to', [
        { field: 'to', message: 'must not be before from' },
      ]);
    }
    if (from || to) {
      where.createdAt = {
        ...(from ? { $gte: from } : {}),
        ...(to ? (to.inclusive ? { $lte: to.at } : { $lt: to.at }) : {}),
      };
    }
    return where;
  }
}
