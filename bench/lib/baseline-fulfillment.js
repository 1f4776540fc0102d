'use strict';
// The baseline's fulfillment routes (status move, list), statement for statement as OMS issues them
// (see bench/lib/baseline-sql.js).
const {
  HttpError,
  recordHistory,
  TRANSITIONS,
  toFulfillmentResponse,
  pageOf,
  limitOffset,
  meta,
} = require('./baseline-common');

// --- POST /fulfillments/:id/status (FulfillmentStatusService.changeStatus) --------------------

const STAMPS = {
  picking: { first: ['picking_started_at'], latest: [] },
  // As OMS's STAMPS_ON_ENTRY (fulfillment-state-machine.ts): packing re-stamps both.
  packing: { first: [], latest: ['picking_completed_at', 'packing_started_at'] },
};

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

module.exports = { changeFulfillmentStatus, fulfillmentList };
