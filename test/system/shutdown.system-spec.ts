import type { Client } from 'pg';
import { createTestApp, createUser, TestApp } from '../utils/app';
import { UserRole } from '../../src/identity/user-role.enum';
import { call, Instance, startInstance } from './support/instance';
import { countBackends, openSession, waitForBlockedBackend } from './support/pg';

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

  beforeAll(async () => {
    app = await createTestApp();
    session = await openSession(process.env.TEST_DATABASE_URL!);
  });

  afterAll(async () => {
    await instance?.stop();
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
});
