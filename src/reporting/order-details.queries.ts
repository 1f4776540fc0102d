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

  /** The order with its items and fulfillments (one statement), or undefined. */
  async forStaff(orderId: string): Promise<StaffOrderDetailRows | undefined> {
    const row = await this.repository.staffView(orderId, FULFILLMENTS_SHOWN);
    if (!row) return undefined;
    const { items, fulfillments, ...order } = row;
    return { order, items, fulfillments };
  }

  /** The order only if it is `customerId`'s (else undefined, which reveals nothing), with its items and fulfillments. */
  async forCustomer(orderId: string, customerId: string): Promise<CustomerOrderDetailRows | undefined> {
    const row = await this.repository.customerView(orderId, customerId, FULFILLMENTS_SHOWN);
    if (!row) return undefined;
    const { items, fulfillments, ...order } = row;
    return { order, items, fulfillments };
  }
}
