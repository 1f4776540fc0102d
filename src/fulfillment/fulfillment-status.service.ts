import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { ConflictError, InvalidTransitionError, NotFoundError } from '../common/errors';
import { CatalogService } from '../catalog/catalog.service';
import { OrderHistoryService } from '../history/order-history.service';
import { OrderHistoryAction } from '../history/order-history-action.enum';
import { Order } from '../orders/order.entity';
import { OrderStatus } from '../orders/order-status.enum';
import { OrdersService } from '../orders/orders.service';
import { ReservationsService } from '../reservations/reservations.service';
import { FulfillmentStatus } from './fulfillment-status.enum';
import {
  allowedFulfillmentTransitions,
  assertFulfillmentTransition,
  canTransitionFulfillment,
  OPEN_STATUSES,
  STAMPS_ON_ENTRY,
} from './fulfillment-state-machine';
import { FulfillmentQueryService } from './fulfillment-query.service';
import { FULFILLMENT_COLUMNS, FulfillmentRow } from './fulfillment-response';
import { FulfillmentItems, OrderFulfillment } from './order-fulfillment.entity';
import { FulfillmentRepository } from './fulfillment.repository';

const S = FulfillmentStatus;

/** The locked order's columns a move checks. */
interface LockedOrder {
  id: string;
  order_number: string;
  status: OrderStatus;
}

