import { Order, ShippingAddress } from '../orders/order.entity';
import { OrderItem } from '../orders/order-item.entity';
import { OrderStatus } from '../orders/order-status.enum';
import { formatMoney, fromCents, toCents } from '../orders/money';
import { toOrderItemResponse, toOrderResponse, toShippingAddressResponse } from '../orders/order-response';
import { OrderItemResponse } from '../orders/dto/order.dto';
import { FulfillmentItems, OrderFulfillment } from '../fulfillment/order-fulfillment.entity';
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
  /** Per item, the units in fulfillments that are not cancelled. */
  committed: Record<string, number>;
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
    allowedActions: allowedActions({
      status: parts.order.status,
      totalAmount: parts.order.totalAmount,
      amountPaid: parts.order.amountPaid,
      amountRefunded: parts.order.amountRefunded,
      items: parts.items.map((item) => ({
        quantity: item.quantity,
        committed: parts.committed[item.id] ?? 0,
        shipped: parts.shipped[item.id] ?? 0,
        returned: item.quantityReturned,
      })),
    }),
  };
}

/** The `orders` columns of the order detail (GET /orders/:id reads rows, not entities). */
export interface OrderDetailOrderRow {
  id: string;
  order_number: string;
  customer_id: string;
  status: OrderStatus;
  currency: string;
  total_amount: string;
  amount_paid: string;
  amount_refunded: string;
  shipping_address: ShippingAddress;
  created_at: Date | string;
  updated_at: Date | string;
}

/** The `order_items` columns of an order's views. */
export interface OrderItemRow {
  id: string;
  product_variant_id: string;
  sku: string;
  name: string;
  quantity: number;
  unit_price: string;
  quantity_returned: number;
}

/** An `order_items` row with its reservation totals and shipped units. */
export interface OrderDetailItemRow extends OrderItemRow {
  /** Σ (reserved − fulfilled) over the item's active reservations. */
  quantity_reserved: number;
  /** Σ fulfilled over all the item's reservations. */
  quantity_fulfilled: number;
  /** Units in the order's shipped fulfillments. */
  quantity_shipped: number;
  /** Units in the order's fulfillments that are not cancelled. */
  quantity_committed: number;
  /** The item's active reservations. */
  active_reservations: number;
}

/** The `order_fulfillments` columns of the order detail. */
export interface OrderDetailFulfillmentRow {
  id: string;
  fulfillment_number: string;
  status: FulfillmentStatus;
  warehouse_location: string;
  items: FulfillmentItems;
  assigned_to_id: string | null;
  shipped_at: Date | string | null;
  created_at: Date | string;
}

const isoOf = (value: Date | string) => new Date(value).toISOString();

/** The same as `toOrderItemResponse`, from a row. */
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

/** The same response as `toOrderDetailResponse`, from rows. */
export function toOrderDetailResponseFromRows(
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

/** The same response as `toCustomerOrderDetailResponse`, from rows. */
export function toCustomerOrderDetailResponseFromRows(
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
