import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import {
  BadRequestError,
  ConflictError,
  InsufficientStockError,
  NotFoundError,
  StockShortage,
} from '../common/errors';
import { OrderHistoryService } from '../history/order-history.service';
import { OrdersService } from '../orders/orders.service';
import { ReservationData } from './inventory-reservation.entity';
import { historyInputOf, sortEvents } from './reservation-history';
import { ReservationSettlementService } from './reservation-settlement.service';
import {
  BookingLine,
  BookingRow,
  ConfirmationInputRow,
  ReservationsRepository,
} from './reservations.repository';

export interface ReservationLine {
  orderItemId: string;
  productVariantId: string;
  stockLocationId: string;
  quantity: number;
}

export interface ReserveOptions {
  /** Absent: now + RESERVATION_TTL_MINUTES (never when unset); null: never expires. */
  expiresAt?: Date | null;
  notes?: string | null;
  /** Order statuses that take no new reservations: the order is checked first (404, then 409). */
  closedStatuses?: readonly string[];
}

/** A uuid as PostgreSQL writes it: the only text an item id read from the database can equal. */
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** How often expired holds may be released and the statement run again before giving up. */
const MAX_EXPIRED_RELEASES = 3;

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Making reservations: ONE statement (ReservationsRepository.book) for any number of lines of one
 * order, all or nothing: it locks the order, its items and (last) the stock levels, checks every
 * guard on the locked rows and writes only if all hold (stock counters, item allocations,
 * reservation rows, history entries with their chain). When a guard fails it writes nothing and its
 * rows say which; this service answers with the same errors, in the same precedence, as the rules
 * below: order (404, 409 closed) → quantities and expiry (400) → each line's item (404, 400 variant)
 * → ordered quantities (409) → locations (404 unknown, 409 inactive) → stock (409
 * INSUFFICIENT_STOCK listing every short line). Expired holds on the levels are released first: the
 * statement reports them (locking and writing nothing), they are released through the normal
 * release path and the statement runs again (a rare path; the common one is one statement).
 */
@Injectable()
export class ReservationBookingService {
  constructor(
    private readonly config: AppConfig,
    private readonly orders: OrdersService,
    private readonly settlement: ReservationSettlementService,
    private readonly history: OrderHistoryService,
    private readonly repository: ReservationsRepository,
  ) {}

  async reserveMany(
    orderId: string,
    lines: readonly ReservationLine[],
    options: ReserveOptions = {},
  ): Promise<ReservationData[]> {
    if (lines.length === 0) return [];
    const closedStatuses = options.closedStatuses ?? [];
    // Input errors come after the order's own errors: checked first only when there is one.
    const inputError = this.inputError(lines, options.expiresAt);
    if (inputError || lines.some((line) => !CANONICAL_UUID.test(line.orderItemId))) {
      if (options.closedStatuses) await this.assertOrderOpen(orderId, closedStatuses);
      if (inputError) throw inputError;
      const unknown = lines.find((line) => !CANONICAL_UUID.test(line.orderItemId)) as ReservationLine;
      throw new NotFoundError(`Order item ${unknown.orderItemId} of order ${orderId}`);
    }
    const expiresAt = this.resolveExpiry(options.expiresAt);
    const reservedAt = new Date();
    const reservations: ReservationData[] = lines.map((line) => ({
      id: randomUUID(),
      order: { id: orderId },
      orderItem: { id: line.orderItemId },
      productVariant: { id: line.productVariantId },
      stockLocation: { id: line.stockLocationId },
      quantityReserved: line.quantity,
      quantityFulfilled: 0,
      isActive: true,
      expiresAt,
      notes: options.notes ?? null,
      reservedAt,
      releasedAt: null,
      fulfilledAt: null,
      releaseReason: null,
    }));
    const bookingLines = this.bookingLines(reservations);

    for (let attempt = 0; ; attempt++) {
      const rows = await this.repository.book({
        orderId,
        lines: bookingLines,
        closedStatuses,
        now: new Date(),
        expiresAt,
        notes: options.notes ?? null,
        reservedAt,
      });
      if (rows[0]?.ok) {
        const levels = new Set(rows.map((row) => row.level_id)).size;
        if (rows[0].entries !== lines.length || rows[0].levels_reserved !== levels) {
          // Never expected: the statement checked every guard on the rows it locked. Thrown, the
          // unit of work rolls back whatever it wrote, rather than leave a hold without its counter.
          throw new Error(
            `Reservation statement wrote ${rows[0].entries} of ${lines.length} history entries and ` +
              `${rows[0].levels_reserved} of ${levels} stock counters`,
          );
        }
        return reservations;
      }
      if (!rows[0].expired) await this.throwFailedGuard(orderId, lines, rows, options.closedStatuses);
      // Expired holds on the levels: the statement locked nothing. Release them as the sweeper
      // would (reservations → orders → items → levels) and run it again; its guards decide then.
      if (attempt >= MAX_EXPIRED_RELEASES) {
        throw new Error(`Expired holds kept blocking a reservation of order ${orderId}`);
      }
      await this.settlement.releaseExpired(lines);
    }
  }

