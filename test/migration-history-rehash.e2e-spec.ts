import { MikroORM } from '@mikro-orm/postgresql';
import { createOrmConfig } from '../src/database/mikro-orm.config';
import { OrderHistoryRepository } from '../src/history/order-history.repository';
import { createTestDatabase, dropTestDatabase, uniqueDatabaseName } from './setup/test-database';

/**
 * Migration20261205030000 on a database written before it: chains hashed by the former scheme are
 * rehashed with order_history_hash (a gap still breaks its chain), heads land on the order rows,
 * and item allocations are backfilled from the reservations. The rows are written by SQL because
 * the code that wrote them (the former scheme) is gone.
 */
describe('migration 20261205030000 on existing data', () => {
  const serverUrl = process.env.TEST_SERVER_URL!;
  const name = uniqueDatabaseName('oms_rehash');
  let orm: MikroORM;

  beforeAll(async () => {
    const url = await createTestDatabase(serverUrl, name);
    orm = await MikroORM.init({ ...createOrmConfig({ databaseUrl: url, poolMax: 2 }), debug: false });
  });
  afterAll(async () => {
    await orm.close(true);
    await dropTestDatabase(serverUrl, name);
  });

  it('rehashes each chain in sequence order, sets the heads and the allocations', async () => {
    await orm.getMigrator().up({ to: 'Migration20261126222044' });
    const em = orm.em.fork();
    const [user] = await em.execute<{ id: string }[]>(
      `insert into users (id, email, password_hash, full_name, role)
       values (gen_random_uuid(), 'rehash@test.local', 'x', 'Rehash', 'customer') returning id`,
    );
    const order = async (number: string) =>
      (
        await em.execute<{ id: string }[]>(
          `insert into orders (id, order_number, customer_id, currency, shipping_address)
           values (gen_random_uuid(), ?, ?, 'EUR', '{}') returning id`,
          [number, user.id],
        )
      )[0].id;
    const intact = await order('ORD-REHASH-1');
    const gapped = await order('ORD-REHASH-2');
    const entry = (orderId: string, sequence: number) =>
      em.execute(
        `insert into order_history (id, order_id, sequence, action, description, additional_data, created_at,
                                    previous_hash, hash)
         values (gen_random_uuid(), ?, ?, 'note_added', ?, ?::jsonb,
                 timestamptz '2026-11-01T00:00:00Z' + make_interval(secs => ?), repeat('a', 64), repeat('b', 64))`,
        [orderId, sequence, `entry ${sequence}`, JSON.stringify({ sequence, b: [1, 2], a: 'x' }), sequence],
      );
    for (const sequence of [1, 2, 3]) await entry(intact, sequence);
    for (const sequence of [1, 2, 4]) await entry(gapped, sequence);
    const [variant] = await em.execute<{ id: string }[]>(
      `insert into product_variants (id, sku, name) values (gen_random_uuid(), 'RH-1', 'Rehash') returning id`,
    );
    const [location] = await em.execute<{ id: string }[]>(
      `insert into stock_locations (id, code, name) values (gen_random_uuid(), 'RH', 'Rehash') returning id`,
    );
    const [item] = await em.execute<{ id: string }[]>(
      `insert into order_items (id, order_id, product_variant_id, sku, name, quantity, unit_price)
       values (gen_random_uuid(), ?, ?, 'RH-1', 'Rehash', 9, 1) returning id`,
      [intact, variant.id],
    );
    const reservation = (reserved: number, fulfilled: number, active: boolean) =>
      em.execute(
        `insert into inventory_reservations (id, order_id, order_item_id, product_variant_id, stock_location_id,
                                             quantity_reserved, quantity_fulfilled, is_active)
         values (gen_random_uuid(), ?, ?, ?, ?, ?, ?, ?)`,
        [intact, item.id, variant.id, location.id, reserved, fulfilled, active],
      );
    await reservation(3, 1, true); // holds 2, fulfilled 1: 3 allocated
    await reservation(2, 1, false); // released after 1 was fulfilled: 1 allocated
    await reservation(4, 0, false); // released: nothing

    await orm.getMigrator().up();

    const history = new OrderHistoryRepository(orm.em.fork());
    expect(await history.verify(intact)).toEqual({ entries: 3, first_broken_id: null, head_ok: true });
    const [afterGap] = await em.execute<{ id: string }[]>(
      'select id from order_history where order_id = ? and sequence = 4',
      [gapped],
    );
    expect(await history.verify(gapped)).toMatchObject({ entries: 3, first_broken_id: afterGap.id });
    const heads = await em.execute<{ id: string; history_sequence: number; matches: boolean }[]>(
      `select o.id, o.history_sequence,
              o.history_hash = (select h.hash from order_history h where h.order_id = o.id
                                 order by h.sequence desc limit 1) as matches
         from orders o where o.id in (?, ?) order by o.order_number`,
      [intact, gapped],
    );
    expect(heads).toEqual([
      { id: intact, history_sequence: 3, matches: true },
      { id: gapped, history_sequence: 4, matches: true },
    ]);
    const [allocated] = await em.execute<{ quantity_allocated: number }[]>(
      'select quantity_allocated from order_items where id = ?',
      [item.id],
    );
    expect(allocated.quantity_allocated).toBe(4);
  });
});
