'use strict';
// The SQL of each scenario exactly as OMS issues it (statement for statement, same text; values
// passed as $n parameters where MikroORM inlines them as literals), captured with
// `npm run bench -- --trace-sql`, which re-checks it on every run of that mode. Responses have
// the same shape as OMS's response mappers produce.
const { randomUUID } = require('node:crypto');
// Pure functions of the app (no framework): the history hash, so that entries are valid chain links.
const { hashEntry } = require('../../dist/history/history-hash');
const { normalizeJson, cleanText } = require('../../dist/history/history-content');

class HttpError extends Error {
  constructor(status, code, detail, extra = {}) {
    super(detail);
    this.status = status;
    this.code = code;
    this.extra = extra;
  }
}

const iso = (d) => (d ? new Date(d).toISOString() : null);
const cents = (v) => Math.round(Number(v) * 100);
const money = (c) =>
  `${c < 0 ? '-' : ''}${Math.floor(Math.abs(c) / 100)}.${String(Math.abs(c) % 100).padStart(2, '0')}`;

// --- identity --------------------------------------------------------------------------------

async function activeUser(db, id) {
  const { rows } = await db.query(
    'select "u0".* from "users" as "u0" where "u0"."id" = $1 and "u0"."is_active" = true limit 1',
    [id],
  );
  return rows[0];
}

async function userByEmail(db, email) {
  const { rows } = await db.query('select "u0".* from "users" as "u0" where "u0"."email" = $1 limit 1', [
    email,
  ]);
  return rows[0];
}

// --- history (OrderHistoryService.record) ------------------------------------------------------

