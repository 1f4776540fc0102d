'use strict';
// The minimal comparator's statements: the fastest honest implementation of each benchmarked route
// that we know of, written independently of OMS. Every request is ONE statement (one round trip,
// its own implicit transaction), the caller's authentication included: the statement checks that
// the token's user is active, has the role and still has the token's version, and does nothing
// else when not. Each statement keeps every guarantee OMS gives for the route (see each one).
//
// The data it shares with OMS is the schema and the one definition of an audit entry's hash, the
// database function order_history_hash (src/database/migrations): entries written here verify in
// OMS like its own.

/** The token's user, if active and not revoked since the token was issued; `role` for the 403. */
const ACTOR = `actor as (
  select u.id, u.role::text as role from users u
   where u.id = $1::uuid and u.is_active and u.token_version = $2::int
)`;

const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;
const iso = (column) => `to_char(${column} at time zone 'UTC', ${ISO})`;

/**
 * POST /reservations, one line. Locks the order (its row holds the audit chain's head), the item
 * and the stock level, in that order, with FOR UPDATE, which in READ COMMITTED returns the newest
 * committed version of each row: every check below reads current values, not the statement's
 * snapshot. Only when every check passes (`ok` has a row) do the writes happen, so a refused
 * request changes nothing. Checks: the order takes reservations (pending, confirmed, processing);
 * the item is the order's and for the variant; the item's allocated units (held + fulfilled) plus
 * this stay within its quantity; the location is active; the level has the units available; no
 * expired hold sits on the level (the benchmark sets no expiry: the server refuses loudly rather
 * than release holds, which OMS does first). Writes: stock counter, item allocation, reservation
 * row, the audit entry chained from the order's head (sha256 by order_history_hash) and the head.
 *
 * $1 actor id, $2 token version, $3 order, $4 item, $5 variant, $6 location, $7 quantity,
 * $8 reservation id, $9 history entry id, $10 ip, $11 user agent, $12 roles allowed.
 */
