import { toCustomerTimeline, TimelineSource } from './customer-timeline';
import { OrderHistoryAction as A } from './order-history-action.enum';

let clock = Date.parse('2026-03-01T10:00:00.000Z');
function entry(action: A, oldStatus: string | null = null, newStatus: string | null = null): TimelineSource {
  clock += 60_000;
  return { action, oldStatus, newStatus, createdAt: new Date(clock) };
}

describe('toCustomerTimeline', () => {
  it('follows a whole lifecycle, hiding internal steps and fulfillment-level status moves', () => {
    const trail = [
      entry(A.CREATED, null, 'pending'),
      entry(A.EDITED),
      entry(A.NOTE_ADDED),
      entry(A.PAYMENT_FAILED),
      entry(A.PAYMENT_RECEIVED),
      entry(A.INVENTORY_RESERVED),
      entry(A.CONFIRMED, 'pending', 'confirmed'),
      entry(A.ASSIGNED),
      entry(A.PROCESSING_STARTED, 'pending', 'picking'), // the fulfillment starts picking
      entry(A.STATUS_CHANGED, 'confirmed', 'processing'), // the order moves
      entry(A.STATUS_CHANGED, 'picking', 'packing'), // fulfillment only
      entry(A.PACKED, 'packing', 'ready_to_ship'),
      entry(A.SHIPPED, 'ready_to_ship', 'shipped'), // the fulfillment ships
      entry(A.STATUS_CHANGED, 'shipped', 'fulfilled'), // fulfillment only
      entry(A.SHIPPED, 'processing', 'shipped'), // the order ships
      entry(A.STATUS_CHANGED, 'shipped', 'fulfilled'), // fulfillment only, same old status as the order
      entry(A.INVENTORY_RELEASED),
      entry(A.DELIVERED, 'shipped', 'delivered'),
      entry(A.RETURN_REQUESTED, 'delivered', 'return_requested'),
      entry(A.RETURNED, 'return_requested', 'returned'),
      entry(A.REFUNDED, 'returned', 'refunded'),
    ];
    const timeline = toCustomerTimeline(trail);
    expect(timeline.map((e) => [e.action, e.status, e.description])).toEqual([
      ['created', 'pending', 'We received your order.'],
      ['payment_received', 'pending', 'We received your payment.'],
      ['confirmed', 'confirmed', 'Your order is confirmed.'],
      ['processing_started', 'confirmed', 'We started preparing your order.'],
      ['status_changed', 'processing', 'Your order is now being prepared.'],
      ['shipped', 'processing', 'A shipment of your order is on its way.'],
      ['shipped', 'shipped', 'Your order has shipped.'],
      ['delivered', 'delivered', 'Your order was delivered.'],
      ['return_requested', 'return_requested', 'We received your return request.'],
      ['returned', 'returned', 'We received your returned items.'],
      ['refunded', 'refunded', 'A refund was issued for your order.'],
    ]);
    expect(timeline[0].occurredAt).toBe(trail[0].createdAt.toISOString());
  });

  it('keeps only action, status, generated description and time: nothing staff-written or internal', () => {
    const [line] = toCustomerTimeline([
      {
        ...entry(A.CREATED, null, 'pending'),
        description: 'Internal: VIP, call 555-0100',
        performedBy: { id: 'u1', fullName: 'Staff Member' },
        ipAddress: '10.0.0.1',
        userAgent: 'curl/8',
        additionalData: { secret: 'x' },
      } as TimelineSource,
    ]);
    expect(Object.keys(line).sort()).toEqual(['action', 'description', 'occurredAt', 'status']);
    expect(JSON.stringify(line)).not.toMatch(/Internal|Staff|10\.0\.0\.1|curl|secret/);
  });

  it('never shows notes, edits, assignments, packing, inventory or failed payments', () => {
    const internal = [
      A.NOTE_ADDED,
      A.EDITED,
      A.ASSIGNED,
      A.PACKED,
      A.INVENTORY_RESERVED,
      A.INVENTORY_RELEASED,
      A.PAYMENT_FAILED,
    ];
    expect(
      toCustomerTimeline([entry(A.CREATED, null, 'pending'), ...internal.map((a) => entry(a))]),
    ).toHaveLength(1);
  });

  it('does not mistake a fulfillment cancellation for the order being cancelled', () => {
    const timeline = toCustomerTimeline([
      entry(A.CREATED, null, 'pending'),
      entry(A.CONFIRMED, 'pending', 'confirmed'),
      entry(A.CANCELLED, 'picking', 'cancelled'), // a fulfillment, recorded with its own statuses
      entry(A.STATUS_CHANGED, 'pending', 'cancelled'), // another fulfillment
      entry(A.CANCELLED, 'confirmed', 'cancelled'), // the order
    ]);
    expect(timeline.map((e) => [e.action, e.status])).toEqual([
      ['created', 'pending'],
      ['confirmed', 'confirmed'],
      ['cancelled', 'cancelled'],
    ]);
  });

  it('tells a partial shipment (order to processing, or no status change) from the order shipping', () => {
    const timeline = toCustomerTimeline([
      entry(A.CREATED, null, 'pending'),
      entry(A.CONFIRMED, 'pending', 'confirmed'),
      entry(A.STATUS_CHANGED), // a fulfillment was created (its statuses live in additionalData)
      entry(A.SHIPPED, 'confirmed', 'processing'), // first of two shipments moves the order on
      entry(A.SHIPPED), // another shipment, order still processing
      entry(A.SHIPPED, 'processing', 'shipped'), // the last one
    ]);
    expect(timeline.slice(2).map((e) => [e.action, e.status, e.description])).toEqual([
      ['shipped', 'processing', 'A shipment of your order is on its way.'],
      ['shipped', 'processing', 'A shipment of your order is on its way.'],
      ['shipped', 'shipped', 'Your order has shipped.'],
    ]);
  });

  it('shows a status-less refund or payment with the current order status', () => {
    const timeline = toCustomerTimeline([
      entry(A.CREATED, null, 'pending'),
      entry(A.CANCELLED, 'pending', 'cancelled'),
      entry(A.REFUNDED),
    ]);
    expect(timeline.map((e) => [e.action, e.status])).toEqual([
      ['created', 'pending'],
      ['cancelled', 'cancelled'],
      ['refunded', 'cancelled'],
    ]);
  });

  it('hides a status_changed that does not change the order status', () => {
    const timeline = toCustomerTimeline([
      entry(A.CREATED, null, 'pending'),
      entry(A.STATUS_CHANGED, 'pending', 'pending'),
      entry(A.STATUS_CHANGED, 'confirmed', 'processing'), // does not start from the current status
    ]);
    expect(timeline.map((e) => e.action)).toEqual(['created']);
  });

  it('works on a trail whose beginning it does not know', () => {
    const timeline = toCustomerTimeline([
      entry(A.STATUS_CHANGED, 'confirmed', 'processing'),
      entry(A.STATUS_CHANGED, 'picking', 'packing'),
    ]);
    expect(timeline.map((e) => [e.action, e.status])).toEqual([['status_changed', 'processing']]);
    expect(toCustomerTimeline([])).toEqual([]);
  });
});
