import { createHash, randomInt, randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { UserRole } from '../src/identity/user-role.enum';
import { createTestApp, createUser, http, TestApp } from './utils/app';

// Redis runs at 127.0.0.1:6379 on the development machine and in CI. If it is not there, this file
// fails (it does not skip): the cross-instance limits are only proven with a real Redis.
const REDIS_URL = process.env.TEST_REDIS_URL ?? process.env.CI_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SETTINGS = {
  REDIS_URL,
  THROTTLE_LIMIT: '5',
  THROTTLE_TTL_MS: '60000',
  LOGIN_THROTTLE_LIMIT: '3',
  TRUST_PROXY: 'true',
};

/** The hit counter our guard keeps in Redis for `tracker` (see OmsThrottlerGuard.generateKey). */
function hitsKey(throttler: string, tracker: string): string {
  const digest = createHash('sha256').update(tracker).digest('hex').slice(0, 40);
  return `{oms:throttle:${throttler}:${digest}:${throttler}}:hits`;
}

/** Every run gets client IPs of its own, so that runs sharing a Redis never share a counter. */
const runIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

describe('rate limits in Redis (REDIS_URL): shared by every instance', () => {
  let redis: Redis;
  let one: TestApp;
  let two: TestApp;

  beforeAll(async () => {
    redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000 });
    try {
      await redis.connect();
      await redis.ping();
    } catch (error) {
      redis.disconnect();
      throw new Error(
        `Redis is not reachable at ${REDIS_URL} (${(error as Error).message}); these tests need it ` +
          '(docker run -d -p 6379:6379 redis:7, or set TEST_REDIS_URL)',
      );
    }
    one = await createTestApp(SETTINGS);
    two = await createTestApp(SETTINGS);
  });

  afterAll(async () => {
    await one?.close();
    await two?.close();
    redis?.disconnect();
  });

  it('the general limit per user holds across two instances, and the counter is in Redis', async () => {
    const user = await createUser(one, UserRole.SUPPORT);
    for (const app of [one, two, one, two, one])
      await http(app).get('/api/v1/auth/me').set(user.auth).expect(200);
    expect(await redis.get(hitsKey('default', `user:${user.user.id}`))).toBe('5');

    const res = await http(two).get('/api/v1/auth/me').set(user.auth);
    expect(res.status).toBe(429);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(res.body).toMatchObject({ code: 'RATE_LIMITED' });
    await http(one).get('/api/v1/auth/me').set(user.auth).expect(429);

    // Another user is not affected.
    const other = await createUser(one, UserRole.SUPPORT);
    await http(two).get('/api/v1/auth/me').set(other.auth).expect(200);
  });

  it('the login limit per IP + email holds across two instances', async () => {
    const user = await createUser(one, UserRole.CUSTOMER);
    const ip = runIp();
    const login = (app: TestApp, password: string) =>
      http(app)
        .post('/api/v1/auth/login')
        .set('X-Forwarded-For', ip)
        .send({ email: user.user.email, password });

    await login(one, 'wrong-password').expect(401);
    await login(two, 'wrong-password').expect(401);
    await login(one, 'wrong-password').expect(401);
    const limited = await login(two, user.password);
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    await login(one, user.password).expect(429);
    expect(Number(await redis.get(hitsKey('login', `${ip}:${user.user.email}`)))).toBe(5);

    // The same email from another IP still gets in.
    await http(one)
      .post('/api/v1/auth/login')
      .set('X-Forwarded-For', runIp())
      .send({ email: user.user.email, password: user.password })
      .expect(200);
  });

  it('anonymous callers are counted per IP across instances', async () => {
    const ip = runIp();
    const login = (app: TestApp) =>
      http(app)
        .post('/api/v1/auth/login')
        .set('X-Forwarded-For', ip)
        .send({ email: `nobody-${randomUUID()}@test.local`, password: 'wrong-password' });
    for (const app of [one, two, one, two, one]) await login(app).expect(401);
    await login(two).expect(429);
  });

  it('requests refused by authentication count against the per-IP counter in Redis, across instances', async () => {
    const ip = runIp();
    const guess = (app: TestApp) =>
      http(app)
        .get('/api/v1/orders')
        .set('X-Forwarded-For', ip)
        .set('Authorization', `Bearer ${randomUUID()}`);
    for (const app of [one, two, one, two, one]) await guess(app).expect(401);
    expect(await redis.get(hitsKey('default', `ip:${ip}`))).toBe('5');
    const limited = await guess(two);
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('RATE_LIMITED');
    await guess(one).expect(429);
  });
});
