import { UserRole } from '../src/identity/user-role.enum';
import { createTestApp, createUser, http, TestApp } from './utils/app';

// Settings are read when the modules load: this file's low limits come first, in its own file.
const SETTINGS = {
  THROTTLE_LIMIT: '5',
  THROTTLE_TTL_MS: '60000',
  LOGIN_THROTTLE_LIMIT: '1000',
  TRUST_PROXY: 'true',
};

describe('rate limits in memory (no REDIS_URL): THROTTLE_LIMIT per user, per IP when anonymous', () => {
  let app: TestApp;
  let second: TestApp;

  beforeAll(async () => {
    app = await createTestApp(SETTINGS);
    second = await createTestApp(SETTINGS);
  });

  afterAll(async () => {
    await app.close();
    await second.close();
  });

  it('allows THROTTLE_LIMIT requests per user across all routes, then 429 problem+json with Retry-After', async () => {
    const admin = await createUser(app, UserRole.ADMIN);
    const paths = [
      '/api/v1/auth/me',
      '/api/v1/users',
      '/api/v1/auth/me',
      '/api/v1/users?pageSize=1',
      '/api/v1/auth/me',
    ];
    for (const [index, path] of paths.entries()) {
      const res = await http(app).get(path).set(admin.auth).expect(200);
      expect(res.headers['x-ratelimit-limit']).toBe('5');
      expect(res.headers['x-ratelimit-remaining']).toBe(String(4 - index));
    }
    const res = await http(app).get('/api/v1/users').set(admin.auth).set('X-Request-Id', 'req-429');
    expect(res.status).toBe(429);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['x-request-id']).toBe('req-429');
    const retryAfter = Number(res.headers['retry-after']);
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
    expect(res.body).toMatchObject({
      status: 429,
      code: 'RATE_LIMITED',
      title: 'Too Many Requests',
      retryAfter,
      requestId: 'req-429',
    });
    // Every route is covered, mutating ones too.
    await http(app).post('/api/v1/users').set(admin.auth).send({}).expect(429);
  });

  it('counts each user separately', async () => {
    const first = await createUser(app, UserRole.SUPPORT);
    const other = await createUser(app, UserRole.SUPPORT);
    for (let i = 0; i < 5; i++) await http(app).get('/api/v1/auth/me').set(first.auth).expect(200);
    await http(app).get('/api/v1/auth/me').set(first.auth).expect(429);
    await http(app).get('/api/v1/auth/me').set(other.auth).expect(200);
  });

  it('counts anonymous callers per client IP', async () => {
    const login = (ip: string) =>
      http(app)
        .post('/api/v1/auth/login')
        .set('X-Forwarded-For', ip)
        .send({ email: `nobody-${ip}@test.local`, password: 'wrong-password' });
    for (let i = 0; i < 5; i++) expect((await login('198.51.100.10')).status).toBe(401);
    const limited = await login('198.51.100.10');
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect((await login('198.51.100.11')).status).toBe(401);
  });

  it('does not limit the health probes', async () => {
    for (let i = 0; i < 12; i++)
      await http(app).get('/health/live').set('X-Forwarded-For', '198.51.100.12').expect(200);
  });

  it('without Redis, each instance counts on its own', async () => {
    const user = await createUser(app, UserRole.WAREHOUSE);
    for (let i = 0; i < 5; i++) await http(app).get('/api/v1/auth/me').set(user.auth).expect(200);
    await http(app).get('/api/v1/auth/me').set(user.auth).expect(429);
    await http(second).get('/api/v1/auth/me').set(user.auth).expect(200);
  });
});
