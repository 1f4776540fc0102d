'use strict';
/* global fetch */
// Correctness under load: the drift report, the inventory invariants and the audit chains of the
// orders written to, checked after the writes (of OMS and of the minimal comparator).
const { API } = require('./scenarios');

/**
 * Every chain of `orderIds` recomputed as GET /orders/:id/history/verify does: sequences 1..n,
 * each previous_hash the hash before it, each hash order_history_hash over the stored row; and the
 * head on the order row equal to the last entry.
 */
async function chains(adminClient, orderIds) {
  const { rows } = await adminClient.query(
    `select count(distinct order_id)::int as orders,
            count(distinct order_id) filter (where not intact)::int as broken
       from (
         select h.order_id,
                h.sequence = row_number() over w
                and h.previous_hash is not distinct from lag(h.hash) over w
                and h.hash = order_history_hash(h.id, h.order_id, h.sequence, h.action::text, h.old_status,
                               h.new_status, h.description, h.performed_by_id, h.additional_data, h.ip_address,
                               h.user_agent, h.created_at, h.previous_hash)
                and (h.sequence < o.history_sequence or (h.sequence = o.history_sequence and h.hash = o.history_hash))
                  as intact
           from order_history h join orders o on o.id = h.order_id
          where h.order_id = any($1::uuid[])
         window w as (partition by h.order_id order by h.sequence)) c`,
    [orderIds],
  );
  return { verified: rows[0].orders - rows[0].broken, broken: rows[0].broken };
}

/**
 * GET /inventory/consistency must be consistent; in SQL: no stock level with reserved > on hand,
 * every counter equal to the sum of its active reservations, no item reserved over its quantity,
 * every audit chain written to intact.
 */
async function correctness(adminClient, baseUrl, adminToken, writtenOrderIds = []) {
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
  const chainCheck = await chains(adminClient, writtenOrderIds);
  return {
    consistencyEndpoint: endpoint,
    chainsVerified: chainCheck.verified,
    chainsBroken: chainCheck.broken,
    reservedOverOnHand: over.length,
    counterDriftSql: drift.length,
    itemsOverReserved: overItems.length,
    ok:
      over.length === 0 &&
      drift.length === 0 &&
      overItems.length === 0 &&
      chainCheck.broken === 0 &&
      (endpoint.consistent === undefined || endpoint.consistent === true),
  };
}

module.exports = { correctness };
