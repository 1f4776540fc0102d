import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import type { Response } from 'supertest';
import { createUser, http, TestApp, TestUser } from './utils/app';
import { UserRole } from '../src/identity/user-role.enum';
import { createVariantWithStock } from './utils/factories';
import { placeOrder, SHIPPING_ADDRESS } from './utils/orders';
import { startProxiedApp, stopProxiedApp } from './utils/proxied-app';
import type { TcpProxy } from './system/support/tcp-proxy';
import { terminateBackends } from './system/support/pg';
import { expectCleanProblem } from './system/support/problems';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The database failing again and again under concurrent load: the app's backends terminated
 * (pg_terminate_backend) in a loop, and for moments no connection accepted at all, while
 * idempotent creations, confirmations and edits run in parallel. Every answer must be a success,
 * a 4xx or a clean 503; a creation retried with its Idempotency-Key once the database is back
 * must create exactly once; nothing may be half-written.
 */
describe('faults under load: backends terminated and connections refused while requests run', () => {
  const appName = `oms-load-faults-${randomUUID().slice(0, 8)}`;
  let proxy: TcpProxy;
  let app: TestApp;
  let admin: TestUser;
  let session: Client;

  beforeAll(async () => {
    ({ proxy, app, admin, session } = await startProxiedApp(appName));
  });

  afterAll(() => stopProxiedApp({ proxy, app, session }));

  it('never a 500; every retried creation creates once; stock, reservations and history chains stay whole', async () => {
    const support = await createUser(app, UserRole.SUPPORT);
    const { variant, stockLevel } = await createVariantWithStock(app, 1000);
    const customers = await Promise.all(Array.from({ length: 16 }, () => createUser(app, UserRole.CUSTOMER)));
    // Half the customers get an order to confirm while the database fails, the other half an
    // idempotent creation (one per customer, so orders per customer count the creations).
    const toConfirm = await Promise.all(
      customers.slice(0, 8).map((c) => placeOrder(app, support, c.user, [{ variant, quantity: 2 }])),
    );
    const creations = customers.slice(8).map((c) => ({
      key: randomUUID(),
      customer: c,
      body: {
        customerId: c.user.id,
        currency: 'EUR',
        items: [{ variantId: variant.id, quantity: 1, unitPrice: '12.50' }],
        shippingAddress: SHIPPING_ADDRESS,
      },
    }));
    const editTargets = await Promise.all(
      Array.from({ length: 4 }, (_, i) => createUser(app, UserRole.SUPPORT, { fullName: `Edit ${i}` })),
    );

    const create = (c: (typeof creations)[number]) =>
      http(app).post('/api/v1/orders').set(support.auth).set('Idempotency-Key', c.key).send(c.body);
    const confirm = (orderId: string) =>
      http(app).post(`/api/v1/orders/${orderId}/confirm`).set(support.auth).send({});

    // The faults: terminate the app's backends every few milliseconds; twice refuse every
    // connection for a moment.
    let stop = false;
    let terminated = 0;
    const faults = (async () => {
      for (let round = 1; !stop; round++) {
        terminated += await terminateBackends(session, appName);
        if (round % 8 === 0) {
          proxy.cut();
          await pause(150);
          proxy.restore();
        }
        await pause(15 + Math.random() * 25);
      }
    })();

    const answers: Response[] = [];
    const createAnswers = new Map<string, Response>();
    const confirmAnswers = new Map<string, Response>();
    try {
      await Promise.all([
        ...creations.map(async (c) => {
          const res = await create(c);
          createAnswers.set(c.key, res);
          answers.push(res);
        }),
        ...toConfirm.map(async (order) => {
          const res = await confirm(order.id);
          confirmAnswers.set(order.id, res);
          answers.push(res);
        }),
        ...editTargets.flatMap((target) =>
          [1, 2, 3].map(async (n) => {
            await pause(n * 20);
            answers.push(
              await http(app)
                .patch(`/api/v1/users/${target.user.id}`)
                .set(admin.auth)
                .send({ fullName: `Edited ${n}` }),
            );
          }),
        ),
        ...Array.from({ length: 12 }, async (_, n) => {
          await pause(n * 10);
          answers.push(
            await http(app)
              .get(`/api/v1/orders/${toConfirm[n % 8].id}`)
              .set(support.auth),
          );
        }),
      ]);
    } finally {
      stop = true;
      await faults;
      proxy.restore();
    }

    expect(terminated).toBeGreaterThan(0);
    const statuses = answers.map((res) => res.status);
    expect(statuses.filter((status) => status >= 500 && status !== 503)).toEqual([]);
    const unavailable = answers.filter((res) => res.status === 503);
    expect(unavailable.length).toBeGreaterThan(0); // the faults did hit requests
    for (const res of unavailable) {
      expectCleanProblem(res, 503);
      expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/); // whole seconds
    }

    // The database is back: every creation retried with its key succeeds at once, and exactly
    // once; one that had succeeded is replayed.
    await waitUntilReady();
    for (const c of creations) {
      const retry = await create(c);
      expect({ key: c.key, status: retry.status }).toEqual({ key: c.key, status: 201 });
      const first = createAnswers.get(c.key)!;
      if (first.status === 201) {
        expect({ replayed: retry.headers['idempotent-replayed'], id: retry.body.id }).toEqual({
          replayed: 'true',
          id: first.body.id,
        });
      }
    }
    const { rows: perCustomer } = await session.query<{ n: number }>(
      'select count(*)::int as n from orders where customer_id = any($1) group by customer_id',
      [creations.map((c) => c.customer.user.id)],
    );
    expect(perCustomer.map((row) => row.n)).toEqual(creations.map(() => 1));

    // Confirmations: one answered 503 may still have committed (a failure at COMMIT); confirming
    // again settles it either way.
    for (const order of toConfirm) {
      const first = confirmAnswers.get(order.id)!;
      if (first.status === 200) continue;
      const again = await confirm(order.id);
      if (again.status !== 200) expect(again.body.code).toBe('INVALID_TRANSITION');
    }
    const { rows: orders } = await session.query<{ status: string }>(
      'select status from orders where id = any($1)',
      [toConfirm.map((o) => o.id)],
    );
    expect(orders.map((o) => o.status)).toEqual(toConfirm.map(() => 'confirmed'));

    // Nothing half-written: the reserved counter is exactly the reservations of the confirmed
    // orders, the drift report is clean, and every order's history chain verifies.
    const { rows: stock } = await session.query(
      `select s.quantity_reserved,
              (select coalesce(sum(r.quantity_reserved - r.quantity_fulfilled), 0)::int
                 from inventory_reservations r
                where r.is_active and r.product_variant_id = s.product_variant_id
                  and r.stock_location_id = s.stock_location_id) as reservations
         from stock_levels s where s.id = $1`,
      [stockLevel.id],
    );
    expect(stock[0]).toEqual({ quantity_reserved: 16, reservations: 16 });
    const drift = await http(app).get('/api/v1/inventory/consistency').set(admin.auth).expect(200);
    expect(drift.body).toMatchObject({ consistent: true, mismatches: [] });
    const orderIds = [
      ...toConfirm.map((o) => o.id),
      ...(
        await session.query<{ id: string }>('select id from orders where customer_id = any($1)', [
          creations.map((c) => c.customer.user.id),
        ])
      ).rows.map((row) => row.id),
    ];
    for (const orderId of orderIds) {
      const verified = await http(app).get(`/api/v1/orders/${orderId}/history/verify`).set(admin.auth);
      expect({ orderId, status: verified.status, valid: verified.body.valid }).toEqual({
        orderId,
        status: 200,
        valid: true,
      });
    }
  });

  async function waitUntilReady(): Promise<void> {
    const deadline = Date.now() + 15000;
    while ((await http(app).get('/health/ready')).status !== 200) {
      if (Date.now() > deadline) throw new Error('the app did not get ready again');
      await pause(100);
    }
  }
});
