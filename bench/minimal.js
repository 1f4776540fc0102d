'use strict';
/* global Buffer, URL, URLSearchParams */
// The minimal comparator: the fastest honest implementation of each benchmarked route we know of,
// to price what OMS's framework AND its statements cost. Plain node:http + a pg Pool of the app's
// size, no framework, no ORM, no cache, and ONE database round trip per request, authentication
// included (bench/lib/minimal-sql.js). It keeps every guarantee OMS gives on these routes: an
// HS256 JWT checked with the app's secret, whose user is active and whose `ver` is the user's
// token_version (a revoked token is refused), the role, the order lock, every inventory rule and
// the audit entry with its hash chain, all atomic.
const http = require('node:http');
const { createHmac, randomUUID, timingSafeEqual } = require('node:crypto');
const { Pool } = require('pg');
const { verify: argonVerify } = require('@node-rs/argon2');
const sql = require('./lib/minimal-sql');

const PORT = Number(process.env.PORT ?? 3903);
const SECRET = process.env.JWT_SECRET;
const EXPIRES_IN = 3600;
const CLOCK_SKEW_SEC = 5;
const statementTimeout = Math.trunc(Number(process.env.DB_STATEMENT_TIMEOUT_MS ?? 15000));
const lockTimeout = Math.trunc(Number(process.env.DB_LOCK_TIMEOUT_MS ?? 5000));

// The session settings go with the connection string, so a new connection costs no extra query.
const url = new URL(process.env.DATABASE_URL);
url.searchParams.set(
  'options',
  `-c statement_timeout=${statementTimeout} -c lock_timeout=${lockTimeout} -c idle_in_transaction_session_timeout=60000`,
);
const pool = new Pool({
  connectionString: url.toString(),
  max: Number(process.env.DB_POOL_MAX ?? 10),
  min: 0,
});

class HttpError extends Error {
  constructor(status, code, detail, extra = {}) {
    super(detail);
    this.status = status;
    this.code = code;
    this.extra = extra;
  }
}

const UNAUTHORIZED = () => new HttpError(401, 'UNAUTHORIZED', 'A valid bearer token is required');

// --- JWT (HS256) with node:crypto -------------------------------------------------------------

function signJwt(payload) {
  const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const body = Buffer.from(JSON.stringify({ ...payload, iat: now, exp: now + EXPIRES_IN })).toString(
    'base64url',
  );
  const signature = createHmac('sha256', SECRET).update(`${header}.${body}`).digest('base64url');
  return `${header}.${body}.${signature}`;
}

/** The token's claims when it is an HS256 token of ours, in date; else a 401. */
function claims(req) {
  const match = /^Bearer ([\w-]+)\.([\w-]+)\.([\w-]+)$/.exec(req.headers.authorization ?? '');
  if (!match) throw UNAUTHORIZED();
  const header = JSON.parse(Buffer.from(match[1], 'base64url').toString('utf8'));
  if (header.alg !== 'HS256') throw UNAUTHORIZED();
  const expected = createHmac('sha256', SECRET).update(`${match[1]}.${match[2]}`).digest();
  const given = Buffer.from(match[3], 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw UNAUTHORIZED();
  const payload = JSON.parse(Buffer.from(match[2], 'base64url').toString('utf8'));
  const now = Math.floor(Date.now() / 1000);
  if (typeof payload.sub !== 'string' || typeof payload.exp !== 'number' || payload.exp <= now)
    throw UNAUTHORIZED();
  if (typeof payload.iat === 'number' && payload.iat > now + CLOCK_SKEW_SEC) throw UNAUTHORIZED();
  return { sub: payload.sub, ver: payload.ver ?? 0 };
}

/** What the statement said of the caller: 401 when not an active user with the token's version, 403 without the role. */
function authorized(row) {
  if (!row.role) throw UNAUTHORIZED();
  if (row.allowed === 0) throw new HttpError(403, 'FORBIDDEN', 'Forbidden');
}

// --- helpers ----------------------------------------------------------------------------------

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        resolve(chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {});
      } catch {
        reject(new HttpError(400, 'VALIDATION_FAILED', 'Malformed JSON'));
      }
    });
    req.on('error', reject);
  });
}

