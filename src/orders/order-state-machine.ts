import { InvalidTransitionError } from '../common/errors';
import { OrderStatus } from './order-status.enum';

const S = OrderStatus;

/**
 * The order lifecycle (docs/architecture.md §3) as data: from each status, the statuses it may move to.
 * Payments do not move the status. Partial shipment keeps an order in processing.
 */
export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  [S.PENDING]: [S.CONFIRMED, S.CANCELLED],
  [S.CONFIRMED]: [S.PROCESSING, S.SHIPPED, S.CANCELLED],
  [S.PROCESSING]: [S.SHIPPED, S.CANCELLED],
  [S.SHIPPED]: [S.DELIVERED],
  [S.DELIVERED]: [S.RETURN_REQUESTED, S.REFUNDED],
  [S.CANCELLED]: [S.REFUNDED],
  [S.RETURN_REQUESTED]: [S.RETURNED, S.DELIVERED],
  [S.RETURNED]: [S.REFUNDED],
  [S.REFUNDED]: [],
};

export function allowedOrderTransitions(from: OrderStatus): readonly OrderStatus[] {
  return ORDER_TRANSITIONS[from];
}

export function canTransitionOrder(from: OrderStatus, to: OrderStatus): boolean {
  return ORDER_TRANSITIONS[from].includes(to);
}

/** Throws 409 INVALID_TRANSITION naming the allowed next statuses. */
export function assertOrderTransition(from: OrderStatus, to: OrderStatus): void {
  if (!canTransitionOrder(from, to)) {
    throw new InvalidTransitionError('Order', from, to, ORDER_TRANSITIONS[from]);
  }
}
