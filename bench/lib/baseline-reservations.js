'use strict';
// The baseline's POST /reservations, statement for statement as OMS issues it (see bench/lib/baseline-sql.js).
const { randomUUID } = require('node:crypto');
const { HttpError, recordHistory } = require('./baseline-common');

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
    'select id, status, order_number from orders where id = $1 for update',
    [orderId],
  );
  if (!orders[0]) throw new HttpError(404, 'NOT_FOUND', `Order ${orderId} not found`);
  if (CLOSED_ORDER_STATUSES.includes(orders[0].status)) {
    throw new HttpError(409, 'CONFLICT', `Order ${orders[0].order_number} is ${orders[0].status}`);
  }
  const { rows: items } = await db.query(
    `select id, product_variant_id, quantity, sku from order_items
        where order_id = $1 and id in ($2)`,
    [orderId, orderItemId],
  );
  const item = items[0];
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
    `select id from inventory_reservations
        where is_active and expires_at <= $1
          and (product_variant_id, stock_location_id) in (($2, $3))
        limit 1`,
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
    `insert into inventory_reservations (id, created_at, updated_at, order_id, order_item_id, product_variant_id,
                                          stock_location_id, quantity_reserved, quantity_fulfilled, is_active,
                                          expires_at, notes, reserved_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
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

module.exports = { createReservation };
