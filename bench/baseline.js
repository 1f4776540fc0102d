'use strict';
/* global Buffer, URLSearchParams */
// The baseline: the physical limit of this stack on this box. Plain node:http + a pg Pool of the
// app's size, no framework, no ORM. For every benchmark scenario it issues exactly the SQL that
// OMS issues for the same request (captured from OMS with `npm run bench -- --trace-sql`,
// which also checks that both still match), including the per-request authentication OMS's guard
// does: verify the HS256 JWT with the same secret, then load the active user.
const http = require('node:http');
const { createHmac, timingSafeEqual } = require('node:crypto');
const { Pool } = require('pg');
const { verify: argonVerify } = require('@node-rs/argon2');
const sql = require('./lib/baseline-sql');

const { HttpError } = sql;

const PORT = Number(process.env.PORT ?? 3902);
const SECRET = process.env.JWT_SECRET;
const EXPIRES_IN = 3600;
const statementTimeout = Math.trunc(Number(process.env.DB_STATEMENT_TIMEOUT_MS ?? 15000));
const lockTimeout = Math.trunc(Number(process.env.DB_LOCK_TIMEOUT_MS ?? 5000));

const pool = new Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DB_POOL_MAX ?? 10),
  min: 0,
});
// The same session settings the app's pool sets on every new connection.
pool.on('connect', (client) => {
  client.query(
    `set statement_timeout = ${statementTimeout}; set lock_timeout = ${lockTimeout}; set idle_in_transaction_session_timeout = 60000`,
  );
});

// --- JWT (HS256) with node:crypto -------------------------------------------------------------

const b64url = (buffer) => Buffer.from(buffer).toString('base64url');

function signJwt(payload) {
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const now = Math.floor(Date.now() / 1000);
  const body = b64url(JSON.stringify({ ...payload, iat: now, exp: now + EXPIRES_IN }));
  const signature = createHmac('sha256', SECRET).update(`${header}.${body}`).digest('base64url');
  return `${header}.${body}.${signature}`;
}

function verifyJwt(token) {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
  if (header.alg !== 'HS256') return null;
  const expected = createHmac('sha256', SECRET).update(`${parts[0]}.${parts[1]}`).digest();
  const given = Buffer.from(parts[2], 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  if (typeof payload.exp === 'number' && payload.exp <= Math.floor(Date.now() / 1000)) return null;
  return payload;
}

/** What OMS's AuthGuard does per request: a valid token of an active user, with one of `roles`. */
async function authenticate(req, roles, db) {
  const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  const payload = match ? verifyJwt(match[1]) : null;
  if (!payload || typeof payload.sub !== 'string')
    throw new HttpError(401, 'UNAUTHORIZED', 'A valid bearer token is required');
  const user = await sql.activeUser(db, payload.sub);
  if (!user) throw new HttpError(401, 'UNAUTHORIZED', 'A valid bearer token is required');
  if (roles && !roles.includes(user.role)) throw new HttpError(403, 'FORBIDDEN', 'Forbidden');
  return user;
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

function send(res, status, body) {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': status >= 400 ? 'application/problem+json' : 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

/** A pooled client in a transaction, like OMS's unit of work for mutating requests. */
async function transaction(work) {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

const STAFF = ['admin', 'support', 'warehouse'];
const UUID = '([0-9a-fA-F-]{36})';

// --- routes: the scenarios --------------------------------------------------------------------

const routes = [
  {
    method: 'GET',
    path: /^\/health\/ready$/,
    handler: async () => {
      await pool.query('select 1');
      return [200, { status: 'ok' }];
    },
  },
  {
    method: 'POST',
    path: /^\/api\/v1\/auth\/login$/,
    handler: async (req) => {
      const body = await readBody(req);
      // No transaction: login is a read (OMS's @NoTransaction()).
      const user = await sql.userByEmail(
        pool,
        String(body.email ?? '')
          .trim()
          .toLowerCase(),
      );
      const valid = user
        ? await argonVerify(user.password_hash, String(body.password ?? '')).catch(() => false)
        : false;
      if (!user || !valid || !user.is_active)
        throw new HttpError(401, 'INVALID_CREDENTIALS', 'Email or password is wrong');
      const accessToken = signJwt({ sub: user.id, role: user.role, email: user.email });
      return [
        200,
        {
          accessToken,
          tokenType: 'Bearer',
          expiresIn: EXPIRES_IN,
          user: { id: user.id, email: user.email, fullName: user.full_name, role: user.role },
        },
      ];
    },
  },
  {
    method: 'POST',
    path: /^\/api\/v1\/reservations$/,
    handler: async (req) => {
      const body = await readBody(req);
      const actor = await authenticate(req, ['admin', 'warehouse'], pool);
      return transaction((db) => sql.createReservation(db, actor, body, req));
    },
  },
  {
    method: 'POST',
    path: new RegExp(`^/api/v1/fulfillments/${UUID}/status$`),
    handler: async (req, [id]) => {
      const body = await readBody(req);
      const actor = await authenticate(req, ['admin', 'warehouse'], pool);
      return transaction((db) => sql.changeFulfillmentStatus(db, actor, id, body, req));
    },
  },
  {
    method: 'GET',
    path: new RegExp(`^/api/v1/orders/${UUID}/history$`),
    handler: async (req, [orderId], query) => {
      await authenticate(req, STAFF, pool);
      return sql.orderHistoryPage(pool, orderId, query);
    },
  },
  {
    method: 'GET',
    path: new RegExp(`^/api/v1/orders/${UUID}$`),
    handler: async (req, [id]) => {
      await authenticate(req, STAFF, pool);
      return sql.orderDetail(pool, id);
    },
  },
  {
    method: 'GET',
    path: /^\/api\/v1\/fulfillments$/,
    handler: async (req, _params, query) => {
      await authenticate(req, STAFF, pool);
      return sql.fulfillmentList(pool, query);
    },
  },
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
    send(res, 404, { status: 404, title: 'Not Found', code: 'NOT_FOUND', detail: `${req.method} ${path}` });
  } catch (error) {
    if (error instanceof HttpError) {
      return send(res, error.status, {
        status: error.status,
        code: error.code,
        detail: error.message,
        ...error.extra,
      });
    }
    console.error(error);
    send(res, 500, { status: 500, code: 'INTERNAL', detail: 'Internal error' });
  }
});
server.keepAliveTimeout = 72000;
server.listen(PORT, '127.0.0.1');

const stop = () => server.close(() => pool.end().then(() => process.exit(0)));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
