import { Order } from '../orders/order.entity';
import { OrderItem } from '../orders/order-item.entity';
import { formatMoney, fromCents, toCents } from '../orders/money';
import { toOrderItemResponse, toShippingAddressResponse } from '../orders/order-response';
import { OrderItemResponse } from '../orders/dto/order.dto';
import { FulfillmentStatus } from '../fulfillment/fulfillment-status.enum';
import type {
  OrderDetailFulfillmentRow,
  OrderDetailItemRow,
  OrderDetailOrderRow,
  OrderItemRow,
} from '../reporting/order-details.repository';
import { allowedActions } from './order-actions';
import { OrderDetailResponse } from './dto/order-detail.dto';
import { CustomerOrderDetailResponse, CustomerOrderResponse } from './dto/customer-order.dto';

const isoOf = (value: Date | string) => new Date(value).toISOString();

/** An item of an order's views, from its row. */
function toOrderItemResponseFromRow(item: OrderItemRow): OrderItemResponse {
  return {
    id: item.id,
    variantId: item.product_variant_id,
    sku: item.sku,
    name: item.name,
    quantity: item.quantity,
    unitPrice: formatMoney(item.unit_price),
    lineTotal: fromCents(toCents(item.unit_price) * item.quantity),
    quantityReturned: item.quantity_returned,
  };
}

/** The staff view: the order, its items with reserved/shipped quantities, fulfillments, next actions. */
export function toOrderDetailResponse(
  order: OrderDetailOrderRow,
  itemRows: OrderDetailItemRow[],
  fulfillments: OrderDetailFulfillmentRow[],
): OrderDetailResponse {
  const items = itemRows.map((item) => ({
    ...toOrderItemResponseFromRow(item),
    quantityReserved: item.quantity_reserved,
    quantityFulfilled: item.quantity_fulfilled,
    quantityShipped: item.quantity_shipped,
  }));
  return {
    id: order.id,
    orderNumber: order.order_number,
    customerId: order.customer_id,
    status: order.status,
    currency: order.currency,
    totalAmount: formatMoney(order.total_amount),
    amountPaid: formatMoney(order.amount_paid),
    amountRefunded: formatMoney(order.amount_refunded),
    shippingAddress: toShippingAddressResponse(order.shipping_address),
    items,
    createdAt: isoOf(order.created_at),
    updatedAt: isoOf(order.updated_at),
    reservations: {
      active: itemRows.reduce((sum, item) => sum + item.active_reservations, 0),
      unitsReserved: items.reduce((sum, item) => sum + item.quantityReserved, 0),
      unitsFulfilled: items.reduce((sum, item) => sum + item.quantityFulfilled, 0),
    },
    fulfillments: fulfillments.map((f) => ({
      id: f.id,
      fulfillmentNumber: f.fulfillment_number,
      status: f.status,
      warehouseLocation: f.warehouse_location,
      items: { ...f.items },
      assignedToId: f.assigned_to_id ?? null,
      shippedAt: f.shipped_at ? isoOf(f.shipped_at) : null,
      createdAt: isoOf(f.created_at),
    })),
    allowedActions: allowedActions({
      status: order.status,
      totalAmount: order.total_amount,
      amountPaid: order.amount_paid,
      amountRefunded: order.amount_refunded,
      items: itemRows.map((item) => ({
        quantity: item.quantity,
        committed: item.quantity_committed,
        shipped: item.quantity_shipped,
        returned: item.quantity_returned,
      })),
    }),
  };
}

/** The customer view: cancelled fulfillments are left out; nothing internal is mapped. */
export function toCustomerOrderDetailResponse(
  order: OrderDetailOrderRow,
  items: OrderItemRow[],
  fulfillments: OrderDetailFulfillmentRow[],
): CustomerOrderDetailResponse {
  return {
    id: order.id,
    orderNumber: order.order_number,
    status: order.status,
    currency: order.currency,
    totalAmount: formatMoney(order.total_amount),
    amountPaid: formatMoney(order.amount_paid),
    amountRefunded: formatMoney(order.amount_refunded),
    shippingAddress: toShippingAddressResponse(order.shipping_address),
    items: items.map(toOrderItemResponseFromRow),
    createdAt: isoOf(order.created_at),
    updatedAt: isoOf(order.updated_at),
    shipments: fulfillments
      .filter((f) => f.status !== FulfillmentStatus.CANCELLED)
      .map((f) => ({
        fulfillmentNumber: f.fulfillment_number,
        status: f.status,
        shippedAt: f.shipped_at ? isoOf(f.shipped_at) : null,
        items: items
          .filter((item) => (f.items[item.id] ?? 0) > 0)
          .map((item) => ({
            orderItemId: item.id,
            sku: item.sku,
            name: item.name,
            quantity: f.items[item.id],
          })),
      })),
  };
}

export function toCustomerOrderResponse(order: Order, items: OrderItem[]): CustomerOrderResponse {
  return {
    id: order.id,
    orderNumber: order.orderNumber,
    status: order.status,
    currency: order.currency,
    totalAmount: formatMoney(order.totalAmount),
    amountPaid: formatMoney(order.amountPaid),
    amountRefunded: formatMoney(order.amountRefunded),
    shippingAddress: toShippingAddressResponse(order.shippingAddress),
    items: items.map(toOrderItemResponse),
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}
