import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { BadRequestError, ConflictError } from '../common/errors';
import { CatalogService } from '../catalog/catalog.service';
import { StockLocation } from '../catalog/stock-location.entity';
import { OrderHistoryService } from '../history/order-history.service';
import { OrderHistoryAction } from '../history/order-history-action.enum';
import { User } from '../identity/user.entity';
import { UserRole } from '../identity/user-role.enum';
import { UsersService } from '../identity/users.service';
import { OrdersService } from '../orders/orders.service';
import { InventoryReservation } from '../reservations/inventory-reservation.entity';
import { ReservationsService } from '../reservations/reservations.service';
import { FulfillmentStatus } from './fulfillment-status.enum';
import { OPEN_STATUSES } from './fulfillment-state-machine';
import { unitsLeftToFulfil } from './fulfillment-quantities';
import { FULFILLABLE_ORDER_STATUSES, FulfillmentStatusService } from './fulfillment-status.service';
import { FulfillmentQueryService } from './fulfillment-query.service';
import { FulfillmentRow } from './fulfillment-response';
import { OrderFulfillment } from './order-fulfillment.entity';
import { CreateFulfillmentDto, UpdatePackingDetailsDto } from './dto/fulfillment.dto';
import { gramsToWeight, weightToGrams } from './dto/fulfillment-validators';

const ASSIGNABLE_ROLES: readonly UserRole[] = [UserRole.WAREHOUSE, UserRole.ADMIN];

export interface ItemShortfall {
  orderItemId: string;
  sku: string;
  ordered: number;
  remaining: number;
  requested: number;
}

/**
 * Creating, assigning and packing fulfillments, plus what the order lifecycle needs from this module
 * (cancel the open ones, shipped quantities). Status moves live in FulfillmentStatusService.
 */
@Injectable()
export class FulfillmentService {
  constructor(
    private readonly em: EntityManager,
    private readonly orders: OrdersService,
    private readonly users: UsersService,
    private readonly history: OrderHistoryService,
    private readonly status: FulfillmentStatusService,
    private readonly queries: FulfillmentQueryService,
    private readonly catalog: CatalogService,
    private readonly reservations: ReservationsService,
  ) {}

  /**
   * A pending fulfillment of some of the order's items. Under the order row lock, so that parallel
   * creations see each other: per item, the quantity over non-cancelled fulfillments never exceeds
   * the quantity ordered.
   */
  async create(orderId: string, dto: CreateFulfillmentDto): Promise<OrderFulfillment> {
    const location = await this.shippingLocation(dto.warehouseLocation);
    const order = await this.orders.lock(orderId);
    if (!FULFILLABLE_ORDER_STATUSES.includes(order.status)) {
      throw new ConflictError(
        `Order ${order.orderNumber} is ${order.status}; only confirmed or processing orders can be fulfilled`,
        { orderStatus: order.status },
      );
    }
    const requested = Object.fromEntries(
      Object.entries(dto.items).map(([id, quantity]) => [id.toLowerCase(), quantity]),
    );
    const items = new Map((await this.orders.items(orderId)).map((item) => [item.id, item]));
    const unknown = Object.keys(requested).filter((id) => !items.has(id));
    if (unknown.length) {
      throw new BadRequestError(
        `Not items of order ${order.orderNumber}: ${unknown.join(', ')}`,
        unknown.map((id) => ({
          field: `items.${id}`,
          message: `is not an item of order ${order.orderNumber}`,
        })),
      );
    }
    const committed = await this.queries.committedQuantities(orderId);
    const shortfalls: ItemShortfall[] = Object.entries(requested)
      .map(([id, quantity]) => {
        const item = items.get(id)!;
        const remaining = unitsLeftToFulfil(item.quantity, committed[id]);
        return { orderItemId: id, sku: item.sku, ordered: item.quantity, remaining, requested: quantity };
      })
      .filter((s) => s.requested > s.remaining);
    if (shortfalls.length) {
      const detail = shortfalls
        .map(
          (s) =>
            `item ${s.sku} (${s.orderItemId}) has ${s.remaining} left to fulfil, ${s.requested} requested`,
        )
        .join('; ');
      throw new ConflictError(`Quantities above what is still unfulfilled: ${detail}`, { shortfalls });
    }
    const assignee = dto.assignedToId ? await this.assignee(dto.assignedToId) : null;

    const fulfillment = new OrderFulfillment(order, await this.nextNumber(), location.code, requested);
    this.em.persist(fulfillment);
    await this.history.record({
      order,
      action: OrderHistoryAction.STATUS_CHANGED,
      description: `Fulfillment ${fulfillment.fulfillmentNumber} created at ${fulfillment.warehouseLocation}`,
      additionalData: {
        fulfillmentId: fulfillment.id,
        fulfillmentNumber: fulfillment.fulfillmentNumber,
        from: null,
        to: FulfillmentStatus.PENDING,
        warehouseLocation: fulfillment.warehouseLocation,
        items: requested,
      },
    });
    if (assignee) await this.assignTo(fulfillment, assignee);
    return fulfillment;
  }