async function recordHistory(
  db,
  actor,
  req,
  { orderId, action, oldStatus = null, newStatus = null, description, additionalData },
) {
  await db.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [`order_history:${orderId}`]);
  const { rows } = await db.query(
    'select sequence, hash, created_at from order_history where order_id = $1 order by sequence desc limit 1',
    [orderId],
  );
  const head = rows[0]
    ? { sequence: rows[0].sequence, hash: rows[0].hash, createdAt: new Date(rows[0].created_at).getTime() }
    : { sequence: 0, hash: null, createdAt: 0 };
  const entry = {
    id: randomUUID(),
    orderId,
    sequence: head.sequence + 1,
    action,
    oldStatus,
    newStatus,
    description: cleanText(description),
    performedById: actor.id,
    additionalData: normalizeJson(additionalData),
    ipAddress: req.socket.remoteAddress?.replace(/^::ffff:/, '').slice(0, 45) ?? null,
    userAgent:
      typeof req.headers['user-agent'] === 'string'
        ? cleanText(req.headers['user-agent']).slice(0, 512)
        : null,
    createdAt: new Date(Math.max(Date.now(), head.createdAt + 1)).toISOString(),
    previousHash: head.hash,
  };
  const hash = hashEntry(entry);
  await db.query(
    `insert into "order_history" ("id", "order_id", "sequence", "action", "old_status", "new_status", "description", "performed_by_id", "additional_data", "ip_address", "user_agent", "created_at", "previous_hash", "hash") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
    [
      entry.id,
      orderId,
      entry.sequence,
      action,
      oldStatus,
      newStatus,
      entry.description,
      entry.performedById,
      entry.additionalData === null ? null : JSON.stringify(entry.additionalData),
      entry.ipAddress,
      entry.userAgent,
      entry.createdAt,
      entry.previousHash,
      hash,
    ],
  );
}

const CLOSED_ORDER_STATUSES = [
  'shipped',
  'delivered',
  'cancelled',
  'return_requested',
  'returned',
  'refunded',
];

// --- POST /reservations (ReservationBookingService.reserveMany with one line) -----------------

async function createReservation(db, actor, body, req) {
  const { orderId, orderItemId, productVariantId, stockLocationId } = body;
  const quantity = body.quantity;
  if (!Number.isSafeInteger(quantity) || quantity < 1) {
    throw new HttpError(400, 'VALIDATION_FAILED', 'quantity must be a positive integer');
  }
  // The order row is locked first, as every order action does; a closed order takes no reservation.
  const { rows: orders } = await db.query(
    'select "o0".* from "orders" as "o0" where "o0"."id" = $1 limit 1 for update',
    [orderId],
  );
  if (!orders[0]) throw new HttpError(404, 'NOT_FOUND', `Order ${orderId} not found`);
  if (CLOSED_ORDER_STATUSES.includes(orders[0].status)) {
    throw new HttpError(409, 'CONFLICT', `Order ${orders[0].order_number} is ${orders[0].status}`);
  }
  const { rows: items } = await db.query(
    'select "o0".* from "order_items" as "o0" where "o0"."order_id" = $1 order by "o0"."created_at" asc, "o0"."id" asc',
    [orderId],
  );
  const item = items.find((i) => i.id === orderItemId);
  if (!item) throw new HttpError(404, 'NOT_FOUND', `Order item ${orderItemId} of order ${orderId} not found`);
  if (item.product_variant_id !== productVariantId) {
    throw new HttpError(
      400,
      'VALIDATION_FAILED',
      `Order item ${item.id} is for variant ${item.product_variant_id}`,
    );
  }
  await db.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [
    `reservation_item:${orderItemId}`,
  ]);
  const { rows: held } = await db.query(
    `select order_item_id,
              coalesce(sum(quantity_reserved - quantity_fulfilled) filter (where is_active), 0)::int as held,
              coalesce(sum(quantity_fulfilled), 0)::int as fulfilled
         from inventory_reservations
        where order_item_id in ($1)
        group by order_item_id`,
    [orderItemId],
  );
  if ((held[0]?.held ?? 0) + (held[0]?.fulfilled ?? 0) + quantity > item.quantity) {
    throw new HttpError(409, 'CONFLICT', `order item ${orderItemId}: over its ordered quantity`);
  }
  const { rows: levels } = await db.query(
    `select sl.id, sl.product_variant_id, sl.stock_location_id, sl.quantity_on_hand, sl.quantity_reserved,
              loc.code, loc.is_active, v.sku
         from stock_levels sl
         join stock_locations loc on loc.id = sl.stock_location_id
         join product_variants v on v.id = sl.product_variant_id
        where (sl.product_variant_id, sl.stock_location_id) in (($1, $2))`,
    [productVariantId, stockLocationId],
  );
  const level = levels[0];
  if (!level) throw new HttpError(404, 'NOT_FOUND', `Stock location ${stockLocationId} not found`);
  if (!level.is_active) throw new HttpError(409, 'CONFLICT', `Stock location ${level.code} is inactive`);
  // Expired holds on this level are released first (none in the benchmark: no TTL is set).
  const { rows: expired } = await db.query(
    `select "i0".* from "inventory_reservations" as "i0" where "i0"."expires_at" <= $1 and "i0"."product_variant_id" = $2 and "i0"."stock_location_id" = $3 and "i0"."is_active" = true order by "i0"."id" asc for update`,
    [new Date().toISOString(), productVariantId, stockLocationId],
  );
  if (expired.length > 0)
    throw new Error('the baseline does not release expired reservations (none expected)');
  const { rows: taken } = await db.query(
    `update stock_levels set quantity_reserved = quantity_reserved + $1, updated_at = now()
        where id = $2 and quantity_on_hand - quantity_reserved >= $3
        returning quantity_on_hand, quantity_reserved`,
    [quantity, level.id, quantity],
  );
  if (taken.length === 0) {
    const { rows: counters } = await db.query(
      'select quantity_on_hand, quantity_reserved from stock_levels where id = $1',
      [level.id],
    );
    const available = Math.max(
      0,
      (counters[0]?.quantity_on_hand ?? 0) - (counters[0]?.quantity_reserved ?? 0),
    );
    throw new HttpError(409, 'INSUFFICIENT_STOCK', 'Not enough stock for 1 item', {
      shortages: [
        { productVariantId, stockLocationId, orderItemId, sku: level.sku, requested: quantity, available },
      ],
    });
  }
  const now = new Date().toISOString();
  const reservation = {
    id: randomUUID(),
    orderId,
    orderItemId,
    productVariantId,
    stockLocationId,
    quantityReserved: quantity,
    quantityFulfilled: 0,
    isActive: true,
    expiresAt: null,
    reservedAt: now,
    releasedAt: null,
    fulfilledAt: null,
    releaseReason: null,
  };
  await recordHistory(db, actor, req, {
    orderId,
    action: 'inventory_reserved',
    description: `Reserved ${quantity} × ${level.sku} at ${level.code}`,
    additionalData: {
      change: 'reserved',
      reservationId: reservation.id,
      orderItemId,
      productVariantId,
      sku: level.sku,
      stockLocationId,
      stockLocationCode: level.code,
      quantity,
      quantityReserved: quantity,
      quantityFulfilled: 0,
      isActive: true,
      releaseReason: null,
      expiresAt: null,
    },
  });
  await db.query(
    `insert into "inventory_reservations" ("id", "created_at", "updated_at", "order_id", "order_item_id", "product_variant_id", "stock_location_id", "quantity_reserved", "quantity_fulfilled", "is_active", "expires_at", "notes", "reserved_at") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [
      reservation.id,
      now,
      now,
      orderId,
      orderItemId,
      productVariantId,
      stockLocationId,
      quantity,
      0,
      true,
      null,
      null,
      now,
    ],
  );
  return [201, reservation];
}

