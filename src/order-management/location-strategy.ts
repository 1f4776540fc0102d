import { Injectable } from '@nestjs/common';
import { StockShortage } from '../common/errors';
import type { ReservationLine } from '../reservations/reservations.service';

/** An order item that needs units reserved somewhere. */
export interface ItemToPlace {
  orderItemId: string;
  productVariantId: string;
  sku: string;
  quantity: number;
}

/** What a location can still give of one variant (active locations only). */
export interface LocationStock {
  stockLocationId: string;
  code: string;
  available: number;
}

export interface PlacementPlan {
  lines: ReservationLine[];
  /** Items that no combination of locations can serve; empty when the plan is complete. */
  shortages: StockShortage[];
}

/**
 * Chooses the stock locations that an order's items are reserved from, given what each location
 * has available. Replaceable: bind another implementation to this token in OrderManagementModule.
 * The plan is advisory: the reservation itself is a guarded, all-or-nothing statement, so a plan
 * overtaken by a concurrent order ends in 409 INSUFFICIENT_STOCK, never in overselling.
 */
export abstract class LocationStrategy {
  abstract plan(
    items: readonly ItemToPlace[],
    stock: ReadonlyMap<string, readonly LocationStock[]>,
  ): PlacementPlan;
}

const byCode = (a: { code: string }, b: { code: string }) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);

/**
 * The default strategy, in this order:
 * 1. one location that can serve every item in full (one parcel): among several, the one with the
 *    most units available over the order's variants, then the lowest code;
 * 2. otherwise per item: the location with the most available (ties: lowest code) when it can
 *    serve the item alone; else the item is split across locations, most available first, using
 *    as few locations as that order allows;
 * 3. an item that all locations together cannot serve is a shortage (requested vs available).
 */
@Injectable()
export class SingleLocationFirstStrategy extends LocationStrategy {
  plan(items: readonly ItemToPlace[], stock: ReadonlyMap<string, readonly LocationStock[]>): PlacementPlan {
    if (items.length === 0) return { lines: [], shortages: [] };
    const single = this.singleLocation(items, stock);
    if (single) {
      return {
        lines: items.map((item) => ({
          orderItemId: item.orderItemId,
          productVariantId: item.productVariantId,
          stockLocationId: single,
          quantity: item.quantity,
        })),
        shortages: [],
      };
    }
    // What is left per variant and location as items take their share (items may share a variant).
    const left = new Map<string, Map<string, LocationStock>>();
    for (const [variantId, locations] of stock) {
      left.set(variantId, new Map(locations.map((l) => [l.stockLocationId, { ...l }])));
    }
    const lines: ReservationLine[] = [];
    const shortages: StockShortage[] = [];
    for (const item of items) {
      const candidates = [...(left.get(item.productVariantId)?.values() ?? [])]
        .filter((location) => location.available > 0)
        .sort((a, b) => b.available - a.available || byCode(a, b));
      const total = candidates.reduce((sum, location) => sum + location.available, 0);
      if (total < item.quantity) {
        shortages.push({
          productVariantId: item.productVariantId,
          orderItemId: item.orderItemId,
          sku: item.sku,
          requested: item.quantity,
          available: total,
        });
        continue;
      }
      let remaining = item.quantity;
      for (const location of candidates) {
        if (remaining === 0) break;
        const quantity = Math.min(remaining, location.available);
        location.available -= quantity;
        lines.push({
          orderItemId: item.orderItemId,
          productVariantId: item.productVariantId,
          stockLocationId: location.stockLocationId,
          quantity,
        });
        remaining -= quantity;
      }
    }
    return { lines, shortages };
  }

  /** The location that has every variant in the quantity the order needs of it, or null. */
  private singleLocation(
    items: readonly ItemToPlace[],
    stock: ReadonlyMap<string, readonly LocationStock[]>,
  ): string | null {
    const demand = new Map<string, number>();
    for (const item of items) {
      demand.set(item.productVariantId, (demand.get(item.productVariantId) ?? 0) + item.quantity);
    }
    const candidates = new Map<string, { code: string; total: number; served: number }>();
    for (const [variantId, quantity] of demand) {
      for (const location of stock.get(variantId) ?? []) {
        if (location.available < quantity) continue;
        const entry = candidates.get(location.stockLocationId) ?? {
          code: location.code,
          total: 0,
          served: 0,
        };
        entry.total += location.available;
        entry.served += 1;
        candidates.set(location.stockLocationId, entry);
      }
    }
    const full = [...candidates.entries()]
      .filter(([, entry]) => entry.served === demand.size)
      .sort(([, a], [, b]) => b.total - a.total || byCode(a, b));
    return full.length ? full[0][0] : null;
  }
}
