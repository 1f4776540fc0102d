'use strict';
// Load with: BENCH_OMS_NODE_ARGS="-r ./bench/experiments/raw-history.js" npm run bench -- --only=history-page
// Experiment only: the history page as two raw statements (no QueryBuilder, no hydration).
require('./raw-guard');
const { HistoryQueryService } = require('../../dist/history/history-query.service');
const original = HistoryQueryService.prototype.listForOrder;
HistoryQueryService.prototype.listForOrder = async function (orderId, query) {
  if (query.action?.length || query.performedById || query.from || query.to || query.sort)
    return original.call(this, orderId, query);
  const offset = (query.page - 1) * query.pageSize;
  const [rows, count] = await Promise.all([
    this.em.execute(
      `select h.*, u.full_name as p_full_name, u.role as p_role from order_history h left join users u on u.id = h.performed_by_id where h.order_id = ? order by h.created_at asc, h.sequence asc limit ? offset ?`,
      [orderId, query.pageSize, offset],
    ),
    this.em.execute('select count(*)::int as n from order_history where order_id = ?', [orderId]),
  ]);
  const data = rows.map((r) => ({
    id: r.id,
    order: { id: r.order_id },
    sequence: r.sequence,
    action: r.action,
    oldStatus: r.old_status,
    newStatus: r.new_status,
    description: r.description,
    performedBy: r.performed_by_id
      ? { id: r.performed_by_id, fullName: r.p_full_name, role: r.p_role }
      : null,
    additionalData: r.additional_data,
    ipAddress: r.ip_address,
    userAgent: r.user_agent,
    createdAt: new Date(r.created_at),
    hash: r.hash,
    previousHash: r.previous_hash,
  }));
  const total = count[0].n;
  return {
    data,
    meta: {
      page: query.page,
      pageSize: query.pageSize,
      total,
      totalPages: Math.ceil(total / query.pageSize),
    },
  };
};
