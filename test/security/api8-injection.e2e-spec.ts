import { randomUUID } from 'node:crypto';
import { http, sql, TestUser } from '../utils/app';
import {
  buildWorld,
  fillPath,
  idsFor,
  openApiDocument,
  Operation,
  operationsOf,
  rolesOf,
  World,
} from './security-world';
import { UserRole } from '../../src/identity/user-role.enum';

/** Classic SQL injection payloads, LIKE wildcards, a NUL byte and a few other parser teasers. */
const PAYLOADS = [
  "' OR 1=1--",
  "' OR '1'='1",
  '1; drop table users',
  "%' union select id, email, password_hash from users--",
  '1) OR (1=1',
  "admin'--",
  '" OR ""="',
  "'; select pg_sleep(0); --",
  '%',
  '_',
  '%%',
  '\\',
  '\\%',
  '*',
  '-createdAt; drop table orders',
  'createdAt,(select 1)',
  '{"$ne": null}',
  '\u0000',
  'a\u0000b',
  '\uD83D\uDE00',
  "''''''''''",
];

/**
 * OWASP API8:2023 Security Misconfiguration, the injection part: every query parameter of every
 * GET operation (read from the OpenAPI document) receives each payload, raw and as a repeated
 * parameter. No answer may be a 5xx; a 200 list must be empty (the payload matched nothing, it was
 * not executed), and any other 200 must equal the answer to a harmless value. Path ids get the
 * payloads too. Afterwards every table is still there.
 */
describe('OWASP API8: injection through filters, sort and search parameters', () => {
  let world: World;
  let operations: Operation[];

  beforeAll(async () => {
    world = await buildWorld();
    operations = operationsOf(await openApiDocument(world.app));
  });

  afterAll(async () => {
    await world.app.close();
  });

  const callerOf = (op: Operation): TestUser => {
    const roles = rolesOf(op.operation);
    if (roles === 'public' || roles === 'any' || roles.includes(UserRole.ADMIN)) return world.admin;
    return roles.includes(UserRole.CUSTOMER) ? world.customerA : world.warehouse;
  };
  const stable = (body: unknown) => JSON.stringify(body, (k, v) => (k === 'generatedAt' ? undefined : v));

  it('no query parameter of any GET operation can be made to fail (5xx) or to return extra data', async () => {
    const gets = operations.filter(
      (op) => op.method === 'get' && op.operation.parameters?.some((p) => p.in === 'query'),
    );
    expect(gets.length).toBeGreaterThan(15);
    const problems: string[] = [];
    let attempts = 0;
    for (const op of gets) {
      const url = fillPath(op.path, idsFor(world, op.path));
      const user = callerOf(op);
      for (const param of op.operation.parameters!.filter((p) => p.in === 'query')) {
        const harmless = await http(world.app)
          .get(url)
          .query({ [param.name]: `nomatch${randomUUID().slice(0, 8)}` })
          .set(user.auth);
        const queries = PAYLOADS.flatMap((payload) => [
          `${param.name}=${encodeURIComponent(payload)}`,
          `${param.name}=${encodeURIComponent(payload)}&${param.name}=x`,
        ]);
        attempts += queries.length;
        // One parameter's payloads in parallel: the suite sends a few thousand requests.
        const answers = await Promise.all(
          queries.map((query) => http(world.app).get(`${url}?${query}`).set(user.auth)),
        );
        answers.forEach((res, i) => {
          const what = `${op.key}?${queries[i]}`;
          if (res.status >= 500) {
            problems.push(`${what} → ${res.status} ${res.body.code ?? ''}`);
          } else if (res.status === 200 && Array.isArray(res.body?.data)) {
            if (res.body.data.length > 0 || res.body.meta.total > 0)
              problems.push(`${what} → 200 with ${res.body.meta.total} rows`);
          } else if (res.status === 200 && harmless.status === 200) {
            if (stable(res.body) !== stable(harmless.body) || res.text.length > harmless.text.length)
              problems.push(`${what} → 200 unlike a harmless value`);
          } else if (res.status !== 400) {
            problems.push(`${what} → ${res.status}`);
          }
        });
      }
    }
    expect(problems).toEqual([]);
    expect(attempts).toBeGreaterThan(2000);
    // A few thousand requests: more than the default timeout on a busy CI machine.
  }, 240_000);

  it('payloads as path ids are 400s (or 404 when they do not even form a path segment)', async () => {
    const withIds = operations.filter((op) => op.path.includes('{'));
    const problems: string[] = [];
    for (const op of withIds) {
      for (const payload of [
        "1' OR '1'='1",
        '1; drop table users',
        '%',
        '..%2f..%2fetc%2fpasswd',
        "0' union select 1--",
      ]) {
        const url = op.path.replace(/\{[^}]+\}/g, encodeURIComponent(payload));
        const res = await http(world.app)[op.method](url).set(callerOf(op).auth).send({});
        if (![400, 404].includes(res.status)) problems.push(`${op.key} with ${payload} → ${res.status}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('payloads in bodies and headers are stored and echoed as text, never executed', async () => {
    const text = "Robert'); drop table order_notes;-- %_\\ 😀";
    const note = await http(world.app)
      .post(`/api/v1/orders/${world.pendingA.id}/notes`)
      .set(world.support.auth)
      .set('Idempotency-Key', "key';drop-table-idempotency_keys;--")
      .set('X-Request-Id', "x'-- drop")
      .send({ note: text })
      .expect(201);
    expect(note.body.note).toBe(text);
    const [row] = await sql<{ note: string }>(world.app, 'select note from order_notes where id = ?', [
      note.body.id,
    ]);
    expect(row.note).toBe(text);

    // PostgreSQL text cannot hold NUL: refused up front, naming the field, in bodies and queries.
    const nul = await http(world.app)
      .post(`/api/v1/orders/${world.pendingA.id}/notes`)
      .set(world.support.auth)
      .send({ note: 'before\u0000after' })
      .expect(400);
    expect(nul.body.errors).toEqual([
      { field: 'note', message: 'must not contain NUL characters (\\u0000)' },
    ]);
    const nested = await http(world.app)
      .patch(`/api/v1/orders/${world.pendingA.id}`)
      .set(world.support.auth)
      .send({ shippingAddress: { name: 'A', line1: 'B\u0000', city: 'C', postalCode: '1', country: 'DE' } })
      .expect(400);
    expect(nested.body.errors.map((e: { field: string }) => e.field)).toEqual(['shippingAddress.line1']);

    const login = await http(world.app)
      .post('/api/v1/auth/login')
      .send({ email: "admin'--@oms.local", password: "' OR '1'='1" });
    expect(login.status).toBe(401);
    const objectEmail = await http(world.app)
      .post('/api/v1/auth/login')
      .send({ email: { $ne: null }, password: { $gt: '' } });
    expect(objectEmail.status).toBe(400);
  });

  it('every table is still there and the world’s rows are intact', async () => {
    const tables = await sql<{ name: string | null }>(
      world.app,
      `select to_regclass(t)::text as name from unnest(array['users', 'orders', 'order_items', 'order_history',
        'order_notes', 'order_fulfillments', 'inventory_reservations', 'customer_notifications',
        'stock_levels', 'idempotency_keys']) as t`,
    );
    expect(tables.map((t) => t.name)).not.toContain(null);
    const [users] = await sql<{ n: string }>(
      world.app,
      'select count(*)::text as n from users where id in (?, ?)',
      [world.customerA.user.id, world.admin.user.id],
    );
    expect(users.n).toBe('2');
  });
});