  /**
   * POST /reservations/:id/fulfil: units of a reservation handed over without the pick-and-pack
   * workflow (a counter pick-up, a courier collecting at the shelf). Units that leave stock for an
   * order are shipped units of that order, so they are recorded as what they are: a parcel of
   * those units at the reservation's location, born `shipped`. Everything that counts shipped
   * units (what is left to fulfil, when the order becomes shipped, that a shipped order is no
   * longer cancelled but delivered and returned) then counts them, and no call order can leave an
   * order with units gone from stock that its workflow does not know about. Refused (409) unless
   * the order is confirmed or processing, and for units already in the order's fulfillments (ship
   * or cancel those instead). One transaction: the order lock first (as shipping), then the
   * reservation, then the stock level.
   */
  async fulfilReservation(reservationId: string, quantity: number): Promise<InventoryReservation> {
    const held = await this.reservations.get(reservationId);
    const order = await this.orders.lock(held.order.id);
    if (!FULFILLABLE_ORDER_STATUSES.includes(order.status)) {
      throw new ConflictError(
        `Order ${order.orderNumber} is ${order.status}; units leave stock for an order only while it is ` +
          'confirmed or processing',
        { orderStatus: order.status },
      );
    }
    // Locks the reservation, refuses an inactive one or more than it holds, takes the units off stock.
    const reservation = await this.reservations.fulfil(reservationId, quantity);
    const itemId = reservation.orderItem.id;
    const item = (await this.orders.items(order.id)).find((i) => i.id === itemId)!;
    const inFulfillments = (await this.queries.committedQuantities(order.id))[itemId] ?? 0;
    const remaining = item.quantity - inFulfillments;
    if (quantity > remaining) {
      throw new ConflictError(
        `Item ${item.sku} of order ${order.orderNumber}: ${inFulfillments} of ${item.quantity} units are ` +
          `already in fulfillments, ${remaining} can be fulfilled directly, ${quantity} requested; ` +
          'ship or cancel those fulfillments instead',
        {
          shortfalls: [
            { orderItemId: itemId, sku: item.sku, ordered: item.quantity, remaining, requested: quantity },
          ],
        },
      );
    }
    const location = await this.catalog.getLocation(reservation.stockLocation.id);
    const parcel = new OrderFulfillment(order, await this.nextNumber(), location.code, {
      [itemId]: quantity,
    });
    parcel.status = FulfillmentStatus.SHIPPED;
    parcel.shippedAt = new Date();
    this.em.persist(parcel);
    // Written now: the shipped quantities that decide the order's status are read by SQL.
    await this.em.flush();
    await this.status.recordShipment(order, parcel.fulfillmentNumber, {
      fulfillmentId: parcel.id,
      fulfillmentNumber: parcel.fulfillmentNumber,
      from: null,
      to: FulfillmentStatus.SHIPPED,
      warehouseLocation: location.code,
      items: parcel.items,
      reservationId,
      direct: true,
    });
    return reservation;
  }

  /** Gives an open fulfillment to an active warehouse or admin user; history `assigned`. */
  async assign(id: string, assignedToId: string): Promise<OrderFulfillment> {
    const { fulfillment } = await this.status.lock(id);
    this.assertOpen(fulfillment, 'assigned');
    await this.assignTo(fulfillment, await this.assignee(assignedToId));
    return fulfillment;
  }

