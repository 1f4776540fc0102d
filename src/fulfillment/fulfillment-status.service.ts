import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '../common/unit-of-work';
import { ConflictError, NotFoundError } from '../common/errors';
import { OrderHistoryService } from '../history/order-history.service';
import { OrderHistoryAction } from '../history/order-history-action.enum';
import { OrderStatus } from '../orders/order-status.enum';
import { LockedOrder, OrdersService } from '../orders/orders.service';
import { assertOrderTransition } from '../orders/order-state-machine';
import { ReservationsService } from '../reservations/reservations.service';
import { FulfillmentStatus } from './fulfillment-status.enum';
import { assertFulfillmentTransition, canTransitionFulfillment } from './fulfillment-state-machine';
import { FulfillmentQueryService } from './fulfillment-query.service';
import { FulfillmentRow } from './fulfillment-query.repository';
import { FulfillmentItems, OrderFulfillment } from './order-fulfillment.entity';
import { FulfillmentRepository } from './fulfillment.repository';

const S = FulfillmentStatus;

/** Orders whose goods may be worked on in the warehouse. */
export const FULFILLABLE_ORDER_STATUSES: readonly OrderStatus[] = [
  OrderStatus.CONFIRMED,
  OrderStatus.PROCESSING,
];

/** Moves into these need the order to be confirmed or processing; cancel and post-shipment moves do not. */
const WAREHOUSE_MOVES: readonly FulfillmentStatus[] = [S.PICKING, S.PACKING, S.READY_TO_SHIP, S.SHIPPED];

/** For each status, the statuses it may be entered from (the state machine's table, inverted). */
const FROM_STATES = new Map<FulfillmentStatus, FulfillmentStatus[]>(
  Object.values(S).map((to) => [to, Object.values(S).filter((from) => canTransitionFulfillment(from, to))]),
);

/** The move statement's entry is for the order it locks; the id here is replaced by that order's. */
const ORDER_OF_STATEMENT = '00000000-0000-0000-0000-000000000000';

/**
 * Moves fulfillments through the state machine. Every change of a fulfillment first locks its
 * order row (the same order as creation: order, then fulfillment), and the status itself moves by
 * one conditional UPDATE (`... where id = ? and status = <from>`), so a concurrent move from the
 * same state finds nothing to update and answers 409 without writing history.
 */
