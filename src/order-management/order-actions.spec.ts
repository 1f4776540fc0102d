import { OrderStatus } from '../orders/order-status.enum';
import { canTransitionOrder } from '../orders/order-state-machine';
import {
  ACTION_STATUSES,
  actionsOfStatus,
  allowedActions,
  OrderActionState,
  assertActionAllowed,
  OrderAction,
  OrderActionNotAllowedError,
} from './order-actions';

describe('order actions', () => {
  it('lists the actions each status allows, before their own rules', () => {
    expect(actionsOfStatus(OrderStatus.PENDING)).toEqual(['edit', 'confirm', 'payment', 'cancel']);
    expect(actionsOfStatus(OrderStatus.CONFIRMED)).toEqual(['payment', 'fulfil', 'cancel']);
    expect(actionsOfStatus(OrderStatus.PROCESSING)).toEqual(['payment', 'fulfil', 'cancel']);
    expect(actionsOfStatus(OrderStatus.SHIPPED)).toEqual(['payment', 'deliver']);
    expect(actionsOfStatus(OrderStatus.DELIVERED)).toEqual(['payment', 'return-request', 'refund']);
    expect(actionsOfStatus(OrderStatus.CANCELLED)).toEqual(['refund']);
    expect(actionsOfStatus(OrderStatus.RETURN_REQUESTED)).toEqual(['receive-return']);
    expect(actionsOfStatus(OrderStatus.RETURNED)).toEqual(['refund']);
    expect(actionsOfStatus(OrderStatus.REFUNDED)).toEqual([]);
  });

  describe('allowedActions: the status and each action’s own rule', () => {
    const order = (over: Partial<OrderActionState>): OrderActionState => ({
      status: OrderStatus.PENDING,
      totalAmount: '10.00',
      amountPaid: '0.00',
      amountRefunded: '0.00',
      items: [{ quantity: 2, committed: 0, shipped: 0, returned: 0 }],
      ...over,
    });

    it('offers payment only while something is outstanding', () => {
      expect(allowedActions(order({}))).toContain('payment');
      expect(allowedActions(order({ amountPaid: '10.00' }))).not.toContain('payment');
      expect(allowedActions(order({ totalAmount: '0.00' }))).not.toContain('payment');
    });

    it('offers fulfil only while a unit is in no fulfillment', () => {
      const confirmed = { status: OrderStatus.CONFIRMED };
      const items = (committed: number) => [{ quantity: 2, committed, shipped: 0, returned: 0 }];
      expect(allowedActions(order({ ...confirmed, items: items(1) }))).toContain('fulfil');
      expect(allowedActions(order({ ...confirmed, items: items(2) }))).not.toContain('fulfil');
    });

    it('offers cancel only while nothing has shipped', () => {
      const processing = { status: OrderStatus.PROCESSING };
      const items = [
        { quantity: 1, committed: 1, shipped: 1, returned: 0 },
        { quantity: 1, committed: 1, shipped: 0, returned: 0 },
      ];
      expect(allowedActions(order({ ...processing, items }))).toEqual(['payment']);
    });

    it('offers returns while a shipped unit is not back, refunds while something is refundable', () => {
      const delivered = (returned: number, amountRefunded = '0.00') =>
        allowedActions(
          order({
            status: OrderStatus.DELIVERED,
            amountPaid: '10.00',
            amountRefunded,
            items: [{ quantity: 2, committed: 2, shipped: 2, returned }],
          }),
        );
      expect(delivered(1)).toEqual(['return-request', 'refund']);
      expect(delivered(2)).toEqual(['refund']);
      expect(delivered(2, '10.00')).toEqual([]);
    });
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
