import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AppConfig } from '../config/app-config';
import {
  BadRequestError,
  ConflictError,
  InsufficientStockError,
  NotFoundError,
  StockShortage,
} from '../common/errors';
import { CatalogService } from '../catalog/catalog.service';
import { StockLevelInfo, StockLevelsService, stockPairKey } from '../catalog/stock-levels.service';
import { OrderItemLine, OrdersService } from '../orders/orders.service';
import { ReservationData } from './inventory-reservation.entity';
import { ReservationHistory } from './reservation-history';
import { ReservationSettlementService } from './reservation-settlement.service';

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
}

interface LevelGroup {
  key: string;
  level: StockLevelInfo | undefined;
  lines: ReservationLine[];
  total: number;
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Making reservations. All lines of one call are reserved or none is: lines on the same stock
 * level are summed first, each stock level gets ONE guarded UPDATE (in stock level id order), and
 * if any level is short the levels already taken are given back before InsufficientStockError
 * lists every short line. Expired holds on those levels are released first, in the same
 * transaction, so they never block. Per order item, the active reserved total never exceeds the
 * ordered quantity (checked under a transaction-scoped advisory lock on the item). The new rows
 * and their history entries are inserted by SQL at once, not as entities at flush, so a later
 * call in the same transaction counts them like any other row.
 */
@Injectable()
export class ReservationBookingService {
  constructor(
    private readonly em: EntityManager,
    private readonly config: AppConfig,
    private readonly orders: OrdersService,
    private readonly catalog: CatalogService,
    private readonly stockLevels: StockLevelsService,
    private readonly settlement: ReservationSettlementService,
    private readonly history: ReservationHistory,
  ) {}

