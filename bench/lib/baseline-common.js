'use strict';
// What the baseline's routes share: errors, value formatting, the guard's user lookup, the history
// entry (OrderHistoryService.record), pagination and the fulfillment response. The SQL is exactly
// what OMS issues (see bench/lib/baseline-sql.js).
const { randomUUID } = require('node:crypto');
// The app's own SQL (imported from its repositories, not copied) and its pure functions.
const { HISTORY_APPEND_SQL, historyInputRecords } = require('../../dist/history/order-history.repository');
const { normalizeJson, cleanText } = require('../../dist/history/history-content');

/** A repository statement (knex `?` placeholders) for node-postgres (`$1`, `$2`, …). */
const pgText = (sql) => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

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
  // UsersService.findActiveActor: one lean statement, only what the guard needs.
  const { rows } = await db.query('select id, email, role from users where id = $1 and is_active', [id]);
  return rows[0];
}

async function userByEmail(db, email) {
  // UsersService.findByEmail: lower(email), the expression of the unique index.
  const { rows } = await db.query('select "u0".* from "users" as "u0" where lower(email) = $1 limit 1', [
    email,
  ]);
  return rows[0];
}

// --- history (OrderHistoryRepository.append: lock the order, chain, insert, move the head) ----

const HISTORY_APPEND = { name: 'oms_history_append', text: pgText(HISTORY_APPEND_SQL) };

async function recordHistory(
  db,
  actor,
  req,
  { orderId, action, oldStatus = null, newStatus = null, description, additionalData },
) {
  const entry = {
    id: randomUUID(),
    orderId,
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
  };
  await db.query({ ...HISTORY_APPEND, values: [JSON.stringify(historyInputRecords([entry]))] });
}

// --- pagination and fulfillments ------------------------------------------------------------

function pageOf(query, max = 100) {
  const page = Number(query.get('page') ?? 1);
  const pageSize = Number(query.get('pageSize') ?? 20);
  if (!Number.isInteger(page) || page < 1 || !Number.isInteger(pageSize) || pageSize < 1 || pageSize > max) {
    throw new HttpError(400, 'VALIDATION_FAILED', 'bad page or pageSize');
  }
  return { page, pageSize, offset: (page - 1) * pageSize };
}

const meta = ({ page, pageSize }, total) => ({
  page,
  pageSize,
  total,
  totalPages: Math.ceil(total / pageSize),
});

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

module.exports = {
  HttpError,
  iso,
  cents,
  money,
  activeUser,
  userByEmail,
  recordHistory,
  pgText,
  pageOf,
  meta,
  TRANSITIONS,
  toFulfillmentResponse,
};
