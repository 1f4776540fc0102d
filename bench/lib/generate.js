'use strict';
// Bulk data for the benchmark, generated inside PostgreSQL (generate_series / INSERT ... SELECT):
// 10,000 variants with stock at 2 locations, 100,000 orders with items, ~1,000,000 history rows
// (one order with exactly 1,000 entries), fulfillments in every status, active reservations whose
// counters match the stock levels, and users per role with a known password.
const { hash } = require('@node-rs/argon2');

// The app's argon2id parameters (src/identity/password-hasher.ts).
const ARGON2 = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

const SIZES = {
  variants: 10000,
  customers: 1000,
  orders: 100000,
  historyPerOrder: 10,
  historyOrderEntries: 1000,
  /** Orders whose items the reservation scenarios reserve against (5 items each, every variant once). */
  reservationOrders: 2000,
  reservationItemQuantity: 1000,
  /** Order items on the hot variant, each ordered 10,000 times. */
  hotItems: 500,
  hotItemQuantity: 10000,
  stockOnHand: 100000,
  hotStockOnHand: 1000000,
};

const PASSWORD = 'bench-password-123';
const ROLES = ['admin', 'support', 'warehouse', 'customer'];
const emailOf = (role) => `bench-${role}@bench.local`;

// Status mix of the 100,000 orders, per 20.
const ORDER_STATUS_MIX = [
  ...Array(3).fill('pending'),
  ...Array(4).fill('confirmed'),
  ...Array(4).fill('processing'),
  ...Array(3).fill('shipped'),
  ...Array(3).fill('delivered'),
  ...Array(2).fill('cancelled'),
  'returned',
];
// Fulfillment status of a processing order's fulfillment, cycled.
const OPEN_FULFILLMENT_MIX = ['pending', 'picking', 'packing', 'ready_to_ship', 'picking', 'cancelled'];
const HISTORY_ACTIONS = [
  'confirmed',
  'payment_received',
  'note_added',
  'inventory_reserved',
  'status_changed',
  'assigned',
  'processing_started',
  'packed',
  'shipped',
  'edited',
  'inventory_released',
  'delivered',
];

const sqlArray = (values) => `array[${values.map((v) => `'${v}'`).join(',')}]`;

/**
 * Bulk-loads `table` the way pg_restore does: its primary key, unique constraints, foreign keys and
 * indexes are dropped, the rows inserted, and every one of them recreated from its own definition,
 * so that the schema afterwards is exactly the migrated one.
 */
async function bulk(client, table, log, load) {
  const { rows: constraints } = await client.query(
    `select conname, pg_get_constraintdef(oid) as def, contype from pg_constraint
     where conrelid = $1::regclass and contype in ('p', 'u', 'f') order by contype desc`,
    [table],
  );
  const { rows: indexes } = await client.query(
    `select i.indexname, i.indexdef from pg_indexes i
     where i.tablename = $1 and i.schemaname = current_schema()
       and not exists (select 1 from pg_constraint c where c.conindid = (quote_ident(i.indexname))::regclass
                       and c.conrelid = $1::regclass)`,
    [table],
  );
  // Foreign keys of other tables pointing here depend on its primary key: drop them too.
  const { rows: inbound } = await client.query(
    `select conrelid::regclass::text as owner, conname, pg_get_constraintdef(oid) as def from pg_constraint
     where confrelid = $1::regclass and contype = 'f' and conrelid <> $1::regclass`,
    [table],
  );
  for (const c of inbound) await client.query(`alter table ${c.owner} drop constraint "${c.conname}"`);
  for (const c of constraints) await client.query(`alter table "${table}" drop constraint "${c.conname}"`);
  for (const i of indexes) await client.query(`drop index "${i.indexname}"`);
  const result = await load();
  const loaded = Date.now();
  // Primary key and unique first (foreign keys need them), then the indexes, then the foreign keys.
  for (const c of constraints.filter((x) => x.contype !== 'f')) {
    await client.query(`alter table "${table}" add constraint "${c.conname}" ${c.def}`);
  }
  for (const i of indexes) await client.query(i.indexdef);
  for (const c of constraints.filter((x) => x.contype === 'f')) {
    await client.query(`alter table "${table}" add constraint "${c.conname}" ${c.def}`);
  }
  for (const c of inbound)
    await client.query(`alter table ${c.owner} add constraint "${c.conname}" ${c.def}`);
  log(`  ${table}: keys and indexes rebuilt (${((Date.now() - loaded) / 1000).toFixed(1)} s)`);
  return result;
}

