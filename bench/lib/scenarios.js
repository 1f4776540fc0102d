'use strict';
// The benchmark scenarios. Each one builds autocannon `requests` for a server (OMS or the minimal
// comparator: same paths, same bodies, same tokens) from the generated fixtures. `minimal` names
// the target ratio OMS ÷ minimal comparator for the scenarios the comparator serves.

const API = '/api/v1';
const FULFILLMENT_LIST_STATUSES = ['picking', 'packing', 'pending', 'ready_to_ship', 'shipped'];
const HISTORY_PAGES = 50; // 1,000 entries / 20 per page

const json = (token) => ({
  'content-type': 'application/json',
  ...(token ? { authorization: `Bearer ${token}` } : {}),
});

/** A request whose path and body come from `next()` each time (one request per connection in flight). */
function dynamic(method, headers, next, onResponse) {
  return [
    {
      method,
      headers,
      setupRequest(request, context) {
        const { path, body, tag } = next();
        request.path = path;
        request.body = body === undefined ? undefined : JSON.stringify(body);
        context.tag = tag;
        return request;
      },
      onResponse: onResponse ? (status, body, context) => onResponse(status, body, context.tag) : undefined,
    },
  ];
}

function reservationRequests(items, token) {
  let n = 0;
  return () =>
    dynamic('POST', json(token), () => {
      const item = items[n++ % items.length];
      return { path: `${API}/reservations`, body: { ...item, quantity: 1 } };
    });
}

/**
 * Cycles a pool of fulfillments picking → packing → picking (both moves are legal). A fulfillment
 * is taken from the idle queue for one request and goes back when its response arrives, so no
 * fulfillment ever has two moves in flight; `prepare` re-reads the statuses before each run.
 */
function fulfillmentCycle(poolIds, token) {
  let idle = [];
  return {
    async prepare(db) {
      const { rows } = await db.query(
        `select id, status::text from order_fulfillments where id = any($1::uuid[]) and status in ('picking', 'packing')
         order by status, id`,
        [poolIds],
      );
      idle = rows.map((r) => ({ id: r.id, status: r.status }));
    },
    requests: () =>
      dynamic(
        'POST',
        json(token),
        () => {
          const f = idle.shift();
          if (!f) throw new Error('fulfillment pool exhausted (more connections than fulfillments?)');
          const target = f.status === 'picking' ? 'packing' : 'picking';
          return {
            path: `${API}/fulfillments/${f.id}/status`,
            body: { status: target },
            tag: { ...f, target },
          };
        },
        (status, _body, f) => idle.push({ id: f.id, status: status === 200 ? f.target : f.status }),
      ),
  };
}

/** Every scenario; `fx` are the fixtures, `tokens` bearer tokens per role. */
function scenarios(fx, tokens) {
  const cycle = fulfillmentCycle(fx.fulfillmentPool, tokens.warehouse);
  let order = 0;
  let historyPage = 0;
  let listStatus = 0;
  return [
    {
      id: 'reservations-spread',
      minimal: { minRatio: 0.5 },
      title: 'POST /reservations, 10,000 variants × 2 locations',
      kind: 'reservation',
      connections: 32,
      expected: [201],
      requests: reservationRequests(fx.reservationItems, tokens.warehouse),
    },
    {
      id: 'reservations-hot',
      minimal: { minRatio: 0.6 },
      title: 'POST /reservations, one hot variant (one stock level)',
      kind: 'reservation',
      connections: 32,
      expected: [201, 409],
      requests: reservationRequests(fx.hotItems, tokens.warehouse),
    },
    {
      id: 'fulfillment-status',
      title: 'POST /fulfillments/:id/status, picking ↔ packing',
      kind: 'write',
      connections: 32,
      expected: [200],
      prepare: (db) => cycle.prepare(db),
      requests: cycle.requests,
    },
    {
      id: 'history-page',
      minimal: { minRatio: 0.5 },
      title: 'GET /orders/:orderId/history, 20 of 1,000 entries (table of 1M)',
      kind: 'read',
      connections: 32,
      expected: [200],
      requests: () =>
        dynamic('GET', json(tokens.support), () => ({
          path: `${API}/orders/${fx.historyOrder.id}/history?page=${1 + (historyPage++ % HISTORY_PAGES)}&pageSize=20`,
        })),
    },
    {
      id: 'order-detail',
      minimal: { minRatio: 0.5 },
      title: 'GET /orders/:id (items, reservations, fulfillments)',
      kind: 'read',
      connections: 32,
      expected: [200],
      requests: () =>
        dynamic('GET', json(tokens.support), () => ({
          path: `${API}/orders/${fx.orderIds[order++ % fx.orderIds.length]}`,
        })),
    },
    {
      id: 'fulfillments-list',
      title: 'GET /fulfillments?status=, page of 20 (50,000 fulfillments)',
      kind: 'read',
      connections: 32,
      expected: [200],
      requests: () =>
        dynamic('GET', json(tokens.support), () => ({
          path: `${API}/fulfillments?status=${FULFILLMENT_LIST_STATUSES[listStatus++ % FULFILLMENT_LIST_STATUSES.length]}`,
        })),
    },
    {
      id: 'login',
      minimal: { minRatio: null },
      title: 'POST /auth/login (argon2id verify + JWT)',
      kind: 'read',
      connections: 8,
      expected: [200],
      requests: () =>
        dynamic('POST', json(), () => ({
          path: `${API}/auth/login`,
          body: { email: fx.users.support.email, password: fx.users.support.password },
        })),
    },
  ];
}

module.exports = { scenarios, API, dynamic, json };
