import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';

/**
 * stock_levels: written by statements only (never as entities), because every change of a counter
 * is one guarded statement (on hand never below reserved, reserved never above on hand), so that
 * concurrent changes queue on the row and never lose an update.
 *
 * The fragments below are for the write statements of other modules (the reservation statement,
 * src/reservations/reservations.repository.ts): the stock level row is the hot lock of a flash sale,
 * so it is locked and moved inside that one statement.
 */

/**
 * A SELECT that locks, in id order, the stock levels of the (product_variant_id,
 * stock_location_id) pairs that `pairsSql` yields, with the location's code and active flag and
 * the variant's sku. In READ COMMITTED, FOR UPDATE returns each row's newest version after
 * waiting for its lock: the counters read here are current. For use as a (materialized) CTE.
 */
export function lockStockLevelsSql(pairsSql: string): string {
  return `select sl.id, sl.product_variant_id, sl.stock_location_id, sl.quantity_on_hand, sl.quantity_reserved,
                 loc.code as stock_location_code, loc.is_active as stock_location_active, v.sku
            from stock_levels sl
            join stock_locations loc on loc.id = sl.stock_location_id
            join product_variants v on v.id = sl.product_variant_id
           where (sl.product_variant_id, sl.stock_location_id) in (${pairsSql})
           order by sl.id
             for update of sl`;
}

/**
 * An UPDATE reserving units on stock levels that the same statement has locked with
 * lockStockLevelsSql and checked on the locked values: `lockedSql` yields (stock_level_id,
 * quantity, quantity_on_hand, quantity_reserved), the counters as the lock read them. For use as a
 * CTE.
 *
 * The counters are written from the locked values, not computed from the row this UPDATE scans:
 * that row is the version of the statement's snapshot, older than the locked one when the level
 * changed while the statement waited for its locks, and PostgreSQL evaluates a WHERE guard on it
 * (a row failing there is skipped without a look at the newest version: the statement's other
 * writes would go ahead without the counter) and the table's check constraints on a row built
 * from it (a spurious violation) before it finds and updates the newest version. Written from the
 * lock, the row is right whichever version the UPDATE starts from; the check constraint (reserved
 * <= on hand) still refuses an oversell.
 */
export function reserveStockSql(lockedSql: string): string {
  return `update stock_levels sl set quantity_on_hand = t.quantity_on_hand,
                                     quantity_reserved = t.quantity_reserved + t.quantity, updated_at = now()
            from (${lockedSql}) t
           where sl.id = t.stock_level_id
          returning sl.id`;
}

/** A stock level row as the guarded statements return it. */
export interface StockLevelRow {
  id: string;
  product_variant_id: string;
  stock_location_id: string;
  quantity_on_hand: number;
  quantity_reserved: number;
  updated_at: Date;
}

/** A stock level with its location's code and active flag and its variant's sku. */
export interface StockLevelInfoRow {
  id: string;
  product_variant_id: string;
  stock_location_id: string;
  quantity_on_hand: number;
  quantity_reserved: number;
  code: string;
  is_active: boolean;
  sku: string;
}

export interface StockCountersRow {
  quantity_on_hand: number;
  quantity_reserved: number;
}

const LEVEL_COLUMNS =
  'id, product_variant_id, stock_location_id, quantity_on_hand, quantity_reserved, updated_at';

@Injectable()
export class StockLevelsRepository {
  constructor(private readonly em: EntityManager) {}

  async find(variantId: string, locationId: string): Promise<StockLevelRow | undefined> {
    const [row] = await this.em.execute<StockLevelRow[]>(
      `select ${LEVEL_COLUMNS} from stock_levels where product_variant_id = ? and stock_location_id = ?`,
      [variantId, locationId],
    );
    return row;
  }

  /**
   * Sets on hand, creating the level when missing; an existing level whose reserved units exceed
   * `quantity` is left alone (undefined).
   */
  async setOnHand(
    variantId: string,
    locationId: string,
    quantity: number,
  ): Promise<StockLevelRow | undefined> {
    const [row] = await this.em.execute<StockLevelRow[]>(
      `insert into stock_levels (id, product_variant_id, stock_location_id, quantity_on_hand, quantity_reserved)
       values (?, ?, ?, ?, 0)
       on conflict (product_variant_id, stock_location_id) do update
          set quantity_on_hand = excluded.quantity_on_hand, updated_at = now()
        where stock_levels.quantity_reserved <= excluded.quantity_on_hand
       returning ${LEVEL_COLUMNS}`,
      [randomUUID(), variantId, locationId, quantity],
    );
    return row;
  }

