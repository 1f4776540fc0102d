import { Injectable } from '@nestjs/common';
import { NotFoundError } from '../common/errors';
import { inclusiveEndCondition, parseInstant } from '../common/instant';
import { Page, PageQueryDto, parseSort } from '../common/pagination';
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
    private readonly history: OrderHistoryService,
    private readonly repository: OrdersRepository,
  ) {}

  async get(id: string): Promise<Order> {
    const order = await this.repository.find(id);
    if (!order) throw new NotFoundError('Order', id);
    return order;
  }

  /** The order of `customerId` only: another customer's order is simply not found. */
  async getForCustomer(id: string, customerId: string): Promise<Order> {
    const order = await this.repository.find(id, customerId);
    if (!order) throw new NotFoundError('Order', id);
    return order;
  }

  /**
   * Locks the order row (SELECT ... FOR UPDATE) for the rest of the transaction, serialising every
   * change to the order and to what hangs off it (fulfillments, reservations, returns). With
   * `customerId`, only that customer's order is found (and locked); another's is a 404.
   */
  async lock(id: string, customerId?: string): Promise<Order> {
    const order = await this.repository.lock(id, customerId);
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
    return this.repository.itemsOf([orderId]);
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
    const q = query.q?.trim();
    return this.repository.search(
      {
        statuses: query.status,
        customerId: query.customerId,
        createdFrom: query.createdFrom ? parseInstant(query.createdFrom, 'createdFrom') : undefined,
        createdTo: query.createdTo ? inclusiveEndCondition(query.createdTo, 'createdTo') : undefined,
        text: q ? { numberPrefix: escapeLike(q.toUpperCase()), email: q } : undefined,
      },
      parseSort(query.sort, ORDER_SORTABLE, '-createdAt'),
      query,
    );
  }

  /** A customer's own orders, newest first (or as sorted). */
  async listForCustomer(customerId: string, query: PageQueryDto): Promise<Page<Order>> {
    return this.repository.pageOfCustomer(
      customerId,
      parseSort(query.sort, ORDER_SORTABLE, '-createdAt'),
      query,
    );
  }

  /** Items of several orders at once, grouped by order id. */
  async itemsOf(orderIds: string[]): Promise<Map<string, OrderItem[]>> {
    const grouped = new Map<string, OrderItem[]>(orderIds.map((id) => [id, []]));
    if (orderIds.length === 0) return grouped;
    const items = await this.repository.itemsOf(orderIds);
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
