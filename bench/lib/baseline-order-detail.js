'use strict';
// The baseline's GET /orders/:id, statement for statement as OMS issues it (see bench/lib/baseline-sql.js).
const { HttpError, iso, cents, money } = require('./baseline-common');

// --- GET /orders/:id (OrderDetailsService.get) -------------------------------------------------

const ACTION_STATUSES = {
  edit: ['pending'],
  confirm: ['pending'],
  payment: ['pending', 'confirmed', 'processing', 'shipped', 'delivered'],
  fulfil: ['confirmed', 'processing'],
  cancel: ['pending', 'confirmed', 'processing'],
  deliver: ['shipped'],
  'return-request': ['delivered'],
  'receive-return': ['return_requested'],
  refund: ['delivered', 'cancelled', 'returned'],
};

// src/order-management/order-actions.ts ACTION_RULES: each action's rule beyond the status.
const returnable = (items) => items.some((i) => i.quantity_shipped > i.quantity_returned);
const ACTION_RULES = {
  edit: () => true,
  confirm: () => true,
  payment: (o) => cents(o.total_amount) > cents(o.amount_paid),
  fulfil: (o, items) => items.some((i) => i.quantity > i.quantity_committed),
  cancel: (o, items) => !items.some((i) => i.quantity_shipped > 0),
  deliver: () => true,
  'return-request': (o, items) => returnable(items),
  'receive-return': (o, items) => returnable(items),
  refund: (o) => cents(o.amount_paid) > cents(o.amount_refunded),
};

// OrderDetailsService.get: three statements run concurrently, on three pooled connections.
async function orderDetail(db, id) {
  const [{ rows: orders }, { rows: items }, { rows: fulfillments }] = await Promise.all([
    db.query(
      `select id, order_number, customer_id, status, currency, total_amount, amount_paid,
       amount_refunded, shipping_address, created_at, updated_at
  from orders where id = $1`,
      [id],
    ),
    db.query(
      `select i.id, i.product_variant_id, i.sku, i.name, i.quantity, i.unit_price, i.quantity_returned,
       coalesce(r.reserved, 0)::int as quantity_reserved,
       coalesce(r.fulfilled, 0)::int as quantity_fulfilled,
       coalesce(s.shipped, 0)::int as quantity_shipped,
       coalesce(s.committed, 0)::int as quantity_committed,
       coalesce(r.active, 0)::int as active_reservations
  from order_items i
  left join lateral (
    select sum(quantity_reserved - quantity_fulfilled) filter (where is_active) as reserved,
           sum(quantity_fulfilled) as fulfilled,
           count(*) filter (where is_active) as active
      from inventory_reservations where order_item_id = i.id) r on true
  left join lateral (
    select sum((f.items ->> i.id::text)::int)
             filter (where f.status in ('shipped', 'partially_fulfilled', 'fulfilled')) as shipped,
           sum((f.items ->> i.id::text)::int) filter (where f.status <> 'cancelled') as committed
      from order_fulfillments f
     where f.order_id = i.order_id) s on true
 where i.order_id = $1
 order by i.created_at asc, i.id asc`,
      [id],
    ),
    db.query(
      `select id, fulfillment_number, status, warehouse_location, items, assigned_to_id, shipped_at, created_at
  from order_fulfillments where order_id = $1
 order by created_at asc, id asc limit $2`,
      [id, 100],
    ),
  ]);
  const order = orders[0];
  if (!order) throw new HttpError(404, 'NOT_FOUND', `Order ${id} not found`);
  const address = order.shipping_address;
  const itemResponses = items.map((item) => ({
    id: item.id,
    variantId: item.product_variant_id,
    sku: item.sku,
    name: item.name,
    quantity: item.quantity,
    unitPrice: money(cents(item.unit_price)),
    lineTotal: money(cents(item.unit_price) * item.quantity),
    quantityReturned: item.quantity_returned,
    quantityReserved: item.quantity_reserved,
    quantityFulfilled: item.quantity_fulfilled,
    quantityShipped: item.quantity_shipped,
  }));
  return [
    200,
    {
      id: order.id,
      orderNumber: order.order_number,
      customerId: order.customer_id,
      status: order.status,
      currency: order.currency,
      totalAmount: money(cents(order.total_amount)),
      amountPaid: money(cents(order.amount_paid)),
      amountRefunded: money(cents(order.amount_refunded)),
      shippingAddress: {
        name: address.name,
        line1: address.line1,
        ...(address.line2 != null ? { line2: address.line2 } : {}),
        city: address.city,
        postalCode: address.postalCode,
        ...(address.region != null ? { region: address.region } : {}),
        country: address.country,
        ...(address.phone != null ? { phone: address.phone } : {}),
      },
      items: itemResponses,
      createdAt: iso(order.created_at),
      updatedAt: iso(order.updated_at),
      reservations: {
        active: items.reduce((s, i) => s + i.active_reservations, 0),
        unitsReserved: itemResponses.reduce((s, i) => s + i.quantityReserved, 0),
        unitsFulfilled: itemResponses.reduce((s, i) => s + i.quantityFulfilled, 0),
      },
      fulfillments: fulfillments.map((f) => ({
        id: f.id,
        fulfillmentNumber: f.fulfillment_number,
        status: f.status,
        warehouseLocation: f.warehouse_location,
        items: { ...f.items },
        assignedToId: f.assigned_to_id ?? null,
        shippedAt: iso(f.shipped_at),
        createdAt: iso(f.created_at),
      })),
      allowedActions: Object.keys(ACTION_STATUSES).filter(
        (a) => ACTION_STATUSES[a].includes(order.status) && ACTION_RULES[a](order, items),
      ),
    },
  ];
}

module.exports = { orderDetail };
