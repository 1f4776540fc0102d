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

async function orderDetail(db, id) {
  const { rows: orders } = await db.query(
    'select "o0".* from "orders" as "o0" where "o0"."id" = $1 limit 1',
    [id],
  );
  const order = orders[0];
  if (!order) throw new HttpError(404, 'NOT_FOUND', `Order ${id} not found`);
  const { rows: items } = await db.query(
    'select "o0".* from "order_items" as "o0" where "o0"."order_id" = $1 order by "o0"."created_at" asc, "o0"."id" asc',
    [id],
  );
  const { rows: reservations } = await db.query(
    'select "i0".* from "inventory_reservations" as "i0" where "i0"."order_id" = $1 order by "i0"."reserved_at" asc, "i0"."id" asc',
    [id],
  );
  // OrderDetailsService.fulfillmentsOf: up to 100, no count.
  const { rows: fulfillments } = await db.query(
    'select "o0".* from "order_fulfillments" as "o0" where "o0"."order_id" = $1 order by "o0"."created_at" asc, "o0"."id" asc limit 100',
    [id],
  );
  const { rows: shippedRows } = await db.query(
    `select e.key as order_item_id, sum(e.value::int) as quantity
         from order_fulfillments f cross join lateral jsonb_each_text(f.items) e
        where f.order_id = $1 and f.status in ('shipped', 'partially_fulfilled', 'fulfilled')
        group by e.key`,
    [id],
  );
  const shipped = Object.fromEntries(shippedRows.map((r) => [r.order_item_id, Number(r.quantity)]));
  const perItem = new Map();
  let active = 0;
  for (const r of reservations) {
    const totals = perItem.get(r.order_item_id) ?? { reserved: 0, fulfilled: 0 };
    if (r.is_active) {
      active += 1;
      totals.reserved += r.quantity_reserved - r.quantity_fulfilled;
    }
    totals.fulfilled += r.quantity_fulfilled;
    perItem.set(r.order_item_id, totals);
  }
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
    quantityReserved: perItem.get(item.id)?.reserved ?? 0,
    quantityFulfilled: perItem.get(item.id)?.fulfilled ?? 0,
    quantityShipped: shipped[item.id] ?? 0,
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
        ...(address.line2 !== undefined ? { line2: address.line2 } : {}),
        city: address.city,
        postalCode: address.postalCode,
        ...(address.region !== undefined ? { region: address.region } : {}),
        country: address.country,
        ...(address.phone !== undefined ? { phone: address.phone } : {}),
      },
      items: itemResponses,
      createdAt: iso(order.created_at),
      updatedAt: iso(order.updated_at),
      reservations: {
        active,
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
      allowedActions: Object.keys(ACTION_STATUSES).filter((a) => ACTION_STATUSES[a].includes(order.status)),
    },
  ];
}

module.exports = { orderDetail };
