import { Injectable } from '@nestjs/common';
import { BadRequestError, ConflictError, FieldError } from '../common/errors';
import { CatalogService } from '../catalog/catalog.service';
import { OrderHistoryAction } from '../history/order-history-action.enum';
import { Order } from '../orders/order.entity';
import { OrderItem } from '../orders/order-item.entity';
import { OrderStatus } from '../orders/order-status.enum';
import { OrdersService } from '../orders/orders.service';
import { ReservationsService } from '../reservations/reservations.service';
import { FulfillmentService } from '../fulfillment/fulfillment.service';
import { allReturned, assertActionAllowed, OrderAction, unitsReturnable } from './order-actions';
import { OrderDetailsService } from './order-details.service';
import { ReceiveReturnDto, ReturnItemDto, ReturnRequestDto } from './dto/order-actions.dto';
import { OrderDetailResponse } from './dto/order-detail.dto';

const fail = (errors: FieldError[]) =>
  new BadRequestError(
    `The request is not valid: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`,
    errors,
  );

/**
 * Returns: a request (staff or the customer) moves a delivered order to return_requested; receiving
 * the items sets each item's quantity_returned (never above what shipped), puts restocked units
 * back on hand, and moves the order to returned once every shipped unit is back. A partial return
 * moves it back to delivered: the rest can be returned later, and refunds taken meanwhile.
 */
@Injectable()
export class OrderReturnsService {
  constructor(
    private readonly orders: OrdersService,
    private readonly catalog: CatalogService,
    private readonly reservations: ReservationsService,
    private readonly fulfillment: FulfillmentService,
    private readonly details: OrderDetailsService,
  ) {}

  async requestReturn(orderId: string, dto: ReturnRequestDto): Promise<OrderDetailResponse> {
    const order = await this.orders.lock(orderId);
    await this.applyReturnRequest(order, dto, 'staff');
    return this.details.describe(order);
  }

  /** The customer's own request: their order only (another's is a 404, found by the query itself). */
  async requestReturnAsCustomer(orderId: string, customerId: string, dto: ReturnRequestDto): Promise<Order> {
    const order = await this.orders.lock(orderId, customerId);
    await this.applyReturnRequest(order, dto, 'customer');
    return order;
  }

  async receiveReturn(orderId: string, dto: ReceiveReturnDto): Promise<OrderDetailResponse> {
    const order = await this.orders.lock(orderId);
    assertActionAllowed(order, OrderAction.RECEIVE_RETURN);
    const { lines, shipped } = await this.returnable(order, dto.items);

    const missing = dto.items
      .map((line, index) => ({ line, index }))
      .filter(({ line }) => line.restock && !line.stockLocationId);
    const defaults = missing.length ? await this.shippedFrom(order.id) : new Map<string, string>();
    const explicit = dto.items.filter((l) => l.restock && l.stockLocationId).map((l) => l.stockLocationId!);
    const known = new Set((await this.catalog.findLocations(explicit)).map((l) => l.id));
    const errors: FieldError[] = [];
    dto.items.forEach((line, index) => {
      if (!line.restock) return;
      if (line.stockLocationId && !known.has(line.stockLocationId)) {
        errors.push({ field: `items.${index}.stockLocationId`, message: 'no such stock location' });
      } else if (!line.stockLocationId && !defaults.has(line.orderItemId)) {
        errors.push({
          field: `items.${index}.stockLocationId`,
          message: 'is required: the item was not shipped from a known location',
        });
      }
    });
    if (errors.length) throw fail(errors);

    const received = [];
    for (const [index, { item, quantity }] of lines.entries()) {
      const line = dto.items[index];
      const locationId = line.restock ? (line.stockLocationId ?? defaults.get(item.id)!) : null;
      item.quantityReturned += quantity;
      if (locationId) await this.catalog.adjustOnHand(item.productVariant.id, locationId, quantity);
      received.push({
        orderItemId: item.id,
        sku: item.sku,
        quantity,
        restocked: line.restock,
        stockLocationId: locationId,
      });
    }
    // Every shipped unit back: returned. Some still out: delivered again, so that they can be returned
    // (and refunds taken) later.
    const units = (await this.orders.items(order.id)).map((item) => ({
      shipped: shipped[item.id] ?? 0,
      returned: item.quantityReturned,
    }));
    const complete = allReturned(units);
    const outstanding = units.reduce((sum, u) => sum + unitsReturnable(u), 0);
    await this.orders.changeStatus(order, complete ? OrderStatus.RETURNED : OrderStatus.DELIVERED, {
      action: OrderHistoryAction.RETURNED,
      description:
        `Returned items received: ${received.map((r) => `${r.quantity} × ${r.sku}${r.restocked ? ' (restocked)' : ''}`).join(', ')}` +
        (complete ? '' : `; partial return, ${outstanding} shipped unit(s) not returned`),
      additionalData: { items: received, complete, unitsNotReturned: outstanding },
    });
    return this.details.describe(order);
  }

