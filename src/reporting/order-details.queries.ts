import { Injectable } from '@nestjs/common';
import {
  OrderDetailFulfillmentRow,
  OrderDetailItemRow,
  OrderDetailOrderRow,
  OrderDetailsRepository,
  OrderItemRow,
} from './order-details.repository';

/** An order has at most one fulfillment per item unit; 100 is plenty. */
export const FULFILLMENTS_SHOWN = 100;

export interface StaffOrderDetailRows {
  order: OrderDetailOrderRow;
  items: OrderDetailItemRow[];
  fulfillments: OrderDetailFulfillmentRow[];
}

export interface CustomerOrderDetailRows {
  order: OrderDetailOrderRow;
  items: OrderItemRow[];
  fulfillments: OrderDetailFulfillmentRow[];
}

/**
 * The rows of an order's views, for the staff and for its customer. The one read model of the
 * order detail: GET routes and every action's answer (after its changes are flushed) use it.
 */
@Injectable()
export class OrderDetailQueries {
  constructor(private readonly repository: OrderDetailsRepository) {}

  /** The order with its items and fulfillments (three statements at once), or undefined. */
  async forStaff(orderId: string): Promise<StaffOrderDetailRows | undefined> {
    const [order, items, fulfillments] = await Promise.all([
      this.repository.order(orderId),
      this.repository.detailItems(orderId),
      this.repository.fulfillments(orderId, FULFILLMENTS_SHOWN),
    ]);
    return order ? { order, items, fulfillments } : undefined;
  }

  /**
   * The order only if it is `customerId`'s (else undefined, which reveals nothing), then its items
   * and fulfillments.
   */
  async forCustomer(orderId: string, customerId: string): Promise<CustomerOrderDetailRows | undefined> {
    const order = await this.repository.order(orderId, customerId);
    if (!order) return undefined;
    const [items, fulfillments] = await Promise.all([
      this.repository.items(orderId),
      this.repository.fulfillments(orderId, FULFILLMENTS_SHOWN),
    ]);
    return { order, items, fulfillments };
  }
}
