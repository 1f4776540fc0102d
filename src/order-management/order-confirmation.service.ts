import { Injectable } from '@nestjs/common';
import {
  BadRequestError,
  FieldError,
  InsufficientStockError,
  NotFoundError,
  StockShortage,
} from '../common/errors';
import { OrderHistoryAction } from '../history/order-history-action.enum';
import { OrderHistoryService } from '../history/order-history.service';
import { OrderStatus } from '../orders/order-status.enum';
import { assertOrderTransition } from '../orders/order-state-machine';
import { ReservationLine, ReservationsService } from '../reservations/reservations.service';
import type { ConfirmationInputRow } from '../reservations/reservations.repository';
import { assertActionAllowed, OrderAction } from './order-actions';
import { ItemToPlace, LocationStock, LocationStrategy } from './location-strategy';
import { OrderDetailsService } from './order-details.service';
import { ConfirmOrderDto, PinnedLocationDto } from './dto/order-actions.dto';
import { OrderDetailResponse } from './dto/order-detail.dto';

/**
 * POST /orders/:id/confirm: every item reserved, all or nothing, then pending → confirmed. Pinned
 * items are reserved where the body says; the others where the LocationStrategy places them. The
 * holds of a confirmed order do not expire: they end when it ships or is cancelled.
 *
 * Three statements (docs/data-access.md): the confirmation read (the order locked; its items, their
 * holds, the availability of their variants and the pinned locations), the reservation statement
 * for every line, and the status change with its `confirmed` entry; then the answer's read.
 */
@Injectable()
export class OrderConfirmationService {
  constructor(
    private readonly reservations: ReservationsService,
    private readonly history: OrderHistoryService,
    private readonly strategy: LocationStrategy,
    private readonly details: OrderDetailsService,
  ) {}

  async confirm(orderId: string, dto: ConfirmOrderDto = {}): Promise<OrderDetailResponse> {
    const input = await this.read(
      orderId,
      (dto.items ?? []).map((pin) => pin.stockLocationId),
    );
    const order = { id: input.id, orderNumber: input.order_number, status: input.status as OrderStatus };
    assertActionAllowed(order, OrderAction.CONFIRM);
    const items = input.items;
    const pins = this.resolvePins(items, dto.items ?? [], input.pins);

    // Units already held for an item (reserved by hand while pending) count towards it.
    const needed = items
      .map((item) => ({ item, quantity: item.quantity - item.held }))
      .filter((n) => n.quantity > 0);

    const stock = new Map<string, LocationStock[]>();
    for (const level of input.stock) {
      const locations = stock.get(level.productVariantId) ?? [];
      locations.push({
        stockLocationId: level.stockLocationId,
        code: level.code,
        available: level.available,
      });
      stock.set(level.productVariantId, locations);
    }
    for (const locations of stock.values()) locations.sort((a, b) => a.code.localeCompare(b.code));

    const pinnedLines: ReservationLine[] = [];
    const shortages: StockShortage[] = [];
    const toPlace: ItemToPlace[] = [];
    for (const { item, quantity } of needed) {
      const line = {
        orderItemId: item.id,
        productVariantId: item.productVariantId,
        sku: item.sku,
        quantity,
      };
      const pinned = pins.get(item.id);
      if (!pinned) {
        toPlace.push(line);
        continue;
      }
      const available =
        stock.get(item.productVariantId)?.find((l) => l.stockLocationId === pinned)?.available ?? 0;
      if (available < quantity) {
        shortages.push({
          productVariantId: item.productVariantId,
          stockLocationId: pinned,
          orderItemId: item.id,
          sku: item.sku,
          requested: quantity,
          available,
        });
      } else {
        pinnedLines.push({
          orderItemId: item.id,
          productVariantId: item.productVariantId,
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
    assertOrderTransition(order.status, OrderStatus.CONFIRMED);
    await this.history.recordOrderChange({
      order: order.id,
      action: OrderHistoryAction.CONFIRMED,
      oldStatus: order.status,
      newStatus: OrderStatus.CONFIRMED,
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

  /**
   * The confirmation read, run once more if the order changed while it waited for the lock (its
   * reads would be older than the lock; the second run holds the lock and reads current data).
   */
  private async read(orderId: string, pinnedLocationIds: string[]): Promise<ConfirmationInputRow> {
    for (let attempt = 0; ; attempt++) {
      const input = await this.reservations.confirmationInput(orderId, pinnedLocationIds);
      if (!input) throw new NotFoundError('Order', orderId);
      if (input.fresh) return input;
      if (attempt >= 2) throw new Error(`Order ${orderId} kept changing while it was confirmed`);
    }
  }

  /** orderItemId → stockLocationId; every pin names an item of the order and an active location. */
  private resolvePins(
    items: readonly { id: string }[],
    pins: PinnedLocationDto[],
    found: ConfirmationInputRow['pins'],
  ): Map<string, string> {
    const itemIds = new Set(items.map((item) => item.id));
    const locations = new Map(found.map((l) => [l.id, l]));
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
