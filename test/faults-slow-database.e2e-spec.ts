import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import { createUser, http, TestApp, TestUser } from './utils/app';
import { createOrder, createVariantWithStock } from './utils/factories';
import { startProxiedApp, stopProxiedApp, whileUserRowLocked } from './utils/proxied-app';
import { UserRole } from '../src/identity/user-role.enum';
import type { TcpProxy } from './system/support/tcp-proxy';
import { expectCleanProblem } from './system/support/problems';

const LOCK_TIMEOUT_MS = 200;
const LATENCY_MS = 150;

/**
 * A slow database: the app talks to PostgreSQL through a proxy that delays every packet by 150 ms
 * each way, and its lock_timeout is 200 ms. Latency alone only makes requests slower; what it does
 * is stretch how long each transaction holds its row locks (at least one round trip between its
 * UPDATE and its COMMIT), so concurrent writers of the same row run into lock_timeout. Those must
 * fail cleanly (503 LOCK_TIMEOUT, Retry-After) and leave nothing half-done.
 */
describe('faults: a slow database and lock_timeout', () => {
  const appName = `oms-slow-${randomUUID().slice(0, 8)}`;
  let proxy: TcpProxy;
  let app: TestApp;
  let admin: TestUser;
  let session: Client;

  beforeAll(async () => {
    ({ proxy, app, admin, session } = await startProxiedApp(appName, {
      DB_LOCK_TIMEOUT_MS: String(LOCK_TIMEOUT_MS),
      DB_STATEMENT_TIMEOUT_MS: '10000',
    }));
  });

  afterAll(() => stopProxiedApp({ proxy, app, session }));

  afterEach(() => {
    proxy.latencyMs = 0;
  });

  it('latency alone makes requests slower, not failed', async () => {
    proxy.latencyMs = LATENCY_MS;
    await http(app).get('/health/ready').expect(200);
    for (let i = 0; i < 3; i++) {
      await http(app).get(`/api/v1/users/${admin.user.id}`).set(admin.auth).expect(200);
    }
    await http(app)
      .patch(`/api/v1/users/${admin.user.id}`)
      .set(admin.auth)
      .send({ fullName: 'Slow But Fine' })
      .expect(200);
  });

  it('a row held by another session beyond lock_timeout: 503 LOCK_TIMEOUT with Retry-After, nothing written', async () => {
    const target = await createUser(app, UserRole.SUPPORT, { fullName: 'Before' });
    await whileUserRowLocked(target.user.id, async () => {
      const res = await http(app)
        .patch(`/api/v1/users/${target.user.id}`)
        .set(admin.auth)
        .send({ fullName: 'After' });
      expectCleanProblem(res, 503, 'LOCK_TIMEOUT');
      expect(res.headers['retry-after']).toBe('1');
    });
    const { rows } = await session.query('select full_name from users where id = $1', [target.user.id]);
    expect(rows[0].full_name).toBe('Before');
  });

  it('concurrent reservations on one stock level through a slow link: clean 503s, exact counters, nothing partial', async () => {
    const warehouse = await createUser(app, UserRole.WAREHOUSE);
    const customer = await createUser(app, UserRole.CUSTOMER);
    const { variant, location, stockLevel } = await createVariantWithStock(app, 100);
    const { order, items } = await createOrder(app, customer.user, [{ variant, quantity: 20 }]);
    proxy.latencyMs = LATENCY_MS;
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        http(app)
          .post('/api/v1/reservations')
          .set(warehouse.auth)
          .send({
            orderId: order.id,
            orderItemId: items[0].id,
            productVariantId: variant.id,
            stockLocationId: location.id,
            quantity: 2,
          })
          .then((res) => res),
      ),
    );
    proxy.latencyMs = 0;

    const created = results.filter((res) => res.status === 201);
    const refused = results.filter((res) => res.status !== 201);
    for (const res of refused) expectCleanProblem(res, 503, 'LOCK_TIMEOUT');
    // Each transaction keeps the stock row locked for at least a round trip (300 ms) past the
    // 200 ms lock_timeout of the others, so they cannot all have gone through.
    expect(refused.length).toBeGreaterThan(0);
    expect(created.length).toBeGreaterThan(0);

    const { rows } = await session.query(
      `select s.quantity_reserved,
              (select count(*)::int from inventory_reservations r where r.order_item_id = $2 and r.is_active) as active,
              (select count(*)::int from order_history h where h.order_id = $3 and h.action = 'inventory_reserved') as entries
         from stock_levels s where s.id = $1`,
      [stockLevel.id, items[0].id, order.id],
    );
    expect(rows[0]).toEqual({
      quantity_reserved: 2 * created.length,
      active: created.length,
      entries: created.length,
    });
    const consistency = await http(app).get('/api/v1/inventory/consistency').set(admin.auth).expect(200);
    expect(consistency.body.consistent).toBe(true);
  });
});