  /** Adds `delta` (>= 0) to on hand, creating the level when missing. */
  async addOnHand(variantId: string, locationId: string, delta: number): Promise<StockLevelRow> {
    const [row] = await this.em.execute<StockLevelRow[]>(
      `insert into stock_levels (id, product_variant_id, stock_location_id, quantity_on_hand, quantity_reserved)
       values (?, ?, ?, ?, 0)
       on conflict (product_variant_id, stock_location_id) do update
          set quantity_on_hand = stock_levels.quantity_on_hand + excluded.quantity_on_hand, updated_at = now()
       returning ${LEVEL_COLUMNS}`,
      [randomUUID(), variantId, locationId, delta],
    );
    return row;
  }

  /** Takes `quantity` units off on hand if that many are unreserved; undefined otherwise. */
  async removeOnHand(
    variantId: string,
    locationId: string,
    quantity: number,
  ): Promise<StockLevelRow | undefined> {
    const [row] = await this.em.execute<StockLevelRow[]>(
      `update stock_levels set quantity_on_hand = quantity_on_hand - ?, updated_at = now()
        where product_variant_id = ? and stock_location_id = ? and quantity_on_hand - ? >= quantity_reserved
       returning ${LEVEL_COLUMNS}`,
      [quantity, variantId, locationId, quantity],
    );
    return row;
  }

  /** The stock levels of the given (variant, location) pairs that exist (pairs already distinct). */
  findWithLocation(
    pairs: readonly { productVariantId: string; stockLocationId: string }[],
  ): Promise<StockLevelInfoRow[]> {
    return this.em.execute<StockLevelInfoRow[]>(
      `select sl.id, sl.product_variant_id, sl.stock_location_id, sl.quantity_on_hand, sl.quantity_reserved,
              loc.code, loc.is_active, v.sku
         from stock_levels sl
         join stock_locations loc on loc.id = sl.stock_location_id
         join product_variants v on v.id = sl.product_variant_id
        where (sl.product_variant_id, sl.stock_location_id) in (${pairs.map(() => '(?, ?)').join(', ')})`,
      pairs.flatMap((pair) => [pair.productVariantId, pair.stockLocationId]),
    );
  }

  async counters(stockLevelId: string): Promise<StockCountersRow | undefined> {
    const [row] = await this.em.execute<StockCountersRow[]>(
      'select quantity_on_hand, quantity_reserved from stock_levels where id = ?',
      [stockLevelId],
    );
    return row;
  }

  /** Reserves `quantity` units if that many are on hand and unreserved; undefined otherwise. */
  async tryReserve(stockLevelId: string, quantity: number): Promise<StockCountersRow | undefined> {
    const [row] = await this.em.execute<StockCountersRow[]>(
      `update stock_levels set quantity_reserved = quantity_reserved + ?, updated_at = now()
        where id = ? and quantity_on_hand - quantity_reserved >= ?
        returning quantity_on_hand, quantity_reserved`,
      [quantity, stockLevelId, quantity],
    );
    return row;
  }

  /** Gives back `quantity` reserved units if the level holds that many; false otherwise. */
  async unreserve(stockLevelId: string, quantity: number): Promise<boolean> {
    const rows = await this.em.execute<{ id: string }[]>(
      `update stock_levels set quantity_reserved = quantity_reserved - ?, updated_at = now()
        where id = ? and quantity_reserved >= ?
        returning id`,
      [quantity, stockLevelId, quantity],
    );
    return rows.length > 0;
  }

  /** Takes `quantity` reserved units off on hand and reserved together; false if not held. */
  async consume(stockLevelId: string, quantity: number): Promise<boolean> {
    const rows = await this.em.execute<{ id: string }[]>(
      `update stock_levels
          set quantity_on_hand = quantity_on_hand - ?, quantity_reserved = quantity_reserved - ?, updated_at = now()
        where id = ? and quantity_reserved >= ? and quantity_on_hand >= ?
        returning id`,
      [quantity, quantity, stockLevelId, quantity, quantity],
    );
    return rows.length > 0;
  }
}
