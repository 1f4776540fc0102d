import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';

export interface StockMismatchRow {
  stockLevelId: string;
  counter: number;
  sumOfActive: number;
}

/** The drift report's statement: one, so that counters and reservations come from one snapshot. */
@Injectable()
export class InventoryConsistencyRepository {
  constructor(private readonly em: EntityManager) {}

  /** Stock levels whose quantity_reserved differs from Σ (reserved − fulfilled) of their active reservations. */
  mismatches(limit: number): Promise<StockMismatchRow[]> {
    return this.em.execute<StockMismatchRow[]>(
      `select sl.id as "stockLevelId", sl.quantity_reserved as counter, coalesce(r.held, 0)::int as "sumOfActive"
         from stock_levels sl
         left join (
           select product_variant_id, stock_location_id, sum(quantity_reserved - quantity_fulfilled) as held
             from inventory_reservations where is_active
            group by product_variant_id, stock_location_id
         ) r on r.product_variant_id = sl.product_variant_id and r.stock_location_id = sl.stock_location_id
        where sl.quantity_reserved <> coalesce(r.held, 0)
        order by sl.id
        limit ?`,
      [limit],
    );
  }
}