// --- POST /fulfillments/:id/status (FulfillmentStatusService.changeStatus) --------------------

const TRANSITIONS = {
  pending: ['picking', 'cancelled'],
  picking: ['packing', 'cancelled'],
  packing: ['ready_to_ship', 'picking', 'cancelled'],
  ready_to_ship: ['shipped', 'cancelled'],
  shipped: ['partially_fulfilled', 'fulfilled'],
  partially_fulfilled: ['fulfilled'],
  fulfilled: [],
  cancelled: [],
};
const STAMPS = {
  picking: { first: ['picking_started_at'], latest: [] },
  packing: { first: ['packing_started_at'], latest: ['picking_completed_at'] },
};

function toFulfillmentResponse(f) {
  return {
    id: f.id,
    orderId: f.order_id,
    fulfillmentNumber: f.fulfillment_number,
    status: f.status,
    allowedTransitions: [...TRANSITIONS[f.status]],
    warehouseLocation: f.warehouse_location,
    items: { ...f.items },
    assignedToId: f.assigned_to_id ?? null,
    assignedAt: iso(f.assigned_at),
    boxSize: f.box_size ?? null,
    weight: f.weight ?? null,
    packingMaterials: f.packing_materials ? [...f.packing_materials] : null,
    pickingNotes: f.picking_notes ?? null,
    packingNotes: f.packing_notes ?? null,
    pickingStartedAt: iso(f.picking_started_at),
    pickingCompletedAt: iso(f.picking_completed_at),
    packingStartedAt: iso(f.packing_started_at),
    packingCompletedAt: iso(f.packing_completed_at),
    shippedAt: iso(f.shipped_at),
    fulfilledAt: iso(f.fulfilled_at),
    cancelledAt: iso(f.cancelled_at),
    version: f.version,
    createdAt: iso(f.created_at),
    updatedAt: iso(f.updated_at),
  };
}

async function changeFulfillmentStatus(db, actor, id, body, req) {
  const to = body.status;
  if (!STAMPS[to]) throw new HttpError(400, 'VALIDATION_FAILED', 'the baseline only moves picking ↔ packing');
  const { rows: refs } = await db.query('select order_id from order_fulfillments where id = $1', [id]);
  if (!refs[0]) throw new HttpError(404, 'NOT_FOUND', `Fulfillment ${id} not found`);
  const { rows: orders } = await db.query(
    'select "o0".* from "orders" as "o0" where "o0"."id" = $1 limit 1 for update',
    [refs[0].order_id],
  );
  const order = orders[0];
  const select = 'select "o0".* from "order_fulfillments" as "o0" where "o0"."id" = $1 limit 1';
  const fulfillment = (await db.query(select, [id])).rows[0];
  const from = fulfillment.status;
  if (!TRANSITIONS[from].includes(to)) {
    throw new HttpError(409, 'INVALID_TRANSITION', `Fulfillment cannot move from ${from} to ${to}`, {
      allowed: TRANSITIONS[from],
    });
  }
  if (!['confirmed', 'processing'].includes(order.status)) {
    throw new HttpError(409, 'CONFLICT', `Order ${order.order_number} is ${order.status}`);
  }
  const now = new Date().toISOString();
  const stamps = STAMPS[to];
  const sets = ['status = $1', 'version = version + 1', 'updated_at = $2'];
  const params = [to, now];
  for (const column of stamps.first) sets.push(`${column} = coalesce(${column}, $${params.push(now)})`);
  for (const column of stamps.latest) sets.push(`${column} = $${params.push(now)}`);
  const idParam = params.push(id);
  const fromParam = params.push(from);
  const { rows: moved } = await db.query(
    `update order_fulfillments set ${sets.join(', ')} where id = $${idParam} and status = $${fromParam} returning id`,
    params,
  );
  if (moved.length === 0) throw new HttpError(409, 'INVALID_TRANSITION', 'moved concurrently');
  const fresh = (await db.query(select, [id])).rows[0];
  await recordHistory(db, actor, req, {
    orderId: order.id,
    action: 'status_changed',
    description: `Fulfillment ${fulfillment.fulfillment_number} moved from ${from} to ${to}`,
    additionalData: { fulfillmentId: id, fulfillmentNumber: fulfillment.fulfillment_number, from, to },
  });
  return [200, toFulfillmentResponse(fresh)];
}