  /** Box, weight, materials and notes, while the fulfillment has not shipped; `null` clears a field. */
  async updatePackingDetails(id: string, dto: UpdatePackingDetailsDto): Promise<OrderFulfillment> {
    const { fulfillment } = await this.status.lock(id);
    this.assertOpen(fulfillment, 'changed');
    if (dto.boxSize !== undefined) fulfillment.boxSize = dto.boxSize;
    if (dto.weight !== undefined) {
      fulfillment.weight = dto.weight === null ? null : gramsToWeight(weightToGrams(dto.weight)!);
    }
    if (dto.packingMaterials !== undefined) fulfillment.packingMaterials = dto.packingMaterials;
    if (dto.pickingNotes !== undefined) fulfillment.pickingNotes = dto.pickingNotes;
    if (dto.packingNotes !== undefined) fulfillment.packingNotes = dto.packingNotes;
    return fulfillment;
  }

  changeStatus(id: string, to: FulfillmentStatus, notes?: string): Promise<FulfillmentRow> {
    return this.status.changeStatus(id, to, notes);
  }

  /** For the order lifecycle: cancels every fulfillment that has not shipped; returns how many. */
  cancelOpenForOrder(orderId: string, reason: string): Promise<number> {
    return this.status.cancelOpenForOrder(orderId, reason);
  }

  /** Per order item, the quantity in fulfillments that are not cancelled. */
  committedQuantities(orderId: string): Promise<Record<string, number>> {
    return this.queries.committedQuantities(orderId);
  }

  /** Per order item, the quantity that has shipped. */
  shippedQuantities(orderId: string): Promise<Record<string, number>> {
    return this.queries.shippedQuantities(orderId);
  }

  hasShipped(orderId: string): Promise<boolean> {
    return this.queries.hasShipped(orderId);
  }

  private assertOpen(fulfillment: OrderFulfillment, what: string): void {
    if (!OPEN_STATUSES.includes(fulfillment.status)) {
      throw new ConflictError(
        `Fulfillment ${fulfillment.fulfillmentNumber} is ${fulfillment.status}; it can only be ${what} ` +
          `while ${OPEN_STATUSES.join(', ')}`,
        { fulfillmentStatus: fulfillment.status },
      );
    }
  }

  /**
   * The stock location a parcel ships from, by its code: the stock leaves there when it ships
   * (FulfillmentStatusService), so an unknown code or an inactive location is a 400.
   */
  private async shippingLocation(code: string): Promise<StockLocation> {
    const location = await this.catalog.findLocationByCode(code.trim());
    if (!location || !location.isActive) {
      const message = location
        ? `stock location ${location.code} is inactive`
        : 'must be the code of a stock location';
      throw new BadRequestError(`warehouseLocation ${message}`, [{ field: 'warehouseLocation', message }]);
    }
    return location;
  }

  private async assignee(userId: string): Promise<User> {
    const user = await this.users.findActive(userId, ASSIGNABLE_ROLES);
    if (!user) {
      throw new BadRequestError(`User ${userId} is not an active warehouse or admin user`, [
        { field: 'assignedToId', message: 'must be an active warehouse or admin user' },
      ]);
    }
    return user;
  }

  private async assignTo(fulfillment: OrderFulfillment, user: User): Promise<void> {
    const previous = fulfillment.assignedTo?.id ?? null;
    fulfillment.assignedTo = user;
    fulfillment.assignedAt = new Date();
    await this.history.record({
      order: fulfillment.order,
      action: OrderHistoryAction.ASSIGNED,
      description: `Fulfillment ${fulfillment.fulfillmentNumber} assigned to ${user.fullName}`,
      additionalData: {
        fulfillmentId: fulfillment.id,
        fulfillmentNumber: fulfillment.fulfillmentNumber,
        assignedToId: user.id,
        previousAssignedToId: previous,
      },
    });
  }

  /** FUL-<year>-<6 digits>, from a sequence: unique without races. */
  private async nextNumber(): Promise<string> {
    const [row] = await this.em.execute<{ n: string }[]>("select nextval('fulfillment_number_seq') as n");
    return `FUL-${new Date().getUTCFullYear()}-${String(row.n).padStart(6, '0')}`;
  }
}
