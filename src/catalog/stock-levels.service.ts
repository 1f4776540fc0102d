import { Injectable } from '@nestjs/common';
import { StockLevelsRepository } from './stock-levels.repository';

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

export const stockPairKey = (pair: StockPair) => `${pair.productVariantId}:${pair.stockLocationId}`;

/**
 * The reserved counter of stock levels, moved only by the reservations and only through guarded
 * single statements: reserving never makes reserved exceed on hand, and releasing or fulfilling
 * never takes a counter below zero. A statement that would break the invariant changes nothing
 * and says so; the caller decides whether that is a shortage (reserve) or a broken invariant.
 */
@Injectable()
export class StockLevelsService {
  constructor(private readonly repository: StockLevelsRepository) {}

  /** The stock levels of the given (variant, location) pairs that exist. */
  async findLevels(pairs: readonly StockPair[]): Promise<StockLevelInfo[]> {
    const unique = [...new Map(pairs.map((pair) => [stockPairKey(pair), pair])).values()];
    if (unique.length === 0) return [];
    const rows = await this.repository.findWithLocation(unique);
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
    const row = await this.repository.counters(stockLevelId);
    return { quantityOnHand: row?.quantity_on_hand ?? 0, quantityReserved: row?.quantity_reserved ?? 0 };
  }

  /**
   * Reserves `quantity` units if that many are on hand and unreserved: one guarded UPDATE, so
   * concurrent reservations queue on the row and each sees the others' result. Null = not enough.
   */
  async tryReserve(stockLevelId: string, quantity: number): Promise<StockCounters | null> {
    const row = await this.repository.tryReserve(stockLevelId, quantity);
    return row ? { quantityOnHand: row.quantity_on_hand, quantityReserved: row.quantity_reserved } : null;
  }

  /** Gives back `quantity` reserved units (release, expiry, undoing a failed multi-line reserve). */
  async unreserve(stockLevelId: string, quantity: number): Promise<void> {
    if (quantity === 0) return;
    if (!(await this.repository.unreserve(stockLevelId, quantity))) {
      throw new Error(
        `Stock level ${stockLevelId} holds fewer than ${quantity} reserved units (counter drift)`,
      );
    }
  }

  /** Reserved units leave the building: on hand and reserved go down together. */
  async consume(stockLevelId: string, quantity: number): Promise<void> {
    if (quantity === 0) return;
    if (!(await this.repository.consume(stockLevelId, quantity))) {
      throw new Error(
        `Stock level ${stockLevelId} holds fewer than ${quantity} reserved units (counter drift)`,
      );
    }
  }
}
