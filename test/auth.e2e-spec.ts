import { createHmac, randomUUID } from 'node:crypto';
import { UserRole } from '../src/identity/user-role.enum';
import { createTestApp, createUser, http, sql, TestApp, TestUser } from './utils/app';

const SECRET = process.env.JWT_SECRET as string;

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** A JWT built by hand, so that every part of it can be forged. */
function jwt(
  payload: Record<string, unknown>,
  options: { alg?: string; secret?: string; signature?: string } = {},
): string {
  const alg = options.alg ?? 'HS256';
  const unsigned = `${base64url({ alg, typ: 'JWT' })}.${base64url(payload)}`;
  if (options.signature !== undefined) return `${unsigned}.${options.signature}`;
  const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg] ?? 'sha256';
  return `${unsigned}.${createHmac(hash, options.secret ?? SECRET)
    .update(unsigned)
    .digest('base64url')}`;
}

const now = () => Math.floor(Date.now() / 1000);
const claimsOf = (user: TestUser) => ({ sub: user.user.id, role: user.user.role, email: user.user.email });
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** The problem body without what differs per request. */
function stable(body: Record<string, unknown>) {
  const { requestId: _requestId, ...rest } = body;
  return rest;
}

describe('auth: login, tokens, roles, users', () => {
  let app: TestApp;
  let admin: TestUser;

  beforeAll(async () => {
    app = await createTestApp();
    admin = await createUser(app, UserRole.ADMIN);
  });

  afterAll(async () => {
    await app.close();
  });

  describe('POST /auth/login', () => {
    it('exchanges email and password for a working bearer token', async () => {
      const support = await createUser(app, UserRole.SUPPORT, { fullName: 'Sam Support' });
      const res = await http(app)
        .post('/api/v1/auth/login')
        .send({ email: support.user.email, password: support.password })
        .expect(200);
      expect(res.body).toEqual({
        accessToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
        tokenType: 'Bearer',
        expiresIn: 3600,
        user: { id: support.user.id, email: support.user.email, fullName: 'Sam Support', role: 'support' },
      });
      const header = JSON.parse(Buffer.from(res.body.accessToken.split('.')[0], 'base64url').toString());
      expect(header.alg).toBe('HS256');
      const claims = JSON.parse(Buffer.from(res.body.accessToken.split('.')[1], 'base64url').toString());
      expect(claims.exp - claims.iat).toBe(3600);
      const me = await http(app).get('/api/v1/auth/me').set(bearer(res.body.accessToken)).expect(200);
      expect(me.body).toEqual({
        id: support.user.id,
        email: support.user.email,
        fullName: 'Sam Support',
        role: 'support',
        isActive: true,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
    });

    it('matches the email case-insensitively', async () => {
      const user = await createUser(app, UserRole.WAREHOUSE);
      await http(app)
        .post('/api/v1/auth/login')
        .send({ email: user.user.email.toUpperCase(), password: user.password })
        .expect(200);
    });

    it('answers unknown email, wrong password and disabled user identically', async () => {
      const known = await createUser(app, UserRole.SUPPORT);
      const disabled = await createUser(app, UserRole.SUPPORT);
      await http(app)
        .patch(`/api/v1/users/${disabled.user.id}`)
        .set(admin.auth)
        .send({ isActive: false })
        .expect(200);

      const unknown = await http(app)
        .post('/api/v1/auth/login')
        .send({ email: `nobody-${randomUUID()}@test.local`, password: 'whatever-password' });
      const wrong = await http(app)
        .post('/api/v1/auth/login')
        .send({ email: known.user.email, password: 'not-the-password' });
      const inactive = await http(app)
        .post('/api/v1/auth/login')
        .send({ email: disabled.user.email, password: disabled.password });

      for (const res of [unknown, wrong, inactive]) {
        expect(res.status).toBe(401);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
      expect(stable(unknown.body)).toEqual({
        type: 'urn:oms:problem:invalid-credentials',
        title: 'Unauthorized',
        status: 401,
        detail: 'Email or password is wrong',
        code: 'INVALID_CREDENTIALS',
        instance: '/api/v1/auth/login',
      });
      expect(stable(wrong.body)).toEqual(stable(unknown.body));
      expect(stable(inactive.body)).toEqual(stable(unknown.body));
    });

    it('400 for a malformed login body, naming the fields', async () => {
      const res = await http(app).post('/api/v1/auth/login').send({ email: 'not-an-email', remember: true });
      expect(res.status).toBe(400);
      const fields = (res.body.errors as Array<{ field: string }>).map((e) => e.field).sort();
      expect(fields).toEqual(['email', 'password', 'remember']);
      // The missing password is said to be required, not held to every rule of a password.
      expect(res.body.errors).toContainEqual({ field: 'password', message: 'is required' });
    });
  });

  describe('bearer tokens', () => {
    let customer: TestUser;

    beforeAll(async () => {
      customer = await createUser(app, UserRole.CUSTOMER);
    });

    const expect401 = async (
      headers: Record<string, string>,
      detail = 'A valid bearer token is required',
    ) => {
      const res = await http(app).get('/api/v1/auth/me').set(headers);
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 401, code: 'UNAUTHORIZED', detail });
    };

    it('a hand-made token with the right secret works (control for the forgeries below)', async () => {
      const token = jwt({ ...claimsOf(customer), iat: now(), exp: now() + 60 });
      await http(app).get('/api/v1/auth/me').set(bearer(token)).expect(200);
    });

    it('401 without a token, or with another scheme or garbage', async () => {
      await expect401({});
      await expect401({ Authorization: customer.token });
      await expect401({ Authorization: `Basic ${Buffer.from('a:b').toString('base64')}` });
      await expect401(bearer('not.a.jwt'));
      await expect401(bearer('garbage'));
    });

    it('401 for alg "none" (unsigned)', async () => {
      await expect401(
        bearer(jwt({ ...claimsOf(customer), exp: now() + 60 }, { alg: 'none', signature: '' })),
      );
      await expect401(
        bearer(jwt({ ...claimsOf(customer), exp: now() + 60 }, { alg: 'None', signature: '' })),
      );
    });

    it('401 when signed with another secret', async () => {
      await expect401(bearer(jwt({ ...claimsOf(customer), exp: now() + 60 }, { secret: `${SECRET}-other` })));
    });

    it('401 for another HMAC algorithm even with the right secret (algorithm pinned to HS256)', async () => {
      await expect401(bearer(jwt({ ...claimsOf(customer), exp: now() + 60 }, { alg: 'HS512' })));
    });

    it('401 for an expired token, saying so', async () => {
      const token = jwt({ ...claimsOf(customer), iat: now() - 7200, exp: now() - 3600 });
      await expect401(bearer(token), 'The token has expired');
    });

    it('a token accepted until its expiry is refused from then on, saying so', async () => {
      const exp = now() + 3;
      const token = jwt({ ...claimsOf(customer), iat: now(), exp });
      await http(app).get('/api/v1/auth/me').set(bearer(token)).expect(200);
      await http(app).get('/api/v1/auth/me').set(bearer(token)).expect(200);
      await new Promise((resolve) => setTimeout(resolve, exp * 1000 - Date.now() + 20));
      await expect401(bearer(token), 'The token has expired');
    });

    it('401 for a token differing from an accepted one in its signature only', async () => {
      const token = jwt({ ...claimsOf(customer), iat: now(), exp: now() + 60 });
      await http(app).get('/api/v1/auth/me').set(bearer(token)).expect(200);
      const [header, payload, signature] = token.split('.');
      const changed = `${signature.slice(0, 5)}${signature[5] === 'x' ? 'y' : 'x'}${signature.slice(6)}`;
      await expect401(bearer(`${header}.${payload}.${changed}`));
    });

    it('401 for tampered claims (role or subject changed without re-signing)', async () => {
      const [header, , signature] = customer.token.split('.');
      const asAdmin = `${header}.${base64url({ ...claimsOf(customer), role: 'admin', exp: now() + 60 })}.${signature}`;
      await expect401(bearer(asAdmin));
      const asOther = `${header}.${base64url({ ...claimsOf(admin), exp: now() + 60 })}.${signature}`;
      await expect401(bearer(asOther));
      // The untouched token still works.
      await http(app).get('/api/v1/auth/me').set(customer.auth).expect(200);
    });

    it('401 for a well-signed token of a user that does not exist, or with no usable subject', async () => {
      await expect401(
        bearer(jwt({ sub: randomUUID(), role: 'admin', email: 'x@test.local', iat: now(), exp: now() + 60 })),
      );
      await expect401(bearer(jwt({ sub: 'admin', role: 'admin', exp: now() + 60 })));
      await expect401(bearer(jwt({ role: 'admin', exp: now() + 60 })));
    });

    it('a disabled user’s token stops working at once; enabled again, the user logs in again (old tokens stay revoked)', async () => {
      const user = await createUser(app, UserRole.SUPPORT);
      await http(app).get('/api/v1/auth/me').set(user.auth).expect(200);
      await http(app)
        .patch(`/api/v1/users/${user.user.id}`)
        .set(admin.auth)
        .send({ isActive: false })
        .expect(200);
      await expect401(user.auth);
      await http(app)
        .patch(`/api/v1/users/${user.user.id}`)
        .set(admin.auth)
        .send({ isActive: true })
        .expect(200);
      await expect401(user.auth);
      const login = await http(app)
        .post('/api/v1/auth/login')
        .send({ email: user.user.email, password: user.password })
        .expect(200);
      await http(app).get('/api/v1/auth/me').set(bearer(login.body.accessToken)).expect(200);
    });

    it('roles come from the database, not from the token', async () => {
      // Correctly signed, claims admin, but the user is a customer.
      const token = jwt({ ...claimsOf(customer), role: 'admin', iat: now(), exp: now() + 60 });
      const res = await http(app).get('/api/v1/users').set(bearer(token));
      expect(res.status).toBe(403);
      // Demoting an admin takes effect for the token already issued.
      const demoted = await createUser(app, UserRole.ADMIN);
      await http(app).get('/api/v1/users').set(demoted.auth).expect(200);
      await http(app)
        .patch(`/api/v1/users/${demoted.user.id}`)
        .set(admin.auth)
        .send({ role: 'support' })
        .expect(200);
      await http(app).get('/api/v1/users').set(demoted.auth).expect(403);
    });

    it('403 problem+json for a valid token without the role, naming the roles', async () => {
      for (const role of [UserRole.SUPPORT, UserRole.WAREHOUSE, UserRole.CUSTOMER]) {
        const user = await createUser(app, role);
        const res = await http(app).get('/api/v1/users').set(user.auth);
        expect(res.status).toBe(403);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.body).toMatchObject({ code: 'FORBIDDEN', detail: 'This needs one of the roles: admin' });
      }
    });

    it('GET /auth/me works for every role', async () => {
      for (const role of Object.values(UserRole)) {
        const user = await createUser(app, role);
        const res = await http(app).get('/api/v1/auth/me').set(user.auth).expect(200);
        expect(res.body).toMatchObject({ id: user.user.id, role });
      }
    });
  });

  describe('/users (admin)', () => {
    it('creates a user who can then log in; the password is stored as an argon2id hash', async () => {
      const email = `Created-${randomUUID()}@Test.local`;
      const res = await http(app)
        .post('/api/v1/users')
        .set(admin.auth)
        .send({ email, password: 'a-long-password-1', fullName: 'Created User', role: 'warehouse' })
        .expect(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        email: email.toLowerCase(),
        fullName: 'Created User',
        role: 'warehouse',
        isActive: true,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const [row] = await sql<{ password_hash: string }>(
        app,
        'select password_hash from users where id = ?',
        [res.body.id],
      );
      expect(row.password_hash).toMatch(/^\$argon2id\$/);
      await http(app).post('/api/v1/auth/login').send({ email, password: 'a-long-password-1' }).expect(200);
    });

    it('refuses a short password, a bad role and an unknown field, naming each', async () => {
      const res = await http(app)
        .post('/api/v1/users')
        .set(admin.auth)
        .send({
          email: `x-${randomUUID()}@test.local`,
          password: 'short',
          fullName: 'X',
          role: 'root',
          id: randomUUID(),
        });
      expect(res.status).toBe(400);
      const fields = (res.body.errors as Array<{ field: string }>).map((e) => e.field).sort();
      expect(fields).toEqual(['id', 'password', 'role']);
    });

    it('concurrent creations of one email: exactly one wins, the others get 409', async () => {
      const email = `race-${randomUUID()}@test.local`;
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          http(app)
            .post('/api/v1/users')
            .set(admin.auth)
            .send({
              email: i % 2 ? email : email.toUpperCase(),
              password: 'a-long-password-1',
              fullName: `R${i}`,
              role: 'customer',
            }),
        ),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([201, 409, 409, 409, 409, 409]);
      const [{ count }] = await sql<{ count: string }>(
        app,
        'select count(*) from users where lower(email) = ?',
        [email],
      );
      expect(Number(count)).toBe(1);
    });

    it('reads, lists with filters and sort, and updates users', async () => {
      const tag = randomUUID().slice(0, 8);
      const a = await createUser(app, UserRole.SUPPORT, { email: `a-${tag}@test.local`, fullName: 'A' });
      const b = await createUser(app, UserRole.SUPPORT, { email: `b-${tag}@test.local`, fullName: 'B' });

      const one = await http(app).get(`/api/v1/users/${a.user.id}`).set(admin.auth).expect(200);
      expect(one.body).toMatchObject({ id: a.user.id, email: a.user.email, role: 'support' });
      expect(one.body.passwordHash).toBeUndefined();

      await http(app)
        .patch(`/api/v1/users/${b.user.id}`)
        .set(admin.auth)
        .send({ isActive: false })
        .expect(200);
      const inactive = await http(app)
        .get('/api/v1/users?role=support&isActive=false&pageSize=100&sort=-createdAt')
        .set(admin.auth)
        .expect(200);
      const inactiveIds = inactive.body.data.map((u: { id: string }) => u.id);
      expect(inactiveIds).toContain(b.user.id);
      expect(inactiveIds).not.toContain(a.user.id);
      expect(
        inactive.body.data.every(
          (u: { role: string; isActive: boolean }) => u.role === 'support' && !u.isActive,
        ),
      ).toBe(true);

      const sorted = await http(app)
        .get('/api/v1/users?sort=email&pageSize=100&role=support')
        .set(admin.auth)
        .expect(200);
      const emails = sorted.body.data.map((u: { email: string }) => u.email);
      expect(emails).toEqual([...emails].sort());

      const updated = await http(app)
        .patch(`/api/v1/users/${a.user.id}`)
        .set(admin.auth)
        .send({ fullName: 'A Renamed', role: 'warehouse', password: 'a-new-password-2' })
        .expect(200);
      expect(updated.body).toMatchObject({ fullName: 'A Renamed', role: 'warehouse', isActive: true });
      await http(app)
        .post('/api/v1/auth/login')
        .send({ email: a.user.email, password: a.password })
        .expect(401);
      await http(app)
        .post('/api/v1/auth/login')
        .send({ email: a.user.email, password: 'a-new-password-2' })
        .expect(200);
    });

    it('PATCH refuses unknown fields (no email or id changes) and 404s an unknown user', async () => {
      const user = await createUser(app, UserRole.CUSTOMER);
      const res = await http(app)
        .patch(`/api/v1/users/${user.user.id}`)
        .set(admin.auth)
        .send({ email: 'new@test.local' });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ field: 'email', message: 'is not an allowed field' }]);
      await http(app)
        .patch(`/api/v1/users/${randomUUID()}`)
        .set(admin.auth)
        .send({ fullName: 'X' })
        .expect(404);
    });
  });
});
