'use strict';
// The baseline's GET /orders/:orderId/history, statement for statement as OMS issues it (see bench/lib/baseline-sql.js).
const { pageOf, meta, iso } = require('./baseline-common');

// --- GET /orders/:orderId/history --------------------------------------------------------------

async function orderHistoryPage(db, orderId, query) {
  const page = pageOf(query);
  // HistoryQueryService.listForOrder: the page and the count run concurrently, on two pooled
  // connections; the count does not join users.
  const [{ rows }, { rows: count }] = await Promise.all([
    db.query(
      `select h.id, h.order_id, h.sequence, h.action, h.old_status, h.new_status, h.description,
              h.performed_by_id, u.full_name as performer_full_name, u.role as performer_role,
              h.additional_data, h.ip_address, h.user_agent, h.created_at, h.hash, h.previous_hash
         from order_history h left join users u on u.id = h.performed_by_id
        where h.order_id = $1
        order by h.created_at asc, h.sequence asc
        limit $2 offset $3`,
      [orderId, page.pageSize, page.offset],
    ),
    db.query('select count(*)::int as total from order_history h where h.order_id = $1', [orderId]),
  ]);
  const data = rows.map((e) => ({
    id: e.id,
    orderId: e.order_id,
    sequence: e.sequence,
    action: e.action,
    oldStatus: e.old_status ?? null,
    newStatus: e.new_status ?? null,
    description: e.description,
    performedBy: e.performed_by_id
      ? { id: e.performed_by_id, fullName: e.performer_full_name, role: e.performer_role }
      : null,
    additionalData: e.additional_data ?? null,
    ipAddress: e.ip_address ?? null,
    userAgent: e.user_agent ?? null,
    createdAt: iso(e.created_at),
    hash: e.hash,
    previousHash: e.previous_hash ?? null,
  }));
  return [200, { data, meta: meta(page, count[0].total) }];
}

module.exports = { orderHistoryPage };
