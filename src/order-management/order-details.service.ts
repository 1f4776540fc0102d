import { Injectable } from '@nestjs/common';
import { NotFoundError } from '../common/errors';
import { UnitOfWork } from '../common/unit-of-work';
import { OrderDetailQueries } from '../reporting/order-details.queries';
import { toCustomerOrderDetailResponse, toOrderDetailResponse } from './order-views';
import { OrderDetailResponse } from './dto/order-detail.dto';
import { CustomerOrderDetailResponse } from './dto/customer-order.dto';

/**
 * An order with everything around it, as staff see it (GET /orders/:id and every action's answer)
 * and as its customer sees it (GET /me/orders/:id and the customer's return request): one query
 * (reporting's order detail rows) and one mapper per view. An action first flushes its unit of
 * work, so the same query sees the action's own changes.
 */
@Injectable()
export class OrderDetailsService {
  constructor(
    private readonly queries: OrderDetailQueries,
    private readonly uow: UnitOfWork,
  ) {}

  async get(orderId: string): Promise<OrderDetailResponse> {
    const rows = await this.queries.forStaff(orderId);
    if (!rows) throw new NotFoundError('Order', orderId);
    return toOrderDetailResponse(rows.order, rows.items, rows.fulfillments);
  }

  /** The order only if it is the customer's, else a 404 that reveals nothing. */
  async getForCustomer(orderId: string, customerId: string): Promise<CustomerOrderDetailResponse> {
    const rows = await this.queries.forCustomer(orderId, customerId);
    if (!rows) throw new NotFoundError('Order', orderId);
    return toCustomerOrderDetailResponse(rows.order, rows.items, rows.fulfillments);
  }

  /** An action's answer: its changes flushed, then the staff view. */
  async describe(order: { id: string }): Promise<OrderDetailResponse> {
    await this.uow.flush();
    return this.get(order.id);
  }

  /** A customer action's answer: its changes flushed, then the customer's view. */
  async describeForCustomer(order: { id: string }, customerId: string): Promise<CustomerOrderDetailResponse> {
    await this.uow.flush();
    return this.getForCustomer(order.id, customerId);
  }
}
