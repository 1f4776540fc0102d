'use strict';
// The baseline's fulfillment routes (status move, list), statement for statement as OMS issues them
// (see bench/lib/baseline-sql.js).
const {
  HttpError,
  recordHistory,
  TRANSITIONS,
  toFulfillmentResponse,
  pageOf,
  meta,
} = require('./baseline-common');

// FULFILLMENT_COLUMNS of src/fulfillment/fulfillment-response.ts.
const FULFILLMENT_COLUMNS =
  'id, order_id, fulfillment_number, status, warehouse_location, items, assigned_to_id, assigned_at, ' +
  'box_size, weight, packing_materials, picking_notes, packing_notes, picking_started_at, ' +
  'picking_completed_at, packing_started_at, packing_completed_at, shipped_at, fulfilled_at, ' +
  'cancelled_at, version, created_at, updated_at';

// --- POST /fulfillments/:id/status (FulfillmentStatusService.changeStatus) --------------------

const STAMPS = {
  picking: { first: ['picking_started_at'], latest: [] },
  // As OMS's STAMPS_ON_ENTRY (fulfillment-state-machine.ts): packing re-stamps both.
  packing: { first: [], latest: ['picking_completed_at', 'packing_started_at'] },
};

async function changeFulfillmentStatus(db, actor, id, body, req) {
  const to = body.status;
  if (!STAMPS[to]) throw new HttpError(400, 'VALIDATION_FAILED', 'the baseline only moves picking ↔ packing');
  // FulfillmentStatusService.changeStatus: the order locked and the fulfillment read with lean
  // statements, the guarded UPDATE returning the moved row (the response is mapped from it).
  const { rows: orders } = await db.query(
    `select id, order_number, status from orders
      where id = (select order_id from order_fulfillments where id = $1)
        for update`,
    [id],
  );
  const order = orders[0];
  if (!order) throw new HttpError(404, 'NOT_FOUND', `Fulfillment ${id} not found`);
  const { rows: fulfillments } = await db.query(
    'select fulfillment_number, status, items from order_fulfillments where id = $1',
    [id],
  );
  const fulfillment = fulfillments[0];
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
    `update order_fulfillments set ${sets.join(', ')} where id = $${idParam} and status = $${fromParam}
     returning ${FULFILLMENT_COLUMNS}`,
    params,
  );
  if (moved.length === 0) throw new HttpError(409, 'INVALID_TRANSITION', 'moved concurrently');
  await recordHistory(db, actor, req, {
    orderId: order.id,
    action: 'status_changed',
    description: `Fulfillment ${fulfillment.fulfillment_number} moved from ${from} to ${to}`,
    additionalData: { fulfillmentId: id, fulfillmentNumber: fulfillment.fulfillment_number, from, to },
  });
  return [200, toFulfillmentResponse(moved[0])];
}

// --- GET /fulfillments?status= ------------------------------------------------------------------

async function fulfillmentList(db, query) {
  const page = pageOf(query);
  const status = query.get('status');
  if (!TRANSITIONS[status])
    throw new HttpError(400, 'VALIDATION_FAILED', 'status must be a fulfillment status');
  // FulfillmentQueryService.list: the page and the count run concurrently, on two pooled connections.
  const [{ rows }, { rows: count }] = await Promise.all([
    db.query(
      `select ${FULFILLMENT_COLUMNS} from order_fulfillments where status = $1
        order by created_at desc, id asc
        limit $2 offset $3`,
      [status, page.pageSize, page.offset],
    ),
    db.query('select count(*)::int as total from order_fulfillments where status = $1', [status]),
  ]);
  return [200, { data: rows.map(toFulfillmentResponse), meta: meta(page, count[0].total) }];
}

module.exports = { changeFulfillmentStatus, fulfillmentList };
