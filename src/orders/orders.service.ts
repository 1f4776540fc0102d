import { Injectable } from '@nestjs/common';
import { NotFoundError } from '../common/errors';
import { inclusiveEndCondition, parseInstant } from '../common/instant';
import { Page, PageQueryDto, parseSort } from '../common/pagination';
import { OrderColumnsChange, OrderHistoryService } from '../history/order-history.service';
import { OrderHistoryAction } from '../history/order-history-action.enum';
import { Order, ShippingAddress } from './order.entity';
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

/** An order as read with the order lock (OrdersService.lock): what its actions decide on. */
export interface LockedOrder {
  id: string;
  orderNumber: string;
  customerId: string;
  status: OrderStatus;
  currency: string;
  totalAmount: string;
  amountPaid: string;
  amountRefunded: string;
  shippingAddress: ShippingAddress;
  version: number;
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
   * THE ORDER LOCK for a lifecycle action: locks the order row (SELECT ... FOR UPDATE) for the rest
   * of the transaction, serialising every change to the order and to what hangs off it
   * (fulfillments, reservations, returns, notes), and reads it. With `customerId`, only that
   * customer's order is found (and locked); another's is a 404.
   */
  async lock(id: string, customerId?: string): Promise<LockedOrder> {
    const row = await this.repository.lock(id, customerId);
    if (!row) throw new NotFoundError('Order', id);
    return {
      id: row.id,
      orderNumber: row.order_number,
      customerId: row.customer_id,
      status: row.status,
      currency: row.currency,
      totalAmount: row.total_amount,
      amountPaid: row.amount_paid,
      amountRefunded: row.amount_refunded,
      shippingAddress: row.shipping_address,
      version: row.version,
    };
  }

  /** The order as an entity reference (no query), for the order of a new item or note. */
  reference(id: string): Order {
    return this.repository.reference(id);
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
  changeStatus(order: LockedOrder, to: OrderStatus, change: StatusChange): Promise<LockedOrder> {
    assertOrderTransition(order.status, to);
    return this.change(order, { ...change, to });
  }

  /**
   * Changes the locked order — its status (`to`, already checked against the lifecycle) and/or
   * `columns` — and records the history entry, in ONE statement (OrderHistoryService.
   * recordOrderChange: the only way an order changes after placement). Returns the order as changed.
   */
  async change(
    order: LockedOrder,
    change: StatusChange & { to?: OrderStatus; columns?: OrderColumnsChange },
  ): Promise<LockedOrder> {
    const to = change.to ?? order.status;
    await this.history.recordOrderChange({
      order: order.id,
      action: change.action ?? OrderHistoryAction.STATUS_CHANGED,
      oldStatus: order.status,
      newStatus: to,
      description: change.description,
      additionalData: change.additionalData,
      columns: change.columns,
    });
    return { ...order, ...change.columns, status: to, version: order.version + 1 };
  }
}
