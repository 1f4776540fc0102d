import { Order } from '../orders/order.entity';
import { OrderItem } from '../orders/order-item.entity';
import { formatMoney } from '../orders/money';
import { toOrderItemResponse, toOrderResponse, toShippingAddressResponse } from '../orders/order-response';
import { OrderFulfillment } from '../fulfillment/order-fulfillment.entity';
import { FulfillmentStatus } from '../fulfillment/fulfillment-status.enum';
import { InventoryReservation } from '../reservations/inventory-reservation.entity';
import { allowedActions } from './order-actions';
import { OrderDetailResponse, OrderFulfillmentSummaryResponse } from './dto/order-detail.dto';
import {
  CustomerOrderDetailResponse,
  CustomerOrderResponse,
  ShipmentResponse,
} from './dto/customer-order.dto';

export interface OrderParts {
  order: Order;
  items: OrderItem[];
  reservations: InventoryReservation[];
  fulfillments: OrderFulfillment[];
  shipped: Record<string, number>;
}

export function toOrderFulfillmentSummary(f: OrderFulfillment): OrderFulfillmentSummaryResponse {
  return {
    id: f.id,
    fulfillmentNumber: f.fulfillmentNumber,
    status: f.status,
    warehouseLocation: f.warehouseLocation,
    items: { ...f.items },
    assignedToId: f.assignedTo?.id ?? null,
    shippedAt: f.shippedAt?.toISOString() ?? null,
    createdAt: f.createdAt.toISOString(),
  };
}

/** The staff view: the order, its items with reserved/shipped quantities, fulfillments, next actions. */
export function toOrderDetailResponse(parts: OrderParts): OrderDetailResponse {
  const perItem = new Map<string, { reserved: number; fulfilled: number }>();
  let active = 0;
  for (const r of parts.reservations) {
    const totals = perItem.get(r.orderItem.id) ?? { reserved: 0, fulfilled: 0 };
    if (r.isActive) {
      active += 1;
      totals.reserved += r.quantityReserved - r.quantityFulfilled;
    }
    totals.fulfilled += r.quantityFulfilled;
    perItem.set(r.orderItem.id, totals);
  }
  const base = toOrderResponse(parts.order, parts.items);
  const items = parts.items.map((item, index) => ({
    ...base.items[index],
    quantityReserved: perItem.get(item.id)?.reserved ?? 0,
    quantityFulfilled: perItem.get(item.id)?.fulfilled ?? 0,
    quantityShipped: parts.shipped[item.id] ?? 0,
  }));
  return {
    ...base,
    items,
    reservations: {
      active,
      unitsReserved: items.reduce((sum, item) => sum + item.quantityReserved, 0),
      unitsFulfilled: items.reduce((sum, item) => sum + item.quantityFulfilled, 0),
    },
    fulfillments: parts.fulfillments.map(toOrderFulfillmentSummary),
    allowedActions: allowedActions(parts.order.status),
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

export function toShipmentResponse(
  f: OrderFulfillment,
  items: ReadonlyMap<string, OrderItem>,
): ShipmentResponse {
  return {
    fulfillmentNumber: f.fulfillmentNumber,
    status: f.status,
    shippedAt: f.shippedAt?.toISOString() ?? null,
    // In the order's item order (jsonb keeps its keys in its own order).
    items: [...items.values()]
      .filter((item) => (f.items[item.id] ?? 0) > 0)
      .map((item) => ({ orderItemId: item.id, sku: item.sku, name: item.name, quantity: f.items[item.id] })),
  };
}

/** The customer view: cancelled fulfillments are left out; nothing internal is mapped. */
export function toCustomerOrderDetailResponse(
  order: Order,
  items: OrderItem[],
  fulfillments: OrderFulfillment[],
): CustomerOrderDetailResponse {
  const byId = new Map(items.map((item) => [item.id, item]));
  return {
    ...toCustomerOrderResponse(order, items),
    shipments: fulfillments
      .filter((f) => f.status !== FulfillmentStatus.CANCELLED)
      .map((f) => toShipmentResponse(f, byId)),
  };
}
