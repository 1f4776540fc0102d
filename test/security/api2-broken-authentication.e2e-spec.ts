import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { createTestApp, createUser, http, TestApp, TestUser } from '../utils/app';
import { UserRole } from '../../src/identity/user-role.enum';

const SECRET = process.env.JWT_SECRET as string;
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

/** A JWT with any header, signed by HMAC with `secret` (the server's unless told otherwise). */
function hmacToken(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  secret = SECRET,
): string {
  const unsigned = `${b64(header)}.${b64(payload)}`;
  const algorithm = { HS384: 'sha384', HS512: 'sha512' }[header.alg as string] ?? 'sha256';
  return `${unsigned}.${createHmac(algorithm, secret).update(unsigned).digest('base64url')}`;
}

/**
 * OWASP API2:2023 Broken Authentication, beyond the forgeries of test/auth.e2e-spec.ts (alg none,
 * wrong secret, HS512, expired, tampered claims, unknown or disabled users): algorithm confusion,
 * keys embedded in the header, tokens that never expire or are not yet valid, tokens outside the
 * Authorization header, oversized tokens, and the login limit behind a spoofed X-Forwarded-For.
 * Brute force of the login: api2-login-brute-force.e2e-spec.ts.
 */
describe('OWASP API2: broken authentication', () => {
  let app: TestApp;
  let support: TestUser;

  beforeAll(async () => {
    // TRUST_PROXY stays off (the default): X-Forwarded-For is the client's word, not the client's IP.
    app = await createTestApp({ LOGIN_THROTTLE_LIMIT: '3', TRUST_PROXY: 'false' });
    support = await createUser(app, UserRole.SUPPORT);
  });

  afterAll(async () => {
    await app.close();
  });

  const claims = () => ({ sub: support.user.id, role: 'admin', email: support.user.email, iat: now() });
  const me = (token: string) => http(app).get('/api/v1/auth/me').set('Authorization', `Bearer ${token}`);

  it('control: a well-formed HS256 token with an expiry works', async () => {
    await me(hmacToken({ alg: 'HS256', typ: 'JWT' }, { ...claims(), exp: now() + 60 })).expect(200);
  });

  it('401 for a well-signed token without exp: a token that would never expire is never accepted', async () => {
    const res = await me(hmacToken({ alg: 'HS256', typ: 'JWT' }, claims()));
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('UNAUTHORIZED');
  });

  it('401 for a token that is not valid yet (nbf in the future)', async () => {
    await me(
      hmacToken({ alg: 'HS256', typ: 'JWT' }, { ...claims(), nbf: now() + 3600, exp: now() + 7200 }),
    ).expect(401);
  });

  it('401 for algorithm confusion: RS256/ES256/PS256 headers over an HMAC signature, and a real RS256 token', async () => {
    for (const alg of ['RS256', 'ES256', 'PS256', 'hs256', 'HS256 ']) {
      await me(hmacToken({ alg, typ: 'JWT' }, { ...claims(), exp: now() + 60 })).expect(401);
    }
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const unsigned = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ ...claims(), exp: now() + 60 })}`;
    const signature = sign('sha256', Buffer.from(unsigned), privateKey).toString('base64url');
    await me(`${unsigned}.${signature}`).expect(401);
  });

  it('401 for keys offered by the token itself (jwk, jku, kid) signed with the attacker’s secret', async () => {
    const attacker = 'attacker-secret-attacker-secret-attacker-secret';
    const k = Buffer.from(attacker).toString('base64url');
    const payload = { ...claims(), exp: now() + 60 };
    for (const extra of [
      { jwk: { kty: 'oct', k } },
      { jku: 'https://attacker.example/jwks.json' },
      { kid: '../../../../dev/null' },
      { kid: "x' union select 'attacker-secret" },
    ]) {
      await me(hmacToken({ alg: 'HS256', typ: 'JWT', ...extra }, payload, attacker)).expect(401);
    }
  });

  it('401 for a stripped or truncated signature', async () => {
    const token = hmacToken({ alg: 'HS256', typ: 'JWT' }, { ...claims(), exp: now() + 60 });
    const [header, body, signature] = token.split('.');
    await me(`${header}.${body}.`).expect(401);
    await me(`${header}.${body}`).expect(401);
    await me(`${header}.${body}.${signature.slice(0, 10)}`).expect(401);
  });

  it('only the Authorization header carries a token: not the query string, not a cookie', async () => {
    await http(app).get(`/api/v1/auth/me?access_token=${support.token}`).expect(401);
    await http(app).get(`/api/v1/auth/me?token=${support.token}`).expect(401);
    await http(app)
      .get('/api/v1/auth/me')
      .set('Cookie', `access_token=${support.token}; token=${support.token}`)
      .expect(401);
    await http(app).get('/api/v1/auth/me').set('X-Access-Token', support.token).expect(401);
  });

  it('an oversized token is refused (4xx), not a 500', async () => {
    const huge = hmacToken(
      { alg: 'HS256', typ: 'JWT' },
      { ...claims(), exp: now() + 60, pad: 'x'.repeat(12000) },
    );
    const res = await me(huge);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    const tooLarge = await me(`${huge}${'y'.repeat(40000)}`);
    expect(tooLarge.status).toBeGreaterThanOrEqual(400);
    expect(tooLarge.status).toBeLessThan(500);
    await http(app).get('/health/live').expect(200);
  });

  it('a spoofed X-Forwarded-For does not reset the login limit (TRUST_PROXY off)', async () => {
    const user = await createUser(app, UserRole.CUSTOMER);
    const attempt = (i: number) =>
      http(app)
        .post('/api/v1/auth/login')
        .set('X-Forwarded-For', `198.51.100.${i}`)
        .send({ email: user.user.email, password: `guess-${i}` });
    const statuses: number[] = [];
    for (let i = 1; i <= 6; i++) statuses.push((await attempt(i)).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
  });
});