const RESERVE = `with ${ACTOR},
allowed as (select a.id from actor a where a.role = any($12::text[])),
ord as (
  select o.id, o.status::text as status, o.order_number, o.history_sequence, o.history_hash, o.history_at
    from orders o where o.id = $3::uuid and exists (select 1 from allowed)
     for update
),
item as (
  select i.id, i.product_variant_id, i.quantity, i.quantity_allocated, i.sku
    from order_items i where i.id = $4::uuid and i.order_id = $3::uuid and exists (select 1 from ord)
     for update
),
lvl as (
  select s.id, s.quantity_on_hand, s.quantity_reserved, l.code, l.is_active
    from stock_levels s join stock_locations l on l.id = s.stock_location_id
   where s.product_variant_id = $5::uuid and s.stock_location_id = $6::uuid and exists (select 1 from item)
     for update of s
),
expired as (
  select exists (
    select 1 from inventory_reservations r
     where r.is_active and r.expires_at <= now() and r.product_variant_id = $5::uuid and r.stock_location_id = $6::uuid
  ) as found
),
ok as (
  select ord.id as order_id, item.sku, lvl.id as level_id, lvl.code,
         ord.history_sequence + 1 as sequence, ord.history_hash as previous_hash,
         greatest(clock_timestamp(), ord.history_at + interval '1 microsecond') as at
    from ord, item, lvl, expired
   where ord.status in ('pending', 'confirmed', 'processing')
     and item.product_variant_id = $5::uuid
     and item.quantity_allocated + $7::int <= item.quantity
     and lvl.is_active
     and lvl.quantity_on_hand - lvl.quantity_reserved >= $7::int
     and not expired.found
),
stock as (
  update stock_levels s set quantity_reserved = s.quantity_reserved + $7::int, updated_at = now()
    from ok where s.id = ok.level_id returning s.id
),
alloc as (
  update order_items i set quantity_allocated = i.quantity_allocated + $7::int
    from ok where i.id = $4::uuid returning i.id
),
res as (
  insert into inventory_reservations (id, created_at, updated_at, order_id, order_item_id, product_variant_id,
                                      stock_location_id, quantity_reserved, quantity_fulfilled, is_active,
                                      expires_at, notes, reserved_at)
  select $8::uuid, ok.at, ok.at, ok.order_id, $4::uuid, $5::uuid, $6::uuid, $7::int, 0, true, null, null, ok.at
    from ok
  returning reserved_at
),
entry as (
  select ok.*, format('Reserved %s × %s at %s', $7::int, ok.sku, ok.code) as description,
         jsonb_build_object(
           'change', 'reserved', 'reservationId', $8::uuid, 'orderItemId', $4::uuid, 'productVariantId', $5::uuid,
           'sku', ok.sku, 'stockLocationId', $6::uuid, 'stockLocationCode', ok.code, 'quantity', $7::int,
           'quantityReserved', $7::int, 'quantityFulfilled', 0, 'isActive', true, 'releaseReason', null,
           'expiresAt', null) as data
    from ok
),
hist as (
  insert into order_history (id, order_id, sequence, action, old_status, new_status, description, performed_by_id,
                             additional_data, ip_address, user_agent, created_at, previous_hash, hash)
  select $9::uuid, e.order_id, e.sequence, 'inventory_reserved', null, null, e.description, $1::uuid, e.data,
         $10::text, $11::text, e.at, e.previous_hash,
         order_history_hash($9::uuid, e.order_id, e.sequence, 'inventory_reserved', null, null, e.description,
                            $1::uuid, e.data, $10::text, $11::text, e.at, e.previous_hash)
    from entry e
  returning order_id, sequence, hash, created_at
),
head as (
  update orders o set history_sequence = h.sequence, history_hash = h.hash, history_at = h.created_at
    from hist h where o.id = h.order_id returning o.id
)
select (select role from actor) as role,
       (select count(*) from allowed)::int as allowed,
       (select row_to_json(ord) from ord) as "order",
       (select row_to_json(item) from item) as item,
       (select row_to_json(lvl) from lvl) as level,
       (select found from expired) as expired,
       (select ${iso('reserved_at')} from res) as reserved_at,
       (select count(*) from stock)::int + (select count(*) from alloc)::int + (select count(*) from head)::int as writes`;

/**
 * GET /orders/:id/history, a page oldest first. The total is the order's chain head (sequences are
 * gap-free from 1, which verify checks), so no count over the order's entries is needed.
 * $1 actor, $2 token version, $3 order, $4 limit, $5 offset, $6 roles allowed.
 */
const HISTORY_PAGE = `with ${ACTOR},
allowed as (select a.id from actor a where a.role = any($6::text[])),
ord as (select o.id, o.history_sequence from orders o where o.id = $3::uuid and exists (select 1 from allowed)),
page as (
  select h.*, u.full_name as performer_full_name, u.role::text as performer_role
    from order_history h left join users u on u.id = h.performed_by_id
   where h.order_id = (select id from ord)
   order by h.created_at asc, h.sequence asc
   limit $4 offset $5
)
select (select role from actor) as role,
       (select count(*) from allowed)::int as allowed,
       (select history_sequence from ord) as total,
       (select coalesce(json_agg(json_build_object(
          'id', p.id, 'orderId', p.order_id, 'sequence', p.sequence, 'action', p.action,
          'oldStatus', p.old_status, 'newStatus', p.new_status, 'description', p.description,
          'performedBy', case when p.performed_by_id is null then null else json_build_object(
            'id', p.performed_by_id, 'fullName', p.performer_full_name, 'role', p.performer_role) end,
          'additionalData', p.additional_data, 'ipAddress', p.ip_address, 'userAgent', p.user_agent,
          'createdAt', ${iso('p.created_at')}, 'hash', p.hash, 'previousHash', p.previous_hash
        ) order by p.created_at, p.sequence), '[]')::text from page p) as data`;

