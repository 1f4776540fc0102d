/**
 * Units of an order item that are in no fulfillment yet (cancelled ones do not count): what a new
 * fulfillment may still take. The one definition of the rule, for creating a fulfillment and for
 * offering `fulfil` among an order's allowed actions.
 */
export function unitsLeftToFulfil(ordered: number, committed: number | undefined): number {
  return ordered - (committed ?? 0);
}
