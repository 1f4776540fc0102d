import { OrderStatus } from '../orders/order-status.enum';
import { canTransitionOrder } from '../orders/order-state-machine';
import {
  ACTION_STATUSES,
  allowedActions,
  assertActionAllowed,
  OrderAction,
  OrderActionNotAllowedError,
} from './order-actions';

describe('order actions', () => {
  it('lists the actions each status allows', () => {
    expect(allowedActions(OrderStatus.PENDING)).toEqual(['edit', 'confirm', 'payment', 'cancel']);
    expect(allowedActions(OrderStatus.CONFIRMED)).toEqual(['payment', 'fulfil', 'cancel']);
    expect(allowedActions(OrderStatus.PROCESSING)).toEqual(['payment', 'fulfil', 'cancel']);
    expect(allowedActions(OrderStatus.SHIPPED)).toEqual(['payment', 'deliver']);
    expect(allowedActions(OrderStatus.DELIVERED)).toEqual(['payment', 'return-request', 'refund']);
    expect(allowedActions(OrderStatus.CANCELLED)).toEqual(['refund']);
    expect(allowedActions(OrderStatus.RETURN_REQUESTED)).toEqual(['receive-return']);
    expect(allowedActions(OrderStatus.RETURNED)).toEqual(['refund']);
    expect(allowedActions(OrderStatus.REFUNDED)).toEqual([]);
  });

  it('agrees with the lifecycle table for every action that moves the order', () => {
    const target: Partial<Record<OrderAction, OrderStatus>> = {
      [OrderAction.CONFIRM]: OrderStatus.CONFIRMED,
      [OrderAction.CANCEL]: OrderStatus.CANCELLED,
      [OrderAction.DELIVER]: OrderStatus.DELIVERED,
      [OrderAction.REQUEST_RETURN]: OrderStatus.RETURN_REQUESTED,
      [OrderAction.RECEIVE_RETURN]: OrderStatus.RETURNED,
      [OrderAction.REFUND]: OrderStatus.REFUNDED,
    };
    for (const [action, to] of Object.entries(target)) {
      for (const from of ACTION_STATUSES[action as OrderAction]) {
        expect([from, to, canTransitionOrder(from, to!)]).toEqual([from, to, true]);
      }
    }
  });

  it('refuses with 409 INVALID_TRANSITION naming the allowed actions', () => {
    const order = { orderNumber: 'ORD-2026-000001', status: OrderStatus.SHIPPED };
    expect(() => assertActionAllowed(order, OrderAction.DELIVER)).not.toThrow();
    try {
      assertActionAllowed(order, OrderAction.CANCEL);
      throw new Error('expected a refusal');
    } catch (error) {
      expect(error).toBeInstanceOf(OrderActionNotAllowedError);
      const e = error as OrderActionNotAllowedError;
      expect(e.status).toBe(409);
      expect(e.code).toBe('INVALID_TRANSITION');
      expect(e.message).toBe(
        'Order ORD-2026-000001 is shipped: cancel is not allowed; allowed actions: payment, deliver',
      );
      expect(e.extra).toEqual({
        from: 'shipped',
        action: 'cancel',
        allowed: ['payment', 'deliver'],
        allowedFrom: ['pending', 'confirmed', 'processing'],
      });
    }
  });
});
