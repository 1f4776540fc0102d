import { Injectable } from '@nestjs/common';
import { FilterQuery } from '@mikro-orm/core';
import { BadRequestError, ConflictError, NotFoundError } from '../common/errors';
import { StockLevelInfo, StockLevelsService, stockPairKey, StockPair } from '../catalog/stock-levels.service';
import { InventoryReservation, ReservationData } from './inventory-reservation.entity';
import { ReleaseReason } from './release-reason.enum';
import { historyInputOf, ReservationEvent, ReservationHistory, sortEvents } from './reservation-history';
import { RecordHistoryInput } from '../history/order-history.service';
import { OrdersService } from '../orders/orders.service';
import { ReservationsRepository } from './reservations.repository';

export const outstandingOf = (r: ReservationData) => r.quantityReserved - r.quantityFulfilled;

const pairOf = (r: ReservationData): StockPair => ({
  productVariantId: r.productVariant.id,
  stockLocationId: r.stockLocation.id,
});

/**
 * Everything that ends or shrinks a hold: release, expiry, fulfilment, and extending its expiry.
 * Reservation rows are locked (FOR UPDATE, in id order) before anything is decided, so release,
 * fulfilment and expiry of one reservation serialise and exactly one of them wins; then history is
 * written (the order lock, orders in id order), then the items' allocations (item id order), and
 * the stock level counters move last, in stock level id order: the lock order of the reservation
 * statement (orders → items → stock levels), which keeps a release and a reservation of the same
 * order from deadlocking each other, and holds a hot stock level only from its UPDATE to the commit.
 */
@Injectable()
export class ReservationSettlementService {
  constructor(
    private readonly repository: ReservationsRepository,
    private readonly stockLevels: StockLevelsService,
    private readonly history: ReservationHistory,
    private readonly orders: OrdersService,
  ) {}

  /** The reservation, locked for the rest of the transaction (404 when missing). */
  async lock(id: string): Promise<InventoryReservation> {
    const reservation = await this.repository.lockById(id);
    if (!reservation) throw new NotFoundError('Reservation', id);
    return reservation;
  }

  /** Active reservations matching `where`, locked in id order (waits for, never skips, other holders). */
  lockActive(where: FilterQuery<InventoryReservation>): Promise<InventoryReservation[]> {
    return this.repository.lockActive(where);
  }

  async release(id: string, reason: ReleaseReason = ReleaseReason.RELEASED): Promise<InventoryReservation> {
    const reservation = await this.lock(id);
    assertActive(reservation);
    await this.releaseLocked([reservation], reason);
    return reservation;
  }

  async fulfil(id: string, quantity: number): Promise<InventoryReservation> {
    assertPositiveInteger(quantity, 'quantity');
    const reservation = await this.lock(id);
    assertActive(reservation);
    const outstanding = outstandingOf(reservation);
    if (quantity > outstanding) {
      throw new ConflictError(
        `Cannot fulfil ${quantity} units: reservation ${id} has ${outstanding} outstanding`,
        { outstanding, requested: quantity },
      );
    }
    await this.consumeLocked([{ reservation, quantity }]);
    return reservation;
  }

  async extend(id: string, expiresAt: Date): Promise<InventoryReservation> {
    if (!(expiresAt.getTime() > Date.now())) {
      throw new BadRequestError('expiresAt must be in the future', [
        { field: 'expiresAt', message: 'must be in the future' },
      ]);
    }
    const reservation = await this.lock(id);
    assertActive(reservation);
    const previousExpiresAt = reservation.expiresAt ?? null;
    // Extending only moves the expiry later: a hold that never expires (an order confirmation's)
    // must not become one the sweeper can release, and an earlier instant would shorten it.
    if (previousExpiresAt === null || expiresAt.getTime() <= previousExpiresAt.getTime()) {
      throw new ConflictError(
        previousExpiresAt === null
          ? `Reservation ${id} never expires; there is nothing to extend`
          : `Reservation ${id} expires at ${previousExpiresAt.toISOString()}; expiresAt must be later`,
        { currentExpiresAt: previousExpiresAt?.toISOString() ?? null },
      );
    }
    reservation.expiresAt = expiresAt;
    await this.repository.setExpiry(reservation.id, expiresAt, new Date());
    const [level] = await this.stockLevels.findLevels([pairOf(reservation)]);
    await this.history.record([
      { ...eventBase(reservation, level), change: 'extended', quantity: 0, previousExpiresAt },
    ]);
    return reservation;
  }