/** The fulfillment's columns a move needs, read under the order lock. */
interface MovingFulfillment {
  fulfillment_number: string;
  status: FulfillmentStatus;
  items: FulfillmentItems;
  warehouse_location: string;
}

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
    private readonly em: EntityManager,
    private readonly orders: OrdersService,
    private readonly history: OrderHistoryService,
    private readonly queries: FulfillmentQueryService,
    private readonly reservations: ReservationsService,
    private readonly catalog: CatalogService,
    private readonly repository: FulfillmentRepository,
  ) {}

  /** Locks the fulfillment's order (FOR UPDATE) and returns both, freshly read. 404 if unknown. */
  async lock(id: string): Promise<{ order: Order; fulfillment: OrderFulfillment }> {
    const [row] = await this.em.execute<{ order_id: string }[]>(
      'select order_id from order_fulfillments where id = ?',
      [id],
    );
    if (!row) throw new NotFoundError('Fulfillment', id);
    const order = await this.orders.lock(row.order_id);
    const fulfillment = await this.em.findOne(OrderFulfillment, { id }, { refresh: true });
    if (!fulfillment) throw new NotFoundError('Fulfillment', id);
    return { order, fulfillment };
  }

  /**
   * One move. Lean on the common path (docs/BENCHMARKS.md): the order is locked and the fulfillment
   * read with plain statements of just the columns the checks need, the guarded UPDATE returns the
   * moved row, and the response is mapped from it. The order is loaded as an entity only when the
   * move changes it (the first picking of a confirmed order, shipping).
   */
  async changeStatus(id: string, to: FulfillmentStatus, notes?: string): Promise<FulfillmentRow> {
    // The common move (nothing but the fulfillment and its entry changes) is one statement; it
    // reports what it read under its locks when it does not move, for the answer or the long path.
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
    });
    if (!statement?.found || statement.from_status === null) throw new NotFoundError('Fulfillment', id);
    const order: LockedOrder = {
      id: statement.order_id,
      order_number: statement.order_number as string,
      status: statement.order_status as OrderStatus,
    };
    const fulfillment: MovingFulfillment = {
      fulfillment_number: statement.fulfillment_number,
      status: statement.from_status,
      items: statement.from_items as FulfillmentItems,
      warehouse_location: statement.from_location as string,
    };
    const from = fulfillment.status;
    assertFulfillmentTransition(from, to);
    if (WAREHOUSE_MOVES.includes(to) && !FULFILLABLE_ORDER_STATUSES.includes(order.status)) {
      throw new ConflictError(
        `Order ${order.order_number} is ${order.status}; fulfillment ${fulfillment.fulfillment_number} ` +
          `can only move to ${to} while the order is confirmed or processing`,
        { orderStatus: order.status },
      );
    }
    if (statement.moved) {
      await this.refreshManaged(id);
      return statement as unknown as FulfillmentRow;
    }
    if (!statement.special) {
      throw new Error(`Fulfillment ${id}: the move statement neither moved nor reported why`);
    }

    // The moves that change the order too: the first picking of a confirmed order, shipping.
    const moved = await this.moveRow(id, from, to);
    await this.refreshManaged(id);
    const number = fulfillment.fulfillment_number;
    const data: Record<string, unknown> = {
      fulfillmentId: id,
      fulfillmentNumber: number,
      from,
      to,
      ...(notes ? { notes } : {}),
    };
    if (to === S.PICKING) {
      await this.orders.changeStatus(await this.orders.lock(order.id), OrderStatus.PROCESSING, {
        action: OrderHistoryAction.PROCESSING_STARTED,
        description: `Processing started: fulfillment ${number} started picking`,
        additionalData: data,
      });
    } else {
      await this.ship(await this.orders.lock(order.id), fulfillment, data);
    }
    return moved;
  }

  /** An OrderFulfillment entity already in this unit of work sees the moved row. */
  private async refreshManaged(id: string): Promise<void> {
    const managed = this.em.getUnitOfWork().getById<OrderFulfillment>(OrderFulfillment.name, id);
    if (managed) await this.em.refresh(managed);
  }

  /**
   * Cancels every fulfillment of the order that has not shipped (one statement), with a history
   * entry each; their items become available to fulfil again. The caller should hold the order lock.
   */
  async cancelOpenForOrder(orderId: string, reason: string): Promise<number> {
    const now = new Date();
    const rows = await this.em.execute<{ id: string; fulfillment_number: string; from_status: string }[]>(
      `update order_fulfillments f
          set status = ?, cancelled_at = ?, updated_at = ?, version = f.version + 1
         from (select id, status from order_fulfillments
                where order_id = ? and status in (${OPEN_STATUSES.map(() => '?').join(', ')})
                for update) old
        where f.id = old.id
        returning f.id, f.fulfillment_number, old.status as from_status`,
      [S.CANCELLED, now, now, orderId, ...OPEN_STATUSES],
    );
    for (const row of rows) {
      const managed = this.em.getUnitOfWork().getById<OrderFulfillment>(OrderFulfillment.name, row.id);
      if (managed) await this.em.refresh(managed);
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

  /** The guarded move: only from `from`; stamps the stage timestamps of `to`. Returns the moved row. */
  private async moveRow(id: string, from: FulfillmentStatus, to: FulfillmentStatus): Promise<FulfillmentRow> {
    const now = new Date();
    const stamps = STAMPS_ON_ENTRY[to];
    const sets = [
      'status = ?',
      'version = version + 1',
      'updated_at = ?',
      ...stamps.first.map((column) => `${column} = coalesce(${column}, ?)`),
      ...stamps.latest.map((column) => `${column} = ?`),
      ...stamps.cleared.map((column) => `${column} = null`),
    ];
    const params = [to, now, ...stamps.first.map(() => now), ...stamps.latest.map(() => now), id, from];
    const rows = await this.em.execute<FulfillmentRow[]>(
      `update order_fulfillments set ${sets.join(', ')} where id = ? and status = ?
       returning ${FULFILLMENT_COLUMNS}`,
      params,
    );
    if (rows.length === 0) {
      const [current] = await this.em.execute<{ status: FulfillmentStatus }[]>(
        'select status from order_fulfillments where id = ?',
        [id],
      );
      const actual = current?.status ?? from;
      throw new InvalidTransitionError('Fulfillment', actual, to, allowedFulfillmentTransitions(actual));
    }
    return rows[0];
  }

  /**
   * Shipping: the units of these items reserved at the parcel's location leave on-hand stock there,
   * and the order becomes shipped once every item has shipped in full (else it is, or stays,
   * processing). One history entry.
   */
  private async ship(
    order: Order,
    fulfillment: MovingFulfillment,
    data: Record<string, unknown>,
  ): Promise<void> {
    // Creation checks the code; a parcel made before it did may name no location at all. Whether
    // the location is still active does not matter here: deactivating a location stops new parcels
    // and holds there (FulfillmentService.create, the reservation statement), while the goods of
    // parcels already made there are on its shelves and ship from it.
    const location = await this.catalog.findLocationByCode(fulfillment.warehouse_location);
    if (!location) {
      throw new ConflictError(
        `Fulfillment ${fulfillment.fulfillment_number} ships from ${fulfillment.warehouse_location}, which is ` +
          'not a stock location: cancel it and create the parcel at the location the goods leave from',
        { warehouseLocation: fulfillment.warehouse_location },
      );
    }
    await this.reservations.fulfilForOrderItems(order.id, fulfillment.items, location);
    await this.recordShipment(order, fulfillment.fulfillment_number, data);
  }

  /**
   * After units of the order left stock (a parcel shipped): the order becomes shipped once every
   * item has shipped in full (else it is, or stays, processing), with one `shipped` history entry.
   * The shipped parcel must already be written (its row counts towards the shipped quantities).
   */
  async recordShipment(
    order: Order,
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
