export enum FulfillmentStatus {
  PENDING = 'pending',
  PICKING = 'picking',
  PACKING = 'packing',
  READY_TO_SHIP = 'ready_to_ship',
  SHIPPED = 'shipped',
  PARTIALLY_FULFILLED = 'partially_fulfilled',
  FULFILLED = 'fulfilled',
  CANCELLED = 'cancelled',
}
