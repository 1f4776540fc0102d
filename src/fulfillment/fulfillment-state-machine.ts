import { InvalidTransitionError } from '../common/errors';
import { FulfillmentStatus } from './fulfillment-status.enum';

const S = FulfillmentStatus;

/** docs/architecture.md §4 as data: from each status, the statuses a fulfillment may move to. */
export const FULFILLMENT_TRANSITIONS: Readonly<Record<FulfillmentStatus, readonly FulfillmentStatus[]>> = {
  [S.PENDING]: [S.PICKING, S.CANCELLED],
  [S.PICKING]: [S.PACKING, S.CANCELLED],
  [S.PACKING]: [S.READY_TO_SHIP, S.PICKING, S.CANCELLED],
  [S.READY_TO_SHIP]: [S.SHIPPED, S.CANCELLED],
  [S.SHIPPED]: [S.PARTIALLY_FULFILLED, S.FULFILLED],
  [S.PARTIALLY_FULFILLED]: [S.FULFILLED],
  [S.FULFILLED]: [],
  [S.CANCELLED]: [],
};

/** Fulfillments whose goods have left the building: they count as shipped quantities. */
export const SHIPPED_STATUSES: readonly FulfillmentStatus[] = [S.SHIPPED, S.PARTIALLY_FULFILLED, S.FULFILLED];

/** Fulfillments the warehouse still works on (and that may still be cancelled). */
export const OPEN_STATUSES: readonly FulfillmentStatus[] = [S.PENDING, S.PICKING, S.PACKING, S.READY_TO_SHIP];

/**
 * The timestamp columns a move into `to` stamps. `first` columns keep their first value; `latest`
 * ones take the time of every such move; `cleared` ones are emptied. A re-pick (packing → picking)
 * redoes the end of picking and all of packing: it clears picking_completed_at, packing_started_at
 * and packing_completed_at, which the next packing and ready_to_ship stamp again, so the stamps
 * always describe the pass that is under way. picking_started_at keeps its first value: picking
 * time runs from the first pick to the final one, rework included (history keeps every move).
 */
export const STAMPS_ON_ENTRY: Readonly<
  Record<FulfillmentStatus, { first: string[]; latest: string[]; cleared: string[] }>
> = {
  [S.PENDING]: { first: [], latest: [], cleared: [] },
  [S.PICKING]: {
    first: ['picking_started_at'],
    latest: [],
    cleared: ['picking_completed_at', 'packing_started_at', 'packing_completed_at'],
  },
  [S.PACKING]: { first: [], latest: ['picking_completed_at', 'packing_started_at'], cleared: [] },
  [S.READY_TO_SHIP]: { first: [], latest: ['packing_completed_at'], cleared: [] },
  [S.SHIPPED]: { first: [], latest: ['shipped_at'], cleared: [] },
  [S.PARTIALLY_FULFILLED]: { first: [], latest: [], cleared: [] },
  [S.FULFILLED]: { first: [], latest: ['fulfilled_at'], cleared: [] },
  [S.CANCELLED]: { first: [], latest: ['cancelled_at'], cleared: [] },
};

export function allowedFulfillmentTransitions(from: FulfillmentStatus): readonly FulfillmentStatus[] {
  return FULFILLMENT_TRANSITIONS[from];
}

export function canTransitionFulfillment(from: FulfillmentStatus, to: FulfillmentStatus): boolean {
  return FULFILLMENT_TRANSITIONS[from].includes(to);
}

/** Throws 409 INVALID_TRANSITION naming the allowed next statuses. */
export function assertFulfillmentTransition(from: FulfillmentStatus, to: FulfillmentStatus): void {
  if (!canTransitionFulfillment(from, to)) {
    throw new InvalidTransitionError('Fulfillment', from, to, FULFILLMENT_TRANSITIONS[from]);
  }
}
