import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import { createUser, http, TestApp, TestUser } from './utils/app';
import { UserRole } from '../src/identity/user-role.enum';
import { createOrder, createVariantWithStock } from './utils/factories';
import {
  startProxiedApp,
  stopProxiedApp,
  whileHolding,
  whileHistoryOfUserBlocked,
  whileUserRowLocked,
} from './utils/proxied-app';
import type { TcpProxy } from './system/support/tcp-proxy';
import { terminateBackends, waitForBlockedBackend } from './system/support/pg';
import { expectCleanProblem } from './system/support/problems';

/**
 * Faults of the database under a running app (in process, on the run's test database): its
 * backends killed in the middle of a transaction, the database unreachable and back, connections
 * cut mid-request. The app reaches PostgreSQL through a TCP proxy the test can break; it runs
 * under its own application_name (PGAPPNAME) so that only its backends are terminated.
 */
describe('faults: the database fails under a running app', () => {
  const appName = `oms-faults-${randomUUID().slice(0, 8)}`;
  let proxy: TcpProxy;
  let app: TestApp;
  let admin: TestUser;
  let session: Client;

  beforeAll(async () => {
    ({ proxy, app, admin, session } = await startProxiedApp(appName));
  });

  afterAll(() => stopProxiedApp({ proxy, app, session }));

  async function userRow(id: string): Promise<{ full_name: string } | undefined> {
    return (await session.query('select full_name from users where id = $1', [id])).rows[0];
  }

  /** A few reads in a row all succeed: the pool threw away the dead connections. */
  async function expectHealthyAgain(): Promise<void> {
    for (let i = 0; i < 5; i++) {
      await http(app).get(`/api/v1/users/${admin.user.id}`).set(admin.auth).expect(200);
    }
    await http(app).get('/health/ready').expect(200);
  }

  it('a backend terminated while the request waits in its transaction: 503, nothing written, next requests succeed', async () => {
    const target = await createUser(app, UserRole.SUPPORT, { fullName: 'Before' });
    await whileUserRowLocked(target.user.id, async (holder) => {
      const pending = http(app)
        .patch(`/api/v1/users/${target.user.id}`)
        .set(admin.auth)
        .send({ fullName: 'After' })
        .then((res) => res);
      await waitForBlockedBackend(holder, { applicationName: appName });
      expect(await terminateBackends(session, appName)).toBeGreaterThanOrEqual(1);
      const res = await pending;
      expectCleanProblem(res, 503, 'SERVICE_UNAVAILABLE');
      expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/); // whole seconds
    });
    expect(await userRow(target.user.id)).toEqual({ full_name: 'Before' });

    await expectHealthyAgain();
    await http(app)
      .patch(`/api/v1/users/${target.user.id}`)
      .set(admin.auth)
      .send({ fullName: 'After' })
      .expect(200);
    expect(await userRow(target.user.id)).toEqual({ full_name: 'After' });
  });

  it('a reservation killed after its stock update, while its history entry waits: nothing of it persists', async () => {
    const warehouse = await createUser(app, UserRole.WAREHOUSE);
    const customer = await createUser(app, UserRole.CUSTOMER);
    const { variant, location, stockLevel } = await createVariantWithStock(app, 10);
    const { order, items } = await createOrder(app, customer.user, [{ variant, quantity: 3 }]);
    const body = {
      orderId: order.id,
      orderItemId: items[0].id,
      productVariantId: variant.id,
      stockLocationId: location.id,
      quantity: 3,
    };
    // The test holds the warehouse user's row: the reservation statement (which locks the stock row
    // last, after the order and the item) runs to its end and waits there, in the foreign key check
    // of its history entry (performed by that user), with the stock row updated and so locked.
    await whileHistoryOfUserBlocked(warehouse.user.id, async (holder) => {
      const pending = http(app)
        .post('/api/v1/reservations')
        .set(warehouse.auth)
        .send(body)
        .then((res) => res);
      await waitForBlockedBackend(holder, { applicationName: appName });
      // The app's transaction has updated (so locked) the stock row already.
      await expect(
        session.query('select id from stock_levels where id = $1 for update nowait', [stockLevel.id]),
      ).rejects.toMatchObject({ code: '55P03' });
      await terminateBackends(session, appName);
      expectCleanProblem(await pending, 503, 'SERVICE_UNAVAILABLE');
    });
    const { rows } = await session.query(
      `select s.quantity_reserved,
              (select count(*)::int from inventory_reservations r where r.order_id = $2) as reservations,
              (select count(*)::int from order_history h where h.order_id = $2 and h.action <> 'created') as entries
         from stock_levels s where s.id = $1`,
      [stockLevel.id, order.id],
    );
    expect(rows[0]).toEqual({ quantity_reserved: 0, reservations: 0, entries: 0 });

    const retry = await http(app).post('/api/v1/reservations').set(warehouse.auth).send(body);
    expect(retry.status).toBe(201);
    const { rows: after } = await session.query('select quantity_reserved from stock_levels where id = $1', [
      stockLevel.id,
    ]);
    expect(after[0].quantity_reserved).toBe(3);
  });

  it('an order confirmation over two stock levels killed before its history: still pending, both counters unchanged', async () => {
    const support = await createUser(app, UserRole.SUPPORT);
    const customer = await createUser(app, UserRole.CUSTOMER);
    const first = await createVariantWithStock(app, 5);
    const second = await createVariantWithStock(app, 5);
    const { order } = await createOrder(app, customer.user, [
      { variant: first.variant, quantity: 2 },
      { variant: second.variant, quantity: 4 },
    ]);
    // The confirmation's first history entry (in its reservation statement, performed by support)
    // waits for the user row the test holds: the statement has moved both stock counters by then.
    await whileHistoryOfUserBlocked(support.user.id, async (holder) => {
      const pending = http(app)
        .post(`/api/v1/orders/${order.id}/confirm`)
        .set(support.auth)
        .send({})
        .then((res) => res);
      await waitForBlockedBackend(holder, { applicationName: appName });
      for (const level of [first.stockLevel, second.stockLevel]) {
        await expect(
          session.query('select id from stock_levels where id = $1 for update nowait', [level.id]),
        ).rejects.toMatchObject({ code: '55P03' });
      }
      await terminateBackends(session, appName);
      expectCleanProblem(await pending, 503, 'SERVICE_UNAVAILABLE');
    });
    const { rows } = await session.query(
      `select o.status,
              (select array_agg(quantity_reserved order by quantity_reserved) from stock_levels where id = any($2)) as reserved,
              (select count(*)::int from inventory_reservations where order_id = o.id) as reservations
         from orders o where o.id = $1`,
      [order.id, [first.stockLevel.id, second.stockLevel.id]],
    );
    expect(rows[0]).toEqual({ status: 'pending', reserved: [0, 0], reservations: 0 });
    const confirmed = await http(app).post(`/api/v1/orders/${order.id}/confirm`).set(support.auth).send({});
    expect({ status: confirmed.status, order: confirmed.body.status }).toEqual({
      status: 200,
      order: 'confirmed',
    });
  });

  it('an idempotent create killed mid-transaction frees its key: the retry creates exactly once', async () => {
    const email = `fault-${randomUUID()}@test.local`;
    const key = `fault-${randomUUID()}`;
    const body = { email, password: 'fault-password-123', fullName: 'Fault Create', role: 'support' };
    // The test inserts the same email first and keeps its transaction open: the app's INSERT waits
    // on the unique index until the test's transaction ends.
    const insert = `insert into users (id, email, password_hash, full_name, role) values ($1, $2, 'x', 'Holder', 'support')`;
    await whileHolding(insert, [randomUUID(), email], async (holder) => {
      const pending = http(app)
        .post('/api/v1/users')
        .set(admin.auth)
        .set('Idempotency-Key', key)
        .send(body)
        .then((res) => res);
      await waitForBlockedBackend(holder, { applicationName: appName });
      await terminateBackends(session, appName);
      expectCleanProblem(await pending, 503, 'SERVICE_UNAVAILABLE');
    });
    const count = async () =>
      (await session.query('select count(*)::int as n from users where lower(email) = lower($1)', [email]))
        .rows[0].n;
    expect(await count()).toBe(0);

    const retry = await http(app)
      .post('/api/v1/users')
      .set(admin.auth)
      .set('Idempotency-Key', key)
      .send(body);
    expect(retry.status).toBe(201);
    const replay = await http(app)
      .post('/api/v1/users')
      .set(admin.auth)
      .set('Idempotency-Key', key)
      .send(body);
    expect({ status: replay.status, id: replay.body.id }).toEqual({ status: 201, id: retry.body.id });
    expect(await count()).toBe(1);
  });

  it('an idempotent create cut off with the database unreachable: its retry, once the database is back, creates at once and exactly once', async () => {
    const email = `fault-${randomUUID()}@test.local`;
    const key = `fault-${randomUUID()}`;
    const body = { email, password: 'fault-password-123', fullName: 'Cut Create', role: 'support' };
    const insert = `insert into users (id, email, password_hash, full_name, role) values ($1, $2, 'x', 'Holder', 'support')`;
    await whileHolding(insert, [randomUUID(), email], async (holder) => {
      try {
        const pending = http(app)
          .post('/api/v1/users')
          .set(admin.auth)
          .set('Idempotency-Key', key)
          .send(body)
          .then((res) => res);
        await waitForBlockedBackend(holder, { applicationName: appName });
        // Nothing of the request can be cleaned up now: the database is out of reach.
        proxy.cut();
        expectCleanProblem(await pending, 503, 'SERVICE_UNAVAILABLE');
      } finally {
        proxy.restore();
      }
    });
    await expectHealthyAgain();
    const retry = await http(app)
      .post('/api/v1/users')
      .set(admin.auth)
      .set('Idempotency-Key', key)
      .send(body);
    expect({ status: retry.status, replayed: retry.headers['idempotent-replayed'] }).toEqual({
      status: 201,
      replayed: undefined,
    });
    const { rows } = await session.query(
      'select count(*)::int as n from users where lower(email) = lower($1)',
      [email],
    );
    expect(rows[0].n).toBe(1);
  });

  it('the database unreachable: /health/ready and the API answer 503, ready again within 10 s of recovery', async () => {
    proxy.cut();
    try {
      const ready = await http(app).get('/health/ready');
      expect(ready.status).toBe(503);
      expectCleanProblem(ready, 503, 'SERVICE_UNAVAILABLE');
      expect(ready.body.checks).toEqual({ database: 'down', redis: 'up' });
      await http(app).get('/health/live').expect(200);

      const read = await http(app).get(`/api/v1/users/${admin.user.id}`).set(admin.auth);
      expectCleanProblem(read, 503, 'SERVICE_UNAVAILABLE');
      expect(read.headers['retry-after']).toMatch(/^[1-9]\d*$/); // whole seconds
      const write = await http(app)
        .post('/api/v1/users')
        .set(admin.auth)
        .send({
          email: `down-${randomUUID()}@test.local`,
          password: 'down-password-123',
          fullName: 'X',
          role: 'support',
        });
      expectCleanProblem(write, 503, 'SERVICE_UNAVAILABLE');
      const login = await http(app)
        .post('/api/v1/auth/login')
        .send({ email: admin.user.email, password: admin.password });
      expectCleanProblem(login, 503, 'SERVICE_UNAVAILABLE');
    } finally {
      proxy.restore();
    }
    const restoredAt = Date.now();
    let readyAfterMs: number | undefined;
    while (Date.now() - restoredAt < 10000) {
      if ((await http(app).get('/health/ready')).status === 200) {
        readyAfterMs = Date.now() - restoredAt;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(readyAfterMs).toBeDefined();
    await expectHealthyAgain();
  });

  it('a network partition (connections accepted, never answered): 503 within seconds, not a hang', async () => {
    proxy.blackhole();
    try {
      const ready = await http(app).get('/health/ready');
      expectCleanProblem(ready, 503, 'SERVICE_UNAVAILABLE');
      expect(ready.body.checks).toEqual({ database: 'down', redis: 'up' });
      // A new connection gives up after the driver's connect timeout (5 s) instead of the pool's 30 s.
      const read = await http(app).get(`/api/v1/users/${admin.user.id}`).set(admin.auth);
      expectCleanProblem(read, 503, 'SERVICE_UNAVAILABLE');
    } finally {
      proxy.restore();
    }
    await expectHealthyAgain();
  });

  it('connections cut while a request is in flight: 503, nothing written, then back to normal', async () => {
    const target = await createUser(app, UserRole.SUPPORT, { fullName: 'Before' });
    await whileUserRowLocked(target.user.id, async (holder) => {
      try {
        const pending = http(app)
          .patch(`/api/v1/users/${target.user.id}`)
          .set(admin.auth)
          .send({ fullName: 'After' })
          .then((res) => res);
        await waitForBlockedBackend(holder, { applicationName: appName });
        proxy.cut();
        expectCleanProblem(await pending, 503, 'SERVICE_UNAVAILABLE');
      } finally {
        proxy.restore();
      }
    });
    // PostgreSQL notices the dropped client and rolls its transaction back.
    expect(await userRow(target.user.id)).toEqual({ full_name: 'Before' });
    await expectHealthyAgain();
  });
});
