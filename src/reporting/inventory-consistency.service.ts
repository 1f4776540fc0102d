import { Injectable } from '@nestjs/common';
import { InventoryConsistencyRepository, StockMismatchRow } from './inventory-consistency.repository';

export interface ConsistencyReport {
  consistent: boolean;
  mismatches: StockMismatchRow[];
}

/** At most this many mismatches are listed: the report says that something drifted, and where first. */
const MAX_MISMATCHES = 1000;

/**
 * The drift report: every stock level's quantity_reserved against Σ (reserved − fulfilled) of its
 * active reservations (the inventory invariant, docs/architecture.md). It only reads. Fulfilled
 * units always leave the stock level of the reservation they came from, and a reservation is only
 * fulfilled at the location its parcel ships from (ReservationSettlementService.planFulfilment,
 * and FulfillmentService.fulfilReservation, which records the parcel at the reservation's
 * location), so stock cannot leave one location for a parcel of another.
 */
@Injectable()
export class InventoryConsistencyService {
  constructor(private readonly repository: InventoryConsistencyRepository) {}

  async check(): Promise<ConsistencyReport> {
    const mismatches = await this.repository.mismatches(MAX_MISMATCHES);
    return { consistent: mismatches.length === 0, mismatches };
  }
}
