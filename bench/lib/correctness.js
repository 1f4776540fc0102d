'use strict';
/* global fetch */
// Correctness under load: the drift report and the inventory invariants, checked after the writes.
const { API } = require('./scenarios');

/**
 * GET /inventory/consistency must be consistent; in SQL: no stock level with reserved > on hand,
 * every counter equal to the sum of its active reservations, no item reserved over its quantity.
 */
async function correctness(adminClient, baseUrl, adminToken) {
  const response = await fetch(`${baseUrl}${API}/inventory/consistency`, {
    headers: { authorization: `Bearer ${adminToken}` },
  });
  const endpoint = response.status === 200 ? await response.json() : { status: response.status };
  const { rows: over } = await adminClient.query(
    'select id, quantity_on_hand, quantity_reserved from stock_levels where quantity_reserved > quantity_on_hand',
  );
  const { rows: drift } = await adminClient.query(`
    select s.id, s.quantity_reserved as counter, coalesce(r.held, 0)::int as sum_of_active
    from stock_levels s
    left join (select product_variant_id, stock_location_id, sum(quantity_reserved - quantity_fulfilled) as held
               from inventory_reservations where is_active group by 1, 2) r
      on r.product_variant_id = s.product_variant_id and r.stock_location_id = s.stock_location_id
    where s.quantity_reserved <> coalesce(r.held, 0)`);
  const { rows: overItems } = await adminClient.query(`
    select i.id from order_items i
    join inventory_reservations r on r.order_item_id = i.id and r.is_active
    group by i.id, i.quantity having sum(r.quantity_reserved - r.quantity_fulfilled) > i.quantity`);
  return {
    consistencyEndpoint: endpoint,
    reservedOverOnHand: over.length,
    counterDriftSql: drift.length,
    itemsOverReserved: overItems.length,
    ok:
      over.length === 0 &&
      drift.length === 0 &&
      overItems.length === 0 &&
      (endpoint.consistent === undefined || endpoint.consistent === true),
  };
}

module.exports = { correctness };
