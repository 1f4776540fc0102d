import { Injectable } from '@nestjs/common';
import { LockMode } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { NotFoundError } from '../common/errors';
import { inclusiveEndCondition, parseInstant } from '../common/instant';
import { offsetOf, Page, PageQueryDto, parseSort, toPage } from '../common/pagination';
import { OrderHistoryService } from '../history/order-history.service';
import { OrderHistoryAction } from '../history/order-history-action.enum';
import { Order } from './order.entity';
import { OrdersRepository } from './orders.repository';
import { OrderItem } from './order-item.entity';
import { OrderStatus } from './order-status.enum';
import { assertOrderTransition } from './order-state-machine';
import { ListOrdersQueryDto } from './dto/order.dto';

export interface StatusChange {
  action?: OrderHistoryAction;
  description: string;
  additionalData?: Record<string, unknown>;
}

/** What lockStatus reads of the order it locks. */
export interface LockedOrderStatus {
  id: string;
  status: OrderStatus;
  orderNumber: string;
}

/** The columns of an order item that reserving it needs. */
export interface OrderItemLine {
  id: string;
  productVariantId: string;
  quantity: number;
  sku: string;
}

export const ORDER_SORTABLE = {
  createdAt: 'createdAt',
  totalAmount: 'totalAmount',
  orderNumber: 'orderNumber',
  status: 'status',
};

/** A uuid as PostgreSQL writes it: the only text an item id read from the database can equal. */
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const escapeLike = (text: string) => text.replace(/[\\%_]/g, '\\$&');

/** The order aggregate's own data access; the lifecycle lives in order-management. */
@Injectable()
export class OrdersService {
  constructor(
    private readonly em: EntityManager,
    private readonly history: OrderHistoryService,
    private readonly repository: OrdersRepository,
  ) {}

  async get(id: string): Promise<Order> {
    const order = await this.em.findOne(Order, { id });
    if (!order) throw new NotFoundError('Order', id);
    return order;
  }

  /** The order of `customerId` only: another customer's order is simply not found. */
  async getForCustomer(id: string, customerId: string): Promise<Order> {
    const order = await this.em.findOne(Order, { id, customer: customerId });
    if (!order) throw new NotFoundError('Order', id);
    return order;
  }

  /**
   * Locks the order row (SELECT ... FOR UPDATE) for the rest of the transaction, serialising every
   * change to the order and to what hangs off it (fulfillments, reservations, returns). With
   * `customerId`, only that customer's order is found (and locked); another's is a 404.
   */
  async lock(id: string, customerId?: string): Promise<Order> {
    const order = await this.em.findOne(Order, customerId ? { id, customer: customerId } : { id }, {
      lockMode: LockMode.PESSIMISTIC_WRITE,
      refresh: true,
    });
    if (!order) throw new NotFoundError('Order', id);
    return order;
  }

  /**
   * Locks the order row like lock(), for actions that need only its status and number: one lean
   * statement, and no Order entity is loaded (nor refreshed) into the identity map.
   */
  async lockStatus(id: string): Promise<LockedOrderStatus> {
    const row = await this.repository.lockStatus(id);
    if (!row) throw new NotFoundError('Order', id);
    return { id: row.id, status: row.status, orderNumber: row.order_number };
  }

  /** ORD-<year>-<6 digits> from order_number_seq: unique without races, readable on the phone. */
  async nextOrderNumber(): Promise<string> {
    const n = await this.repository.nextOrderNumber();
    return `ORD-${new Date().getUTCFullYear()}-${n.padStart(6, '0')}`;
  }

  items(orderId: string): Promise<OrderItem[]> {
    return this.em.find(OrderItem, { order: orderId }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  }

  /**
   * The given items of the order, those that exist; an id that is no uuid matches none. No
   * entities: the rows as stored, so items changed in this transaction must have been flushed.
   */
  async itemLines(orderId: string, itemIds: readonly string[]): Promise<OrderItemLine[]> {
    const ids = [...new Set(itemIds)].filter((id) => CANONICAL_UUID.test(id));
    if (ids.length === 0) return [];
    const rows = await this.repository.itemLines(orderId, ids);
    return rows.map((row) => ({
      id: row.id,
      productVariantId: row.product_variant_id,
      quantity: row.quantity,
      sku: row.sku,
    }));
  }

  /**
   * Units that reservations of these items no longer hold (released, expired, cancelled): what
   * the reservation statement counts against each item's ordered quantity goes down with them.
   */
  releaseAllocations(parts: readonly { orderItemId: string; quantity: number }[]): Promise<void> {
    return this.repository.releaseAllocations(parts);
  }

  /**
   * Staff search. `q` matches an order-number prefix (case-insensitive; the pattern index serves it)
   * or the customer's exact email (case-insensitive; the lower(email) index serves it).
   */
  async list(query: ListOrdersQueryDto): Promise<Page<Order>> {
    const qb = this.em
      .createQueryBuilder(Order, 'o')
      .leftJoinAndSelect('o.customer', 'c', {}, ['id', 'email'])
      .orderBy([...parseSort(query.sort, ORDER_SORTABLE, '-createdAt'), { id: 'asc' }])
      .limit(query.pageSize)
      .offset(offsetOf(query));
    if (query.status?.length) qb.andWhere({ status: { $in: query.status } });
    if (query.customerId) qb.andWhere({ customer: query.customerId });
    if (query.createdFrom)
      qb.andWhere({ createdAt: { $gte: parseInstant(query.createdFrom, 'createdFrom') } });
    if (query.createdTo) qb.andWhere({ createdAt: inclusiveEndCondition(query.createdTo, 'createdTo') });
    if (query.q) {
      const q = query.q.trim();
      qb.andWhere(
        '(o.order_number like ? or o.customer_id = (select u.id from users u where lower(u.email) = lower(?)))',
        [`${escapeLike(q.toUpperCase())}%`, q],
      );
    }
    const [orders, total] = await qb.getResultAndCount();
    return toPage(orders, total, query);
  }

  /** A customer's own orders, newest first (or as sorted). */
  async listForCustomer(customerId: string, query: PageQueryDto): Promise<Page<Order>> {
    const [orders, total] = await this.em.findAndCount(
      Order,
      { customer: customerId },
      {
        orderBy: [...parseSort(query.sort, ORDER_SORTABLE, '-createdAt'), { id: 'asc' }],
        limit: query.pageSize,
        offset: offsetOf(query),
      },
    );
    return toPage(orders, total, query);
  }

  /** Items of several orders at once, grouped by order id. */
  async itemsOf(orderIds: string[]): Promise<Map<string, OrderItem[]>> {
    const grouped = new Map<string, OrderItem[]>(orderIds.map((id) => [id, []]));
    if (orderIds.length === 0) return grouped;
    const items = await this.em.find(
      OrderItem,
      { order: { $in: orderIds } },
      { orderBy: { createdAt: 'asc', id: 'asc' } },
    );
    for (const item of items) grouped.get(item.order.id)?.push(item);
    return grouped;
  }

  /** Moves the order to `to` if the lifecycle allows it (else 409) and records the history entry. */
  async changeStatus(order: Order, to: OrderStatus, change: StatusChange): Promise<Order> {
    const from = order.status;
    assertOrderTransition(from, to);
    order.status = to;
    order.updatedAt = new Date();
    await this.history.record({
      order,
      action: change.action ?? OrderHistoryAction.STATUS_CHANGED,
      oldStatus: from,
      newStatus: to,
      description: change.description,
      additionalData: change.additionalData,
    });
    return order;
  }
}
