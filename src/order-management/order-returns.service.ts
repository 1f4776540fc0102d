import { Injectable } from '@nestjs/common';
import { BadRequestError, ConflictError, FieldError } from '../common/errors';
import { CatalogService } from '../catalog/catalog.service';
import { HistoryQueryService } from '../history/history-query.service';
import { OrderHistoryAction } from '../history/order-history-action.enum';
import { OrderItem } from '../orders/order-item.entity';
import { OrderStatus } from '../orders/order-status.enum';
import { LockedOrder, OrdersService } from '../orders/orders.service';
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
 *
 * Where returned units go back: each returned unit is counted against a location it shipped from,
 * location by location in code order, never more at a location than shipped from it minus what
 * earlier returns counted there (restocked or not); the `returned` history entry records both
 * (`shippedFrom`, `restockedAt` per line) for the next return. Restocked units go back on hand at
 * those locations, or all at the line's `stockLocationId` when the request names one.
 */
@Injectable()
export class OrderReturnsService {
  constructor(
    private readonly orders: OrdersService,
    private readonly catalog: CatalogService,
    private readonly reservations: ReservationsService,
    private readonly fulfillment: FulfillmentService,
    private readonly details: OrderDetailsService,
    private readonly history: HistoryQueryService,
  ) {}

  async requestReturn(orderId: string, dto: ReturnRequestDto): Promise<OrderDetailResponse> {
    const order = await this.orders.lock(orderId);
    await this.applyReturnRequest(order, dto, 'staff');
    return this.details.describe(order);
  }

  /** The customer's own request: their order only (another's is a 404, found by the query itself). */
  async requestReturnAsCustomer(
    orderId: string,
    customerId: string,
    dto: ReturnRequestDto,
  ): Promise<LockedOrder> {
    const order = await this.orders.lock(orderId, customerId);
    await this.applyReturnRequest(order, dto, 'customer');
    return order;
  }