  /** The confirmation read (ReservationsRepository.confirmationInput): one statement. */
  confirmationInput(
    orderId: string,
    pinnedLocationIds: readonly string[],
  ): Promise<ConfirmationInputRow | undefined> {
    return this.repository.confirmationInput(orderId, pinnedLocationIds);
  }

  /** Each line's reservation and history entry, numbered in (reservation id) order as entries are. */
  private bookingLines(reservations: ReservationData[]): BookingLine[] {
    const events = reservations.map((reservation) => ({
      reservation,
      change: 'reserved' as const,
      quantity: reservation.quantityReserved,
      // Placeholders the statement fills with what it reads under its locks.
      sku: '%1$s',
      stockLocationCode: '%2$s',
    }));
    const k = new Map(sortEvents(events).map((event, index) => [event.reservation.id, index + 1]));
    return events.map((event) => {
      const entry = this.history.newEntry(historyInputOf(event));
      const { sku: _sku, stockLocationCode: _code, ...additionalData } = entry.additionalData ?? {};
      return {
        reservationId: event.reservation.id,
        orderItemId: event.reservation.orderItem.id,
        productVariantId: event.reservation.productVariant.id,
        stockLocationId: event.reservation.stockLocation.id,
        quantity: event.quantity,
        k: k.get(event.reservation.id) as number,
        history: { ...entry, additionalData },
      };
    });
  }

  private inputError(lines: readonly ReservationLine[], expiresAt: Date | null | undefined): Error | null {
    const bad = lines.findIndex((line) => !Number.isSafeInteger(line.quantity) || line.quantity < 1);
    if (bad >= 0) {
      return new BadRequestError(`lines[${bad}].quantity must be a positive integer`, [
        {
          field: lines.length === 1 ? 'quantity' : `lines[${bad}].quantity`,
          message: 'must be a positive integer',
        },
      ]);
    }
    if (expiresAt && (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= Date.now())) {
      return new BadRequestError('expiresAt must be in the future', [
        { field: 'expiresAt', message: 'must be in the future' },
      ]);
    }
    return null;
  }

  private resolveExpiry(expiresAt: Date | null | undefined): Date | null {
    if (expiresAt === null) return null;
    if (expiresAt === undefined) {
      const ttl = this.config.get('RESERVATION_TTL_MINUTES');
      return ttl ? new Date(Date.now() + ttl * 60_000) : null;
    }
    return expiresAt;
  }

  /** The order's own errors (404 unknown, 409 closed), for the rare paths that fail before the statement. */
  async assertOrderOpen(orderId: string, closedStatuses: readonly string[]): Promise<void> {
    const order = await this.orders.lock(orderId);
    if (closedStatuses.includes(order.status)) throw closedError(order.orderNumber, order.status);
  }

  /** Throws the error of the first failed guard, in the precedence of the class comment. */
  private async throwFailedGuard(
    orderId: string,
    lines: readonly ReservationLine[],
    rows: BookingRow[],
    closedStatuses: readonly string[] | undefined,
  ): Promise<void> {
    const head = rows[0];
    if (closedStatuses) {
      if (!head.order_found) throw new NotFoundError('Order', orderId);
      if (head.order_status !== null && closedStatuses.includes(head.order_status)) {
        throw closedError(head.order_number ?? orderId, head.order_status);
      }
    }
    for (const [index, line] of lines.entries()) {
      const row = rows[index];
      if (row.item_id === null) throw new NotFoundError(`Order item ${line.orderItemId} of order ${orderId}`);
      if (row.item_variant_id !== line.productVariantId) {
        throw new BadRequestError(`Order item ${row.item_id} is for variant ${row.item_variant_id}`, [
          { field: 'productVariantId', message: `must be the variant of order item ${row.item_id}` },
        ]);
      }
    }
    await this.throwIfOverOrdered(lines, rows);
    this.throwIfLocationUnusable(lines, rows);
    const shortages = this.shortages(lines, rows);
    if (shortages.length === 0)
      throw new Error(`The reservation statement for order ${orderId} wrote nothing`);
    throw new InsufficientStockError(shortages);
  }

