import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { BadRequestError, ConflictError, NotFoundError } from '../common/errors';
import { UnitOfWork } from '../common/unit-of-work';
import { CatalogService } from '../catalog/catalog.service';
import { StockLocation } from '../catalog/stock-location.entity';
import { OrderHistoryService, RecordHistoryInput } from '../history/order-history.service';
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
import { toFulfillmentResponse } from './fulfillment-response';
import { FulfillmentRepository, LockedFulfillmentRow, PackingDetails } from './fulfillment.repository';
import { CreateFulfillmentDto, UpdatePackingDetailsDto } from './dto/fulfillment.dto';
import { FulfillmentResponse } from './dto/fulfillment-response.dto';
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
 *
 * Writes of order_fulfillments are FulfillmentRepository statements, never entity flushes. An
 * action answers with what GET /fulfillments/:id shows: it flushes the unit of work and reads
 * the fulfillment with the GET's own query (FulfillmentQueryService.get); a status move maps the
 * row its statement returns with the same mapper.
 */
@Injectable()
export class FulfillmentService {
  constructor(
    private readonly repository: FulfillmentRepository,
    private readonly uow: UnitOfWork,
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
  async create(orderId: string, dto: CreateFulfillmentDto): Promise<FulfillmentResponse> {
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
    const items = new Map(
      (await this.orders.itemLines(orderId, Object.keys(requested))).map((item) => [item.id, item]),
    );
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

    const { id, fulfillment_number: number } = await this.repository.insert({
      id: randomUUID(),
      orderId: order.id,
      status: FulfillmentStatus.PENDING,
      warehouseLocation: location.code,
      items: requested,
      assignedToId: assignee?.id ?? null,
      now: new Date(),
    });
    // Its entries in one statement: created, then assigned when it was created with an assignee.
    await this.history.recordMany([
      {
        order: order.id,
        action: OrderHistoryAction.STATUS_CHANGED,
        description: `Fulfillment ${number} created at ${location.code}`,
        additionalData: {
          fulfillmentId: id,
          fulfillmentNumber: number,
          from: null,
          to: FulfillmentStatus.PENDING,
          warehouseLocation: location.code,
          items: requested,
        },
      },
      ...(assignee
        ? [this.assignmentEntry({ id, order_id: order.id, fulfillment_number: number }, assignee, null)]
        : []),
    ]);
    return this.answer(id);
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
    const [item] = await this.orders.itemLines(order.id, [itemId]);
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
    const items = { [itemId]: quantity };
    const parcel = await this.repository.insert({
      id: randomUUID(),
      orderId: order.id,
      status: FulfillmentStatus.SHIPPED,
      warehouseLocation: location.code,
      items,
      assignedToId: null,
      now: new Date(),
    });
    // The reservation's changes are written before the statements that decide the order's status.
    await this.uow.flush();
    await this.status.recordShipment(order, parcel.fulfillment_number, {
      fulfillmentId: parcel.id,
      fulfillmentNumber: parcel.fulfillment_number,
      from: null,
      to: FulfillmentStatus.SHIPPED,
      warehouseLocation: location.code,
      items,
      reservationId,
      direct: true,
    });
    return reservation;
  }

  /** Gives an open fulfillment to an active warehouse or admin user; history `assigned`. */
  async assign(id: string, assignedToId: string): Promise<FulfillmentResponse> {
    const fulfillment = await this.lockOpen(id, 'assigned');
    const user = await this.assignee(assignedToId);
    await this.repository.assign(id, user.id, new Date());
    await this.history.record(this.assignmentEntry(fulfillment, user, fulfillment.assigned_to_id));
    return this.answer(id);
  }

  /** Box, weight, materials and notes, while the fulfillment has not shipped; `null` clears a field. */
  async updatePackingDetails(id: string, dto: UpdatePackingDetailsDto): Promise<FulfillmentResponse> {
    await this.lockOpen(id, 'changed');
    const details: PackingDetails = {
      boxSize: dto.boxSize,
      weight:
        dto.weight === undefined || dto.weight === null
          ? dto.weight
          : gramsToWeight(weightToGrams(dto.weight)!),
      packingMaterials: dto.packingMaterials,
      pickingNotes: dto.pickingNotes,
      packingNotes: dto.packingNotes,
    };
    await this.repository.updateDetails(id, details, new Date());
    return this.answer(id);
  }

  /** A status move, answered with the row its statement returns (the read model's columns). */
  async changeStatus(id: string, to: FulfillmentStatus, notes?: string): Promise<FulfillmentResponse> {
    return toFulfillmentResponse(await this.status.changeStatus(id, to, notes));
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

  /** The action's answer: its writes flushed, then the fulfillment as GET /fulfillments/:id reads it. */
  private async answer(id: string): Promise<FulfillmentResponse> {
    await this.uow.flush();
    return this.queries.get(id);
  }

  /**
   * Locks the fulfillment (after its order) for a change that is allowed only while it is open:
   * 404 when there is no such fulfillment, 409 when it has shipped or is cancelled.
   */
  private async lockOpen(id: string, what: string): Promise<LockedFulfillmentRow> {
    const fulfillment = await this.repository.lockForChange(id);
    if (!fulfillment) throw new NotFoundError('Fulfillment', id);
    if (!OPEN_STATUSES.includes(fulfillment.status)) {
      throw new ConflictError(
        `Fulfillment ${fulfillment.fulfillment_number} is ${fulfillment.status}; it can only be ${what} ` +
          `while ${OPEN_STATUSES.join(', ')}`,
        { fulfillmentStatus: fulfillment.status },
      );
    }
    return fulfillment;
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

  /** The `assigned` history entry of giving the fulfillment to `user`. */
  private assignmentEntry(
    fulfillment: Pick<LockedFulfillmentRow, 'id' | 'order_id' | 'fulfillment_number'>,
    user: User,
    previousAssignedToId: string | null,
  ): RecordHistoryInput {
    return {
      order: fulfillment.order_id,
      action: OrderHistoryAction.ASSIGNED,
      description: `Fulfillment ${fulfillment.fulfillment_number} assigned to ${user.fullName}`,
      additionalData: {
        fulfillmentId: fulfillment.id,
        fulfillmentNumber: fulfillment.fulfillment_number,
        assignedToId: user.id,
        previousAssignedToId,
      },
    };
  }
}
