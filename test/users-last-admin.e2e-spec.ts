import { MikroORM } from '@mikro-orm/postgresql';
import { createOrmConfig } from '../src/database/mikro-orm.config';
import { migrate } from '../src/database/migrate';
import { UserRole } from '../src/identity/user-role.enum';
import { createTestDatabase, dropTestDatabase, uniqueDatabaseName } from './setup/test-database';
import { createTestApp, createUser, http, sql, TestApp, TestUser } from './utils/app';

const LAST_ADMIN = {
  status: 409,
  code: 'CONFLICT',
  detail:
    'This is the last active admin: make another user an active admin before demoting or deactivating it',
};

/**
 * The last active admin cannot be demoted or deactivated (nobody could administer users again).
 * "Last" is about the whole users table, which every other test file fills with admins: this file
 * runs on a database of its own.
 */
describe('users: the last active admin', () => {
  const serverUrl = process.env.TEST_SERVER_URL!;
  const name = uniqueDatabaseName('oms_last_admin');
  let app: TestApp;
  let first: TestUser;

  beforeAll(async () => {
    const url = await createTestDatabase(serverUrl, name);
    const orm = await MikroORM.init({ ...createOrmConfig({ databaseUrl: url, poolMax: 2 }), debug: false });
    try {
      await migrate(orm);
    } finally {
      await orm.close(true);
    }
    app = await createTestApp({ DATABASE_URL: url });
    first = await createUser(app, UserRole.ADMIN);
  });

  afterAll(async () => {
    await app?.close();
    await dropTestDatabase(serverUrl, name);
  });

  const patch = (actor: TestUser, target: TestUser, body: Record<string, unknown>) =>
    http(app).patch(`/api/v1/users/${target.user.id}`).set(actor.auth).send(body);

  const activeAdmins = async () =>
    (
      await sql<{ id: string }>(app, 'select id from users where role = ? and is_active order by id', [
        UserRole.ADMIN,
      ])
    ).map((row) => row.id);

  it('refuses to deactivate or demote the only active admin: 409, nothing changed', async () => {
    expect(await activeAdmins()).toEqual([first.user.id]);
    const deactivate = await patch(first, first, { isActive: false });
    expect(deactivate.status).toBe(409);
    expect(deactivate.body).toMatchObject(LAST_ADMIN);
    for (const role of [UserRole.SUPPORT, UserRole.WAREHOUSE, UserRole.CUSTOMER]) {
      const demote = await patch(first, first, { role, fullName: 'Not saved' });
      expect(demote.status).toBe(409);
      expect(demote.body).toMatchObject(LAST_ADMIN);
    }
    expect(await activeAdmins()).toEqual([first.user.id]);
    const [row] = await sql<{ full_name: string }>(app, 'select full_name from users where id = ?', [
      first.user.id,
    ]);
    expect(row.full_name).toBe(first.user.fullName);
  });

  it('lets the only admin change anything else, and keep its role and active flag explicitly', async () => {
    const res = await patch(first, first, {
      fullName: 'Still Admin',
      role: UserRole.ADMIN,
      isActive: true,
      password: 'another-long-password-1',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ fullName: 'Still Admin', role: 'admin', isActive: true });
    // A new password revokes every token issued before, the admin's own too: it logs in again.
    expect((await http(app).get('/api/v1/auth/me').set(first.auth)).status).toBe(401);
    const login = await http(app)
      .post('/api/v1/auth/login')
      .send({ email: first.user.email, password: 'another-long-password-1' })
      .expect(200);
    first = {
      ...first,
      password: 'another-long-password-1',
      auth: { Authorization: `Bearer ${login.body.accessToken}` },
    };
  });

  it('demotes or deactivates an admin while another active admin remains', async () => {
    const second = await createUser(app, UserRole.ADMIN);
    const third = await createUser(app, UserRole.ADMIN);
    expect((await patch(first, second, { role: UserRole.SUPPORT })).status).toBe(200);
    expect((await patch(first, third, { isActive: false })).status).toBe(200);
    // An inactive admin does not count: `first` is the last active one again.
    expect((await patch(first, first, { isActive: false })).body).toMatchObject(LAST_ADMIN);
    expect(await activeAdmins()).toEqual([first.user.id]);
  });

  it('two admins demoting each other at once: exactly one succeeds, one active admin remains', async () => {
    let survivor = first;
    for (let round = 0; round < 5; round += 1) {
      const other = await createUser(app, UserRole.ADMIN);
      const results = await Promise.all([
        patch(survivor, other, round % 2 ? { isActive: false } : { role: UserRole.SUPPORT }),
        patch(other, survivor, { role: UserRole.CUSTOMER }),
      ]);
      // The loser either reached the last-admin check (409) or was already demoted by the winner's
      // committed change when its token was checked (403: no longer an admin). Never both 200.
      const [won, lost] = [...results].sort((a, b) => a.status - b.status);
      expect(won.status).toBe(200);
      expect([403, 409]).toContain(lost.status);
      if (lost.status === 409) expect(lost.body).toMatchObject(LAST_ADMIN);
      const admins = await activeAdmins();
      expect(admins).toHaveLength(1);
      survivor = admins[0] === other.user.id ? other : survivor;
      expect(admins).toEqual([survivor.user.id]);
    }
  });
});
