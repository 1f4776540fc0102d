import { createTestApp, createUser, http, TestApp } from './utils/app';
import { UserRole } from '../src/identity/user-role.enum';

describe('platform basics', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp();
  });

  afterAll(async () => {
    await app.close();
  });

  it('answers health probes without a token', async () => {
    await http(app).get('/health/live').expect(200);
    const ready = await http(app).get('/health/ready').expect(200);
    expect(ready.body.info.database.status).toBe('up');
  });

  it('logs in and reads the current user', async () => {
    const admin = await createUser(app, UserRole.ADMIN);
    const login = await http(app)
      .post('/api/v1/auth/login')
      .send({ email: admin.user.email, password: admin.password })
      .expect(200);
    expect(login.body).toMatchObject({ tokenType: 'Bearer', user: { id: admin.user.id, role: 'admin' } });
    const me = await http(app)
      .get('/api/v1/auth/me')
      .set('Authorization', `Bearer ${login.body.accessToken}`)
      .expect(200);
    expect(me.body.email).toBe(admin.user.email);
    expect(me.body.passwordHash).toBeUndefined();
  });

  it('echoes X-Request-Id on errors too', async () => {
    const res = await http(app).get('/api/v1/users').set('X-Request-Id', 'req-123').expect(401);
    expect(res.headers['x-request-id']).toBe('req-123');
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 401, code: 'UNAUTHORIZED', requestId: 'req-123' });
  });
});
