import { randomUUID } from 'node:crypto';
import { IdempotencyPurgeJob } from '../src/common/idempotency/idempotency-purge.job';
import { UserRole } from '../src/identity/user-role.enum';
import { createTestApp, createUser, http, sql, TestApp, TestUser } from './utils/app';
import { openSession } from './system/support/pg';

/** POST /users is the creating endpoint these tests use. */
const newUser = (email = `idem-${randomUUID()}@test.local`) => ({
  email,
  password: 'long-enough-password',
  fullName: 'Idem Potent',
  role: 'customer',
});

describe('Idempotency-Key on creating POSTs', () => {
  let app: TestApp;
  let admin: TestUser;

  beforeAll(async () => {
    app = await createTestApp();
    admin = await createUser(app, UserRole.ADMIN);
  });

  afterAll(async () => {
    await app.close();
  });

  const create = (body: object, key?: string, who: TestUser = admin) => {
    const req = http(app).post('/api/v1/users').set(who.auth);
    if (key !== undefined) req.set('Idempotency-Key', key);
    return req.send(body);
  };

  async function usersWithEmail(email: string): Promise<number> {
    const [{ count }] = await sql<{ count: string }>(app, 'select count(*) from users where email = ?', [
      email,
    ]);
    return Number(count);
  }

  it('same key and same body: the first response (201 and body) is replayed, nothing new is created', async () => {
    const key = randomUUID();
    const body = newUser();
    const first = await create(body, key);
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();

    const again = await create({ ...body }, key);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await usersWithEmail(body.email)).toBe(1);
  });

  it('the body is compared by value: the same fields in another order are the same request', async () => {
    const key = randomUUID();
    const body = newUser();
    const first = await create(body, key).expect(201);
    const reordered = {
      role: body.role,
      fullName: body.fullName,
      password: body.password,
      email: body.email,
    };
    const again = await create(reordered, key).expect(201);
    expect(again.body).toEqual(first.body);
    expect(await usersWithEmail(body.email)).toBe(1);
  });

  it('same key and a different body: 422, nothing created', async () => {
    const key = randomUUID();
    await create(newUser(), key).expect(201);
    const other = newUser();
    const res = await create(other, key);
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 422, code: 'IDEMPOTENCY_KEY_REUSED' });
    expect(await usersWithEmail(other.email)).toBe(0);
  });

  it('10 parallel identical requests: exactly one user, every answer the same 201 (or 409 in use)', async () => {
    const key = randomUUID();
    const body = newUser();
    const responses = await Promise.all(Array.from({ length: 10 }, () => create(body, key)));

    expect(await usersWithEmail(body.email)).toBe(1);
    const created = responses.filter((r) => r.status === 201);
    const inUse = responses.filter((r) => r.status === 409);
    expect(created.length + inUse.length).toBe(10);
    expect(created.length).toBeGreaterThanOrEqual(1);
    for (const res of created) expect(res.body).toEqual(created[0].body);
    for (const res of inUse) expect(res.body.code).toBe('IDEMPOTENCY_KEY_IN_USE');
    // Exactly one of them ran; the rest were replays.
    expect(created.filter((r) => r.headers['idempotent-replayed'] !== 'true')).toHaveLength(1);
  });

  it('keys are per user: another admin’s identical key is a different request', async () => {
    const otherAdmin = await createUser(app, UserRole.ADMIN);
    const key = randomUUID();
    const mine = newUser();
    const theirs = newUser();
    await create(mine, key).expect(201);
    // The same key and body from someone else is not a replay of my response: it runs (and
    // conflicts on the email, which frees their key again)...
    const res = await create(mine, key, otherAdmin);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('CONFLICT');
    // ...and another body under my key is no 422 for them.
    await create(theirs, key, otherAdmin).expect(201);
    expect(await usersWithEmail(mine.email)).toBe(1);
    expect(await usersWithEmail(theirs.email)).toBe(1);
  });

  it('a failed first request frees its key: errors are not replayed', async () => {
    const key = randomUUID();
    const taken = newUser(admin.user.email);
    const conflict = await create(taken, key);
    expect(conflict.status).toBe(409);
    const invalid = await create({ ...newUser(), role: 'emperor' }, key);
    expect(invalid.status).toBe(400);
    const body = newUser();
    await create(body, key).expect(201);
    expect(await usersWithEmail(body.email)).toBe(1);
  });

  it('requests without a key are not deduplicated', async () => {
    const body = newUser();
    await create(body).expect(201);
    // The repeat runs again: the email is taken now, so the creation itself refuses it.
    const again = await create(body).expect(409);
    expect(again.headers['idempotent-replayed']).toBeUndefined();
    expect(again.body).toMatchObject({
      code: 'CONFLICT',
      detail: `A user with email ${body.email} already exists`,
    });
    expect(await usersWithEmail(body.email)).toBe(1);
  });

  it('a key must be 1 to 255 visible ASCII characters', async () => {
    for (const key of ['x'.repeat(256), 'with space', 'ümlaut']) {
      const res = await http(app)
        .post('/api/v1/users')
        .set(admin.auth)
        .set('Idempotency-Key', encodeURI(key) === key ? key : Buffer.from(key).toString('latin1'))
        .send(newUser());
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([
        { field: 'Idempotency-Key', message: 'must be 1 to 255 visible ASCII characters' },
      ]);
    }
  });

  it('an expired key no longer replays: the request runs afresh', async () => {
    const key = randomUUID();
    await create(newUser(), key).expect(201);
    await sql(
      app,
      `update idempotency_keys set expires_at = now() - interval '1 minute' where key = ? and user_id = ?`,
      [key, admin.user.id],
    );
    const fresh = newUser();
    await create(fresh, key).expect(201);
    expect(await usersWithEmail(fresh.email)).toBe(1);
  });

  it('stores the response in the creating transaction: a claim is never left without one after a creation', async () => {
    const key = randomUUID();
    const body = newUser();
    await create(body, key).expect(201);
    const [row] = await sql<{ response_status: number; email: string }>(
      app,
      `select response_status, response_body->>'email' as email from idempotency_keys where key = ? and user_id = ?`,
      [key, admin.user.id],
    );
    expect(row).toEqual({ response_status: 201, email: body.email });
  });

  it('a claim abandoned by a dead process (no response after 2 minutes) frees the key', async () => {
    const key = randomUUID();
    const body = newUser();
    const abandonClaim = async () => {
      // Let a real request compute the fingerprint, then turn its row into an abandoned claim.
      await create(body, key).expect(201);
      await sql(app, 'delete from users where email = ?', [body.email]);
      await sql(
        app,
        `update idempotency_keys set response_status = null, response_body = null,
           created_at = now() - interval '5 minutes' where key = ? and user_id = ?`,
        [key, admin.user.id],
      );
    };
    await abandonClaim();
    const retried = await create(body, key);
    expect(retried.status).toBe(201);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect(await usersWithEmail(body.email)).toBe(1);
  });

  it('the claim is part of the request: while another transaction holds the key the duplicate waits, then gets 409 IN_USE; once it rolls back the key is free', async () => {
    const key = randomUUID();
    const body = newUser();
    // A request in flight elsewhere: its claim is inserted in a transaction still open.
    const holder = await openSession(process.env.TEST_DATABASE_URL!);
    try {
      await holder.query('begin');
      await holder.query(
        `insert into idempotency_keys (id, user_id, key, method, path, fingerprint, expires_at)
         values (gen_random_uuid(), $1, $2, 'POST', '/api/v1/users', repeat('0', 64), now() + interval '1 hour')`,
        [admin.user.id, key],
      );
      const waiting = await create(body, key);
      expect({
        status: waiting.status,
        code: waiting.body.code,
        retryAfter: waiting.headers['retry-after'],
      }).toEqual({ status: 409, code: 'IDEMPOTENCY_KEY_IN_USE', retryAfter: '1' });
      // The first request fails (or its database connection dies): its claim goes with it.
      await holder.query('rollback');
    } finally {
      await holder.end();
    }
    const retried = await create(body, key);
    expect({ status: retried.status, replayed: retried.headers['idempotent-replayed'] }).toEqual({
      status: 201,
      replayed: undefined,
    });
    expect(await usersWithEmail(body.email)).toBe(1);
  });

  it('a claim without a response committed by an older version is its request’s until it is abandoned: 409 IN_USE meanwhile', async () => {
    const key = randomUUID();
    const body = newUser();
    await create(body, key).expect(201);
    await sql(app, 'delete from users where email = ?', [body.email]);
    await sql(
      app,
      `update idempotency_keys set response_status = null, response_body = null, created_at = now()
        where key = ? and user_id = ?`,
      [key, admin.user.id],
    );
    const res = await create(body, key);
    expect({ status: res.status, code: res.body.code }).toEqual({
      status: 409,
      code: 'IDEMPOTENCY_KEY_IN_USE',
    });
    expect(await usersWithEmail(body.email)).toBe(0);
  });

  it('IdempotencyPurgeJob.purge() deletes expired keys and keeps live ones', async () => {
    const expiredKey = randomUUID();
    const liveKey = randomUUID();
    await create(newUser(), expiredKey).expect(201);
    await create(newUser(), liveKey).expect(201);
    await sql(app, `update idempotency_keys set expires_at = now() - interval '1 hour' where key = ?`, [
      expiredKey,
    ]);

    const purged = await app.get(IdempotencyPurgeJob).purge();
    expect(purged).toBeGreaterThanOrEqual(1);
    const left = await sql<{ key: string }>(app, 'select key from idempotency_keys where key in (?, ?)', [
      expiredKey,
      liveKey,
    ]);
    expect(left.map((row) => row.key)).toEqual([liveKey]);
  });
});
