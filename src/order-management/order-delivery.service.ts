import { Injectable } from '@nestjs/common';
import { OrderHistoryAction } from '../history/order-history-action.enum';
import { OrderStatus } from '../orders/order-status.enum';
import { OrdersService } from '../orders/orders.service';
import { assertActionAllowed, OrderAction } from './order-actions';
import { OrderDetailsService } from './order-details.service';
import { OrderDetailResponse } from './dto/order-detail.dto';

/**
 * POST /orders/:id/deliver: only a shipped order, i.e. one whose every item has shipped (fulfillment
 * moves the order to shipped when its last item ships; a partial shipment keeps it processing).
 */
@Injectable()
export class OrderDeliveryService {
  constructor(
    private readonly orders: OrdersService,
    private readonly details: OrderDetailsService,
  ) {}

  async deliver(orderId: string): Promise<OrderDetailResponse> {
    const order = await this.orders.lock(orderId);
    assertActionAllowed(order, OrderAction.DELIVER);
    await this.orders.changeStatus(order, OrderStatus.DELIVERED, {
      action: OrderHistoryAction.DELIVERED,
      description: `Order ${order.orderNumber} delivered`,
    });
    return this.details.describe(order);
  }
}
