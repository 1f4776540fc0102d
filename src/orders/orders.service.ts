import { Injectable } from '@nestjs/common';
import { LockMode } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { NotFoundError } from '../common/errors';
import { OrderHistoryService } from '../history/order-history.service';
import { OrderHistoryAction } from '../history/order-history-action.enum';
import { Order } from './order.entity';
import { OrderItem } from './order-item.entity';
import { OrderStatus } from './order-status.enum';
import { assertOrderTransition } from './order-state-machine';

export interface StatusChange {
  action?: OrderHistoryAction;
  description: string;
  additionalData?: Record<string, unknown>;
}

/** The order aggregate's own data access; the lifecycle lives in order-management. */
@Injectable()
export class OrdersService {
  constructor(
    private readonly em: EntityManager,
    private readonly history: OrderHistoryService,
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
   * change to the order and to what hangs off it (fulfillments, reservations, returns).
   */
  async lock(id: string): Promise<Order> {
    const order = await this.em.findOne(
      Order,
      { id },
      { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true },
    );
    if (!order) throw new NotFoundError('Order', id);
    return order;
  }

  items(orderId: string): Promise<OrderItem[]> {
    return this.em.find(OrderItem, { order: orderId }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  }

  /** Moves the order to `to` if the lifecycle allows it (else 409) and records the history entry. */
  async changeStatus(order: Order, to: OrderStatus, change: StatusChange): Promise<Order> {
    const from = order.status;
    assertOrderTransition(from, to);
    order.status = to;
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
