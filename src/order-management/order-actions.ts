import { HttpStatus } from '@nestjs/common';
import { DomainError } from '../common/errors';
import { Order } from '../orders/order.entity';
import { OrderAmounts, outstandingCents, refundableCents } from '../orders/order-amounts';
import { OrderStatus } from '../orders/order-status.enum';
import { unitsLeftToFulfil } from '../fulfillment/fulfillment-quantities';
import { FULFILLABLE_ORDER_STATUSES } from '../fulfillment/fulfillment-status.service';

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
 * Beyond its status, each action has the rule of ACTION_RULES below.
 *
 * - payments are taken until the order is delivered (not once it is cancelled, returned or refunded);
 * - cancel: until anything has shipped (a processing order with a shipped fulfillment is refused);
 * - returns: a delivered order, while a shipped unit has not come back; receiving every one makes it
 *   `returned`, receiving some puts it back to `delivered` (more returns and refunds stay possible);
 * - refunds: of a delivered, cancelled or returned order (a return in progress is refunded once
 *   received), never more than was paid; the order becomes `refunded` when the refunds reach the
 *   amount paid, a partial refund keeps its status.
 */
export const ACTION_STATUSES: Readonly<Record<OrderAction, readonly OrderStatus[]>> = {
  [OrderAction.EDIT]: [S.PENDING],
  [OrderAction.CONFIRM]: [S.PENDING],
  [OrderAction.PAYMENT]: [S.PENDING, S.CONFIRMED, S.PROCESSING, S.SHIPPED, S.DELIVERED],
  [OrderAction.FULFIL]: FULFILLABLE_ORDER_STATUSES,
  [OrderAction.CANCEL]: [S.PENDING, S.CONFIRMED, S.PROCESSING],
  [OrderAction.DELIVER]: [S.SHIPPED],
  [OrderAction.REQUEST_RETURN]: [S.DELIVERED],
  [OrderAction.RECEIVE_RETURN]: [S.RETURN_REQUESTED],
  [OrderAction.REFUND]: [S.DELIVERED, S.CANCELLED, S.RETURNED],
};

/** An order item's units as the action rules see them. */
export interface ItemUnits {
  /** Ordered. */
  quantity: number;
  /** In fulfillments that are not cancelled. */
  committed: number;
  /** In fulfillments that have shipped. */
  shipped: number;
  /** Received back. */
  returned: number;
}

/** What decides which actions an order accepts: its status, amounts and item units. */
export interface OrderActionState extends OrderAmounts {
  status: OrderStatus;
  items: readonly ItemUnits[];
}

/** Shipped units of an item that have not come back: what a return may still ask for. */
export function unitsReturnable(item: Pick<ItemUnits, 'shipped' | 'returned'>): number {
  return item.shipped - item.returned;
}

/** Something has shipped: the order can no longer be cancelled. */
export function anyShipped(items: readonly Pick<ItemUnits, 'shipped'>[]): boolean {
  return items.some((item) => item.shipped > 0);
}

/** Every shipped unit is back: the order is `returned` (else a received return leaves it delivered). */
export function allReturned(items: readonly Pick<ItemUnits, 'shipped' | 'returned'>[]): boolean {
  return items.every((item) => unitsReturnable(item) <= 0);
}

/**
 * Each action's rule beyond the status. The services enforce the same functions (with their own
 * 409 naming the detail); `allowedActions` lists an action only when its status and rule both hold,
 * so every listed action is accepted with a fitting request. Confirmation also needs stock, which is
 * not the order's own state: `confirm` is listed while pending.
 */
const ACTION_RULES: Readonly<Record<OrderAction, (order: OrderActionState) => boolean>> = {
  [OrderAction.EDIT]: () => true,
  [OrderAction.CONFIRM]: () => true,
  [OrderAction.PAYMENT]: (order) => outstandingCents(order) > 0,
  [OrderAction.FULFIL]: (order) => order.items.some((i) => unitsLeftToFulfil(i.quantity, i.committed) > 0),
  [OrderAction.CANCEL]: (order) => !anyShipped(order.items),
  [OrderAction.DELIVER]: () => true,
  [OrderAction.REQUEST_RETURN]: (order) => !allReturned(order.items),
  [OrderAction.RECEIVE_RETURN]: (order) => !allReturned(order.items),
  [OrderAction.REFUND]: (order) => refundableCents(order) > 0,
};

/** The actions the order would accept now (its status allows them and their rule holds). */
export function allowedActions(order: OrderActionState): OrderAction[] {
  return Object.values(OrderAction).filter(
    (action) => ACTION_STATUSES[action].includes(order.status) && ACTION_RULES[action](order),
  );
}

/** The actions a status allows, before the actions' own rules. */
export function actionsOfStatus(status: OrderStatus): OrderAction[] {
  return Object.values(OrderAction).filter((action) => ACTION_STATUSES[action].includes(status));
}

/** 409 INVALID_TRANSITION: the order's status does not allow the action; names the ones it allows. */
export class OrderActionNotAllowedError extends DomainError {
  constructor(order: Pick<Order, 'orderNumber' | 'status'>, action: OrderAction) {
    const allowed = actionsOfStatus(order.status);
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
