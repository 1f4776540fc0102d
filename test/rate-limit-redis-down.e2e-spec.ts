import { UserRole } from '../src/identity/user-role.enum';
import { createTestApp, createUser, http, TestApp } from './utils/app';

// Nothing listens on port 1: the rate-limit counters cannot be reached.
const SETTINGS = { REDIS_URL: 'redis://127.0.0.1:1' };

describe('rate limits with REDIS_URL set but Redis down', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp(SETTINGS);
  });

  afterAll(async () => {
    await app.close();
  });

  it('refuses requests with 503 problem+json and Retry-After rather than letting them through unlimited', async () => {
    const user = await createUser(app, UserRole.ADMIN);
    const res = await http(app).get('/api/v1/auth/me').set(user.auth);
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).toMatchObject({ status: 503, code: 'RATE_LIMITER_UNAVAILABLE' });
  });

  it('readiness reports Redis down; liveness is unaffected', async () => {
    await http(app).get('/health/live').expect(200);
    const ready = await http(app).get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: 503, checks: { database: 'up', redis: 'down' } });
  });
});
