import { createTestApp, createUser, http, TestApp, TestUser } from '../utils/app';
import { UserRole } from '../../src/identity/user-role.enum';

/**
 * OWASP API8:2023 Security Misconfiguration, the response side: every answer (success, problem,
 * Fastify's own errors, operations endpoints, the docs) carries nosniff, no framing and no
 * referrer; API answers are not cacheable and carry a deny-all CSP; Swagger UI keeps working
 * (its CSP only forbids framing); HSTS only over HTTPS; no CORS grants, no TRACE, no server banner.
 */
describe('OWASP API8: security headers and misconfiguration', () => {
  let app: TestApp;
  let support: TestUser;

  beforeAll(async () => {
    app = await createTestApp({ TRUST_PROXY: 'true' });
    support = await createUser(app, UserRole.SUPPORT);
  });

  afterAll(async () => {
    await app.close();
  });

  const API_CSP = "default-src 'none'; frame-ancestors 'none'";

  it('API answers of every kind: nosniff, DENY, no-referrer, no-store, deny-all CSP, no banner', async () => {
    const answers = [
      await http(app).get('/api/v1/auth/me').set(support.auth).expect(200),
      await http(app).get('/api/v1/orders').set(support.auth).expect(200),
      await http(app)
        .post('/api/v1/auth/login')
        .send({ email: support.user.email, password: support.password })
        .expect(200),
      await http(app).get('/api/v1/auth/me').expect(401),
      await http(app).get('/api/v1/users').set(support.auth).expect(403),
      await http(app)
        .get('/api/v1/orders/00000000-0000-4000-8000-000000000000')
        .set(support.auth)
        .expect(404),
      await http(app).get('/api/v1/no-such-route').expect(404),
      await http(app).post('/api/v1/auth/login').set('Content-Type', 'text/plain').send('x').expect(415),
      await http(app)
        .post('/api/v1/auth/login')
        .set('Content-Type', 'application/json')
        .send('{bad')
        .expect(400),
      await http(app).get('/health/live').expect(200),
      await http(app).get('/metrics').expect(200),
    ];
    for (const res of answers) {
      const what = `${res.status} ${res.headers['content-type']}`;
      expect([what, res.headers['x-content-type-options']]).toEqual([what, 'nosniff']);
      expect([what, res.headers['x-frame-options']]).toEqual([what, 'DENY']);
      expect([what, res.headers['referrer-policy']]).toEqual([what, 'no-referrer']);
      expect([what, res.headers['content-security-policy']]).toEqual([what, API_CSP]);
      expect([what, res.headers['cache-control']]).toEqual([
        what,
        expect.stringMatching(/(^|, )no-store(,|$)/),
      ]);
      expect([what, res.headers['x-powered-by'], res.headers.server]).toEqual([what, undefined, undefined]);
      expect([what, res.headers['strict-transport-security']]).toEqual([what, undefined]);
    }
  });

  it('HSTS on requests that came over HTTPS (X-Forwarded-Proto behind a trusted proxy)', async () => {
    const res = await http(app)
      .get('/api/v1/auth/me')
      .set(support.auth)
      .set('X-Forwarded-Proto', 'https')
      .expect(200);
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
  });

  it('a route’s own Cache-Control is kept (the health probes set theirs)', async () => {
    const res = await http(app).get('/health/live').expect(200);
    expect(res.headers['cache-control']).toBe('no-cache, no-store, must-revalidate');
  });

  it('Swagger UI and its document: served, not framable, scripts not blocked by the API’s CSP', async () => {
    const page = await http(app).get('/docs').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['content-security-policy']).toBe("frame-ancestors 'none'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const scripts = [...page.text.matchAll(/<script[^>]+src="([^"]+)"/g)].map((m) => m[1]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const src of scripts) {
      const url = src.startsWith('/') ? src : `/docs/${src.replace(/^\.\/(docs\/)?/, '')}`;
      const script = await http(app).get(url).expect(200);
      expect(script.headers['content-type']).toMatch(/javascript/);
    }
    const json = await http(app).get('/docs-json').expect(200);
    expect(json.body.openapi).toMatch(/^3\./);
  });

  it('no CORS grant for a foreign origin, no TRACE echo', async () => {
    const cross = await http(app)
      .get('/api/v1/auth/me')
      .set(support.auth)
      .set('Origin', 'https://evil.example');
    expect(cross.status).toBe(200);
    expect(cross.headers['access-control-allow-origin']).toBeUndefined();
    expect(cross.headers['access-control-allow-credentials']).toBeUndefined();
    const preflight = await http(app)
      .options('/api/v1/orders')
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'POST');
    expect(preflight.status).toBeLessThan(500);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const trace = await http(app).trace('/api/v1/auth/me').set(support.auth);
    expect(trace.status).toBe(404);
    expect(trace.text).not.toContain(support.token);
  });
});
