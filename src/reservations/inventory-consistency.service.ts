import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';

export interface StockMismatch {
  stockLevelId: string;
  counter: number;
  sumOfActive: number;
}

export interface ConsistencyReport {
  consistent: boolean;
  mismatches: StockMismatch[];
}

/**
 * The drift report: every stock level's quantity_reserved against Σ (reserved − fulfilled) of its
 * active reservations (docs/architecture.md §5). One statement, so it compares one snapshot. It only reads
 * stock_levels; the counters are moved by the catalog's StockLevelsService.
 */
@Injectable()
export class InventoryConsistencyService {
  constructor(private readonly em: EntityManager) {}

  async check(): Promise<ConsistencyReport> {
    const mismatches = await this.em.execute<StockMismatch[]>(
      `select sl.id as "stockLevelId", sl.quantity_reserved as counter, coalesce(r.held, 0)::int as "sumOfActive"
         from stock_levels sl
         left join (
           select product_variant_id, stock_location_id, sum(quantity_reserved - quantity_fulfilled) as held
             from inventory_reservations where is_active
            group by product_variant_id, stock_location_id
         ) r on r.product_variant_id = sl.product_variant_id and r.stock_location_id = sl.stock_location_id
        where sl.quantity_reserved <> coalesce(r.held, 0)
        order by sl.id
        limit 1000`,
    );
    return { consistent: mismatches.length === 0, mismatches };
  }
}
