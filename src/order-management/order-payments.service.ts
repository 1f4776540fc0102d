import { Injectable } from '@nestjs/common';
import { ConflictError } from '../common/errors';
import { OrderHistoryService } from '../history/order-history.service';
import { OrderHistoryAction } from '../history/order-history-action.enum';
import { formatMoney, fromCents, toCents } from '../orders/money';
import { outstandingCents, refundableCents } from '../orders/order-amounts';
import { OrderStatus } from '../orders/order-status.enum';
import { OrdersService } from '../orders/orders.service';
import { assertActionAllowed, OrderAction } from './order-actions';
import { OrderDetailsService } from './order-details.service';
import { PaymentOutcome, RecordPaymentDto, RefundDto } from './dto/order-actions.dto';
import { OrderDetailResponse } from './dto/order-detail.dto';

/**
 * Money in and out. Payments never move the status, never exceed the total, and are not taken at
 * all once nothing is outstanding; amounts are added in integer cents under the
 * order lock, so concurrent payments or refunds cannot lose one another.
 *
 * The refund rule: a refund may be taken from a delivered, cancelled or returned order, and all
 * refunds together never exceed what was paid. When they reach the amount paid the order becomes
 * `refunded`; a partial refund keeps the status (and its history entry shows old = new status).
 */
@Injectable()
export class OrderPaymentsService {
  constructor(
    private readonly orders: OrdersService,
    private readonly history: OrderHistoryService,
    private readonly details: OrderDetailsService,
  ) {}

  async recordPayment(orderId: string, dto: RecordPaymentDto): Promise<OrderDetailResponse> {
    const order = await this.orders.lock(orderId);
    assertActionAllowed(order, OrderAction.PAYMENT);
    // Nothing to pay, nothing to attempt: neither outcome is recorded (allowedActions leaves payment out).
    if (outstandingCents(order) <= 0) {
      throw new ConflictError(
        `Order ${order.orderNumber} is paid in full (${formatMoney(order.amountPaid)} of ${formatMoney(order.totalAmount)}); there is nothing to pay`,
        {
          totalAmount: formatMoney(order.totalAmount),
          amountPaid: formatMoney(order.amountPaid),
          outstanding: '0.00',
        },
      );
    }
    const amount = toCents(dto.amount);
    if (dto.outcome === PaymentOutcome.FAILED) {
      await this.history.record({
        order,
        action: OrderHistoryAction.PAYMENT_FAILED,
        oldStatus: order.status,
        newStatus: order.status,
        description: `Payment of ${fromCents(amount)} ${order.currency} failed (${dto.reference})`,
        additionalData: { amount: fromCents(amount), reference: dto.reference },
      });
      return this.details.describe(order);
    }
    const total = toCents(order.totalAmount);
    const paid = toCents(order.amountPaid);
    const outstanding = outstandingCents(order);
    if (amount > outstanding) {
      throw new ConflictError(
        `A payment of ${fromCents(amount)} would exceed the order total: ${fromCents(paid)} of ${fromCents(total)} is paid, ${fromCents(outstanding)} is outstanding`,
        { totalAmount: fromCents(total), amountPaid: fromCents(paid), outstanding: fromCents(outstanding) },
      );
    }
    const amountPaid = fromCents(paid + amount);
    await this.orders.change(order, {
      action: OrderHistoryAction.PAYMENT_RECEIVED,
      description: `Payment of ${fromCents(amount)} ${order.currency} received (${dto.reference})`,
      additionalData: { amount: fromCents(amount), reference: dto.reference, amountPaid },
      columns: { amountPaid },
    });
    return this.details.describe(order);
  }

  async refund(orderId: string, dto: RefundDto): Promise<OrderDetailResponse> {
    const order = await this.orders.lock(orderId);
    assertActionAllowed(order, OrderAction.REFUND);
    const amount = toCents(dto.amount);
    const paid = toCents(order.amountPaid);
    const refunded = toCents(order.amountRefunded);
    if (amount > refundableCents(order)) {
      throw new ConflictError(
        `A refund of ${fromCents(amount)} exceeds what can be refunded: ${fromCents(paid)} paid, ${fromCents(refunded)} refunded already`,
        {
          amountPaid: fromCents(paid),
          amountRefunded: fromCents(refunded),
          refundable: fromCents(paid - refunded),
        },
      );
    }
    const amountRefunded = fromCents(refunded + amount);
    const full = refunded + amount === paid;
    const change = {
      action: OrderHistoryAction.REFUNDED,
      description: `${full ? 'Full' : 'Partial'} refund of ${fromCents(amount)} ${order.currency}: ${dto.reason}`,
      additionalData: {
        amount: fromCents(amount),
        reason: dto.reason,
        amountRefunded,
        amountPaid: order.amountPaid,
        fullyRefunded: full,
      },
      columns: { amountRefunded },
    };
    // Refunded in full: the order becomes refunded (a partial refund keeps its status).
    if (full) await this.orders.changeStatus(order, OrderStatus.REFUNDED, change);
    else await this.orders.change(order, change);
    return this.details.describe(order);
  }
}
