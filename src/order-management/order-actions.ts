import { HttpStatus } from '@nestjs/common';
import { DomainError } from '../common/errors';
import { Order } from '../orders/order.entity';
import { OrderStatus } from '../orders/order-status.enum';

const S = OrderStatus;

/** What can be done to an order, by route. */
export enum OrderAction {
  EDIT = 'edit',
  CONFIRM = 'confirm',
  PAYMENT = 'payment',
  FULFIL = 'fulfil',
  CANCEL = 'cancel',
  DELIVER = 'deliver',
  REQUEST_RETURN = 'return-request',
  RECEIVE_RETURN = 'receive-return',
  REFUND = 'refund',
}

/**
 * The statuses in which each action may be taken. The status each action leads to is in
 * ORDER_TRANSITIONS (src/orders/order-state-machine.ts); payments and partial refunds keep the status.
 *
 * - payments are taken until the order is delivered (not once it is cancelled, returned or refunded);
 * - cancel: until anything has shipped (a processing order with a shipped fulfillment is refused);
 * - refunds: of a delivered, cancelled or returned order (a return in progress is refunded once
 *   received), never more than was paid; the order becomes `refunded` when the refunds reach the
 *   amount paid, a partial refund keeps its status.
 */
export const ACTION_STATUSES: Readonly<Record<OrderAction, readonly OrderStatus[]>> = {
  [OrderAction.EDIT]: [S.PENDING],
  [OrderAction.CONFIRM]: [S.PENDING],
  [OrderAction.PAYMENT]: [S.PENDING, S.CONFIRMED, S.PROCESSING, S.SHIPPED, S.DELIVERED],
  [OrderAction.FULFIL]: [S.CONFIRMED, S.PROCESSING],
  [OrderAction.CANCEL]: [S.PENDING, S.CONFIRMED, S.PROCESSING],
  [OrderAction.DELIVER]: [S.SHIPPED],
  [OrderAction.REQUEST_RETURN]: [S.DELIVERED],
  [OrderAction.RECEIVE_RETURN]: [S.RETURN_REQUESTED],
  [OrderAction.REFUND]: [S.DELIVERED, S.CANCELLED, S.RETURNED],
};

export function allowedActions(status: OrderStatus): OrderAction[] {
  return Object.values(OrderAction).filter((action) => ACTION_STATUSES[action].includes(status));
}

/** 409 INVALID_TRANSITION: the order's status does not allow the action; names the allowed ones. */
export class OrderActionNotAllowedError extends DomainError {
  constructor(order: Pick<Order, 'orderNumber' | 'status'>, action: OrderAction) {
    const allowed = allowedActions(order.status);
    super(
      HttpStatus.CONFLICT,
      'INVALID_TRANSITION',
      `Order ${order.orderNumber} is ${order.status}: ${action} is not allowed` +
        (allowed.length ? `; allowed actions: ${allowed.join(', ')}` : '; no action is allowed any more'),
      { from: order.status, action, allowed, allowedFrom: [...ACTION_STATUSES[action]] },
    );
  }
}

export function assertActionAllowed(order: Pick<Order, 'orderNumber' | 'status'>, action: OrderAction): void {
  if (!ACTION_STATUSES[action].includes(order.status)) throw new OrderActionNotAllowedError(order, action);
}
