import { MikroORM } from '@mikro-orm/postgresql';
import { createOrmConfig } from '../src/database/mikro-orm.config';
import { migrate } from '../src/database/migrate';
import { createTestDatabase, dropTestDatabase, uniqueDatabaseName } from './setup/test-database';

describe('migrations', () => {
  const serverUrl = process.env.TEST_SERVER_URL!;
  const name = uniqueDatabaseName('oms_migration');
  let orm: MikroORM;

  beforeAll(async () => {
    const url = await createTestDatabase(serverUrl, name);
    orm = await MikroORM.init({ ...createOrmConfig({ databaseUrl: url, poolMax: 2 }), debug: false });
  });

  afterAll(async () => {
    await orm.close(true);
    await dropTestDatabase(serverUrl, name);
  });

  it('migrates an empty database up, and then entities and schema agree', async () => {
    const applied = await migrate(orm);
    expect(applied.length).toBeGreaterThanOrEqual(1);
    const diff = await orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false, safe: false });
    expect(diff.trim()).toBe('');
    expect(await orm.getMigrator().getPendingMigrations()).toEqual([]);
    // Up to date: nothing applied again (answered from the migrations table alone).
    await expect(migrate(orm)).resolves.toEqual([]);
  });

  it('has every table, both seed enums with exactly their values, and the sequences', async () => {
    const em = orm.em.fork();
    const tables = await em.execute<{ table_name: string }[]>(
      `select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining([
        'users',
        'product_variants',
        'stock_locations',
        'stock_levels',
        'orders',
        'order_items',
        'order_history',
        'order_notes',
        'order_fulfillments',
        'inventory_reservations',
        'customer_notifications',
        'idempotency_keys',
      ]),
    );
    const enumValues = async (type: string) =>
      (
        await em.execute<{ v: string }[]>(
          `select e.enumlabel as v from pg_enum e join pg_type t on t.oid = e.enumtypid where t.typname = ? order by e.enumsortorder`,
          [type],
        )
      ).map((r) => r.v);
    expect(await enumValues('order_history_action')).toHaveLength(18);
    expect(await enumValues('fulfillment_status')).toEqual([
      'pending',
      'picking',
      'packing',
      'ready_to_ship',
      'shipped',
      'partially_fulfilled',
      'fulfilled',
      'cancelled',
    ]);
    const sequences = await em.execute<{ sequence_name: string }[]>(
      `select sequence_name from information_schema.sequences order by sequence_name`,
    );
    expect(sequences.map((s) => s.sequence_name)).toEqual(
      expect.arrayContaining(['fulfillment_number_seq', 'order_number_seq']),
    );
  });

  it('refuses UPDATE, DELETE and TRUNCATE on order_history, even when no row matches', async () => {
    const em = orm.em.fork();
    await expect(em.execute(`update order_history set description = 'x'`)).rejects.toThrow(
      /append-only: UPDATE/,
    );
    await expect(em.execute(`delete from order_history`)).rejects.toThrow(/append-only: DELETE/);
    await expect(em.execute(`truncate order_history`)).rejects.toThrow(/append-only: TRUNCATE/);
  });

  it('lets an order deletion cascade to its history, and nothing else delete history', async () => {
    const em = orm.em.fork();
    const [user] = await em.execute<{ id: string }[]>(
      `insert into users (id, email, password_hash, full_name, role)
       values (gen_random_uuid(), 'cascade@test.local', 'x', 'Cascade', 'customer') returning id`,
    );
    const [order] = await em.execute<{ id: string }[]>(
      `insert into orders (id, order_number, customer_id, currency, shipping_address)
       values (gen_random_uuid(), 'ORD-CASCADE', ?, 'EUR', '{}') returning id`,
      [user.id],
    );
    await em.execute(
      `insert into order_history (id, order_id, sequence, action, description, hash)
       values (gen_random_uuid(), ?, 1, 'created', 'created', repeat('0', 64))`,
      [order.id],
    );
    await expect(em.execute('delete from order_history where order_id = ?', [order.id])).rejects.toThrow(
      /append-only/,
    );
    await em.execute('delete from orders where id = ?', [order.id]);
    const left = await em.execute<{ n: string }[]>(
      'select count(*) as n from order_history where order_id = ?',
      [order.id],
    );
    expect(Number(left[0].n)).toBe(0);
    // Nothing of the order is left to hold on to its customer: the user row goes too.
    await expect(em.execute('delete from users where id = ? returning id', [user.id])).resolves.toEqual([
      { id: user.id },
    ]);
  });

  it('migrates back down to an empty schema', async () => {
    await orm.getMigrator().down({ to: 0 });
    const em = orm.em.fork();
    const tables = await em.execute<{ n: string }[]>(
      `select count(*) as n from information_schema.tables where table_schema = 'public' and table_name <> 'mikro_orm_migrations'`,
    );
    expect(Number(tables[0].n)).toBe(0);
    // The migrations table is still there but empty: migrate() sees the migrations as pending.
    const applied = await migrate(orm);
    expect(applied).toEqual((await orm.getMigrator().getExecutedMigrations()).map((m) => m.name));
    expect(applied.length).toBeGreaterThanOrEqual(1);
  });
});
