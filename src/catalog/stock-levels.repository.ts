/**
 * SQL fragments of the catalog's stock tables for the write statements of other modules (the
 * reservation statement, src/reservations/reservations.repository.ts): the stock level row is the
 * hot lock of a flash sale, so it is locked and moved inside that one statement. The catalog's own
 * statements are still in StockLevelsService.
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
 * An UPDATE reserving `totalsSql`'s (stock_level_id, quantity) rows, guarded so that reserved
 * never exceeds on hand (it re-evaluates on the row's newest version): for use as a CTE.
 */
export function reserveStockSql(totalsSql: string): string {
  return `update stock_levels sl set quantity_reserved = sl.quantity_reserved + t.quantity, updated_at = now()
            from (${totalsSql}) t
           where sl.id = t.stock_level_id and sl.quantity_on_hand - sl.quantity_reserved >= t.quantity
          returning sl.id`;
}