function send(res, status, payload) {
  res.writeHead(status, {
    'content-type': status >= 400 ? 'application/problem+json' : 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
function uuid(value, field) {
  if (typeof value !== 'string' || !UUID_TEXT.test(value)) {
    throw new HttpError(400, 'VALIDATION_FAILED', `${field} must be a UUID`, {
      errors: [{ field, message: 'must be a UUID' }],
    });
  }
  return value.toLowerCase();
}

function pageOf(query) {
  const page = Number(query.get('page') ?? 1);
  const pageSize = Number(query.get('pageSize') ?? 20);
  if (!Number.isInteger(page) || page < 1 || !Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) {
    throw new HttpError(400, 'VALIDATION_FAILED', 'bad page or pageSize');
  }
  return { page, pageSize, offset: (page - 1) * pageSize };
}

const metaOf = ({ page, pageSize }, total) =>
  `{"page":${page},"pageSize":${pageSize},"total":${total},"totalPages":${Math.ceil(total / pageSize)}}`;

// The order actions offered in the order detail: the app's own rule (a pure function of the
// order's status, amounts and units), fed from the statement.
const { allowedActions } = require('../dist/order-management/order-actions');

const STAFF = ['admin', 'support', 'warehouse'];
const RESERVING = ['admin', 'warehouse'];
const UUID = '([0-9a-fA-F-]{36})';

// --- routes -------------------------------------------------------------------------------------

async function reserve(req) {
  const body = await readBody(req);
  const who = claims(req);
  const orderId = uuid(body.orderId, 'orderId');
  const itemId = uuid(body.orderItemId, 'orderItemId');
  const variantId = uuid(body.productVariantId, 'productVariantId');
  const locationId = uuid(body.stockLocationId, 'stockLocationId');
  const quantity = body.quantity;
  if (!Number.isSafeInteger(quantity) || quantity < 1 || quantity > 1_000_000) {
    throw new HttpError(400, 'VALIDATION_FAILED', 'quantity must be a positive integer');
  }
  if (body.expiresAt !== undefined)
    throw new HttpError(400, 'VALIDATION_FAILED', 'the comparator takes no expiresAt');
  const reservationId = randomUUID();
  const ip = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '').slice(0, 45) || null;
  const agent =
    typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'].slice(0, 512) : null;
  const { rows } = await pool.query(sql.RESERVE, [
    who.sub,
    who.ver,
    orderId,
    itemId,
    variantId,
    locationId,
    quantity,
    reservationId,
    randomUUID(),
    ip,
    agent,
    RESERVING,
  ]);
  const row = rows[0];
  authorized(row);
  if (!row.order) throw new HttpError(404, 'NOT_FOUND', `Order ${orderId} not found`);
  if (!['pending', 'confirmed', 'processing'].includes(row.order.status)) {
    throw new HttpError(409, 'CONFLICT', `Order ${row.order.order_number} is ${row.order.status}`);
  }
  if (!row.item) throw new HttpError(404, 'NOT_FOUND', `Order item ${itemId} of order ${orderId} not found`);
  if (row.item.product_variant_id !== variantId) {
    throw new HttpError(
      400,
      'VALIDATION_FAILED',
      `Order item ${itemId} is for variant ${row.item.product_variant_id}`,
    );
  }
  if (row.item.quantity_allocated + quantity > row.item.quantity) {
    throw new HttpError(409, 'CONFLICT', `order item ${itemId}: over its ordered quantity`);
  }
  if (!row.level) throw new HttpError(404, 'NOT_FOUND', `Stock location ${locationId} not found`);
  if (!row.level.is_active)
    throw new HttpError(409, 'CONFLICT', `Stock location ${row.level.code} is inactive`);
  if (row.expired) throw new Error('an expired hold blocks the level: the comparator does not release holds');
  if (!row.reserved_at) {
    const available = Math.max(0, row.level.quantity_on_hand - row.level.quantity_reserved);
    throw new HttpError(409, 'INSUFFICIENT_STOCK', 'Not enough stock for 1 item', {
      shortages: [
        {
          productVariantId: variantId,
          stockLocationId: locationId,
          orderItemId: itemId,
          sku: row.item.sku,
          requested: quantity,
          available,
        },
      ],
    });
  }
  return [
    201,
    JSON.stringify({
      id: reservationId,
      orderId,
      orderItemId: itemId,
      productVariantId: variantId,
      stockLocationId: locationId,
      quantityReserved: quantity,
      quantityFulfilled: 0,
      isActive: true,
      expiresAt: null,
      reservedAt: row.reserved_at,
      releasedAt: null,
      fulfilledAt: null,
      releaseReason: null,
    }),
  ];
}

async function historyPage(req, [orderId], query) {
  const who = claims(req);
  const page = pageOf(query);
  const { rows } = await pool.query(sql.HISTORY_PAGE, [
    who.sub,
    who.ver,
    uuid(orderId, 'orderId'),
    page.pageSize,
    page.offset,
    STAFF,
  ]);
  authorized(rows[0]);
  if (rows[0].total === null) throw new HttpError(404, 'NOT_FOUND', `Order ${orderId} not found`);
  return [200, `{"data":${rows[0].data},"meta":${metaOf(page, rows[0].total)}}`];
}

async function orderDetail(req, [id]) {
  const who = claims(req);
  const { rows } = await pool.query(sql.ORDER_DETAIL, [who.sub, who.ver, uuid(id, 'id'), STAFF]);
  authorized(rows[0]);
  if (!rows[0].body) throw new HttpError(404, 'NOT_FOUND', `Order ${id} not found`);
  return [
    200,
    `${rows[0].body.slice(0, -1)},"allowedActions":${JSON.stringify(allowedActions(rows[0].state))}}`,
  ];
}

async function login(req) {
  const body = await readBody(req);
  const email = String(body.email ?? '')
    .trim()
    .toLowerCase();
  const { rows } = await pool.query(sql.USER_BY_EMAIL, [email]);
  const user = rows[0];
  const valid = user
    ? await argonVerify(user.password_hash, String(body.password ?? '')).catch(() => false)
    : false;
  if (!user || !valid || !user.is_active)
    throw new HttpError(401, 'INVALID_CREDENTIALS', 'Email or password is wrong');
  const accessToken = signJwt({ sub: user.id, role: user.role, email: user.email, ver: user.token_version });
  return [
    200,
    JSON.stringify({
      accessToken,
      tokenType: 'Bearer',
      expiresIn: EXPIRES_IN,
      user: { id: user.id, email: user.email, fullName: user.full_name, role: user.role },
    }),
  ];
}

const routes = [
  { method: 'GET', path: /^\/health\/ready$/, handler: async () => [200, '{"status":"ok"}'] },
  { method: 'POST', path: /^\/api\/v1\/auth\/login$/, handler: login },
  { method: 'POST', path: /^\/api\/v1\/reservations$/, handler: reserve },
  { method: 'GET', path: new RegExp(`^/api/v1/orders/${UUID}/history$`), handler: historyPage },
  { method: 'GET', path: new RegExp(`^/api/v1/orders/${UUID}$`), handler: orderDetail },
];

const server = http.createServer(async (req, res) => {
  try {
    const [path, search = ''] = req.url.split('?');
    const query = new URLSearchParams(search);
    for (const route of routes) {
      if (route.method !== req.method) continue;
      const match = route.path.exec(path);
      if (!match) continue;
      const [status, body] = await route.handler(req, match.slice(1), query);
      return send(res, status, body);
    }
    send(
      res,
      404,
      JSON.stringify({ status: 404, title: 'Not Found', code: 'NOT_FOUND', detail: `${req.method} ${path}` }),
    );
  } catch (error) {
    if (error instanceof HttpError) {
      return send(
        res,
        error.status,
        JSON.stringify({ status: error.status, code: error.code, detail: error.message, ...error.extra }),
      );
    }
    console.error(error);
    send(res, 500, JSON.stringify({ status: 500, code: 'INTERNAL', detail: 'Internal error' }));
  }
});
server.keepAliveTimeout = 72000;
server.listen(PORT, '127.0.0.1');

const stop = () => server.close(() => pool.end().then(() => process.exit(0)));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