/**
 * GET /orders/:id: the order with its items (reserved, fulfilled and shipped units each), the
 * reservation summary and its fulfillments (up to 100), as one JSON document built by PostgreSQL.
 * $1 actor, $2 token version, $3 order, $4 roles allowed.
 */
const ORDER_DETAIL = `with ${ACTOR},
allowed as (select a.id from actor a where a.role = any($4::text[])),
o as (select * from orders where id = $3::uuid and exists (select 1 from allowed)),
items as (
  select i.*, coalesce(r.reserved, 0)::int as reserved, coalesce(r.fulfilled, 0)::int as fulfilled,
         coalesce(r.active, 0)::int as active, coalesce(s.shipped, 0)::int as shipped,
         coalesce(s.committed, 0)::int as committed
    from order_items i
    left join lateral (
      select sum(quantity_reserved - quantity_fulfilled) filter (where is_active) as reserved,
             sum(quantity_fulfilled) as fulfilled, count(*) filter (where is_active) as active
        from inventory_reservations where order_item_id = i.id) r on true
    left join lateral (
      select sum((f.items ->> i.id::text)::int)
               filter (where f.status in ('shipped', 'partially_fulfilled', 'fulfilled')) as shipped,
             sum((f.items ->> i.id::text)::int) filter (where f.status <> 'cancelled') as committed
        from order_fulfillments f where f.order_id = i.order_id) s on true
   where i.order_id = (select id from o)
)
select (select role from actor) as role,
       (select count(*) from allowed)::int as allowed,
       (select json_build_object('status', o.status, 'totalAmount', o.total_amount::text,
          'amountPaid', o.amount_paid::text, 'amountRefunded', o.amount_refunded::text,
          'items', (select coalesce(json_agg(json_build_object('quantity', i.quantity, 'committed', i.committed,
              'shipped', i.shipped, 'returned', i.quantity_returned)), '[]') from items i)) from o) as state,
       (select json_build_object(
          'id', o.id, 'orderNumber', o.order_number, 'customerId', o.customer_id, 'status', o.status,
          'currency', o.currency, 'totalAmount', o.total_amount::text, 'amountPaid', o.amount_paid::text,
          'amountRefunded', o.amount_refunded::text, 'shippingAddress', o.shipping_address,
          'items', (select coalesce(json_agg(json_build_object(
              'id', i.id, 'variantId', i.product_variant_id, 'sku', i.sku, 'name', i.name, 'quantity', i.quantity,
              'unitPrice', i.unit_price::text, 'lineTotal', (i.unit_price * i.quantity)::numeric(14, 2)::text,
              'quantityReturned', i.quantity_returned, 'quantityReserved', i.reserved,
              'quantityFulfilled', i.fulfilled, 'quantityShipped', i.shipped
            ) order by i.created_at, i.id), '[]') from items i),
          'createdAt', ${iso('o.created_at')}, 'updatedAt', ${iso('o.updated_at')},
          'reservations', (select json_build_object('active', coalesce(sum(i.active), 0),
              'unitsReserved', coalesce(sum(i.reserved), 0), 'unitsFulfilled', coalesce(sum(i.fulfilled), 0))
            from items i),
          'fulfillments', (select coalesce(json_agg(json_build_object(
              'id', f.id, 'fulfillmentNumber', f.fulfillment_number, 'status', f.status,
              'warehouseLocation', f.warehouse_location, 'items', f.items, 'assignedToId', f.assigned_to_id,
              'shippedAt', ${iso('f.shipped_at')}, 'createdAt', ${iso('f.created_at')}
            ) order by f.created_at, f.id), '[]')
            from (select * from order_fulfillments where order_id = o.id order by created_at, id limit 100) f)
        )::text from o) as body`;

/** POST /auth/login's read: the user by email (the unique index is on lower(email)). */
const USER_BY_EMAIL = `select id, email, full_name, role::text as role, is_active, password_hash, token_version
  from users where lower(email) = $1`;

module.exports = { RESERVE, HISTORY_PAGE, ORDER_DETAIL, USER_BY_EMAIL };
