import { Injectable } from '@nestjs/common';
import { NotFoundError } from '../common/errors';
import { parseInclusiveEnd, parseInstant } from '../common/instant';
import { offsetOf, Page, PageQueryDto, parseSort, toPage } from '../common/pagination';
import { OrdersService } from '../orders/orders.service';
import { FulfillmentStatus } from './fulfillment-status.enum';
import {
  FULFILLMENT_SORT_FIELDS,
  FulfillmentFilter,
  FulfillmentOrder,
  FulfillmentQueryRepository,
  StatisticsFilter,
} from './fulfillment-query.repository';
import { toFulfillmentResponse } from './fulfillment-response';
import {
  FulfillmentStatisticsQueryDto,
  ListFulfillmentsQueryDto,
  MyFulfillmentsQueryDto,
} from './dto/fulfillment.dto';
import { FulfillmentResponse, FulfillmentStatisticsResponse } from './dto/fulfillment-response.dto';

/** `from` / `to` of a query as a filter on the creation time (`to` inclusive, a date alone its whole day). */
function createdWithin(query: {
  from?: string;
  to?: string;
}): Pick<FulfillmentFilter, 'createdFrom' | 'createdTo'> {
  return {
    ...(query.from ? { createdFrom: parseInstant(query.from, 'from') } : {}),
    ...(query.to ? { createdTo: parseInclusiveEnd(query.to, 'to') } : {}),
  };
}

/**
 * The read side of fulfillment: one fulfillment, the lists, the warehouse queue and statistics.
 * Every fulfillment it answers with is a row of the one read model (FulfillmentQueryRepository)
 * mapped by the one mapper (toFulfillmentResponse).
 */
@Injectable()
export class FulfillmentQueryService {
  constructor(
    private readonly repository: FulfillmentQueryRepository,
    private readonly orders: OrdersService,
  ) {}

  /** GET /fulfillments/:id, and the answer of every action on a fulfillment (after its flush). */
  async get(id: string): Promise<FulfillmentResponse> {
    const row = await this.repository.findById(id);
    if (!row) throw new NotFoundError('Fulfillment', id);
    return toFulfillmentResponse(row);
  }

  /** Filtered fulfillments, newest first by default. */
  list(query: ListFulfillmentsQueryDto): Promise<Page<FulfillmentResponse>> {
    // A bad instant is named before a bad sort.
    const filter: FulfillmentFilter = {
      statuses: query.status,
      warehouseLocation: query.warehouseLocation,
      assignedToId: query.assignedToId,
      orderId: query.orderId,
      ...createdWithin(query),
    };
    return this.page(filter, parseSort(query.sort, FULFILLMENT_SORT_FIELDS, '-createdAt'), query);
  }

  /** The fulfillments of one order (404 when the order does not exist), oldest first by default. */
  async byOrder(orderId: string, query: PageQueryDto): Promise<Page<FulfillmentResponse>> {
    await this.orders.get(orderId);
    return this.page({ orderId }, parseSort(query.sort, FULFILLMENT_SORT_FIELDS, 'createdAt'), query);
  }

  /**
   * A warehouse worker's queue: open work (not yet shipped or cancelled) first, oldest first, then
   * everything else, newest first.
   */
  byAssignee(userId: string, query: MyFulfillmentsQueryDto): Promise<Page<FulfillmentResponse>> {
    return this.page({ assignedToId: userId, statuses: query.status }, 'queue', query);
  }

  /** Counts per status (all eight, zeros included) and average seconds per stage, in SQL. */
  async statistics(query: FulfillmentStatisticsQueryDto): Promise<FulfillmentStatisticsResponse> {
    const filter: StatisticsFilter = { ...createdWithin(query), warehouseLocation: query.warehouseLocation };
    const counts = await this.repository.countsByStatus(filter);
    const averages = await this.repository.stageAverages(filter);
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
    return this.repository.committedQuantities(orderId);
  }

  /** Per order item, the quantity in fulfillments that have shipped (shipped, partially or fully fulfilled). */
  shippedQuantities(orderId: string): Promise<Record<string, number>> {
    return this.repository.shippedQuantities(orderId);
  }

  hasShipped(orderId: string): Promise<boolean> {
    return this.repository.hasShipped(orderId);
  }

  private async page(
    filter: FulfillmentFilter,
    order: FulfillmentOrder,
    query: Pick<PageQueryDto, 'page' | 'pageSize'>,
  ): Promise<Page<FulfillmentResponse>> {
    const { rows, total } = await this.repository.page(filter, order, query.pageSize, offsetOf(query));
    return toPage(rows.map(toFulfillmentResponse), total, query);
  }
}
