export enum ReleaseReason {
  RELEASED = 'released',
  EXPIRED = 'expired',
  CANCELLED = 'cancelled',
  FULFILLED = 'fulfilled',
}
