import { Order, ShippingAddress } from './order.entity';
import { OrderItem } from './order-item.entity';
import { formatMoney, fromCents, toCents } from './money';
import {
  OrderItemResponse,
  OrderResponse,
  OrderSummaryResponse,
  ShippingAddressResponse,
} from './dto/order.dto';

/** Optional fields are answered only when set: a `null` stored before `null` meant absent is left out too. */
export function toShippingAddressResponse(address: ShippingAddress): ShippingAddressResponse {
  const { name, line1, line2, city, postalCode, region, country, phone } = address;
  return {
    name,
    line1,
    ...(line2 != null ? { line2 } : {}),
    city,
    postalCode,
    ...(region != null ? { region } : {}),
    country,
    ...(phone != null ? { phone } : {}),
  };
}

export function toOrderItemResponse(item: OrderItem): OrderItemResponse {
  return {
    id: item.id,
    variantId: item.productVariant.id,
    sku: item.sku,
    name: item.name,
    quantity: item.quantity,
    unitPrice: formatMoney(item.unitPrice),
    lineTotal: fromCents(toCents(item.unitPrice) * item.quantity),
    quantityReturned: item.quantityReturned,
  };
}

export function toOrderResponse(order: Order, items: OrderItem[]): OrderResponse {
  return {
    id: order.id,
    orderNumber: order.orderNumber,
    customerId: order.customer.id,
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

/** A list row; the customer must be loaded (the list joins it). */
export function toOrderSummaryResponse(order: Order): OrderSummaryResponse {
  return {
    id: order.id,
    orderNumber: order.orderNumber,
    customerId: order.customer.id,
    customerEmail: order.customer.email,
    status: order.status,
    currency: order.currency,
    totalAmount: formatMoney(order.totalAmount),
    amountPaid: formatMoney(order.amountPaid),
    amountRefunded: formatMoney(order.amountRefunded),
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}
