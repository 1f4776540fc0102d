import { createTestApp, createUser, http, TestApp } from '../utils/app';
import { UserRole } from '../../src/identity/user-role.enum';

/**
 * OWASP API9:2023 Improper Inventory Management: the Swagger UI and the OpenAPI document can be
 * switched off (DOCS_ENABLED=false, e.g. for an internet-facing deployment). Settings are read when
 * the modules load, so this file has its own app. (With the default, /docs is covered by
 * api8-security-headers.e2e-spec.ts and the authorization matrix reads /docs-json.)
 */
describe('OWASP API9: DOCS_ENABLED=false hides the documentation', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp({ DOCS_ENABLED: 'false' });
  });

  afterAll(async () => {
    await app.close();
  });

  it.each([
    '/docs',
    '/docs/',
    '/docs-json',
    '/docs-yaml',
    '/docs/swagger-ui-init.js',
    '/docs/swagger-ui.css',
    '/api/v1/docs-json',
  ])('%s → 404 problem+json', async (path) => {
    const res = await http(app).get(path).expect(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(res.body.openapi).toBeUndefined();
  });

  it('the API itself is unaffected', async () => {
    const admin = await createUser(app, UserRole.ADMIN);
    await http(app).get('/api/v1/auth/me').set(admin.auth).expect(200);
    await http(app).get('/health/live').expect(200);
  });
});
