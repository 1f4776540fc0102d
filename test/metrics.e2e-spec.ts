import { MikroORM } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { createTestApp, createUser, http, TestApp } from './utils/app';
import { UserRole } from '../src/identity/user-role.enum';
import { MetricsService } from '../src/metrics/metrics.service';

/** The value of one sample line of the exposition text, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelPart = line.slice(name.length).split(' ')[0];
    if (wanted.every((pair) => labelPart.includes(pair))) return Number(line.split(' ').pop());
  }
  return undefined;
}

describe('GET /metrics', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp();
  });

  afterAll(async () => {
    await app.close();
  });

  it('is public, unprefixed, not rate limited and in Prometheus text format', async () => {
    const res = await http(app).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.text).toContain('# TYPE oms_process_cpu_user_seconds_total counter');
    expect(res.text).toContain('# TYPE oms_http_request_duration_seconds histogram');
    await http(app).get('/api/v1/metrics').expect(404);
  });

  it('labels request durations by route template, not by raw URL', async () => {
    const admin = await createUser(app, UserRole.ADMIN);
    const unknownId = '00000000-0000-4000-8000-000000000000';
    await http(app).get(`/api/v1/users/${unknownId}`).set(admin.auth).expect(404);
    await http(app).get(`/api/v1/users/${admin.user.id}`).set(admin.auth).expect(200);
    await http(app).get('/api/v1/no-such-route/abc123').expect(404);
    const text = (await http(app).get('/metrics').expect(200)).text;

    const route = '/api/v1/users/:id';
    expect(
      sample(text, 'oms_http_request_duration_seconds_count', { method: 'GET', route, status_code: '200' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'oms_http_request_duration_seconds_count', { method: 'GET', route, status_code: '404' }),
    ).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain(unknownId);
    expect(text).not.toContain('abc123');
    expect(
      sample(text, 'oms_http_request_duration_seconds_count', { route: 'unmatched', status_code: '404' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'oms_http_problems_total', { status: '404', code: 'NOT_FOUND' }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('reports the database pool of this instance: a connection held in a transaction counts as used', async () => {
    await http(app).get('/health/ready').expect(200);
    const pool = async () => {
      const text = (await http(app).get('/metrics').expect(200)).text;
      return {
        max: sample(text, 'oms_db_pool_max_connections'),
        used: sample(text, 'oms_db_pool_connections', { state: 'used' }),
        free: sample(text, 'oms_db_pool_connections', { state: 'free' }),
        pending: sample(text, 'oms_db_pool_pending_acquires'),
      };
    };
    // Nothing else of this app holds a connection between requests (jobs are off in tests).
    const idle = await pool();
    expect(idle).toMatchObject({ max: Number(process.env.DB_POOL_MAX), used: 0, pending: 0 });
    expect(idle.free).toBeGreaterThanOrEqual(1);

    const em = app.get(MikroORM).em.fork() as EntityManager;
    await em.transactional(async (tx) => {
      await tx.execute('select 1');
      expect(await pool()).toMatchObject({ used: 1, free: idle.free! - 1, pending: 0 });
    });
    expect(await pool()).toMatchObject({ used: 0, free: idle.free, pending: 0 });
  });

  it('counts job runs, items and failures, and reservations rejected for stock', async () => {
    const metrics = app.get(MetricsService);
    await metrics.trackJob('test_job', async () => 3);
    await metrics.trackJob('test_job', async () => ({ items: 2, failures: 1 }));
    await expect(
      metrics.trackJob('test_job', async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    metrics.recordProblem(409, 'INSUFFICIENT_STOCK', '/api/v1/reservations');
    const text = (await http(app).get('/metrics').expect(200)).text;
    expect(sample(text, 'oms_job_runs_total', { job: 'test_job' })).toBe(3);
    expect(sample(text, 'oms_job_items_processed_total', { job: 'test_job' })).toBe(5);
    expect(sample(text, 'oms_job_failures_total', { job: 'test_job' })).toBe(2);
    expect(sample(text, 'oms_job_duration_seconds_count', { job: 'test_job' })).toBe(3);
    expect(sample(text, 'oms_reservations_rejected_total', { route: '/api/v1/reservations' })).toBe(1);
  });

  it('keeps a registry per app, so two apps in one process do not share counters', async () => {
    const other = new MetricsService();
    expect(other.registry).not.toBe(app.get(MetricsService).registry);
    expect(await other.metrics()).not.toContain('test_job');
  });
});