// --- GET /orders/:orderId/history --------------------------------------------------------------

function pageOf(query, max = 100) {
  const page = Number(query.get('page') ?? 1);
  const pageSize = Number(query.get('pageSize') ?? 20);
  if (!Number.isInteger(page) || page < 1 || !Number.isInteger(pageSize) || pageSize < 1 || pageSize > max) {
    throw new HttpError(400, 'VALIDATION_FAILED', 'bad page or pageSize');
  }
  return { page, pageSize, offset: (page - 1) * pageSize };
}

const limitOffset = ({ pageSize, offset }) => `limit ${pageSize}${offset > 0 ? ` offset ${offset}` : ''}`;
const meta = ({ page, pageSize }, total) => ({
  page,
  pageSize,
  total,
  totalPages: Math.ceil(total / pageSize),
});

async function orderHistoryPage(db, orderId, query) {
  const page = pageOf(query);
  // findAndCount: the page and the count run concurrently, on two pooled connections.
  const [{ rows }, { rows: count }] = await Promise.all([
    db.query(
      `select "o0".*, "p1"."id" as "p1__id", "p1"."created_at" as "p1__created_at", "p1"."updated_at" as "p1__updated_at", "p1"."email" as "p1__email", "p1"."password_hash" as "p1__password_hash", "p1"."full_name" as "p1__full_name", "p1"."role" as "p1__role", "p1"."is_active" as "p1__is_active" from "order_history" as "o0" left join "users" as "p1" on "o0"."performed_by_id" = "p1"."id" where "o0"."order_id" = $1 order by "o0"."created_at" asc, "o0"."sequence" asc ${limitOffset(page)}`,
      [orderId],
    ),
    db.query(
      `select count(*) as "count" from "order_history" as "o0" left join "users" as "p1" on "o0"."performed_by_id" = "p1"."id" where "o0"."order_id" = $1`,
      [orderId],
    ),
  ]);
  const data = rows.map((e) => ({
    id: e.id,
    orderId: e.order_id,
    sequence: e.sequence,
    action: e.action,
    oldStatus: e.old_status ?? null,
    newStatus: e.new_status ?? null,
    description: e.description,
    performedBy: e.p1__id ? { id: e.p1__id, fullName: e.p1__full_name, role: e.p1__role } : null,
    additionalData: e.additional_data ?? null,
    ipAddress: e.ip_address ?? null,
    userAgent: e.user_agent ?? null,
    createdAt: iso(e.created_at),
    hash: e.hash,
    previousHash: e.previous_hash ?? null,
  }));
  return [200, { data, meta: meta(page, Number(count[0].count)) }];
}

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
  const [{ rows: fulfillments }] = await Promise.all([
    db.query(
      'select "o0".* from "order_fulfillments" as "o0" where "o0"."order_id" = $1 order by "o0"."created_at" asc, "o0"."id" asc limit 100',
      [id],
    ),
    db.query('select count(*) as "count" from "order_fulfillments" as "o0" where "o0"."order_id" = $1', [id]),
  ]);
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

// --- GET /fulfillments?status= ------------------------------------------------------------------

async function fulfillmentList(db, query) {
  const page = pageOf(query);
  const status = query.get('status');
  if (!TRANSITIONS[status])
    throw new HttpError(400, 'VALIDATION_FAILED', 'status must be a fulfillment status');
  const [{ rows }, { rows: count }] = await Promise.all([
    db.query(
      `select "o0".* from "order_fulfillments" as "o0" where "o0"."status" = $1 order by "o0"."created_at" desc, "o0"."id" asc ${limitOffset(page)}`,
      [status],
    ),
    db.query('select count(*) as "count" from "order_fulfillments" as "o0" where "o0"."status" = $1', [
      status,
    ]),
  ]);
  return [200, { data: rows.map(toFulfillmentResponse), meta: meta(page, Number(count[0].count)) }];
}

module.exports = {
  HttpError,
  activeUser,
  userByEmail,
  createReservation,
  changeFulfillmentStatus,
  orderHistoryPage,
  orderDetail,
  fulfillmentList,
};
