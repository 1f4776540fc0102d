import { Injectable } from '@nestjs/common';
import { Order } from '../orders/order.entity';
import { OrdersService } from '../orders/orders.service';
import { ReservationsService } from '../reservations/reservations.service';
import { FulfillmentService } from '../fulfillment/fulfillment.service';
import { FulfillmentQueryService } from '../fulfillment/fulfillment-query.service';
import { OrderFulfillment } from '../fulfillment/order-fulfillment.entity';
import { toOrderDetailResponse } from './order-views';
import { OrderDetailResponse } from './dto/order-detail.dto';

/** An order with everything around it, as staff see it (GET /orders/:id and every action's answer). */
@Injectable()
export class OrderDetailsService {
  constructor(
    private readonly orders: OrdersService,
    private readonly reservations: ReservationsService,
    private readonly fulfillment: FulfillmentService,
    private readonly fulfillmentQueries: FulfillmentQueryService,
  ) {}

  async get(orderId: string): Promise<OrderDetailResponse> {
    return this.describe(await this.orders.get(orderId));
  }

  async describe(order: Order): Promise<OrderDetailResponse> {
    const items = await this.orders.items(order.id);
    // Entities, not an aggregate query: reading them flushes reservations made in this transaction.
    const reservations = await this.reservations.listForOrder(order.id);
    const fulfillments = await this.fulfillmentsOf(order.id);
    const shipped = await this.fulfillment.shippedQuantities(order.id);
    return toOrderDetailResponse({ order, items, reservations, fulfillments, shipped });
  }

  /** The order's fulfillments, oldest first (an order has at most one per item unit; 100 is plenty). */
  fulfillmentsOf(orderId: string): Promise<OrderFulfillment[]> {
    return this.fulfillmentQueries.ofOrder(orderId, 100);
  }
}