  /** Items whose allocated units plus these lines' would exceed the ordered quantity: 409. */
  private async throwIfOverOrdered(lines: readonly ReservationLine[], rows: BookingRow[]): Promise<void> {
    const byItem = new Map<string, BookingRow>();
    lines.forEach((line, index) => byItem.set(line.orderItemId, rows[index]));
    const overIds = [...byItem]
      .filter(([, row]) => (row.item_allocated ?? 0) + row.item_requested > (row.item_quantity ?? 0))
      .map(([itemId]) => itemId)
      .sort(byText);
    if (overIds.length === 0) return;
    const totals = new Map((await this.repository.itemTotals(overIds)).map((t) => [t.order_item_id, t]));
    const over = overIds.map((itemId) => {
      const row = byItem.get(itemId) as BookingRow;
      return {
        orderItemId: itemId,
        ordered: row.item_quantity ?? 0,
        reserved: totals.get(itemId)?.held ?? 0,
        fulfilled: totals.get(itemId)?.fulfilled ?? 0,
        requested: row.item_requested,
      };
    });
    throw new ConflictError(
      over
        .map(
          (o) =>
            `order item ${o.orderItemId}: ${o.reserved + o.fulfilled} of ${o.ordered} units already reserved or ` +
            `fulfilled, ${o.requested} more requested`,
        )
        .join('; '),
      { items: over },
    );
  }

  /** A line without a stock level at an unknown location: 404; a level at an inactive location: 409. */
  private throwIfLocationUnusable(lines: readonly ReservationLine[], rows: BookingRow[]): void {
    const unknown = lines.find(
      (line, index) => rows[index].level_id === null && rows[index].location_id === null,
    );
    if (unknown) throw new NotFoundError('Stock location', unknown.stockLocationId);
    const inactive = rows.find((row) => row.level_id !== null && row.location_active === false);
    if (inactive) {
      throw new ConflictError(
        `Stock location ${inactive.location_code} is inactive and takes no reservations`,
      );
    }
  }

  /**
   * Every line of a stock level that cannot take its lines' total (or that does not exist), by
   * stock level id (lines without a level first), each level's lines in the order given.
   */
  private shortages(lines: readonly ReservationLine[], rows: BookingRow[]): StockShortage[] {
    const firstOfPair = new Map<string, number>();
    lines.forEach((line, index) => {
      const key = `${line.productVariantId}:${line.stockLocationId}`;
      if (!firstOfPair.has(key)) firstOfPair.set(key, index);
    });
    const group = (line: ReservationLine) =>
      firstOfPair.get(`${line.productVariantId}:${line.stockLocationId}`) as number;
    const short = lines
      .map((line, index) => ({ line, row: rows[index], index }))
      .filter(
        ({ row }) =>
          row.level_id === null ||
          row.level_requested > Math.max(0, (row.quantity_on_hand ?? 0) - (row.quantity_reserved ?? 0)),
      )
      .sort(
        (a, b) =>
          byText(a.row.level_id ?? '', b.row.level_id ?? '') ||
          group(a.line) - group(b.line) ||
          a.index - b.index,
      );
    return short.map(({ line, row }) => ({
      productVariantId: line.productVariantId,
      stockLocationId: line.stockLocationId,
      orderItemId: line.orderItemId,
      sku: row.level_sku ?? row.item_sku ?? undefined,
      requested: line.quantity,
      available:
        row.level_id === null ? 0 : Math.max(0, (row.quantity_on_hand ?? 0) - (row.quantity_reserved ?? 0)),
    }));
  }
}

function closedError(orderNumber: string, status: string): ConflictError {
  return new ConflictError(`Order ${orderNumber} is ${status} and takes no new reservations`, {
    orderStatus: status,
  });
}