@Injectable()
export class FulfillmentStatusService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly orders: OrdersService,
    private readonly history: OrderHistoryService,
    private readonly queries: FulfillmentQueryService,
    private readonly reservations: ReservationsService,
    private readonly repository: FulfillmentRepository,
  ) {}

  /**
   * One move (docs/data-access.md, "POST /fulfillments/:id/status"): every move but shipping is ONE statement
   * (FulfillmentRepository.move), the first picking of a confirmed order included (it also moves
   * the order to processing, with its `processing_started` entry); shipping is two (ship()). A
   * refused move answers from what the statement read under its locks, without writing.
   */
  async changeStatus(id: string, to: FulfillmentStatus, notes?: string): Promise<FulfillmentRow> {
    if (to === S.SHIPPED) return this.ship(id, notes);
    const statement = await this.repository.move({
      fulfillmentId: id,
      to,
      allowedFrom: FROM_STATES.get(to) ?? [],
      orderStatuses: WAREHOUSE_MOVES.includes(to) ? FULFILLABLE_ORDER_STATUSES : [],
      now: new Date(),
      history: this.history.newEntry({
        order: ORDER_OF_STATEMENT,
        action: to === S.READY_TO_SHIP ? OrderHistoryAction.PACKED : OrderHistoryAction.STATUS_CHANGED,
        // %1$s: the fulfillment number, %2$s: the status it moved from (read by the statement).
        description:
          to === S.READY_TO_SHIP
            ? 'Fulfillment %1$s packed and ready to ship'
            : `Fulfillment %1$s moved from %2$s to ${to}`,
        additionalData: { fulfillmentId: id, to, ...(notes ? { notes } : {}) },
      }),
      // The first picking of a confirmed order: the entry that starts processing instead.
      processingDescription:
        to === S.PICKING ? 'Processing started: fulfillment %1$s started picking' : undefined,
    });
    if (!statement?.found || statement.from_status === null) throw new NotFoundError('Fulfillment', id);
    this.assertMove(
      {
        order_number: statement.order_number as string,
        status: statement.order_status as OrderStatus,
      },
      statement.fulfillment_number,
      statement.from_status,
      to,
    );
    if (!statement.moved) {
      throw new Error(`Fulfillment ${id}: the move statement neither moved nor reported why`);
    }
    await this.refreshManaged(id);
    return statement as unknown as FulfillmentRow;
  }

  /** 409 when the fulfillment may not enter `to` from `from`, or its order is not being worked on. */
  private assertMove(
    order: { order_number: string; status: OrderStatus },
    fulfillmentNumber: string,
    from: FulfillmentStatus,
    to: FulfillmentStatus,
  ): void {
    assertFulfillmentTransition(from, to);
    if (WAREHOUSE_MOVES.includes(to) && !FULFILLABLE_ORDER_STATUSES.includes(order.status)) {
      throw new ConflictError(
        `Order ${order.order_number} is ${order.status}; fulfillment ${fulfillmentNumber} ` +
          `can only move to ${to} while the order is confirmed or processing`,
        { orderStatus: order.status },
      );
    }
  }

  /**
   * Shipping (ready_to_ship → shipped) in two statements: the shipping read locks the order, the
   * parcel and the active holds of its items and reads what deciding needs (run once more only if
   * the order changed while it waited for the lock); the plan is made here (the units leave the
   * parcel's location only, oldest hold first; too few held there → 409 naming where they are
   * held); the shipping write then takes the units off stock, fulfils the holds, moves the parcel,
   * appends the `inventory_released` entries and the `shipped` one, and moves the order to shipped
   * once every unit of it has shipped (else it is, or becomes, processing).
   */
  private async ship(id: string, notes?: string): Promise<FulfillmentRow> {
    let input = await this.repository.shipInput(id);
    for (let attempt = 0; input && !input.fresh; attempt++) {
      if (attempt >= 2)
        throw new Error(`Order ${input.order_id} kept changing while fulfillment ${id} shipped`);
      input = await this.repository.shipInput(id);
    }
    if (!input?.found || input.from_status === null) throw new NotFoundError('Fulfillment', id);
    const order = {
      id: input.order_id,
      order_number: input.order_number,
      status: input.order_status as OrderStatus,
    };
    const number = input.fulfillment_number as string;
    this.assertMove(order, number, input.from_status, S.SHIPPED);
    const warehouseLocation = input.warehouse_location as string;
    // Creation checks the code; a parcel made before it did may name no location at all.
    if (!input.location_id) {
      throw new ConflictError(
        `Fulfillment ${number} ships from ${warehouseLocation}, which is ` +
          'not a stock location: cancel it and create the parcel at the location the goods leave from',
        { warehouseLocation },
      );
    }
    const now = new Date();
    const items = input.items as FulfillmentItems;
    const plan = this.reservations.planFulfilment(
      order.id,
      items,
      { id: input.location_id, code: input.location_code as string },
      input.holds.map((hold) => ({
        reservation: {
          id: hold.id,
          order: { id: order.id },
          orderItem: { id: hold.order_item_id },
          productVariant: { id: hold.product_variant_id },
          stockLocation: { id: hold.stock_location_id },
          quantityReserved: hold.quantity_reserved,
          quantityFulfilled: hold.quantity_fulfilled,
          isActive: true,
          expiresAt: hold.expires_at === null ? null : new Date(hold.expires_at),
          notes: hold.notes,
          reservedAt: new Date(hold.reserved_at),
          releasedAt: null,
          fulfilledAt: null,
          releaseReason: null,
        },
        sku: hold.sku,
        stockLocationCode: hold.stock_location_code,
        stockLevelId: hold.stock_level_id,
      })),
      now,
    );

    // Shipped units per item: the order's other shipped parcels and this one.
    const shipped = new Map(Object.entries(input.shipped));
    for (const [itemId, quantity] of Object.entries(items))
      shipped.set(itemId, (shipped.get(itemId) ?? 0) + quantity);
    const complete = input.order_items.every((item) => (shipped.get(item.id) ?? 0) >= item.quantity);
    const target = complete ? OrderStatus.SHIPPED : OrderStatus.PROCESSING;
    const changes = order.status !== target;
    if (changes) assertOrderTransition(order.status, target);
    const shippedEntry = this.history.newEntry({
      order: order.id,
      action: OrderHistoryAction.SHIPPED,
      oldStatus: changes ? order.status : null,
      newStatus: changes ? target : null,
      description: complete
        ? `Fulfillment ${number} shipped; every item of the order has shipped`
        : `Fulfillment ${number} shipped; the order is partially shipped`,
      additionalData: {
        fulfillmentId: id,
        fulfillmentNumber: number,
        from: input.from_status,
        to: S.SHIPPED,
        ...(notes ? { notes } : {}),
        orderComplete: complete,
      },
    });
    const row = await this.repository.ship({
      fulfillmentId: id,
      now,
      parts: plan.parts.map((part) => ({ reservationId: part.reservation.id, quantity: part.quantity })),
      levels: plan.levels,
      entries: [...plan.entries.map((entry) => this.history.newEntry(entry)), shippedEntry],
      orderStatus: changes ? { orderId: order.id, from: order.status, to: target } : null,
    });
    if (
      !row.moved ||
      row.levels_consumed !== plan.levels.length ||
      row.reservations_fulfilled !== plan.parts.length ||
      row.entries !== plan.entries.length + 1 ||
      row.order_status !== target
    ) {
      throw new Error(
        `Shipping fulfillment ${id} wrote only part of its changes (counter drift?): ${JSON.stringify({
          moved: row.moved,
          levels: row.levels_consumed,
          reservations: row.reservations_fulfilled,
          entries: row.entries,
          orderStatus: row.order_status,
        })}`,
      );
    }
    await this.refreshManaged(id);
    return row as unknown as FulfillmentRow;
  }

  /** An OrderFulfillment entity already in this unit of work sees the moved row. */
  private refreshManaged(id: string): Promise<void> {
    return this.uow.refreshIfLoaded(OrderFulfillment.name, id);
  }

  /**
   * Cancels every fulfillment of the order that has not shipped (one statement), with a history
   * entry each; their items become available to fulfil again. The caller should hold the order lock.
   */
  async cancelOpenForOrder(orderId: string, reason: string): Promise<number> {
    const rows = await this.repository.cancelOpen(orderId, new Date());
    for (const row of rows) {
      await this.refreshManaged(row.id);
      await this.history.record({
        order: orderId,
        action: OrderHistoryAction.STATUS_CHANGED,
        description: `Fulfillment ${row.fulfillment_number} cancelled: ${reason}`,
        additionalData: {
          fulfillmentId: row.id,
          fulfillmentNumber: row.fulfillment_number,
          from: row.from_status,
          to: S.CANCELLED,
          reason,
        },
      });
    }
    return rows.length;
  }

  /**
   * After units of the order left stock (a parcel shipped): the order becomes shipped once every
   * item has shipped in full (else it is, or stays, processing), with one `shipped` history entry.
   * The shipped parcel must already be written (its row counts towards the shipped quantities).
   */
  async recordShipment(
    order: LockedOrder,
    fulfillmentNumber: string,
    data: Record<string, unknown>,
  ): Promise<void> {
    const shipped = await this.queries.shippedQuantities(order.id);
    const items = await this.orders.items(order.id);
    const complete = items.every((item) => (shipped[item.id] ?? 0) >= item.quantity);
    const target = complete ? OrderStatus.SHIPPED : OrderStatus.PROCESSING;
    const description = complete
      ? `Fulfillment ${fulfillmentNumber} shipped; every item of the order has shipped`
      : `Fulfillment ${fulfillmentNumber} shipped; the order is partially shipped`;
    const additionalData = { ...data, orderComplete: complete };
    if (order.status !== target) {
      await this.orders.changeStatus(order, target, {
        action: OrderHistoryAction.SHIPPED,
        description,
        additionalData,
      });
    } else {
      await this.history.record({ order, action: OrderHistoryAction.SHIPPED, description, additionalData });
    }
  }
}