  private async applyReturnRequest(
    order: Order,
    dto: ReturnRequestDto,
    by: 'staff' | 'customer',
  ): Promise<void> {
    assertActionAllowed(order, OrderAction.REQUEST_RETURN);
    const { lines } = await this.returnable(order, dto.items);
    await this.orders.changeStatus(order, OrderStatus.RETURN_REQUESTED, {
      action: OrderHistoryAction.RETURN_REQUESTED,
      description: `Return requested by the ${by}: ${dto.reason}`,
      additionalData: {
        reason: dto.reason,
        requestedBy: by,
        items: lines.map(({ item, quantity }) => ({ orderItemId: item.id, sku: item.sku, quantity })),
      },
    });
  }

  /**
   * Every line names an item of the order once (else 400), and asks for at most what shipped and
   * has not come back yet (else 409).
   */
  private async returnable(
    order: Order,
    lines: ReturnItemDto[],
  ): Promise<{ lines: { item: OrderItem; quantity: number }[]; shipped: Record<string, number> }> {
    const items = new Map((await this.orders.items(order.id)).map((item) => [item.id, item]));
    const errors: FieldError[] = [];
    const seen = new Set<string>();
    lines.forEach((line, index) => {
      if (!items.has(line.orderItemId)) {
        errors.push({ field: `items.${index}.orderItemId`, message: 'is not an item of this order' });
      } else if (seen.has(line.orderItemId)) {
        errors.push({ field: `items.${index}.orderItemId`, message: 'each item may appear once' });
      }
      seen.add(line.orderItemId);
    });
    if (errors.length) throw fail(errors);

    const shipped = await this.fulfillment.shippedQuantities(order.id);
    const resolved = lines.map((line) => ({ item: items.get(line.orderItemId)!, quantity: line.quantity }));
    const over = resolved
      .map(({ item, quantity }) => ({
        orderItemId: item.id,
        sku: item.sku,
        requested: quantity,
        returnable: unitsReturnable({ shipped: shipped[item.id] ?? 0, returned: item.quantityReturned }),
      }))
      .filter((r) => r.requested > r.returnable);
    if (over.length) {
      throw new ConflictError(
        `More than shipped and not yet returned: ${over.map((o) => `${o.sku} (${o.requested} asked, ${o.returnable} returnable)`).join(', ')}`,
        { items: over },
      );
    }
    return { lines: resolved, shipped };
  }

  /** Order item → the location its units were shipped from (its first fulfilled reservation). */
  private async shippedFrom(orderId: string): Promise<Map<string, string>> {
    const result = new Map<string, string>();
    for (const r of await this.reservations.listForOrder(orderId)) {
      if (r.quantityFulfilled > 0 && !result.has(r.orderItem.id))
        result.set(r.orderItem.id, r.stockLocation.id);
    }
    return result;
  }
}
