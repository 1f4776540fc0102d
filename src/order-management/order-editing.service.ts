import { Injectable } from '@nestjs/common';
import { BadRequestError, ConflictError } from '../common/errors';
import { OrdersService } from '../orders/orders.service';
import { OrderPlacementService } from '../orders/order-placement.service';
import { UpdateOrderDto } from '../orders/dto/order.dto';
import { ReservationsService } from '../reservations/reservations.service';
import { assertActionAllowed, OrderAction } from './order-actions';
import { OrderDetailsService } from './order-details.service';
import { OrderDetailResponse } from './dto/order-detail.dto';

/** PATCH /orders/:id: items and address of a pending order, with an `edited` before/after diff. */
@Injectable()
export class OrderEditingService {
  constructor(
    private readonly orders: OrdersService,
    private readonly placement: OrderPlacementService,
    private readonly reservations: ReservationsService,
    private readonly details: OrderDetailsService,
  ) {}

  async edit(orderId: string, dto: UpdateOrderDto): Promise<OrderDetailResponse> {
    if (!dto.items && !dto.shippingAddress) {
      throw new BadRequestError('Nothing to change: give items and/or shippingAddress', [
        { field: 'items', message: 'give items and/or shippingAddress' },
      ]);
    }
    const order = await this.orders.lock(orderId);
    assertActionAllowed(order, OrderAction.EDIT);
    const items = await this.orders.items(order.id);
    if (dto.items) {
      // Reservations point at items: held units would no longer match the order, and removing an
      // item would delete its (released) reservations with it. Both are refused.
      const reservations = await this.reservations.listForOrder(order.id);
      const active = reservations.filter((r) => r.isActive).length;
      if (active > 0) {
        throw new ConflictError(
          `Order ${order.orderNumber} has ${active} active reservation(s); release them before changing its items`,
          { activeReservations: active },
        );
      }
      const kept = new Set(dto.items.map((line) => line.variantId));
      const removedWithHistory = items.filter(
        (item) => !kept.has(item.productVariant.id) && reservations.some((r) => r.orderItem.id === item.id),
      );
      if (removedWithHistory.length > 0) {
        throw new ConflictError(
          `Items with reservation records cannot be removed: ${removedWithHistory.map((i) => i.sku).join(', ')}`,
          { orderItemIds: removedWithHistory.map((i) => i.id) },
        );
      }
    }
    await this.placement.edit(order, items, dto);
    return this.details.describe(order);
  }
}
