import { OrderStatus } from '../orders/order-status.enum';
import { OrderHistoryAction } from './order-history-action.enum';

/** The fields of a history entry that the customer projection reads; nothing else reaches it. */
export interface TimelineSource {
  action: string;
  oldStatus: string | null;
  newStatus: string | null;
  createdAt: Date;
}

/** One line of a customer's order timeline: no staff, no IPs, no notes, no internal data. */
export interface CustomerTimelineEntry {
  action: OrderHistoryAction;
  /** The order's status after this event (null when the trail does not tell). */
  status: OrderStatus | null;
  description: string;
  occurredAt: string;
}

const A = OrderHistoryAction;
const ORDER_STATUSES = new Set<string>(Object.values(OrderStatus));

/** Shown whenever they appear. */
const ALWAYS_SHOWN = new Set<string>([A.CREATED, A.PAYMENT_RECEIVED, A.PROCESSING_STARTED, A.SHIPPED]);

/** Shown when they concern the order itself, not one of its fulfillments. */
const SHOWN_FOR_THE_ORDER = new Set<string>([
  A.CONFIRMED,
  A.DELIVERED,
  A.CANCELLED,
  A.REFUNDED,
  A.RETURN_REQUESTED,
  A.RETURNED,
]);

const STATUS_TEXT: Record<OrderStatus, string> = {
  [OrderStatus.PENDING]: 'pending',
  [OrderStatus.CONFIRMED]: 'confirmed',
  [OrderStatus.PROCESSING]: 'being prepared',
  [OrderStatus.SHIPPED]: 'shipped',
  [OrderStatus.DELIVERED]: 'delivered',
  [OrderStatus.CANCELLED]: 'cancelled',
  [OrderStatus.RETURN_REQUESTED]: 'return requested',
  [OrderStatus.RETURNED]: 'returned',
  [OrderStatus.REFUNDED]: 'refunded',
};

/** Customer-facing wording, generated from the event: the staff-written description never leaks. */
function describe(action: OrderHistoryAction, status: OrderStatus | null, orderShipped: boolean): string {
  switch (action) {
    case A.CREATED:
      return 'We received your order.';
    case A.CONFIRMED:
      return 'Your order is confirmed.';
    case A.PAYMENT_RECEIVED:
      return 'We received your payment.';
    case A.PROCESSING_STARTED:
      return 'We started preparing your order.';
    case A.SHIPPED:
      // Unless this entry moved the order to shipped, it is one shipment of several.
      return orderShipped ? 'Your order has shipped.' : 'A shipment of your order is on its way.';
    case A.DELIVERED:
      return 'Your order was delivered.';
    case A.CANCELLED:
      return 'Your order was cancelled.';
    case A.REFUNDED:
      return 'A refund was issued for your order.';
    case A.RETURN_REQUESTED:
      return 'We received your return request.';
    case A.RETURNED:
      return 'We received your returned items.';
    default:
      return `Your order is now ${status ? STATUS_TEXT[status] : 'updated'}.`;
  }
}

/**
 * The customer-safe projection of an order's trail (entries in chain order). Entries about one of
 * the order's fulfillments carry fulfillment statuses; they are told apart from order status
 * changes by following the order's own status along the trail: an entry moves the order only when
 * it starts from the order's current status and ends in an order status.
 */
export function toCustomerTimeline(entries: readonly TimelineSource[]): CustomerTimelineEntry[] {
  const timeline: CustomerTimelineEntry[] = [];
  let current: OrderStatus | null = null;
  for (const entry of entries) {
    const endsInOrderStatus = entry.newStatus !== null && ORDER_STATUSES.has(entry.newStatus);
    const startsFromOrder =
      entry.oldStatus === null
        ? current === null || entry.action === A.CREATED
        : current === null
          ? ORDER_STATUSES.has(entry.oldStatus)
          : entry.oldStatus === current;
    const aboutTheOrder =
      entry.newStatus === null ? entry.oldStatus === null || startsFromOrder : startsFromOrder;
    const movedOrder = aboutTheOrder && endsInOrderStatus && entry.newStatus !== current;
    if (movedOrder) current = entry.newStatus as OrderStatus;

    const action = entry.action as OrderHistoryAction;
    const shown =
      ALWAYS_SHOWN.has(action) ||
      (SHOWN_FOR_THE_ORDER.has(action) && aboutTheOrder) ||
      (action === A.STATUS_CHANGED && movedOrder);
    if (!shown) continue;
    timeline.push({
      action,
      status: current,
      description: describe(action, current, movedOrder && current === OrderStatus.SHIPPED),
      occurredAt: entry.createdAt.toISOString(),
    });
  }
  return timeline;
}