  /** Releases every active reservation of the order (e.g. cancel); returns how many. */
  async releaseForOrder(orderId: string, reason: ReleaseReason): Promise<number> {
    if (reason === ReleaseReason.FULFILLED) {
      throw new Error('Fulfilment goes through fulfil or shipping (planFulfilment), not a release');
    }
    const reservations = await this.lockActive({ order: orderId });
    await this.releaseLocked(reservations, reason);
    return reservations.length;
  }

  /**
   * Shipping a parcel, planned for the holds the caller's statement locked and read (the shipping
   * read of src/fulfillment/fulfillment.repository.ts, which then writes the plan in one
   * statement): `quantities[orderItemId]` units of each item from its active holds at `location`
   * (the one the parcel ships from), oldest first, so on-hand stock drops exactly there. Holds at
   * other locations are never taken: the goods there did not leave. Not enough held at the
   * location for any item → 409 listing each short item with what is held there and where the
   * rest of its units are held. Returns the parts with each reservation as it will be, the units
   * per stock level, and the `inventory_released` entries (in the order they are written).
   */
  planFulfilment(
    orderId: string,
    quantities: Record<string, number>,
    location: { id: string; code: string },
    holds: readonly HeldUnits[],
    now: Date,
  ): FulfilmentPlan {
    const wanted = wantedUnits(quantities);
    if (wanted.length === 0) return { parts: [], levels: [], entries: [] };
    const byId = new Map(holds.map((hold) => [hold.reservation.id, hold]));
    const held = holds.map((hold) => hold.reservation);
    const { parts, short } = pickFulfilment(wanted, location.id, held);
    if (short.length > 0) {
      throw shortAtLocation(
        orderId,
        location,
        short,
        held,
        (r) => byId.get(r.id)?.stockLocationCode ?? r.stockLocation.id,
      );
    }
    const levels = new Map<string, number>();
    const events: ReservationEvent[] = parts.map(({ reservation, quantity }) => {
      const hold = byId.get(reservation.id) as HeldUnits;
      if (!hold.stockLevelId)
        throw new Error(`Reservation ${reservation.id} has no stock level (counter drift)`);
      levels.set(hold.stockLevelId, (levels.get(hold.stockLevelId) ?? 0) + quantity);
      const after: ReservationData = {
        ...reservation,
        quantityFulfilled: reservation.quantityFulfilled + quantity,
      };
      if (after.quantityFulfilled === after.quantityReserved) {
        after.isActive = false;
        after.fulfilledAt = now;
        after.releaseReason = ReleaseReason.FULFILLED;
      }
      return {
        reservation: after,
        change: ReleaseReason.FULFILLED,
        quantity,
        sku: hold.sku,
        stockLocationCode: hold.stockLocationCode,
      };
    });
    return {
      parts: events.map((event) => ({ reservation: event.reservation, quantity: event.quantity })),
      levels: [...levels]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([stockLevelId, quantity]) => ({ stockLevelId, quantity })),
      entries: sortEvents(events).map(historyInputOf),
    };
  }

  /**
   * Releases the expired active reservations of these stock levels, waiting for rows another
   * transaction holds (a reservation must not be blocked by an expired one, even before a sweep).
   */
  async releaseExpired(pairs: readonly StockPair[]): Promise<number> {
    if (pairs.length === 0) return 0;
    const now = new Date();
    // Usually nothing has expired: one plain look (it sees the rows the locking read below would
    // start from) spares loading and locking when there is nothing to release.
    if (!(await this.repository.anyExpired(pairs, now))) return 0;
    const reservations = await this.lockActive({
      expiresAt: { $lte: now },
      $or: pairs.map((pair) => ({
        productVariant: pair.productVariantId,
        stockLocation: pair.stockLocationId,
      })),
    });
    await this.releaseLocked(reservations, ReleaseReason.EXPIRED);
    return reservations.length;
  }

  /**
   * One sweeper batch: claims up to `batchSize` expired active reservations with FOR UPDATE SKIP
   * LOCKED (rows another sweeper or request holds are left to it) and releases them.
   */
  async expireDue(batchSize: number): Promise<number> {
    const reservations = await this.repository.claimExpired(new Date(), batchSize);
    await this.releaseLocked(reservations, ReleaseReason.EXPIRED);
    return reservations.length;
  }

  /**
   * Releases locked active reservations, in the lock order of the reservation statement: the
   * history entries (the order lock), the items' allocations, and the stock counters last (stock
   * level id order), so that a hot stock level is held only from its UPDATE to the commit.
   */
  async releaseLocked(reservations: InventoryReservation[], reason: ReleaseReason): Promise<void> {
    const active = reservations.filter((r) => r.isActive);
    if (active.length === 0) return;
    const levels = await this.levelsOf(active);
    const parts = active.map((r) => ({ reservation: r, quantity: outstandingOf(r) }));
    const now = new Date();
    const events: ReservationEvent[] = active.map((reservation) => {
      const quantity = outstandingOf(reservation);
      reservation.isActive = false;
      reservation.releasedAt = now;
      reservation.releaseReason = reason;
      return {
        ...eventBase(reservation, levels.get(stockPairKey(pairOf(reservation)))),
        change: reason,
        quantity,
      };
    });
    await this.repository.markReleased(
      active.map((reservation) => reservation.id),
      reason,
      now,
    );
    await this.history.record(events);
    await this.orders.releaseAllocations(
      events.map((event) => ({ orderItemId: event.reservation.orderItem.id, quantity: event.quantity })),
    );
    await this.moveCounters(parts, levels, 'unreserve');
  }

  /**
   * Fulfils parts of locked active reservations: on hand and reserved go down together, last (the
   * lock order of releaseLocked).
   */
  private async consumeLocked(
    parts: { reservation: InventoryReservation; quantity: number }[],
  ): Promise<void> {
    if (parts.length === 0) return;
    const levels = await this.levelsOf(parts.map((p) => p.reservation));
    const now = new Date();
    const events: ReservationEvent[] = parts.map(({ reservation, quantity }) => {
      reservation.quantityFulfilled += quantity;
      if (reservation.quantityFulfilled === reservation.quantityReserved) {
        reservation.isActive = false;
        reservation.fulfilledAt = now;
        reservation.releaseReason = ReleaseReason.FULFILLED;
      }
      return {
        ...eventBase(reservation, levels.get(stockPairKey(pairOf(reservation)))),
        change: ReleaseReason.FULFILLED,
        quantity,
      };
    });
    await this.repository.addFulfilled(
      parts.map(({ reservation, quantity }) => ({ id: reservation.id, quantity })),
      now,
    );
    await this.history.record(events);
    await this.moveCounters(parts, levels, 'consume');
  }

  private async levelsOf(reservations: InventoryReservation[]): Promise<Map<string, StockLevelInfo>> {
    const levels = await this.stockLevels.findLevels(reservations.map(pairOf));
    return new Map(levels.map((level) => [stockPairKey(level), level]));
  }

  /** Sums the quantities per stock level and moves each counter once, in stock level id order. */
  private async moveCounters(
    parts: { reservation: InventoryReservation; quantity: number }[],
    levels: Map<string, StockLevelInfo>,
    move: 'unreserve' | 'consume',
  ): Promise<void> {
    const totals = new Map<string, number>();
    for (const { reservation, quantity } of parts) {
      const level = levels.get(stockPairKey(pairOf(reservation)));
      if (!level) throw new Error(`Reservation ${reservation.id} has no stock level (counter drift)`);
      totals.set(level.id, (totals.get(level.id) ?? 0) + quantity);
    }
    for (const [levelId, quantity] of [...totals].sort(([a], [b]) => a.localeCompare(b))) {
      await (move === 'unreserve'
        ? this.stockLevels.unreserve(levelId, quantity)
        : this.stockLevels.consume(levelId, quantity));
    }
  }
}

