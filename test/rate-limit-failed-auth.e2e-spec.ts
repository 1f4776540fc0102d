import { createHmac } from 'node:crypto';
import { UserRole } from '../src/identity/user-role.enum';
import { createTestApp, createUser, http, TestApp } from './utils/app';

// Settings are read when the modules load: this file's low limits come first, in its own file.
const SETTINGS = {
  THROTTLE_LIMIT: '5',
  THROTTLE_TTL_MS: '60000',
  LOGIN_THROTTLE_LIMIT: '1000',
  TRUST_PROXY: 'true',
};

const now = () => Math.floor(Date.now() / 1000);
const segment = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
function hs256(payload: object, secret: string): string {
  const unsigned = `${segment({ alg: 'HS256', typ: 'JWT' })}.${segment(payload)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

describe('rate limits: requests refused by authentication count too (in memory)', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp(SETTINGS);
  });

  afterAll(async () => {
    await app.close();
  });

  it('every kind of failed authentication counts against the per-IP budget; over it, 429 instead of 401', async () => {
    const ip = '198.51.100.40';
    const support = await createUser(app, UserRole.SUPPORT);
    const claims = { sub: support.user.id, role: 'support', email: support.user.email };
    const attempts: Record<string, string>[] = [
      {},
      { Authorization: 'Bearer not-a-token' },
      {
        Authorization: `Bearer ${hs256({ ...claims, iat: now(), exp: now() + 60 }, 'a-guessed-secret-of-32-characters!!')}`,
      },
      {
        Authorization: `Bearer ${hs256({ ...claims, iat: now() - 7200, exp: now() - 3600 }, process.env.JWT_SECRET!)}`,
      },
      { Authorization: 'Basic YWRtaW46YWRtaW4=' },
    ];
    for (const headers of attempts) {
      const res = await http(app).get('/api/v1/orders').set('X-Forwarded-For', ip).set(headers);
      expect(res.status).toBe(401);
    }
    const limited = await http(app)
      .get('/api/v1/orders')
      .set('X-Forwarded-For', ip)
      .set('Authorization', 'Bearer still-guessing');
    expect(limited.status).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited.body).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    // Mutating routes too.
    await http(app).post('/api/v1/orders').set('X-Forwarded-For', ip).send({}).expect(429);

    // Another client IP has its own budget; a signed-in user on the same IP has theirs.
    await http(app).get('/api/v1/orders').set('X-Forwarded-For', '198.51.100.41').expect(401);
    await http(app).get('/api/v1/auth/me').set('X-Forwarded-For', ip).set(support.auth).expect(200);
  });

  it('a flood of bad tokens gets 429s once over the budget (never only 401s)', async () => {
    const results = [];
    for (let i = 0; i < 40; i++) {
      const res = await http(app)
        .get('/api/v1/auth/me')
        .set('X-Forwarded-For', '198.51.100.42')
        .set('Authorization', `Bearer invalid-${i}`);
      results.push(res.status);
    }
    expect(results.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(results.slice(5)).toEqual(Array(35).fill(429));
  });

  it('failed authentications and anonymous requests (login) share the one per-IP budget', async () => {
    const ip = '198.51.100.43';
    for (let i = 0; i < 3; i++)
      await http(app)
        .get('/api/v1/auth/me')
        .set('X-Forwarded-For', ip)
        .set('Authorization', 'Bearer x')
        .expect(401);
    const login = () =>
      http(app)
        .post('/api/v1/auth/login')
        .set('X-Forwarded-For', ip)
        .send({ email: 'nobody@test.local', password: 'wrong-password' });
    await login().expect(401);
    await login().expect(401);
    await login().expect(429);
  });

  it('a signed-in user refused for their role (403) spends their own budget', async () => {
    const warehouse = await createUser(app, UserRole.WAREHOUSE);
    for (let i = 0; i < 5; i++) await http(app).get('/api/v1/users').set(warehouse.auth).expect(403);
    const res = await http(app).get('/api/v1/users').set(warehouse.auth);
    expect(res.status).toBe(429);
    expect(res.body.code).toBe('RATE_LIMITED');
    await http(app).get('/api/v1/auth/me').set(warehouse.auth).expect(429);
  });

  it('does not limit the health probes', async () => {
    for (let i = 0; i < 8; i++)
      await http(app).get('/health/live').set('X-Forwarded-For', '198.51.100.40').expect(200);
  });
});
