import { Injectable } from '@nestjs/common';
import { BadRequestError, FieldError, InsufficientStockError, StockShortage } from '../common/errors';
import { CatalogService } from '../catalog/catalog.service';
import { OrderHistoryAction } from '../history/order-history-action.enum';
import { OrderItem } from '../orders/order-item.entity';
import { OrderStatus } from '../orders/order-status.enum';
import { OrdersService } from '../orders/orders.service';
import { ReservationLine, ReservationsService } from '../reservations/reservations.service';
import { assertActionAllowed, OrderAction } from './order-actions';
import { ItemToPlace, LocationStock, LocationStrategy } from './location-strategy';
import { OrderDetailsService } from './order-details.service';
import { ConfirmOrderDto, PinnedLocationDto } from './dto/order-actions.dto';
import { OrderDetailResponse } from './dto/order-detail.dto';

/**
 * POST /orders/:id/confirm: every item reserved, all or nothing, then pending → confirmed. Pinned
 * items are reserved where the body says; the others where the LocationStrategy places them. The
 * holds of a confirmed order do not expire: they end when it ships or is cancelled.
 */
@Injectable()
export class OrderConfirmationService {
  constructor(
    private readonly orders: OrdersService,
    private readonly catalog: CatalogService,
    private readonly reservations: ReservationsService,
    private readonly strategy: LocationStrategy,
    private readonly details: OrderDetailsService,
  ) {}

  async confirm(orderId: string, dto: ConfirmOrderDto = {}): Promise<OrderDetailResponse> {
    const order = await this.orders.lock(orderId);
    assertActionAllowed(order, OrderAction.CONFIRM);
    const items = await this.orders.items(order.id);
    const pins = await this.resolvePins(items, dto.items ?? []);

    // Units already held for an item (reserved by hand while pending) count towards it.
    const held = new Map<string, number>();
    for (const r of await this.reservations.listForOrder(order.id)) {
      if (r.isActive)
        held.set(r.orderItem.id, (held.get(r.orderItem.id) ?? 0) + r.quantityReserved - r.quantityFulfilled);
    }
    const needed = items
      .map((item) => ({ item, quantity: item.quantity - (held.get(item.id) ?? 0) }))
      .filter((n) => n.quantity > 0);

    const stock = new Map<string, LocationStock[]>();
    for (const { item } of needed) {
      if (!stock.has(item.productVariant.id)) {
        stock.set(
          item.productVariant.id,
          (await this.catalog.availability(item.productVariant.id)).locations,
        );
      }
    }

    const pinnedLines: ReservationLine[] = [];
    const shortages: StockShortage[] = [];
    const toPlace: ItemToPlace[] = [];
    for (const { item, quantity } of needed) {
      const line = {
        orderItemId: item.id,
        productVariantId: item.productVariant.id,
        sku: item.sku,
        quantity,
      };
      const pinned = pins.get(item.id);
      if (!pinned) {
        toPlace.push(line);
        continue;
      }
      const available =
        stock.get(item.productVariant.id)?.find((l) => l.stockLocationId === pinned)?.available ?? 0;
      if (available < quantity) {
        shortages.push({
          productVariantId: item.productVariant.id,
          stockLocationId: pinned,
          orderItemId: item.id,
          sku: item.sku,
          requested: quantity,
          available,
        });
      } else {
        pinnedLines.push({
          orderItemId: item.id,
          productVariantId: item.productVariant.id,
          stockLocationId: pinned,
          quantity,
        });
      }
    }
    const plan = this.strategy.plan(toPlace, stock);
    shortages.push(...plan.shortages);
    if (shortages.length > 0) throw new InsufficientStockError(shortages);

    const lines = [...pinnedLines, ...plan.lines];
    await this.reservations.reserveMany(order.id, lines, { expiresAt: null });
    const codes = new Map([...stock.values()].flat().map((l) => [l.stockLocationId, l.code]));
    await this.orders.changeStatus(order, OrderStatus.CONFIRMED, {
      action: OrderHistoryAction.CONFIRMED,
      description: `Order confirmed; ${lines.reduce((sum, l) => sum + l.quantity, 0)} unit(s) reserved at ${
        [...new Set(lines.map((l) => codes.get(l.stockLocationId)))].join(', ') || 'no new location'
      }`,
      additionalData: {
        reservations: lines.map((l) => ({ ...l, stockLocationCode: codes.get(l.stockLocationId) ?? null })),
        pinned: [...pins.keys()],
        strategy: this.strategy.constructor.name,
      },
    });
    return this.details.describe(order);
  }

  /** orderItemId → stockLocationId; every pin names an item of the order and an active location. */
  private async resolvePins(items: OrderItem[], pins: PinnedLocationDto[]): Promise<Map<string, string>> {
    const itemIds = new Set(items.map((item) => item.id));
    const locations = new Map(
      (await this.catalog.findLocations(pins.map((p) => p.stockLocationId))).map((l) => [l.id, l]),
    );
    const errors: FieldError[] = [];
    const result = new Map<string, string>();
    pins.forEach((pin, index) => {
      const location = locations.get(pin.stockLocationId);
      if (!itemIds.has(pin.orderItemId)) {
        errors.push({ field: `items.${index}.orderItemId`, message: 'is not an item of this order' });
      } else if (result.has(pin.orderItemId)) {
        errors.push({ field: `items.${index}.orderItemId`, message: 'each item may be pinned once' });
      }
      if (!location) {
        errors.push({ field: `items.${index}.stockLocationId`, message: 'no such stock location' });
      } else if (!location.isActive) {
        errors.push({ field: `items.${index}.stockLocationId`, message: 'the stock location is not active' });
      }
      result.set(pin.orderItemId, pin.stockLocationId);
    });
    if (errors.length > 0) {
      throw new BadRequestError(
        `The request is not valid: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`,
        errors,
      );
    }
    return result;
  }
}
