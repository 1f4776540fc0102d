import { Controller, Get, Module } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { Client } from 'pg';
import { Actor, CurrentUser, Roles } from '../src/common/decorators';
import { AuthChangeListener } from '../src/identity/auth-change.listener';
import { UserRole } from '../src/identity/user-role.enum';
import { createTestApp, createUser, http, sql, TestApp, TestUser } from './utils/app';

/** A route that reads nothing from the database: what it costs is authentication alone. */
@Controller('test-auth-cache')
class WhoAmIController {
  @Get()
  @Roles()
  whoAmI(@CurrentUser() actor: Actor): Actor {
    return actor;
  }
}

@Module({ controllers: [WhoAmIController] })
class WhoAmIModule {}

const WHO_AM_I = '/api/v1/test-auth-cache';
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const now = () => Math.floor(Date.now() / 1000);

/** Waits until `check` holds, for at most `withinMs`; fails with `what` otherwise. */
async function eventually(what: string, check: () => Promise<boolean>, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Statements sent through node-postgres (the ORM's pool uses it), the listeners' own aside. */
function countQueries(): { count: () => number; restore: () => void } {
  let count = 0;
  const original = Client.prototype.query;
  const spy = jest.spyOn(Client.prototype, 'query').mockImplementation(function (this: Client, ...args) {
    const appName = (this as unknown as { connectionParameters?: { application_name?: string } })
      .connectionParameters?.application_name;
    if (!appName?.endsWith('auth-listener')) count++;
    return (original as (...a: unknown[]) => unknown).apply(this, args) as ReturnType<Client['query']>;
  });
  return { count: () => count, restore: () => spy.mockRestore() };
}

describe('authentication from a per-instance cache, invalidated on every instance (LISTEN/NOTIFY)', () => {
  let a: TestApp;
  let b: TestApp;
  let admin: TestUser;

  const status = async (app: TestApp, path: string, auth: Record<string, string>) =>
    (await http(app).get(path).set(auth)).status;
  const listening = (app: TestApp) => app.get(AuthChangeListener).listening;

  beforeAll(async () => {
    // Each instance names its connections (PGAPPNAME), so that this file finds its own listeners
    // among those of other test files sharing the database.
    const appName = process.env.PGAPPNAME;
    try {
      process.env.PGAPPNAME = 'oms-auth-cache-a';
      a = await createTestApp({}, { imports: [WhoAmIModule] });
      process.env.PGAPPNAME = 'oms-auth-cache-b';
      b = await createTestApp({}, { imports: [WhoAmIModule] });
    } finally {
      if (appName === undefined) delete process.env.PGAPPNAME;
      else process.env.PGAPPNAME = appName;
    }
    admin = await createUser(a, UserRole.ADMIN);
    await eventually('both instances listen', async () => listening(a) && listening(b), 5000);
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  /** A user whose token both instances have answered from (so both have it cached). */
  async function cachedOnBoth(role: UserRole, path = WHO_AM_I): Promise<TestUser> {
    const user = await createUser(a, role);
    for (const app of [a, b]) {
      await http(app).get(path).set(user.auth).expect(200);
      await http(app).get(path).set(user.auth).expect(200);
    }
    return user;
  }

  it('answers a request whose user is cached without any database query', async () => {
    const user = await createUser(a, UserRole.SUPPORT);
    const queries = countQueries();
    try {
      const first = await http(a).get(WHO_AM_I).set(user.auth).expect(200);
      expect(first.body).toEqual({ id: user.user.id, email: user.user.email, role: 'support' });
      // The first request read the user (this also proves that the counter sees the ORM's queries).
      expect(queries.count()).toBeGreaterThanOrEqual(1);
      const before = queries.count();
      for (let i = 0; i < 5; i++) await http(a).get(WHO_AM_I).set(user.auth).expect(200);
      expect(queries.count() - before).toBe(0);
    } finally {
      queries.restore();
    }
  });

  it('deactivation on A: the token is refused on A at once and on B within 1 s', async () => {
    const user = await cachedOnBoth(UserRole.WAREHOUSE);
    await http(a)
      .patch(`/api/v1/users/${user.user.id}`)
      .set(admin.auth)
      .send({ isActive: false })
      .expect(200);
    expect(await status(a, WHO_AM_I, user.auth)).toBe(401);
    await eventually('refused on B', async () => (await status(b, WHO_AM_I, user.auth)) === 401, 1000);
    // Reactivated, the user logs in again: the tokens issued before the deactivation stay revoked.
    await http(a).patch(`/api/v1/users/${user.user.id}`).set(admin.auth).send({ isActive: true }).expect(200);
    expect(await status(a, WHO_AM_I, user.auth)).toBe(401);
    expect(await status(b, WHO_AM_I, user.auth)).toBe(401);
    const login = await http(b)
      .post('/api/v1/auth/login')
      .send({ email: user.user.email, password: user.password })
      .expect(200);
    expect(await status(a, WHO_AM_I, bearer(login.body.accessToken))).toBe(200);
  });

  it('demotion on A: the admin token loses admin routes on A at once and on B within 1 s', async () => {
    const demoted = await cachedOnBoth(UserRole.ADMIN, '/api/v1/users?pageSize=1');
    await http(a)
      .patch(`/api/v1/users/${demoted.user.id}`)
      .set(admin.auth)
      .send({ role: 'support' })
      .expect(200);
    expect(await status(a, '/api/v1/users?pageSize=1', demoted.auth)).toBe(403);
    await eventually(
      'demoted on B',
      async () => (await status(b, '/api/v1/users?pageSize=1', demoted.auth)) === 403,
      1000,
    );
    // Still a valid token, now of a support user.
    expect((await http(b).get(WHO_AM_I).set(demoted.auth).expect(200)).body.role).toBe('support');
  });

  it('password change on A revokes every earlier token: refused on A at once and on B within 1 s', async () => {
    const user = await createUser(a, UserRole.CUSTOMER);
    const loggedIn = await http(a)
      .post('/api/v1/auth/login')
      .send({ email: user.user.email, password: user.password })
      .expect(200);
    const earlier = [user.auth, bearer(loggedIn.body.accessToken)];
    for (const app of [a, b]) for (const auth of earlier) await http(app).get(WHO_AM_I).set(auth).expect(200);

    await http(a)
      .patch(`/api/v1/users/${user.user.id}`)
      .set(admin.auth)
      .send({ password: 'a-new-password-456' })
      .expect(200);
    for (const auth of earlier) expect(await status(a, WHO_AM_I, auth)).toBe(401);
    await eventually(
      'earlier tokens refused on B',
      async () =>
        (await Promise.all(earlier.map((auth) => status(b, WHO_AM_I, auth)))).every((s) => s === 401),
      1000,
    );
    const again = await http(b)
      .post('/api/v1/auth/login')
      .send({ email: user.user.email, password: 'a-new-password-456' })
      .expect(200);
    for (const app of [a, b]) await http(app).get(WHO_AM_I).set(bearer(again.body.accessToken)).expect(200);
  });

  it('two password changes at once both count: a token issued between them is revoked too', async () => {
    const user = await createUser(a, UserRole.SUPPORT);
    const change = (app: TestApp, password: string) =>
      http(app).patch(`/api/v1/users/${user.user.id}`).set(admin.auth).send({ password });
    const results = await Promise.all([
      change(a, 'first-new-password-1'),
      change(b, 'second-new-password-2'),
    ]);
    expect(results.map((res) => res.status)).toEqual([200, 200]);
    const [row] = await sql<{ token_version: number }>(a, 'select token_version from users where id = ?', [
      user.user.id,
    ]);
    expect(row.token_version).toBe(2);
  });

  it('refuses a token issued in the future (beyond 5 s of clock skew)', async () => {
    const user = await createUser(a, UserRole.SUPPORT);
    const sign = (iat: number) =>
      a
        .get(JwtService)
        .signAsync(
          { sub: user.user.id, role: user.user.role, email: user.user.email, iat },
          { expiresIn: '1h' },
        );
    expect(await status(a, WHO_AM_I, bearer(await sign(now() + 60)))).toBe(401);
    expect(await status(a, WHO_AM_I, bearer(await sign(now() + 7)))).toBe(401);
    expect(await status(a, WHO_AM_I, bearer(await sign(now() + 3)))).toBe(200);
    expect(await status(a, WHO_AM_I, bearer(await sign(now() - 60)))).toBe(200);
  });

  it('losing the listening connection drops the cache: a change it could not hear of is still enforced', async () => {
    const user = await cachedOnBoth(UserRole.SUPPORT);
    const db = new Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    try {
      // A change nobody announces (triggers off for this session), as if its notification was lost.
      await db.query('set session_replication_role = replica');
      await db.query('update users set is_active = false where id = $1', [user.user.id]);
      // The cache does not know yet: this is what the listener is for.
      expect(await status(a, WHO_AM_I, user.auth)).toBe(200);
      // The listeners' connections die: each instance stops trusting its cache.
      const terminated = await db.query(
        `select pg_terminate_backend(pid) from pg_stat_activity
          where datname = current_database()
            and application_name in ('oms-auth-cache-a-auth-listener', 'oms-auth-cache-b-auth-listener')`,
      );
      expect(terminated.rowCount).toBe(2);
      await eventually('refused on A', async () => (await status(a, WHO_AM_I, user.auth)) === 401, 1000);
      await eventually('refused on B', async () => (await status(b, WHO_AM_I, user.auth)) === 401, 1000);
      // Both listen again, and start from an empty cache.
      await eventually('both listen again', async () => listening(a) && listening(b), 5000);
      expect(await status(a, WHO_AM_I, user.auth)).toBe(401);
      expect(await status(b, WHO_AM_I, user.auth)).toBe(401);
    } finally {
      await db.end();
    }
  });
});
