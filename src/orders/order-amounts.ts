import { toCents } from './money';

/** The money columns of an order, as the entity and the detail row both carry them. */
export interface OrderAmounts {
  totalAmount: string;
  amountPaid: string;
  amountRefunded: string;
}

/**
 * What may still be paid, in cents. Payments never exceed the total (docs/architecture.md §3): a payment
 * above this is refused, and so is an edit that would make it negative. Refunds do not make room
 * for more payments: amountPaid counts every payment received, refunds are counted apart.
 */
export function outstandingCents(order: Pick<OrderAmounts, 'totalAmount' | 'amountPaid'>): number {
  return toCents(order.totalAmount) - toCents(order.amountPaid);
}

/** What may still be refunded, in cents: all refunds together never exceed what was paid. */
export function refundableCents(order: Pick<OrderAmounts, 'amountPaid' | 'amountRefunded'>): number {
  return toCents(order.amountPaid) - toCents(order.amountRefunded);
}