/** Runs the generator on a migrated, empty database; returns what the scenarios need. */
async function generate(client, log = () => undefined) {
  const step = async (label, sql, params) => {
    const started = Date.now();
    const result = await client.query(sql, params);
    log(`${label} (${result.rowCount ?? 0} rows, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return result;
  };
  const passwordHash = await hash(PASSWORD, ARGON2);
  await client.query(
    `set synchronous_commit = off; set maintenance_work_mem = '512MB'; set work_mem = '64MB'`,
  );

  await step(
    'users',
    `
    insert into users (id, email, password_hash, full_name, role)
    select gen_random_uuid(), 'bench-' || r || '@bench.local', $1, 'Bench ' || r, r::user_role
    from unnest($2::text[]) r
    union all
    select gen_random_uuid(), 'customer-' || lpad(n::text, 5, '0') || '@bench.local', $1,
           'Customer ' || n, 'customer'
    from generate_series(1, ${SIZES.customers}) n`,
    [passwordHash, ROLES],
  );

  await step(
    'stock locations',
    `
    insert into stock_locations (id, code, name)
    values (gen_random_uuid(), 'WH-A', 'Warehouse A'), (gen_random_uuid(), 'WH-B', 'Warehouse B')`,
  );

  await step(
    'variants',
    `
    insert into product_variants (id, sku, name)
    select gen_random_uuid(), 'BV-' || lpad(n::text, 5, '0'), 'Bench variant ' || n
    from generate_series(1, ${SIZES.variants}) n
    union all select gen_random_uuid(), 'BV-HOT', 'Bench hot variant'`,
  );

  // Index tables: position → id, so that the rest can be computed from row numbers.
  await client.query(`
    create unlogged table bench_variant as
      select case when sku = 'BV-HOT' then 0 else (substr(sku, 4))::int end as idx, id, sku, name
      from product_variants;
    create unique index on bench_variant (idx);
    create unlogged table bench_customer as
      select (row_number() over (order by email))::int - 1 as idx, id from users
      where email like 'customer-%@bench.local';
    create unique index on bench_customer (idx);`);

  await step(
    'stock levels',
    `
    insert into stock_levels (id, product_variant_id, stock_location_id, quantity_on_hand)
    select gen_random_uuid(), v.id, l.id,
           case when v.sku = 'BV-HOT' then (case when l.code = 'WH-A' then $1::int else 0 end) else $2::int end
    from product_variants v cross join stock_locations l`,
    [SIZES.hotStockOnHand, SIZES.stockOnHand],
  );

  // 100,000 orders + the reservation orders + the hot orders, numbered from the app's sequence.
  const regular = SIZES.orders;
  const resvFrom = regular + 1;
  const resvTo = regular + SIZES.reservationOrders;
  const hotFrom = resvTo + 1;
  const hotTo = resvTo + SIZES.hotItems;
  // Items are a pure function of (order n, item k), so that the order totals are computed here too.
  const itemCount = (n) =>
    `case when ${n} <= ${regular} then 1 + ${n} % 3 when ${n} <= ${resvTo} then 5 else 1 end`;
  const itemQuantity = (n, k) =>
    `case when ${n} <= ${regular} then 1 + (${n} + ${k}) % 4 when ${n} <= ${resvTo} then ${SIZES.reservationItemQuantity} else ${SIZES.hotItemQuantity} end`;
  const itemPrice = (n, k) =>
    `case when ${n} > ${resvTo} then 9.99 else ((${n} * 7 + ${k} * 13) % 5000 + 99) / 100.0 end`;
  await bulk(client, 'orders', log, () =>
    step(
      'orders',
      `
    insert into orders (id, order_number, customer_id, status, currency, total_amount, amount_paid,
                        shipping_address, created_at, updated_at)
    select gen_random_uuid(), 'ORD-2026-' || lpad(nextval('order_number_seq')::text, 6, '0'), c.id, st.status,
           'EUR', t.total,
           case when st.status in ('processing', 'shipped', 'delivered', 'returned') then t.total else 0 end,
           jsonb_build_object('name', 'Customer ' || (n % ${SIZES.customers}), 'line1', n || ' Bench Street',
                              'city', 'Benchton', 'postalCode', lpad((n % 99999)::text, 5, '0'), 'country', 'DE'),
           now() - make_interval(mins => ${hotTo} - n), now() - make_interval(mins => ${hotTo} - n)
    from generate_series(1, ${hotTo}) n
    join bench_customer c on c.idx = n % ${SIZES.customers}
    cross join lateral (select (case when n > ${regular} then 'confirmed'
                                     else (${sqlArray(ORDER_STATUS_MIX)})[1 + n % 20] end)::order_status as status) st
    cross join lateral (select sum((${itemQuantity('n', 'k')}) * (${itemPrice('n', 'k')})) as total
                        from generate_series(1, ${itemCount('n')}) k) t
    order by n`,
    ),
  );
  await client.query(`
    create unlogged table bench_order as
      select (substr(order_number, 10))::int as idx, id, status, created_at from orders;
    create unique index on bench_order (idx);
    analyze bench_order; analyze bench_variant;`);

  await bulk(client, 'order_items', log, () =>
    step(
      'order items',
      `
    insert into order_items (id, order_id, product_variant_id, sku, name, quantity, unit_price, created_at, updated_at)
    select gen_random_uuid(), o.id, v.id, v.sku, v.name, ${itemQuantity('o.idx', 'k')}, ${itemPrice('o.idx', 'k')},
           o.created_at, o.created_at
    from bench_order o
    cross join lateral generate_series(1, ${itemCount('o.idx')}) k
    join bench_variant v on v.idx = case when o.idx <= ${regular} then 1 + (o.idx * 7 + k * 131) % ${SIZES.variants}
                                         when o.idx <= ${resvTo} then 1 + ((o.idx - ${resvFrom}) * 5 + k - 1) % ${SIZES.variants}
                                         else 0 end`,
    ),
  );

  // The audit trail: 10 entries per order, 1,000 for order #1; a valid-looking chain
  // (sequence 1..n, previous_hash = the hash before; any 64-hex hash, since verify is not benchmarked).
  await bulk(client, 'order_history', log, () =>
    step(
      'order history',
      `
    insert into order_history (id, order_id, sequence, action, old_status, new_status, description,
                               performed_by_id, additional_data, ip_address, user_agent, created_at,
                               previous_hash, hash)
    select gen_random_uuid(), o.id, s,
           (case when s = 1 then 'created' else (${sqlArray(HISTORY_ACTIONS)})[1 + (s + o.idx) % ${HISTORY_ACTIONS.length}] end)::order_history_action,
           case when s = 1 then null else 'pending' end,
           case when s = 1 then 'pending' else o.status::text end,
           case when s = 1 then 'Order created' else 'Bench history entry ' || s end,
           case when s % 3 = 0 then null else u.id end,
           case when s % 2 = 0 then jsonb_build_object('step', s, 'source', 'bench') else null end,
           '127.0.0.1', 'bench/1.0',
           o.created_at + make_interval(secs => s),
           case when s = 1 then null else md5(o.id::text || ':' || (s - 1)) || md5((s - 1) || ':' || o.id::text) end,
           md5(o.id::text || ':' || s) || md5(s || ':' || o.id::text)
    from bench_order o
    cross join lateral generate_series(1, case when o.idx = 1 then ${SIZES.historyOrderEntries}
                                               when o.idx <= ${regular} then ${SIZES.historyPerOrder} else 1 end) s
    cross join (select id from users where email = '${emailOf('support')}') u`,
    ),
  );

  // Fulfillments: processing orders get an open one (pending/picking/packing/ready/cancelled),
  // shipped orders a shipped one, delivered orders a fulfilled one. Items: every item of the order.
  await step(
    'fulfillments',
    `
    insert into order_fulfillments (id, order_id, fulfillment_number, status, warehouse_location, assigned_to_id,
                                    items, assigned_at, picking_started_at, picking_completed_at,
                                    packing_started_at, packing_completed_at, shipped_at, fulfilled_at, cancelled_at,
                                    created_at, updated_at)
    select gen_random_uuid(), f.order_id,
           'FUL-2026-' || lpad(nextval('fulfillment_number_seq')::text, 6, '0'),
           f.status::fulfillment_status, f.location,
           case when f.status = 'pending' then null else w.id end,
           f.items,
           case when f.status = 'pending' then null else f.t0 + interval '1 minute' end,
           case when f.status in ('pending', 'cancelled') then null else f.t0 + interval '2 minutes' end,
           case when f.status in ('packing', 'ready_to_ship', 'shipped', 'fulfilled') then f.t0 + interval '10 minutes' end,
           case when f.status in ('packing', 'ready_to_ship', 'shipped', 'fulfilled') then f.t0 + interval '10 minutes' end,
           case when f.status in ('ready_to_ship', 'shipped', 'fulfilled') then f.t0 + interval '20 minutes' end,
           case when f.status in ('shipped', 'fulfilled') then f.t0 + interval '60 minutes' end,
           case when f.status = 'fulfilled' then f.t0 + interval '2 days' end,
           case when f.status = 'cancelled' then f.t0 + interval '5 minutes' end,
           f.t0, f.t0
    from (
      select o.id as order_id, o.created_at + interval '1 hour' as t0,
             case o.status when 'processing' then (${sqlArray(OPEN_FULFILLMENT_MIX)})[1 + o.idx % ${OPEN_FULFILLMENT_MIX.length}]
                           when 'shipped' then 'shipped' else 'fulfilled' end as status,
             case when o.idx % 2 = 0 then 'WH-A' else 'WH-B' end as location,
             (select jsonb_object_agg(i.id::text, i.quantity) from order_items i where i.order_id = o.id) as items
      from bench_order o
      where o.status in ('processing', 'shipped', 'delivered') and o.idx <= ${regular}
    ) f
    cross join (select id from users where email = '${emailOf('warehouse')}') w`,
  );

  // Active reservations for confirmed and processing orders (stock held), released ones for the
  // cancelled orders; then the stock counters are set to exactly what the active ones hold.
  await step(
    'reservations',
    `
    insert into inventory_reservations (id, order_id, order_item_id, product_variant_id, stock_location_id,
                                        quantity_reserved, is_active, reserved_at, released_at, release_reason,
                                        created_at, updated_at)
    select gen_random_uuid(), o.id, i.id, i.product_variant_id,
           case when o.idx % 2 = 0 then a.id else b.id end,
           i.quantity, o.status <> 'cancelled', o.created_at + interval '5 minutes',
           case when o.status = 'cancelled' then o.created_at + interval '1 day' end,
           case when o.status = 'cancelled' then 'cancelled'::release_reason end,
           o.created_at, o.created_at
    from bench_order o
    join order_items i on i.order_id = o.id
    cross join (select id from stock_locations where code = 'WH-A') a
    cross join (select id from stock_locations where code = 'WH-B') b
    where o.idx <= ${regular} and o.status in ('confirmed', 'processing', 'cancelled')`,
  );
  await step(
    'stock counters',
    `
    update stock_levels s set quantity_reserved = r.held
    from (select product_variant_id, stock_location_id, sum(quantity_reserved - quantity_fulfilled) as held
          from inventory_reservations where is_active group by 1, 2) r
    where s.product_variant_id = r.product_variant_id and s.stock_location_id = r.stock_location_id`,
  );

  // What the write statements read under their locks: each order's history chain head (on the
  // order row) and each item's allocation (units held or fulfilled through reservations).
  await step(
    'history heads',
    `
    update orders o set history_sequence = h.sequence, history_hash = h.hash, history_at = h.created_at
    from (select distinct on (order_id) order_id, sequence, hash, created_at from order_history
          order by order_id, sequence desc) h
    where h.order_id = o.id`,
  );
  await step(
    'item allocations',
    `
    update order_items i set quantity_allocated = r.allocated
    from (select order_item_id,
                 sum(case when is_active then quantity_reserved else quantity_fulfilled end)::int as allocated
          from inventory_reservations group by order_item_id) r
    where r.order_item_id = i.id`,
  );

  await client.query('drop table bench_variant, bench_customer');
  const started = Date.now();
  await client.query('vacuum analyze');
  log(`vacuum analyze (${((Date.now() - started) / 1000).toFixed(1)} s)`);

  return fixtures(client, { regular, resvFrom, resvTo, hotFrom, hotTo });
}

/** Ids the scenarios use, read back from the generated data. */
async function fixtures(client, ranges) {
  const one = async (sql, params) => (await client.query(sql, params)).rows;
  const users = Object.fromEntries(
    (await one(`select role::text, id, email from users where email like 'bench-%@bench.local'`)).map((u) => [
      u.role,
      { id: u.id, email: u.email, password: PASSWORD },
    ]),
  );
  const locations = Object.fromEntries(
    (await one('select code, id from stock_locations')).map((l) => [l.code, l.id]),
  );
  const [historyOrder] = await one(
    `select o.id, count(h.id)::int as entries from bench_order b join orders o on o.id = b.id
     join order_history h on h.order_id = o.id where b.idx = 1 group by o.id`,
  );
  const orderIds = (
    await one(`select id from bench_order where idx <= $1 order by md5(id::text) limit 5000`, [
      ranges.regular,
    ])
  ).map((r) => r.id);
  const reservationItems = (
    await one(
      `select i.order_id as "orderId", i.id as "orderItemId", i.product_variant_id as "productVariantId"
       from order_items i join bench_order b on b.id = i.order_id
       where b.idx between $1 and $2 order by md5(i.id::text)`,
      [ranges.resvFrom, ranges.resvTo],
    )
  ).map((item, n) => ({ ...item, stockLocationId: n % 2 === 0 ? locations['WH-A'] : locations['WH-B'] }));
  const hotItems = (
    await one(
      `select i.order_id as "orderId", i.id as "orderItemId", i.product_variant_id as "productVariantId"
       from order_items i join bench_order b on b.id = i.order_id
       where b.idx between $1 and $2 order by b.idx`,
      [ranges.hotFrom, ranges.hotTo],
    )
  ).map((item) => ({ ...item, stockLocationId: locations['WH-A'] }));
  const fulfillmentPool = (
    await one(
      `select f.id from order_fulfillments f where f.status = 'picking' order by md5(f.id::text) limit 2000`,
    )
  ).map((r) => r.id);
  const counts = (
    await one(`select
      (select count(*) from product_variants)::int as variants,
      (select count(*) from stock_levels)::int as stock_levels,
      (select count(*) from orders)::int as orders,
      (select count(*) from order_items)::int as order_items,
      (select count(*) from order_history)::int as history,
      (select count(*) from order_fulfillments)::int as fulfillments,
      (select count(*) from inventory_reservations)::int as reservations,
      (select count(*) from users)::int as users`)
  )[0];
  const byStatus = Object.fromEntries(
    (await one('select status::text, count(*)::int as n from order_fulfillments group by 1 order by 1')).map(
      (r) => [r.status, r.n],
    ),
  );
  await client.query('drop table bench_order');
  return {
    users,
    locations,
    historyOrder,
    orderIds,
    reservationItems,
    hotItems,
    fulfillmentPool,
    counts: { ...counts, fulfillmentsByStatus: byStatus },
  };
}

module.exports = { generate, SIZES, PASSWORD, ARGON2, emailOf };
