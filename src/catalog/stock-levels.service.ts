import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';

export interface StockPair {
  productVariantId: string;
  stockLocationId: string;
}

/** A stock level with what callers show next to it (SKU, location code). */
export interface StockLevelInfo extends StockPair {
  id: string;
  sku: string;
  stockLocationCode: string;
  stockLocationActive: boolean;
  quantityOnHand: number;
  quantityReserved: number;
}

export interface StockCounters {
  quantityOnHand: number;
  quantityReserved: number;
}

interface LevelRow {
  id: string;
  product_variant_id: string;
  stock_location_id: string;
  quantity_on_hand: number;
  quantity_reserved: number;
  code: string;
  is_active: boolean;
  sku: string;
}

export const stockPairKey = (pair: StockPair) => `${pair.productVariantId}:${pair.stockLocationId}`;

/**
 * The reserved counter of stock levels, moved only by the reservations and only through guarded
 * single statements: reserving never makes reserved exceed on hand, and releasing or fulfilling
 * never takes a counter below zero. A statement that would break the invariant changes nothing
 * and says so; the caller decides whether that is a shortage (reserve) or a broken invariant.
 */
@Injectable()
export class StockLevelsService {
  constructor(private readonly em: EntityManager) {}

  /** The stock levels of the given (variant, location) pairs that exist. */
  async findLevels(pairs: readonly StockPair[]): Promise<StockLevelInfo[]> {
    const unique = [...new Map(pairs.map((pair) => [stockPairKey(pair), pair])).values()];
    if (unique.length === 0) return [];
    const rows = await this.em.execute<LevelRow[]>(
      `select sl.id, sl.product_variant_id, sl.stock_location_id, sl.quantity_on_hand, sl.quantity_reserved,
              loc.code, loc.is_active, v.sku
         from stock_levels sl
         join stock_locations loc on loc.id = sl.stock_location_id
         join product_variants v on v.id = sl.product_variant_id
        where (sl.product_variant_id, sl.stock_location_id) in (${unique.map(() => '(?, ?)').join(', ')})`,
      unique.flatMap((pair) => [pair.productVariantId, pair.stockLocationId]),
    );
    return rows.map((row) => ({
      id: row.id,
      productVariantId: row.product_variant_id,
      stockLocationId: row.stock_location_id,
      sku: row.sku,
      stockLocationCode: row.code,
      stockLocationActive: row.is_active,
      quantityOnHand: row.quantity_on_hand,
      quantityReserved: row.quantity_reserved,
    }));
  }

  /** The current counters of a stock level (as this transaction sees them). */
  async counters(stockLevelId: string): Promise<StockCounters> {
    const [row] = await this.em.execute<LevelRow[]>(
      'select quantity_on_hand, quantity_reserved from stock_levels where id = ?',
      [stockLevelId],
    );
    return { quantityOnHand: row?.quantity_on_hand ?? 0, quantityReserved: row?.quantity_reserved ?? 0 };
  }

  /**
   * Reserves `quantity` units if that many are on hand and unreserved: one guarded UPDATE, so
   * concurrent reservations queue on the row and each sees the others' result. Null = not enough.
   */
  async tryReserve(stockLevelId: string, quantity: number): Promise<StockCounters | null> {
    const [row] = await this.em.execute<LevelRow[]>(
      `update stock_levels set quantity_reserved = quantity_reserved + ?, updated_at = now()
        where id = ? and quantity_on_hand - quantity_reserved >= ?
        returning quantity_on_hand, quantity_reserved`,
      [quantity, stockLevelId, quantity],
    );
    return row ? { quantityOnHand: row.quantity_on_hand, quantityReserved: row.quantity_reserved } : null;
  }

  /** Gives back `quantity` reserved units (release, expiry, undoing a failed multi-line reserve). */
  async unreserve(stockLevelId: string, quantity: number): Promise<void> {
    if (quantity === 0) return;
    const rows = await this.em.execute<LevelRow[]>(
      `update stock_levels set quantity_reserved = quantity_reserved - ?, updated_at = now()
        where id = ? and quantity_reserved >= ?
        returning id`,
      [quantity, stockLevelId, quantity],
    );
    if (rows.length === 0) {
      throw new Error(
        `Stock level ${stockLevelId} holds fewer than ${quantity} reserved units (counter drift)`,
      );
    }
  }

  /** Reserved units leave the building: on hand and reserved go down together. */
  async consume(stockLevelId: string, quantity: number): Promise<void> {
    if (quantity === 0) return;
    const rows = await this.em.execute<LevelRow[]>(
      `update stock_levels
          set quantity_on_hand = quantity_on_hand - ?, quantity_reserved = quantity_reserved - ?, updated_at = now()
        where id = ? and quantity_reserved >= ? and quantity_on_hand >= ?
        returning id`,
      [quantity, quantity, stockLevelId, quantity, quantity],
    );
    if (rows.length === 0) {
      throw new Error(
        `Stock level ${stockLevelId} holds fewer than ${quantity} reserved units (counter drift)`,
      );
    }
  }
}
