import { InvalidTransitionError } from '../common/errors';
import { FulfillmentStatus } from './fulfillment-status.enum';
import {
  assertFulfillmentTransition,
  canTransitionFulfillment,
  FULFILLMENT_TRANSITIONS,
} from './fulfillment-state-machine';

const S = FulfillmentStatus;
const ALL = Object.values(FulfillmentStatus);

const LEGAL: Array<[FulfillmentStatus, FulfillmentStatus]> = [
  [S.PENDING, S.PICKING],
  [S.PENDING, S.CANCELLED],
  [S.PICKING, S.PACKING],
  [S.PICKING, S.CANCELLED],
  [S.PACKING, S.READY_TO_SHIP],
  [S.PACKING, S.PICKING],
  [S.PACKING, S.CANCELLED],
  [S.READY_TO_SHIP, S.SHIPPED],
  [S.READY_TO_SHIP, S.CANCELLED],
  [S.SHIPPED, S.PARTIALLY_FULFILLED],
  [S.SHIPPED, S.FULFILLED],
  [S.PARTIALLY_FULFILLED, S.FULFILLED],
];
const isLegal = (from: FulfillmentStatus, to: FulfillmentStatus) =>
  LEGAL.some(([f, t]) => f === from && t === to);
const ILLEGAL = ALL.flatMap((from) =>
  ALL.filter((to) => !isLegal(from, to)).map((to) => [from, to] as const),
);

describe('fulfillment state machine', () => {
  it('has an entry for every status', () => {
    expect(Object.keys(FULFILLMENT_TRANSITIONS).sort()).toEqual([...ALL].sort());
  });

  it('is exactly the table of docs/architecture.md §4', () => {
    const table = ALL.flatMap((from) => FULFILLMENT_TRANSITIONS[from].map((to) => [from, to]));
    expect(table.sort()).toEqual([...LEGAL].sort());
  });

  it.each(LEGAL)('allows %s → %s', (from, to) => {
    expect(canTransitionFulfillment(from, to)).toBe(true);
    expect(() => assertFulfillmentTransition(from, to)).not.toThrow();
  });

  it.each(ILLEGAL)('refuses %s → %s with the allowed next states', (from, to) => {
    expect(canTransitionFulfillment(from, to)).toBe(false);
    let error: unknown;
    try {
      assertFulfillmentTransition(from, to);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidTransitionError);
    const domain = error as InvalidTransitionError;
    expect(domain.status).toBe(409);
    expect(domain.code).toBe('INVALID_TRANSITION');
    expect(domain.extra).toEqual({ from, to, allowed: [...FULFILLMENT_TRANSITIONS[from]] });
  });

  it('makes fulfilled and cancelled terminal', () => {
    expect(FULFILLMENT_TRANSITIONS[S.FULFILLED]).toEqual([]);
    expect(FULFILLMENT_TRANSITIONS[S.CANCELLED]).toEqual([]);
  });
});
