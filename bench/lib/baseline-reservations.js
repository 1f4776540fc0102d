'use strict';
// The baseline's POST /reservations: OMS's reservation statement (imported from its repository,
// dist/reservations/reservations.repository.js), one statement in the request's transaction.
const { randomUUID } = require('node:crypto');
const { bookingSql, bookingParams } = require('../../dist/reservations/reservations.repository');
const { cleanText } = require('../../dist/history/history-content');
const { HttpError, pgText } = require('./baseline-common');

// Prepared by name, as OMS runs it (src/database/prepared-statement.ts).
const BOOKING = { name: 'oms_reservation_book_1', text: pgText(bookingSql(1)) };

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
  const reservedAt = new Date();
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
    reservedAt: reservedAt.toISOString(),
    releasedAt: null,
    fulfilledAt: null,
    releaseReason: null,
  };
  const { rows } = await db.query({
    ...BOOKING,
    values: bookingParams({
      orderId,
      closedStatuses: CLOSED_ORDER_STATUSES,
      now: reservedAt,
      expiresAt: null,
      notes: null,
      reservedAt,
      lines: [
        {
          reservationId: reservation.id,
          orderItemId,
          productVariantId,
          stockLocationId,
          quantity,
          k: 1,
          history: {
            id: randomUUID(),
            orderId,
            action: 'inventory_reserved',
            oldStatus: null,
            newStatus: null,
            description: `Reserved ${quantity} × %1$s at %2$s`,
            performedById: actor.id,
            additionalData: {
              change: 'reserved',
              reservationId: reservation.id,
              orderItemId,
              productVariantId,
              stockLocationId,
              quantity,
              quantityReserved: quantity,
              quantityFulfilled: 0,
              isActive: true,
              releaseReason: null,
              expiresAt: null,
            },
            ipAddress: req.socket.remoteAddress?.replace(/^::ffff:/, '').slice(0, 45) ?? null,
            userAgent:
              typeof req.headers['user-agent'] === 'string'
                ? cleanText(req.headers['user-agent']).slice(0, 512)
                : null,
          },
        },
      ],
    }),
  });
  const row = rows[0];
  if (row.ok) return [201, reservation];
  // Which guard failed (the app answers each precisely; the benchmark only sees 201 and 409 stock).
  if (!row.order_found) throw new HttpError(404, 'NOT_FOUND', `Order ${orderId} not found`);
  if (CLOSED_ORDER_STATUSES.includes(row.order_status)) {
    throw new HttpError(409, 'CONFLICT', `Order ${row.order_number} is ${row.order_status}`);
  }
  if (row.item_id === null) throw new HttpError(404, 'NOT_FOUND', `Order item ${orderItemId} not found`);
  if (row.item_variant_id !== productVariantId) {
    throw new HttpError(
      400,
      'VALIDATION_FAILED',
      `Order item ${row.item_id} is for variant ${row.item_variant_id}`,
    );
  }
  if (row.item_allocated + row.item_requested > row.item_quantity) {
    throw new HttpError(409, 'CONFLICT', `order item ${orderItemId}: over its ordered quantity`);
  }
  if (row.level_id === null)
    throw new HttpError(404, 'NOT_FOUND', `Stock location ${stockLocationId} not found`);
  if (!row.location_active)
    throw new HttpError(409, 'CONFLICT', `Stock location ${row.location_code} is inactive`);
  if (row.expired) throw new Error('the baseline does not release expired reservations (none expected)');
  const available = Math.max(0, row.quantity_on_hand - row.quantity_reserved);
  throw new HttpError(409, 'INSUFFICIENT_STOCK', 'Not enough stock for 1 item', {
    shortages: [
      { productVariantId, stockLocationId, orderItemId, sku: row.level_sku, requested: quantity, available },
    ],
  });
}

module.exports = { createReservation };
