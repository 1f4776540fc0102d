import type { Client } from 'pg';
import { call, Instance, metricValue, startInstance } from './support/instance';
import { ReplicatedPostgres, startReplicatedPostgres } from './support/replicated-postgres';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** Calls of statements on `orders` / `order_notes` the replica itself has executed (pg_stat_statements). */
async function replicaCalls(
  session: Client,
  table: 'orders' | 'order_notes' | 'order_history',
): Promise<number> {
  const { rows } = await session.query<{ calls: string }>(
    `select coalesce(sum(calls), 0)::text as calls from pg_stat_statements
      where query ~* $1 and query !~* 'pg_stat_statements'`,
    [`from "?${table}"?\\y`],
  );
  return Number(rows[0].calls);
}

async function login(base: string, email: string, password: string): Promise<string> {
  const res = await call(base, 'POST', '/api/v1/auth/login', { body: { email, password } });
  if (res.status !== 200 && res.status !== 201) throw new Error(`login ${email}: ${res.status} ${res.text}`);
  return res.body.accessToken as string;
}

/**
 * OMS on a real PostgreSQL 15 primary with one real streaming replica (started and removed by this
 * file): two app processes behind no balancer (the test alternates between them), sharing Redis.
 */
describe('read replicas (DATABASE_REPLICA_URLS)', () => {
  let cluster: ReplicatedPostgres;
  let replica: Client | undefined;
  let a: Instance;
  let b: Instance;
  let strict: Instance; // the same replica with a tight lag bound
  let support: string;
  let admin: string;
  let orderId: string;

  beforeAll(async () => {
    cluster = await startReplicatedPostgres();
    try {
      const env = {
        DATABASE_URL: cluster.primaryUrl,
        DATABASE_REPLICA_URLS: cluster.replicaUrl,
        // A bound long enough that a replica whose replay is paused still serves other users: the
        // writer's own reads must then be kept off it by their write position alone.
        DB_REPLICA_MAX_LAG_MS: '600000',
        REDIS_URL: process.env.SYSTEM_REDIS_URL!,
        JOBS_ENABLED: 'false',
        THROTTLE_LIMIT: '100000',
      };
      // Migrations and demo data run on the primary before the replica serves anything.
      a = await startInstance('replica-a', { ...env, DB_MIGRATE_ON_START: 'true', SEED_DEMO_DATA: 'true' });
      [b, strict] = await Promise.all([
        startInstance('replica-b', env),
        startInstance('replica-strict', { ...env, DB_REPLICA_MAX_LAG_MS: '500' }),
      ]);
      replica = await cluster.replicaSession();
      support = await login(a.url, 'support@oms.local', 'support-password-123');
      admin = await login(b.url, 'admin@oms.local', 'admin-password-123');
      const orders = await call(a.url, 'GET', '/api/v1/orders?pageSize=1', { token: support });
      orderId = orders.body.data[0].id as string;
    } catch (error) {
      await Promise.all([a?.stop(), b?.stop(), strict?.stop()]);
      await replica?.end();
      await cluster.destroy();
      throw error;
    }
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), strict?.stop()]);
    await replica?.end().catch(() => undefined);
    await cluster?.destroy();
  });

  it('serves list reads from the replica: the replica executes them and reports its own connections', async () => {
    // Both instances have seen the replica up (its first poll after the start).
    for (const instance of [a, b, strict]) {
      await waitFor(`${instance.name} to see the replica up`, async () => {
        const ready = await call(instance.url, 'GET', '/health/ready');
        return ready.body?.info?.replicas?.status === 'up';
      });
    }
    const before = await replicaCalls(replica!, 'orders');
    const readsBefore = metricValue(await a.metrics(), 'oms_db_reads_total', { target: 'replica' });
    for (let i = 0; i < 10; i++) {
      const res = await call(i % 2 ? a.url : b.url, 'GET', '/api/v1/orders?pageSize=5', { token: admin });
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeGreaterThan(0);
    }
    // Statements on orders ran on the replica (pg_stat_statements there counts only what it executed).
    expect((await replicaCalls(replica!, 'orders')) - before).toBeGreaterThanOrEqual(10);
    // The event feed too, followed page by page across both instances.
    const feedBefore = await replicaCalls(replica!, 'order_history');
    let cursor: string | undefined;
    for (let i = 0; i < 4; i++) {
      const after = cursor ? `&after=${encodeURIComponent(cursor)}` : '';
      const res = await call(i % 2 ? a.url : b.url, 'GET', `/api/v1/events?limit=5${after}`, {
        token: admin,
      });
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeGreaterThan(0);
      cursor = res.body.nextCursor as string;
    }
    expect((await replicaCalls(replica!, 'order_history')) - feedBefore).toBeGreaterThanOrEqual(4);
    const { rows } = await replica!.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity where application_name = 'oms-replica-read'`,
    );
    expect(rows[0].n).toBeGreaterThan(0);
    expect(metricValue(await a.metrics(), 'oms_db_reads_total', { target: 'replica' })).toBeGreaterThan(
      readsBefore,
    );
  });

  it('a write followed at once by a read by the same user never shows the older state (100 trials, replay paused, across both instances)', async () => {
    const notesOf = (base: string, token: string) =>
      call(base, 'GET', `/api/v1/orders/${orderId}/notes?pageSize=5`, { token });
    const initial = await notesOf(a.url, admin);
    expect(initial.status).toBe(200);
    const totalBefore = initial.body.meta.total as number;

    await replica!.query('select pg_wal_replay_pause()');
    try {
      const replicaNotesBefore = await replicaCalls(replica!, 'order_notes');
      for (let trial = 0; trial < 100; trial++) {
        // Written through one instance, read at once through the other (and the other way round).
        const [writeOn, readOn] = trial % 2 ? [a, b] : [b, a];
        const created = await call(writeOn.url, 'POST', `/api/v1/orders/${orderId}/notes`, {
          token: support,
          body: { note: `trial ${trial}` },
        });
        expect(created.status).toBe(201);
        const read = await notesOf(readOn.url, support);
        expect(read.status).toBe(200);
        expect(read.body.meta.total).toBe(totalBefore + trial + 1);
        expect(read.body.data.map((note: { id: string }) => note.id)).toContain(created.body.id);
      }
      // The replica really was behind all along: another user, who wrote nothing, is served by it
      // and still sees the notes as they were before the pause.
      const other = await notesOf(b.url, admin);
      expect(other.status).toBe(200);
      expect(other.body.meta.total).toBe(totalBefore);
      expect((await replicaCalls(replica!, 'order_notes')) - replicaNotesBefore).toBeGreaterThan(0);
      const fallbacks =
        metricValue(await a.metrics(), 'oms_db_replica_fallbacks_total', {
          reason: 'own_write_not_replayed',
        }) +
        metricValue(await b.metrics(), 'oms_db_replica_fallbacks_total', {
          reason: 'own_write_not_replayed',
        });
      expect(fallbacks).toBeGreaterThanOrEqual(100);

      // The instance whose bound (500 ms) the paused replica now exceeds reads everything from the
      // primary — the same user gets the fresh notes there — and its readiness says so, still 200.
      const ready = await call(strict.url, 'GET', '/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body.info.replicas.status).toBe('degraded');
      expect(ready.body.info.replicas.replicas['replica-0'].state).toBe('lagging');
      expect(ready.body.info.replicas.replicas['replica-0'].lagMs).toBeGreaterThan(500);
      const viaStrict = await notesOf(strict.url, admin);
      expect(viaStrict.status).toBe(200);
      expect(viaStrict.body.meta.total).toBe(totalBefore + 100);
      expect(
        metricValue(await strict.metrics(), 'oms_db_replica_fallbacks_total', { reason: 'replica_lagging' }),
      ).toBeGreaterThan(0);
      expect(
        metricValue(await strict.metrics(), 'oms_db_replica_lag_seconds', { replica: 'replica-0' }),
      ).toBeGreaterThan(0.5);
    } finally {
      await replica!.query('select pg_wal_replay_resume()');
    }
    // Replay resumed: the replica catches up and shows every note to everyone.
    await waitFor('the replica to replay the notes', async () => {
      const res = await notesOf(b.url, admin);
      return res.body.meta.total === totalBefore + 100;
    });
  });

  it('replica stopped: reads still answer 200 from the primary and /health/ready says degraded; back: used again', async () => {
    await replica!.end();
    replica = undefined;
    await cluster.stopReplica();
    try {
      for (const instance of [a, b]) {
        await waitFor(`${instance.name} to see the replica down`, async () => {
          const ready = await call(instance.url, 'GET', '/health/ready');
          expect(ready.status).toBe(200);
          return ready.body?.info?.replicas?.status === 'degraded';
        });
        const ready = await call(instance.url, 'GET', '/health/ready');
        expect(ready.status).toBe(200);
        expect(ready.body.info.database.status).toBe('up');
        expect(ready.body.info.replicas.replicas['replica-0'].state).toBe('down');
      }
      const downBefore = metricValue(await a.metrics(), 'oms_db_replica_fallbacks_total', {
        reason: 'replica_down',
      });
      for (let i = 0; i < 10; i++) {
        const res = await call(i % 2 ? a.url : b.url, 'GET', '/api/v1/orders?pageSize=5', { token: admin });
        expect(res.status).toBe(200);
        expect(res.body.data.length).toBeGreaterThan(0);
      }
      expect(
        metricValue(await a.metrics(), 'oms_db_replica_fallbacks_total', { reason: 'replica_down' }),
      ).toBe(downBefore + 5);
    } finally {
      await cluster.startReplica();
    }
    replica = await cluster.replicaSession();
    for (const instance of [a, b]) {
      await waitFor(`${instance.name} to see the replica up again`, async () => {
        const ready = await call(instance.url, 'GET', '/health/ready');
        return ready.status === 200 && ready.body?.info?.replicas?.status === 'up';
      });
    }
    const before = await replicaCalls(replica, 'orders');
    for (let i = 0; i < 10; i++) {
      const res = await call(i % 2 ? a.url : b.url, 'GET', '/api/v1/orders?pageSize=5', { token: admin });
      expect(res.status).toBe(200);
    }
    expect((await replicaCalls(replica, 'orders')) - before).toBeGreaterThanOrEqual(10);
  });
});