/** An active hold as shipping reads it under its locks, with what its history entry names. */
export interface HeldUnits {
  reservation: ReservationData;
  sku: string;
  stockLocationCode: string;
  /** Its stock level (null only if the counters drifted). */
  stockLevelId: string | null;
}

export interface FulfilmentPlan {
  /** Each part: the reservation as it will be after the fulfilment, and the units taken. */
  parts: { reservation: ReservationData; quantity: number }[];
  /** Units leaving each stock level (stock level id order). */
  levels: { stockLevelId: string; quantity: number }[];
  /** The `inventory_released` entries, in the order they are written. */
  entries: RecordHistoryInput[];
}

/** The non-zero quantities to ship per item, each a positive integer (else 400). */
function wantedUnits(quantities: Record<string, number>): [string, number][] {
  const wanted = Object.entries(quantities).filter(([, quantity]) => quantity !== 0);
  wanted.forEach(([itemId, quantity]) => assertPositiveInteger(quantity, `items.${itemId}`));
  return wanted;
}

/** Per item, the units taken from its holds at the location, oldest first; and the items held too few there. */
function pickFulfilment<R extends ReservationData>(
  wanted: readonly [string, number][],
  stockLocationId: string,
  reservations: readonly R[],
): {
  parts: { reservation: R; quantity: number }[];
  short: { orderItemId: string; requested: number; reserved: number }[];
} {
  const parts: { reservation: R; quantity: number }[] = [];
  const short: { orderItemId: string; requested: number; reserved: number }[] = [];
  for (const [orderItemId, requested] of wanted) {
    const oldestFirst = reservations
      .filter((r) => r.orderItem.id === orderItemId && r.stockLocation.id === stockLocationId)
      .sort((a, b) => a.reservedAt.getTime() - b.reservedAt.getTime() || a.id.localeCompare(b.id));
    let remaining = requested;
    for (const reservation of oldestFirst) {
      if (remaining === 0) break;
      const take = Math.min(remaining, outstandingOf(reservation));
      if (take > 0) parts.push({ reservation, quantity: take });
      remaining -= take;
    }
    if (remaining > 0) short.push({ orderItemId, requested, reserved: requested - remaining });
  }
  return { parts, short };
}

