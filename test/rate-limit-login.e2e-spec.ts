import { randomUUID } from 'node:crypto';
import { UserRole } from '../src/identity/user-role.enum';
import { createTestApp, createUser, http, TestApp } from './utils/app';

// Settings are read when the modules load: this file's low limit comes first, in its own file.
const SETTINGS = { LOGIN_THROTTLE_LIMIT: '3', THROTTLE_LIMIT: '100000', TRUST_PROXY: 'true' };

describe('login rate limit: LOGIN_THROTTLE_LIMIT per minute per IP + email', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp(SETTINGS);
  });

  afterAll(async () => {
    await app.close();
  });

  const login = (email: string, password: string, ip = '203.0.113.5') =>
    http(app).post('/api/v1/auth/login').set('X-Forwarded-For', ip).send({ email, password });

  it('after 3 attempts the 4th is 429 with Retry-After, even with the right password', async () => {
    const user = await createUser(app, UserRole.SUPPORT);
    for (let i = 0; i < 3; i++) expect((await login(user.user.email, 'wrong-password')).status).toBe(401);
    const res = await login(user.user.email, user.password);
    expect(res.status).toBe(429);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(res.body).toMatchObject({ status: 429, code: 'RATE_LIMITED', retryAfter });
    // The email is normalised: another spelling of it is the same counter.
    expect((await login(user.user.email.toUpperCase(), user.password)).status).toBe(429);
  });

  it('counts per IP + email: another email from the same IP, or the same email from another IP, still gets in', async () => {
    const user = await createUser(app, UserRole.SUPPORT);
    const other = await createUser(app, UserRole.SUPPORT);
    const ip = '203.0.113.6';
    for (let i = 0; i < 3; i++) await login(user.user.email, 'wrong-password', ip).expect(401);
    await login(user.user.email, user.password, ip).expect(429);
    await login(other.user.email, other.password, ip).expect(200);
    await login(user.user.email, user.password, '203.0.113.7').expect(200);
  });

  it('successful logins count too (the limit is on attempts)', async () => {
    const user = await createUser(app, UserRole.CUSTOMER);
    const ip = '203.0.113.8';
    for (let i = 0; i < 3; i++) await login(user.user.email, user.password, ip).expect(200);
    await login(user.user.email, user.password, ip).expect(429);
  });

  it('unknown emails are limited the same way', async () => {
    const email = `nobody-${randomUUID()}@test.local`;
    for (let i = 0; i < 3; i++) await login(email, 'whatever-password', '203.0.113.9').expect(401);
    await login(email, 'whatever-password', '203.0.113.9').expect(429);
  });
});
