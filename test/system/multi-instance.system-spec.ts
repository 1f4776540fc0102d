import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import { createTestApp, createUser, TestApp, TestUser } from '../utils/app';
import { createOrder, createVariantWithStock } from '../utils/factories';
import { UserRole } from '../../src/identity/user-role.enum';
import { call, Instance, metricValue, startInstance } from './support/instance';
import { openSession } from './support/pg';
import { WebhookReceiver } from './support/webhook-receiver';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** A client address of its own per test (TRUST_PROXY is on), so anonymous counters never collide. */
const clientIp = () =>
  `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}`;

/**
 * Two app processes (node dist/main.js) on one PostgreSQL (the run's test database) and one Redis:
 * what one process guarantees must still hold when requests and jobs are spread over both.
 */
describe('several instances', () => {
  let app: TestApp; // in process, for test data only (no jobs, no Redis)
  let session: Client;

  beforeAll(async () => {
    app = await createTestApp();
    session = await openSession(process.env.TEST_DATABASE_URL!);
  });

  afterAll(async () => {
    await session?.end();
    await app?.close();
  });

  describe('rate limits in Redis', () => {
    const LIMIT = 10;
    const LOGIN_LIMIT = 3;
    let a: Instance;
    let b: Instance;

    beforeAll(async () => {
      const env = {
        REDIS_URL: process.env.SYSTEM_REDIS_URL!,
        THROTTLE_LIMIT: String(LIMIT),
        THROTTLE_TTL_MS: '60000',
        LOGIN_THROTTLE_LIMIT: String(LOGIN_LIMIT),
        TRUST_PROXY: 'true',
        JOBS_ENABLED: 'false',
      };
      [a, b] = await Promise.all([startInstance('rl-a', env), startInstance('rl-b', env)]);
    });

    afterAll(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
    });

    it(`a user's limit of ${LIMIT} holds across both: ${LIMIT + 6} requests split over them, exactly ${LIMIT} pass`, async () => {
      const user = await createUser(app, UserRole.SUPPORT);
      const results = await Promise.all(
        Array.from({ length: LIMIT + 6 }, (_, i) =>
          call(i % 2 === 0 ? a.url : b.url, 'GET', '/api/v1/auth/me', { token: user.token }),
        ),
      );
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(LIMIT);
      expect(statuses.filter((s) => s === 429)).toHaveLength(6);
      for (const limited of results.filter((r) => r.status === 429)) {
        expect(limited.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(limited.body.code).toBe('RATE_LIMITED');
        expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      }
      // Both instances served some of the allowed requests and refused some of the rest.
      const on = (inst: Instance, status: number) =>
        results.filter((r, i) => (i % 2 === 0 ? a : b) === inst && r.status === status).length;
      expect(on(a, 200) + on(b, 200)).toBe(LIMIT);
    });

    it(`login attempts for one email from one client: ${LOGIN_LIMIT} answered, the rest refused, on either instance`, async () => {
      const target = await createUser(app, UserRole.SUPPORT);
      const ip = clientIp();
      const results: number[] = [];
      // One after the other, alternating instances: the counter is shared, not per process.
      for (let i = 0; i < LOGIN_LIMIT + 3; i++) {
        const res = await call(i % 2 === 0 ? a.url : b.url, 'POST', '/api/v1/auth/login', {
          body: { email: target.user.email, password: 'wrong-password-123' },
          headers: { 'x-forwarded-for': ip },
        });
        results.push(res.status);
      }
      expect(results).toEqual([
        ...Array.from({ length: LOGIN_LIMIT }, () => 401),
        ...Array.from({ length: 3 }, () => 429),
      ]);
      // Another client address is not affected by that counter.
      const other = await call(b.url, 'POST', '/api/v1/auth/login', {
        body: { email: target.user.email, password: target.password },
        headers: { 'x-forwarded-for': clientIp() },
      });
      expect(other.status).toBe(200);
    });
  });

  describe('jobs and reservations', () => {
    const secret = `webhook-secret-${randomUUID()}`;
    let receiver: WebhookReceiver;
    let a: Instance;
    let b: Instance;
    let admin: TestUser;
    let warehouse: TestUser;
    let support: TestUser;
    let customer: TestUser;

    beforeAll(async () => {
      receiver = await WebhookReceiver.start(secret);
      const env = {
        REDIS_URL: process.env.SYSTEM_REDIS_URL!,
        JOBS_ENABLED: 'true',
        RESERVATION_SWEEP_INTERVAL_MS: '100',
        NOTIFY_DISPATCH_INTERVAL_MS: '100',
        NOTIFY_WEBHOOK_URL: receiver.url,
        NOTIFY_WEBHOOK_SECRET: secret,
        THROTTLE_LIMIT: '100000',
      };
      [a, b] = await Promise.all([startInstance('jobs-a', env), startInstance('jobs-b', env)]);
      [admin, warehouse, support, customer] = await Promise.all([
        createUser(app, UserRole.ADMIN),
        createUser(app, UserRole.WAREHOUSE),
        createUser(app, UserRole.SUPPORT),
        createUser(app, UserRole.CUSTOMER),
      ]);
    });

    afterAll(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
      await receiver?.close();
    });

    const either = (i: number) => (i % 2 === 0 ? a : b);
    const sum = async (name: string, labels: Record<string, string>) =>
      metricValue(await a.metrics(), name, labels) + metricValue(await b.metrics(), name, labels);

    async function expectConsistentInventory(): Promise<void> {
      const res = await call(a.url, 'GET', '/api/v1/inventory/consistency', { token: admin.token });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ consistent: true, mismatches: [] });
    }

    it('concurrent reservations split over both never oversell: 60 × 1 unit on 25 on hand → 25 created', async () => {
      const { variant, location, stockLevel } = await createVariantWithStock(app, 25);
      const { order, items } = await createOrder(app, customer.user, [{ variant, quantity: 60 }]);
      const rejectedBefore = await sum('oms_reservations_rejected_total', {});
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          call(either(i).url, 'POST', '/api/v1/reservations', {
            token: warehouse.token,
            body: {
              orderId: order.id,
              orderItemId: items[0].id,
              productVariantId: variant.id,
              stockLocationId: location.id,
              quantity: 1,
            },
          }),
        ),
      );
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(25);
      expect(statuses.filter((s) => s === 409)).toHaveLength(35);
      for (const rejected of results.filter((r) => r.status === 409)) {
        expect(rejected.body.code).toBe('INSUFFICIENT_STOCK');
      }
      const { rows } = await session.query(
        `select s.quantity_reserved, s.quantity_on_hand,
                (select coalesce(sum(quantity_reserved - quantity_fulfilled), 0)::int from inventory_reservations r
                  where r.product_variant_id = s.product_variant_id and r.stock_location_id = s.stock_location_id
                    and r.is_active) as active
           from stock_levels s where s.id = $1`,
        [stockLevel.id],
      );
      expect(rows[0]).toEqual({ quantity_reserved: 25, quantity_on_hand: 25, active: 25 });
      await expectConsistentInventory();
      // Each instance counted its own rejections; together they saw all 35.
      expect((await sum('oms_reservations_rejected_total', {})) - rejectedBefore).toBe(35);
    });

    it('concurrent order confirmations split over both never oversell: 12 orders × 1 unit on 7 on hand → 7 confirmed', async () => {
      const { variant, stockLevel } = await createVariantWithStock(app, 7);
      const orders = await Promise.all(
        Array.from({ length: 12 }, () => createOrder(app, customer.user, [{ variant, quantity: 1 }])),
      );
      const results = await Promise.all(
        orders.map(({ order }, i) =>
          call(either(i).url, 'POST', `/api/v1/orders/${order.id}/confirm`, {
            token: support.token,
            body: {},
          }),
        ),
      );
      expect(results.filter((r) => r.status === 200)).toHaveLength(7);
      const refused = results.filter((r) => r.status !== 200);
      expect(refused).toHaveLength(5);
      expect(refused.every((r) => r.status === 409 && r.body.code === 'INSUFFICIENT_STOCK')).toBe(true);
      const { rows } = await session.query(
        `select (select quantity_reserved from stock_levels where id = $1) as reserved,
                (select count(*)::int from orders where id = any($2) and status = 'confirmed') as confirmed`,
        [stockLevel.id, orders.map(({ order }) => order.id)],
      );
      expect(rows[0]).toEqual({ reserved: 7, confirmed: 7 });
      await expectConsistentInventory();
    });

    it('one Idempotency-Key sent to both instances at once creates once; both answers are the same', async () => {
      const { variant } = await createVariantWithStock(app, 1);
      const { order } = await createOrder(app, customer.user, [{ variant, quantity: 1 }]);
      const key = `multi-${randomUUID()}`;
      const send = (inst: Instance) =>
        call(inst.url, 'POST', `/api/v1/orders/${order.id}/notes`, {
          token: support.token,
          body: { note: 'Sent twice by a client retrying on another node', isInternal: true },
          headers: { 'idempotency-key': key },
        });
      const [first, second] = await Promise.all([send(a), send(b)]);
      expect([first.status, second.status]).toEqual([201, 201]);
      expect(second.body.id).toBe(first.body.id);
      const { rows } = await session.query('select count(*)::int as n from order_notes where order_id = $1', [
        order.id,
      ]);
      expect(rows[0].n).toBe(1);
    });

    it('expired reservations are released exactly once by the two sweepers racing for them', async () => {
      // More rows than one sweep batch (200), so that both sweepers have work at the same moment.
      const COUNT = 250;
      const { variant, location, stockLevel } = await createVariantWithStock(app, COUNT);
      const { order, items } = await createOrder(app, customer.user, [{ variant, quantity: COUNT }]);
      const inAnHour = new Date(Date.now() + 3600_000).toISOString();
      const created = await Promise.all(
        Array.from({ length: COUNT }, (_, i) =>
          call(either(i).url, 'POST', '/api/v1/reservations', {
            token: warehouse.token,
            body: {
              orderId: order.id,
              orderItemId: items[0].id,
              productVariantId: variant.id,
              stockLocationId: location.id,
              quantity: 1,
              expiresAt: inAnHour,
            },
          }),
        ),
      );
      expect(created.map((r) => r.status)).toEqual(Array.from({ length: COUNT }, () => 201));
      const ids = created.map((r) => r.body.id as string);
      const releasedBefore = await sum('oms_job_items_processed_total', { job: 'reservation_expiry' });

      // Time passes for all of them at once: both sweepers (every 100 ms) find the same due rows.
      await session.query(
        `update inventory_reservations set expires_at = now() - interval '1 second' where id = any($1)`,
        [ids],
      );
      await waitFor('the sweepers to release every expired reservation', async () => {
        const { rows } = await session.query(
          'select count(*)::int as n from inventory_reservations where id = any($1) and is_active',
          [ids],
        );
        return rows[0].n === 0;
      });

      const { rows: reservations } = await session.query(
        'select release_reason, released_at is not null as released from inventory_reservations where id = any($1)',
        [ids],
      );
      expect(reservations).toHaveLength(COUNT);
      expect(reservations.every((r) => r.release_reason === 'expired' && r.released)).toBe(true);
      const { rows: history } = await session.query(
        `select additional_data->>'reservationId' as id, count(*)::int as n from order_history
          where order_id = $1 and action = 'inventory_released' group by 1`,
        [order.id],
      );
      expect(history).toHaveLength(COUNT);
      expect(history.every((h) => h.n === 1 && ids.includes(h.id))).toBe(true);
      const { rows: level } = await session.query(
        'select quantity_reserved from stock_levels where id = $1',
        [stockLevel.id],
      );
      expect(level[0].quantity_reserved).toBe(0);
      await expectConsistentInventory();

      const releasedByA = metricValue(await a.metrics(), 'oms_job_items_processed_total', {
        job: 'reservation_expiry',
      });
      const releasedAfter = await sum('oms_job_items_processed_total', { job: 'reservation_expiry' });
      expect(releasedAfter - releasedBefore).toBe(COUNT);
      console.log(`expiry: instance A released ${releasedByA}, B ${releasedAfter - releasedByA} of ${COUNT}`);
    });

    it('customer notifications are delivered exactly once while both dispatchers run', async () => {
      const { variant } = await createVariantWithStock(app, 5);
      const { order } = await createOrder(app, customer.user, [{ variant, quantity: 1 }]);
      const sentBefore = await sum('oms_job_items_processed_total', { job: 'notification_dispatch' });

      // 20 public notes through the API, spread over both instances...
      const notes = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          call(either(i).url, 'POST', `/api/v1/orders/${order.id}/notes`, {
            token: support.token,
            body: { note: `Your parcel update #${i}`, isInternal: false, notifyCustomer: true },
          }),
        ),
      );
      expect(notes.map((n) => n.status)).toEqual(Array.from({ length: 20 }, () => 201));
      // ...and 40 outbox rows that become due in the same instant (one transaction), so that both
      // dispatchers find the same batch.
      await session.query(
        `insert into customer_notifications (id, order_id, channel, payload)
         select gen_random_uuid(), $1, 'webhook', jsonb_build_object('type', 'test', 'n', n)
           from generate_series(1, 40) n`,
        [order.id],
      );

      const pending = async () =>
        (
          await session.query(
            `select count(*)::int as n from customer_notifications where order_id = $1 and status <> 'sent'`,
            [order.id],
          )
        ).rows[0].n;
      await waitFor('every notification to be sent', async () => (await pending()) === 0);
      await sleep(500); // room for a late duplicate to show up

      const { rows } = await session.query('select id from customer_notifications where order_id = $1', [
        order.id,
      ]);
      expect(rows).toHaveLength(60);
      const counts = rows.map((r) => receiver.deliveries.get(r.id) ?? 0);
      expect(counts.filter((n) => n !== 1)).toEqual([]);
      expect(receiver.badSignatures).toBe(0);
      const { rows: unnotified } = await session.query(
        'select count(*)::int as n from order_notes where order_id = $1 and notified_at is null',
        [order.id],
      );
      expect(unnotified[0].n).toBe(0);
      const sentByA = metricValue(await a.metrics(), 'oms_job_items_processed_total', {
        job: 'notification_dispatch',
      });
      const sentAfter = await sum('oms_job_items_processed_total', { job: 'notification_dispatch' });
      expect(sentAfter - sentBefore).toBe(60);
      console.log(`notifications: instance A delivered ${sentByA}, B ${sentAfter - sentByA} of 60`);
    });
  });

  describe('revocation (each instance caches who a token belongs to)', () => {
    let a: Instance;
    let b: Instance;

    beforeAll(async () => {
      const env = { JOBS_ENABLED: 'false', THROTTLE_LIMIT: '100000' };
      [a, b] = await Promise.all([startInstance('auth-a', env), startInstance('auth-b', env)]);
      // Both listen for user changes (until then they read the user on every request).
      await waitFor('both auth listeners', async () => {
        const { rows } = await session.query(
          `select count(*)::int as n from pg_stat_activity where application_name = any($1) and state = 'idle'`,
          [[`${a.appName}-auth-listener`, `${b.appName}-auth-listener`]],
        );
        return rows[0].n === 2;
      });
    });

    afterAll(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
    });

    it('deactivation and password change on A: the old token is refused on A at once and on B within 1 s', async () => {
      const admin = await createUser(app, UserRole.ADMIN);
      for (const change of [{ isActive: false }, { password: 'another-password-123' }]) {
        const user = await createUser(app, UserRole.WAREHOUSE);
        for (const inst of [a, b, a, b]) {
          expect((await call(inst.url, 'GET', '/api/v1/auth/me', { token: user.token })).status).toBe(200);
        }
        const patched = await call(a.url, 'PATCH', `/api/v1/users/${user.user.id}`, {
          token: admin.token,
          body: change,
        });
        expect(patched.status).toBe(200);
        expect((await call(a.url, 'GET', '/api/v1/auth/me', { token: user.token })).status).toBe(401);
        await waitFor(
          'the token refused on B',
          async () => (await call(b.url, 'GET', '/api/v1/auth/me', { token: user.token })).status === 401,
          1000,
        );
      }
    });
  });
});