  async receiveReturn(orderId: string, dto: ReceiveReturnDto): Promise<OrderDetailResponse> {
    const order = await this.orders.lock(orderId);
    assertActionAllowed(order, OrderAction.RECEIVE_RETURN);
    const { lines, shipped } = await this.returnable(order, dto.items);

    // Under the order lock: earlier returns of this order are all committed and counted.
    const out = await this.unitsOutByLocation(order.id);
    const origins = lines.map(({ item, quantity }) => takeFrom(out.get(item.id) ?? [], quantity));
    const explicit = dto.items.filter((l) => l.restock && l.stockLocationId).map((l) => l.stockLocationId!);
    const named = new Map((await this.catalog.findLocations(explicit)).map((l) => [l.id, l]));
    const errors: FieldError[] = [];
    dto.items.forEach((line, index) => {
      if (!line.restock) return;
      if (line.stockLocationId && !named.has(line.stockLocationId)) {
        errors.push({ field: `items.${index}.stockLocationId`, message: 'no such stock location' });
      } else if (!line.stockLocationId && unitsOf(origins[index]) < line.quantity) {
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
      const shippedFrom = origins[index];
      const location = line.stockLocationId ? named.get(line.stockLocationId)! : null;
      const restockedAt: LocationUnits[] = !line.restock
        ? []
        : location
          ? [{ stockLocationId: location.id, stockLocationCode: location.code, quantity }]
          : shippedFrom;
      item.quantityReturned += quantity;
      for (const at of restockedAt) {
        await this.catalog.adjustOnHand(item.productVariant.id, at.stockLocationId, at.quantity);
      }
      received.push({
        orderItemId: item.id,
        sku: item.sku,
        quantity,
        restocked: line.restock,
        // The one location restocked (null when none, or when the units went back to several).
        stockLocationId: restockedAt.length === 1 ? restockedAt[0].stockLocationId : null,
        shippedFrom,
        restockedAt,
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
        `Returned items received: ${received.map((r) => `${r.quantity} × ${r.sku}${restockText(r.restockedAt)}`).join(', ')}` +
        (complete ? '' : `; partial return, ${outstanding} shipped unit(s) not returned`),
      additionalData: { items: received, complete, unitsNotReturned: outstanding },
    });
    return this.details.describe(order);
  }

  private async applyReturnRequest(
    order: LockedOrder,
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
    order: LockedOrder,
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

  /**
   * Per order item, its units still out by the location they shipped from, in location code order.
   * Shipped from: the units that left on-hand stock there, i.e. its fulfilled reservations (a
   * shipped parcel fulfils the holds at its `warehouseLocation`, and fulfilling a reservation
   * directly records a shipped parcel at the reservation's location, so both agree; for parcels
   * shipped before that rule, the reservations say where stock really went down). Still out: minus
   * the units earlier returns counted there (their `returned` entries' `shippedFrom`; an entry
   * written before that was recorded counts where it restocked).
   */
  private async unitsOutByLocation(orderId: string): Promise<Map<string, LocationUnits[]>> {
    const out = new Map<string, Map<string, number>>();
    const add = (itemId: string, locationId: string, quantity: number) => {
      const byLocation = out.get(itemId) ?? new Map<string, number>();
      byLocation.set(locationId, (byLocation.get(locationId) ?? 0) + quantity);
      out.set(itemId, byLocation);
    };
    for (const r of await this.reservations.listForOrder(orderId)) {
      if (r.quantityFulfilled > 0) add(r.orderItem.id, r.stockLocation.id, r.quantityFulfilled);
    }
    for (const data of await this.history.additionalDataOf(orderId, OrderHistoryAction.RETURNED)) {
      for (const line of (data.items ?? []) as RecordedReturnLine[]) {
        if (!out.get(line.orderItemId)) continue;
        const from = line.shippedFrom
          ? line.shippedFrom
          : line.restocked && line.stockLocationId
            ? [{ stockLocationId: line.stockLocationId, quantity: line.quantity }]
            : [];
        for (const part of from) add(line.orderItemId, part.stockLocationId, -part.quantity);
      }
    }
    const ids = [...new Set([...out.values()].flatMap((byLocation) => [...byLocation.keys()]))];
    const codes = new Map((await this.catalog.findLocations(ids)).map((l) => [l.id, l.code]));
    return new Map(
      [...out].map(([itemId, byLocation]) => [
        itemId,
        [...byLocation]
          .filter(([id, quantity]) => quantity > 0 && codes.has(id))
          .map(([id, quantity]) => ({ stockLocationId: id, stockLocationCode: codes.get(id)!, quantity }))
          .sort((a, b) => byCode(a.stockLocationCode, b.stockLocationCode)),
      ]),
    );
  }
}

/** Units of an item at one stock location. */
interface LocationUnits {
  stockLocationId: string;
  stockLocationCode: string;
  quantity: number;
}

/** A line of a `returned` history entry, as far as later returns read it. */
interface RecordedReturnLine {
  orderItemId: string;
  quantity: number;
  restocked?: boolean;
  stockLocationId?: string | null;
  shippedFrom?: { stockLocationId: string; quantity: number }[];
}

/** `quantity` units from the locations in their order, each giving at most what it has. */
function takeFrom(locations: LocationUnits[], quantity: number): LocationUnits[] {
  const taken: LocationUnits[] = [];
  let left = quantity;
  for (const at of locations) {
    if (left === 0) break;
    const take = Math.min(left, at.quantity);
    if (take > 0) taken.push({ ...at, quantity: take });
    left -= take;
  }
  return taken;
}

/** Code point order: the same on every machine, whatever its locale. */
const byCode = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const unitsOf = (locations: LocationUnits[]) => locations.reduce((sum, at) => sum + at.quantity, 0);

const restockText = (restockedAt: LocationUnits[]) =>
  restockedAt.length
    ? ` (restocked at ${restockedAt.map((at) => `${at.stockLocationCode}: ${at.quantity}`).join(', ')})`
    : '';
