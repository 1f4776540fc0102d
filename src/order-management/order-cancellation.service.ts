import { Injectable } from '@nestjs/common';
import { ConflictError } from '../common/errors';
import { OrderHistoryAction } from '../history/order-history-action.enum';
import { OrderStatus } from '../orders/order-status.enum';
import { OrdersService } from '../orders/orders.service';
import { ReservationsService } from '../reservations/reservations.service';
import { ReleaseReason } from '../reservations/release-reason.enum';
import { FulfillmentService } from '../fulfillment/fulfillment.service';
import { anyShipped, assertActionAllowed, OrderAction } from './order-actions';
import { OrderDetailsService } from './order-details.service';
import { CancelOrderDto } from './dto/order-actions.dto';
import { OrderDetailResponse } from './dto/order-detail.dto';

/**
 * POST /orders/:id/cancel: until anything has shipped. Releases every active reservation (reason
 * cancelled: the units are available again) and cancels every open fulfillment, in the same
 * transaction as the status change and its history.
 */
@Injectable()
export class OrderCancellationService {
  constructor(
    private readonly orders: OrdersService,
    private readonly reservations: ReservationsService,
    private readonly fulfillment: FulfillmentService,
    private readonly details: OrderDetailsService,
  ) {}

  async cancel(orderId: string, dto: CancelOrderDto): Promise<OrderDetailResponse> {
    const order = await this.orders.lock(orderId);
    assertActionAllowed(order, OrderAction.CANCEL);
    const shipped = await this.fulfillment.shippedQuantities(order.id);
    if (anyShipped(Object.values(shipped).map((units) => ({ shipped: units })))) {
      throw new ConflictError(
        `Order ${order.orderNumber} has shipped items and can no longer be cancelled; request a return once delivered`,
        { shippedQuantities: shipped },
      );
    }
    const reservationsReleased = await this.reservations.releaseForOrder(order.id, ReleaseReason.CANCELLED);
    const fulfillmentsCancelled = await this.fulfillment.cancelOpenForOrder(order.id, dto.reason);
    await this.orders.changeStatus(order, OrderStatus.CANCELLED, {
      action: OrderHistoryAction.CANCELLED,
      description: `Order cancelled: ${dto.reason}`,
      additionalData: { reason: dto.reason, reservationsReleased, fulfillmentsCancelled },
    });
    return this.details.describe(order);
  }
}