/** The 409 of a parcel whose location holds too few units: per item, where its units are held. */
function shortAtLocation(
  orderId: string,
  location: { id: string; code: string },
  short: { orderItemId: string; requested: number; reserved: number }[],
  reservations: readonly ReservationData[],
  codeOf: (reservation: ReservationData) => string,
): ConflictError {
  const code = location.code;
  const items = short.map((s) => {
    const elsewhere = new Map<string, number>();
    for (const r of reservations) {
      if (r.orderItem.id !== s.orderItemId || r.stockLocation.id === location.id) continue;
      const where = codeOf(r);
      elsewhere.set(where, (elsewhere.get(where) ?? 0) + outstandingOf(r));
    }
    return {
      ...s,
      heldElsewhere: [...elsewhere].map(([stockLocationCode, quantity]) => ({
        stockLocationCode,
        quantity,
      })),
    };
  });
  const detail = items
    .map(
      (i) =>
        `item ${i.orderItemId}: ${i.requested} to ship, ${i.reserved} reserved at ${code}` +
        (i.heldElsewhere.length
          ? ` (held at ${i.heldElsewhere.map((h) => `${h.stockLocationCode}: ${h.quantity}`).join(', ')})`
          : ''),
    )
    .join('; ');
  return new ConflictError(
    `Not enough reserved stock at ${code} to ship order ${orderId}: ${detail}. Ship from where the units ` +
      `are held, or release those reservations and reserve the units at ${code}`,
    { stockLocationCode: code, items },
  );
}

function eventBase(reservation: InventoryReservation, level: StockLevelInfo | undefined) {
  return {
    reservation,
    sku: level?.sku ?? reservation.productVariant.id,
    stockLocationCode: level?.stockLocationCode ?? reservation.stockLocation.id,
  };
}

function assertActive(reservation: InventoryReservation): void {
  if (!reservation.isActive) {
    throw new ConflictError(
      `Reservation ${reservation.id} is no longer active (${reservation.releaseReason ?? 'inactive'})`,
      { releaseReason: reservation.releaseReason ?? null },
    );
  }
}

function assertPositiveInteger(value: number, field: string): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new BadRequestError(`${field} must be a positive integer`, [
      { field, message: 'must be a positive integer' },
    ]);
  }
}