  async reserveMany(
    orderId: string,
    lines: readonly ReservationLine[],
    options: ReserveOptions = {},
  ): Promise<ReservationData[]> {
    if (lines.length === 0) return [];
    lines.forEach((line, index) => {
      if (!Number.isSafeInteger(line.quantity) || line.quantity < 1) {
        throw new BadRequestError(`lines[${index}].quantity must be a positive integer`, [
          {
            field: lines.length === 1 ? 'quantity' : `lines[${index}].quantity`,
            message: 'must be a positive integer',
          },
        ]);
      }
    });
    const expiresAt = this.resolveExpiry(options.expiresAt);
    const items = await this.checkItems(orderId, lines);

    await this.checkOrderedQuantities(items, lines);
    const groups = await this.groupByStockLevel(lines);
    await this.settlement.releaseExpired(groups.filter((g) => g.level).map((g) => g.level as StockLevelInfo));
    await this.reserveAllOrNothing(groups, items);

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
    const levels = new Map(groups.map((g) => [g.key, g.level as StockLevelInfo]));
    // History first, then the reservations: the order in which the flush used to insert them.
    await this.history.insert(
      reservations.map((reservation, index) => {
        const level = levels.get(stockPairKey(lines[index]));
        return {
          reservation,
          change: 'reserved' as const,
          quantity: reservation.quantityReserved,
          sku: level?.sku ?? (items.get(lines[index].orderItemId) as OrderItemLine).sku,
          stockLocationCode: level?.stockLocationCode ?? lines[index].stockLocationId,
        };
      }),
    );
    await this.em.execute(
      `insert into inventory_reservations (id, created_at, updated_at, order_id, order_item_id, product_variant_id,
                                          stock_location_id, quantity_reserved, quantity_fulfilled, is_active,
                                          expires_at, notes, reserved_at)
       values ${reservations.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
      reservations.flatMap((r) => [
        r.id,
        reservedAt,
        reservedAt,
        r.order.id,
        r.orderItem.id,
        r.productVariant.id,
        r.stockLocation.id,
        r.quantityReserved,
        r.quantityFulfilled,
        r.isActive,
        r.expiresAt,
        r.notes,
        reservedAt,
      ]),
    );
    return reservations;
  }

  private resolveExpiry(expiresAt: Date | null | undefined): Date | null {
    if (expiresAt === null) return null;
    if (expiresAt === undefined) {
      const ttl = this.config.get('RESERVATION_TTL_MINUTES');
      return ttl ? new Date(Date.now() + ttl * 60_000) : null;
    }
    if (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= Date.now()) {
      throw new BadRequestError('expiresAt must be in the future', [
        { field: 'expiresAt', message: 'must be in the future' },
      ]);
    }
    return expiresAt;
  }

  /** Every line's item belongs to the order and is for the line's variant. */
  private async checkItems(
    orderId: string,
    lines: readonly ReservationLine[],
  ): Promise<Map<string, OrderItemLine>> {
    const items = new Map(
      (
        await this.orders.itemLines(
          orderId,
          lines.map((line) => line.orderItemId),
        )
      ).map((item) => [item.id, item]),
    );
    for (const line of lines) {
      const item = items.get(line.orderItemId);
      if (!item) throw new NotFoundError(`Order item ${line.orderItemId} of order ${orderId}`);
      if (item.productVariantId !== line.productVariantId) {
        throw new BadRequestError(`Order item ${item.id} is for variant ${item.productVariantId}`, [
          { field: 'productVariantId', message: `must be the variant of order item ${item.id}` },
        ]);
      }
    }
    return items;
  }

  /**
   * What each item holds (outstanding units of its active reservations) plus what it already had
   * fulfilled, plus these lines, stays within its ordered quantity: an item never has more units
   * reserved than were ordered, and shipped units are not reserved again. Items are locked (advisory, transaction-scoped, in id order) so concurrent calls check in turn.
   */
  private async checkOrderedQuantities(items: Map<string, OrderItemLine>, lines: readonly ReservationLine[]) {
    const requested = new Map<string, number>();
    for (const line of lines)
      requested.set(line.orderItemId, (requested.get(line.orderItemId) ?? 0) + line.quantity);
    const itemIds = [...requested.keys()].sort(byText);
    for (const itemId of itemIds) {
      await this.em.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [
        `reservation_item:${itemId}`,
      ]);
    }
    const rows = await this.em.execute<{ order_item_id: string; held: number; fulfilled: number }[]>(
      `select order_item_id,
              coalesce(sum(quantity_reserved - quantity_fulfilled) filter (where is_active), 0)::int as held,
              coalesce(sum(quantity_fulfilled), 0)::int as fulfilled
         from inventory_reservations
        where order_item_id in (${itemIds.map(() => '?').join(', ')})
        group by order_item_id`,
      itemIds,
    );
    const held = new Map(rows.map((row) => [row.order_item_id, row.held]));
    const fulfilled = new Map(rows.map((row) => [row.order_item_id, row.fulfilled]));
    const over = itemIds
      .map((itemId) => {
        const item = items.get(itemId) as OrderItemLine;
        return {
          orderItemId: itemId,
          ordered: item.quantity,
          reserved: held.get(itemId) ?? 0,
          fulfilled: fulfilled.get(itemId) ?? 0,
          requested: requested.get(itemId) ?? 0,
        };
      })
      .filter((row) => row.reserved + row.fulfilled + row.requested > row.ordered);
    if (over.length > 0) {
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
  }

  /** Lines per stock level; unknown locations are a 404, inactive ones a 409. */
  private async groupByStockLevel(lines: readonly ReservationLine[]): Promise<LevelGroup[]> {
    const levels = new Map(
      (await this.stockLevels.findLevels(lines)).map((level) => [stockPairKey(level), level]),
    );
    const missing = [
      ...new Set(lines.filter((l) => !levels.has(stockPairKey(l))).map((l) => l.stockLocationId)),
    ];
    const known = new Set((await this.catalog.findLocations(missing)).map((location) => location.id));
    const unknown = missing.find((id) => !known.has(id));
    if (unknown) throw new NotFoundError('Stock location', unknown);
    const inactive = [...levels.values()].find((level) => !level.stockLocationActive);
    if (inactive) {
      throw new ConflictError(
        `Stock location ${inactive.stockLocationCode} is inactive and takes no reservations`,
      );
    }
    const groups = new Map<string, LevelGroup>();
    for (const line of lines) {
      const key = stockPairKey(line);
      const group = groups.get(key) ?? { key, level: levels.get(key), lines: [], total: 0 };
      group.lines.push(line);
      group.total += line.quantity;
      groups.set(key, group);
    }
    return [...groups.values()];
  }

  /** One guarded UPDATE per stock level in id order; on any shortage, undo and report every short line. */
  private async reserveAllOrNothing(groups: LevelGroup[], items: Map<string, OrderItemLine>): Promise<void> {
    const ordered = [...groups].sort((a, b) => byText(a.level?.id ?? '', b.level?.id ?? ''));
    const taken: LevelGroup[] = [];
    const shortages: StockShortage[] = [];
    for (const group of ordered) {
      const attempt = group.level !== undefined && shortages.length === 0;
      if (attempt && (await this.stockLevels.tryReserve((group.level as StockLevelInfo).id, group.total))) {
        taken.push(group);
        continue;
      }
      const counters = group.level ? await this.stockLevels.counters(group.level.id) : null;
      const available = counters ? Math.max(0, counters.quantityOnHand - counters.quantityReserved) : 0;
      // Once a level is short nothing more is reserved; later levels are only checked, to report them.
      if (!attempt && group.level && group.total <= available) continue;
      for (const line of group.lines) {
        shortages.push({
          productVariantId: line.productVariantId,
          stockLocationId: line.stockLocationId,
          orderItemId: line.orderItemId,
          sku: group.level?.sku ?? items.get(line.orderItemId)?.sku,
          requested: line.quantity,
          available,
        });
      }
    }
    if (shortages.length === 0) return;
    for (const group of taken)
      await this.stockLevels.unreserve((group.level as StockLevelInfo).id, group.total);
    throw new InsufficientStockError(shortages);
  }
}
