import type { Client } from 'pg';
import { createTestApp, createUser, TestApp } from '../utils/app';
import { UserRole } from '../../src/identity/user-role.enum';
import { call, Instance, startInstance } from './support/instance';
import { countBackends, openSession, waitForBlockedBackend } from './support/pg';
import { WebhookReceiver } from './support/webhook-receiver';
import { createOrder, createVariantWithStock } from '../utils/factories';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * SIGTERM to a real app process (node dist/main.js, Redis-backed rate limits, jobs running every
 * 100 ms) while a request is in flight: the request finishes, the process stops taking new work,
 * exits 0, and its database connections are gone.
 */
describe('graceful shutdown on SIGTERM', () => {
  let app: TestApp;
  let session: Client;
  let instance: Instance | undefined;
  let second: Instance | undefined;
  let receiver: WebhookReceiver | undefined;

  beforeAll(async () => {
    app = await createTestApp();
    session = await openSession(process.env.TEST_DATABASE_URL!);
  });

  afterAll(async () => {
    await instance?.stop();
    await second?.stop();
    await receiver?.close();
    await session?.end();
    await app?.close();
  });

  it('lets the in-flight request finish, stops the jobs, exits 0 and closes its connections', async () => {
    instance = await startInstance('shutdown', {
      REDIS_URL: process.env.SYSTEM_REDIS_URL!,
      JOBS_ENABLED: 'true',
      RESERVATION_SWEEP_INTERVAL_MS: '100',
      NOTIFY_DISPATCH_INTERVAL_MS: '100',
    });
    const admin = await createUser(app, UserRole.ADMIN);
    const target = await createUser(app, UserRole.SUPPORT, { fullName: 'Before' });
    // Let the jobs run a few times so that their runs show up in the metrics.
    await sleep(500);
    expect(
      Number(/oms_job_runs_total\{job="reservation_expiry"\} (\d+)/.exec(await instance.metrics())?.[1]),
    ).toBeGreaterThan(0);

    const holder = await openSession(process.env.TEST_DATABASE_URL!);
    let inFlight: ReturnType<typeof call>;
    try {
      await holder.query('begin');
      await holder.query('select id from users where id = $1 for update', [target.user.id]);
      inFlight = call(instance.url, 'PATCH', `/api/v1/users/${target.user.id}`, {
        token: admin.token,
        body: { fullName: 'After' },
      });
      await waitForBlockedBackend(holder, { applicationName: instance.appName });

      instance.process.kill('SIGTERM');
      await sleep(500);
      expect(instance.process.exitCode).toBeNull(); // still finishing the request
      // No new work is taken: the listening socket is closed (or Fastify answers 503 while closing).
      const late = await call(instance.url, 'GET', '/health/live').then(
        (answer) => answer.status,
        (error: Error) => String(error.cause ?? error.message),
      );
      expect(String(late)).toMatch(/^503$|ECONNREFUSED|other side closed|fetch failed/);
    } finally {
      await holder.query('rollback');
      await holder.end();
    }

    const res = await inFlight!;
    expect(res.status).toBe(200);
    expect(res.body.fullName).toBe('After');

    const exit = await Promise.race([
      instance.exited,
      sleep(15000).then(() => ({ code: 'still running after 15 s', signal: null })),
    ]);
    expect(exit).toEqual({ code: 0, signal: null });

    let backends = await countBackends(session, instance.appName);
    for (let i = 0; i < 20 && backends > 0; i++) {
      await sleep(100);
      backends = await countBackends(session, instance.appName);
    }
    expect(backends).toBe(0);

    const output = instance.output();
    expect(output).not.toMatch(/"level":(50|60)/); // no error or fatal log line
    expect(output).not.toMatch(/sweep failed|dispatch failed/i);
  });

  it('a notification being delivered when SIGTERM arrives is settled before the exit (not delivered again later)', async () => {
    const secret = `shutdown-secret-${Date.now()}`;
    receiver = await WebhookReceiver.start(secret);
    receiver.delayMs = 1500; // a slow customer endpoint: the delivery is in flight during the shutdown
    second = await startInstance('shutdown-dispatch', {
      JOBS_ENABLED: 'true',
      NOTIFY_DISPATCH_INTERVAL_MS: '100',
      REDIS_URL: process.env.SYSTEM_REDIS_URL!,
      NOTIFY_WEBHOOK_URL: receiver.url,
      NOTIFY_WEBHOOK_SECRET: secret,
    });
    const support = await createUser(app, UserRole.SUPPORT);
    const customer = await createUser(app, UserRole.CUSTOMER);
    const { variant } = await createVariantWithStock(app, 1);
    const { order } = await createOrder(app, customer.user, [{ variant, quantity: 1 }]);
    const note = await call(second.url, 'POST', `/api/v1/orders/${order.id}/notes`, {
      token: support.token,
      body: { note: 'Your parcel is on its way.', isInternal: false, notifyCustomer: true },
    });
    expect(note.status).toBe(201);
    for (let i = 0; i < 100 && receiver.received === 0; i++) await sleep(50);
    expect(receiver.received).toBe(1);

    second.process.kill('SIGTERM');
    const exit = await Promise.race([
      second.exited,
      sleep(15000).then(() => ({ code: 'still running after 15 s', signal: null })),
    ]);
    expect(exit).toEqual({ code: 0, signal: null });
    const { rows } = await session.query(
      'select status, attempts, sent_at is not null as sent from customer_notifications where order_id = $1',
      [order.id],
    );
    expect(rows).toEqual([{ status: 'sent', attempts: 1, sent: true }]);
    expect([...receiver.deliveries.values()]).toEqual([1]);
    expect(second.output()).not.toMatch(/"level":(50|60)/);
  });
});
