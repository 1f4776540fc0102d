import { InvalidTransitionError } from '../common/errors';
import { OrderStatus } from './order-status.enum';
import { assertOrderTransition, canTransitionOrder, ORDER_TRANSITIONS } from './order-state-machine';

const S = OrderStatus;

describe('order lifecycle table', () => {
  it('has an entry for every status, naming only statuses', () => {
    expect(Object.keys(ORDER_TRANSITIONS).sort()).toEqual(Object.values(S).sort());
    for (const targets of Object.values(ORDER_TRANSITIONS)) {
      for (const to of targets) expect(Object.values(S)).toContain(to);
    }
  });

  it('keeps the moves fulfillment relies on', () => {
    expect(canTransitionOrder(S.CONFIRMED, S.PROCESSING)).toBe(true);
    expect(canTransitionOrder(S.CONFIRMED, S.SHIPPED)).toBe(true);
    expect(canTransitionOrder(S.PROCESSING, S.SHIPPED)).toBe(true);
  });

  it('refuses going back or skipping ahead, naming the allowed statuses', () => {
    expect(canTransitionOrder(S.SHIPPED, S.CANCELLED)).toBe(false);
    expect(canTransitionOrder(S.PENDING, S.SHIPPED)).toBe(false);
    expect(canTransitionOrder(S.REFUNDED, S.PENDING)).toBe(false);
    expect(() => assertOrderTransition(S.DELIVERED, S.PENDING)).toThrow(InvalidTransitionError);
    let error: unknown;
    try {
      assertOrderTransition(S.PENDING, S.DELIVERED);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(InvalidTransitionError);
    expect((error as InvalidTransitionError).extra).toEqual({
      from: 'pending',
      to: 'delivered',
      allowed: ['confirmed', 'cancelled'],
    });
  });

  it('has refunded as its only final status', () => {
    const finals = Object.values(S).filter((s) => ORDER_TRANSITIONS[s].length === 0);
    expect(finals).toEqual([S.REFUNDED]);
  });
});
