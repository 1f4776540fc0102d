import { randomUUID } from 'node:crypto';
import { createTestApp, createUser, http, TestApp } from '../utils/app';
import { UserRole } from '../../src/identity/user-role.enum';

// Settings are read when the modules load: this file's low limits, in its own file. Behind a load
// balancer (TRUST_PROXY) each test plays a different client address through X-Forwarded-For.
const LOGIN_LIMIT = 5;
const GENERAL_LIMIT = 30;
const SETTINGS = {
  LOGIN_THROTTLE_LIMIT: String(LOGIN_LIMIT),
  THROTTLE_LIMIT: String(GENERAL_LIMIT),
  TRUST_PROXY: 'true',
};

/**
 * OWASP API2:2023, brute force of POST /auth/login: a burst of parallel guesses gets exactly
 * LOGIN_THROTTLE_LIMIT answers from the password check and 429 for the rest (the counter cannot
 * be raced), the right password is refused too once limited, credential stuffing across many
 * emails from one address hits the general per-address limit, and a 429 tells nothing about
 * whether the account exists. (The sequential basics are in test/rate-limit-login.e2e-spec.ts.)
 */
describe('OWASP API2: login brute force', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp(SETTINGS);
  });

  afterAll(async () => {
    await app.close();
  });

  const login = (ip: string, email: string, password: string) =>
    http(app).post('/api/v1/auth/login').set('X-Forwarded-For', ip).send({ email, password });

  it(`a burst of 25 parallel guesses: exactly ${LOGIN_LIMIT} reach the password check, 20 get 429`, async () => {
    const user = await createUser(app, UserRole.ADMIN);
    const ip = '192.0.2.10';
    const answers = await Promise.all(
      Array.from({ length: 25 }, (_, i) => login(ip, user.user.email, `guess-${i}`)),
    );
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([...Array(LOGIN_LIMIT).fill(401), ...Array(25 - LOGIN_LIMIT).fill(429)]);
    for (const res of answers.filter((r) => r.status === 429)) {
      expect(res.body).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    // Once limited, the right password is refused as well, whatever the spelling of the email.
    await login(ip, user.user.email, user.password).expect(429);
    await login(ip, ` ${user.user.email.toUpperCase()} `, user.password).expect(429);
  });

  it(`credential stuffing (one address, many emails) stops at THROTTLE_LIMIT (${GENERAL_LIMIT}) per address`, async () => {
    const ip = '192.0.2.20';
    const statuses: number[] = [];
    for (let i = 0; i < GENERAL_LIMIT + 5; i++) {
      statuses.push((await login(ip, `victim-${i}-${randomUUID()}@test.local`, 'Summer2026!')).status);
    }
    expect(statuses).toEqual([...Array(GENERAL_LIMIT).fill(401), ...Array(5).fill(429)]);
  });

  it('a 429 reads the same for an existing account and an unknown email (no enumeration)', async () => {
    const user = await createUser(app, UserRole.CUSTOMER);
    const ip = '192.0.2.30';
    const unknown = `nobody-${randomUUID()}@test.local`;
    for (let i = 0; i < LOGIN_LIMIT; i++) {
      await login(ip, user.user.email, 'wrong').expect(401);
      await login(ip, unknown, 'wrong').expect(401);
    }
    const known = await login(ip, user.user.email, 'wrong').expect(429);
    const nobody = await login(ip, unknown, 'wrong').expect(429);
    const strip = ({ requestId: _r, retryAfter: _a, detail: _d, ...rest }: Record<string, unknown>) => rest;
    expect(strip(known.body)).toEqual(strip(nobody.body));
  });
});
