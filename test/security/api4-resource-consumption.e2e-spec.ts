import { http, TestUser } from '../utils/app';
import {
  API,
  buildWorld,
  fillPath,
  idsFor,
  openApiDocument,
  request,
  OpenApiDocument,
  Operation,
  operationsOf,
  resolve,
  rolesOf,
  World,
} from './security-world';
import { UserRole } from '../../src/identity/user-role.enum';

type Schema = Record<string, unknown>;
/** A place in a request body: property names and `0` for "first element of an array". */
type Place = Array<string | 0>;

/** Every bounded string and array of a request body schema, with where it sits. */
function boundsOf(
  document: OpenApiDocument,
  schema: Schema,
  place: Place = [],
  out: Array<{ place: Place; kind: 'string' | 'array'; max: number }> = [],
  depth = 0,
) {
  if (depth > 6) return out;
  const s = resolve(document, schema);
  if (s.type === 'string' && typeof s.maxLength === 'number' && !s.enum && !s.format) {
    out.push({ place, kind: 'string', max: s.maxLength });
  }
  if (s.type === 'array') {
    if (typeof s.maxItems === 'number') out.push({ place, kind: 'array', max: s.maxItems });
    if (s.items) boundsOf(document, s.items as Schema, [...place, 0], out, depth + 1);
  }
  for (const [name, property] of Object.entries((s.properties as Record<string, Schema>) ?? {})) {
    boundsOf(document, property, [...place, name], out, depth + 1);
  }
  return out;
}

/** `{a: [{b: value}]}` for the place `['a', 0, 'b']`. */
function bodyWith(place: Place, value: unknown): unknown {
  if (place.length === 0) return value;
  const [head, ...rest] = place;
  return head === 0 ? [bodyWith(rest, value)] : { [head]: bodyWith(rest, value) };
}

/**
 * OWASP API4:2023 Unrestricted Resource Consumption: page sizes, body size, string lengths, array
 * sizes and nesting depth are bounded, and going past a bound is a 4xx, never a 500 or a crash.
 * The bounds are read from the OpenAPI document, so a documented limit that is not enforced fails.
 */
describe('OWASP API4: unrestricted resource consumption', () => {
  let world: World;
  let document: OpenApiDocument;
  let operations: Operation[];

  beforeAll(async () => {
    world = await buildWorld();
    document = await openApiDocument(world.app);
    operations = operationsOf(document);
  });

  afterAll(async () => {
    await world.app.close();
  });

  /** Someone allowed to call the operation (the body limits are checked before the handler). */
  const callerOf = (op: Operation): TestUser => {
    const roles = rolesOf(op.operation);
    if (roles === 'public' || roles === 'any' || roles.includes(UserRole.ADMIN)) return world.admin;
    return roles.includes(UserRole.CUSTOMER) ? world.customerA : world.warehouse;
  };
  const urlOf = (op: Operation) => fillPath(op.path, idsFor(world, op.path));
  const alive = () => http(world.app).get('/health/live').expect(200);

  it('every list refuses pageSize above 100 and other bad page parameters with a 400 naming them', async () => {
    const lists = operations.filter((op) => op.operation.parameters?.some((p) => p.name === 'pageSize'));
    expect(lists.length).toBeGreaterThan(10);
    const problems: string[] = [];
    const cases: Array<[string, string]> = [
      ['pageSize=101', 'pageSize'],
      ['pageSize=100000000000000000000', 'pageSize'],
      ['pageSize=0', 'pageSize'],
      ['pageSize=-1', 'pageSize'],
      ['pageSize=2.5', 'pageSize'],
      ['pageSize=abc', 'pageSize'],
      ['page=0', 'page'],
      ['page=100001', 'page'],
      ['page=1e400', 'page'],
    ];
    for (const op of lists) {
      for (const [query, field] of cases) {
        const res = await http(world.app)
          .get(`${urlOf(op)}?${query}`)
          .set(callerOf(op).auth);
        const named = (res.body.errors ?? []).some((e: { field: string }) => e.field === field);
        if (res.status !== 400 || !named) problems.push(`${op.key}?${query} → ${res.status}`);
      }
      const max = await http(world.app)
        .get(`${urlOf(op)}?pageSize=100`)
        .set(callerOf(op).auth);
      if (max.status !== 200) problems.push(`${op.key}?pageSize=100 → ${max.status} (control)`);
    }
    expect(problems).toEqual([]);
  });

  it('a body above BODY_LIMIT_BYTES is a 413 before authentication or validation', async () => {
    const big = JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(1024 * 1024 + 1) });
    const anonymous = await http(world.app)
      .post(`${API}/auth/login`)
      .set('Content-Type', 'application/json')
      .send(big);
    expect(anonymous.status).toBe(413);
    expect(anonymous.body.code).toBe('PAYLOAD_TOO_LARGE');
    const authenticated = await http(world.app)
      .post(`${API}/orders/${world.pendingA.id}/notes`)
      .set(world.support.auth)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ note: 'x'.repeat(2 * 1024 * 1024) }));
    expect(authenticated.status).toBe(413);
    await alive();
  });

  it('every bounded string of every request body refuses one character more, naming the field', async () => {
    const problems: string[] = [];
    let checked = 0;
    for (const op of operations) {
      const schema = op.operation.requestBody?.content['application/json']?.schema;
      if (!schema) continue;
      for (const { place, kind, max } of boundsOf(document, schema)) {
        if (kind !== 'string') continue;
        checked += 1;
        const res = await request(world.app, op.method, urlOf(op))
          .set(callerOf(op).auth)
          .send(bodyWith(place, 'x'.repeat(max + 1)) as object);
        const field = place.join('.');
        // Constraints on each element of a string array are reported on the array (`packingMaterials`).
        const owner = field.replace(/(\.0)+$/, '');
        const named = (res.body.errors ?? []).some((e: { field: string }) =>
          [field, owner].includes(e.field),
        );
        if (res.status !== 400 || !named)
          problems.push(`${op.key} ${field} (${max + 1} chars) → ${res.status}`);
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  });

  it('every bounded array of every request body refuses one element more, naming the field', async () => {
    const problems: string[] = [];
    let checked = 0;
    for (const op of operations) {
      const schema = op.operation.requestBody?.content['application/json']?.schema;
      if (!schema) continue;
      for (const { place, kind, max } of boundsOf(document, schema)) {
        if (kind !== 'array') continue;
        checked += 1;
        const res = await request(world.app, op.method, urlOf(op))
          .set(callerOf(op).auth)
          .send(
            bodyWith(
              place,
              Array.from({ length: max + 1 }, () => ({})),
            ) as object,
          );
        const field = place.join('.');
        const named = (res.body.errors ?? []).some(
          (e: { field: string; message: string }) => e.field === field,
        );
        if (res.status !== 400 || !named)
          problems.push(`${op.key} ${field} (${max + 1} elements) → ${res.status}`);
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(5);
  });

  it('huge arrays (10,000 order lines, 20,000 fulfillment lines, a 50,000-element body) are 400s', async () => {
    const line = { variantId: world.variantId, quantity: 1, unitPrice: '1.00' };
    const order = await http(world.app)
      .post(`${API}/orders`)
      .set(world.support.auth)
      .send({
        customerId: world.customerA.user.id,
        currency: 'EUR',
        items: Array.from({ length: 10000 }, () => line),
        shippingAddress: { name: 'A', line1: 'B', city: 'C', postalCode: '1', country: 'DE' },
      });
    expect(order.status).toBe(400);
    expect(order.body.errors.map((e: { field: string }) => e.field)).toEqual(['items']);

    const lines = Object.fromEntries(
      Array.from({ length: 20000 }, (_, i) => [`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, 1]),
    );
    const fulfillment = await http(world.app)
      .post(`${API}/orders/${world.pendingA.id}/fulfillments`)
      .set(world.warehouse.auth)
      .send({ warehouseLocation: 'WH-A', items: lines });
    expect([fulfillment.status, fulfillment.body.errors?.[0]?.field]).toEqual([400, 'items']);

    const array = await http(world.app)
      .post(`${API}/orders/${world.pendingA.id}/notes`)
      .set(world.support.auth)
      .send(Array.from({ length: 50000 }, () => ({ note: 'x' })));
    expect(array.status).toBe(400);

    const statuses = Array.from({ length: 10 }, () => 'status=pending').join('&');
    await http(world.app).get(`${API}/orders?${statuses}`).set(world.support.auth).expect(400);
    const actions = Array.from({ length: 19 }, () => 'action=created').join('&');
    await http(world.app).get(`${API}/history?${actions}`).set(world.support.auth).expect(400);
    await alive();
  });

  it('over-long query strings are 4xx: bounded filters by their maxLength, the whole URL by the server', async () => {
    const problems: string[] = [];
    for (const op of operations.filter((o) => o.method === 'get')) {
      for (const param of op.operation.parameters ?? []) {
        const max = param.schema?.maxLength;
        if (param.in !== 'query' || typeof max !== 'number') continue;
        const res = await http(world.app)
          .get(`${urlOf(op)}?${param.name}=${'a'.repeat(max + 1)}`)
          .set(callerOf(op).auth);
        if (res.status !== 400) problems.push(`${op.key}?${param.name} (${max + 1} chars) → ${res.status}`);
      }
    }
    expect(problems).toEqual([]);
    const huge = await http(world.app)
      .get(`${API}/orders?q=${'a'.repeat(100000)}`)
      .set(world.support.auth);
    expect(huge.status).toBeGreaterThanOrEqual(400);
    expect(huge.status).toBeLessThan(500);
    await alive();
  });

  describe('deeply nested JSON (10,000 levels) is a 400, not a 500 or a crash', () => {
    const nestedObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const nestedArray = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
    const inField = (field: string, nested: string, rest = '') => `{${rest}"${field}":${nested}}`;

    const cases: Array<[string, string, () => string, (u: World) => TestUser]> = [
      [
        'POST /auth/login (anonymous), the whole body',
        '/auth/login',
        () => nestedObject(10000),
        () => world.admin,
      ],
      [
        'POST /auth/login, nested arrays in email',
        '/auth/login',
        () => inField('email', nestedArray(10000)),
        () => world.admin,
      ],
      [
        'POST /orders, nested objects as shippingAddress (a nested DTO)',
        '/orders',
        () => inField('shippingAddress', nestedObject(10000)),
        () => world.support,
      ],
      [
        'POST /orders, nested arrays as items (an array of DTOs)',
        '/orders',
        () => inField('items', nestedArray(10000)),
        () => world.support,
      ],
      [
        'POST /orders, an unknown field holding nested objects',
        '/orders',
        () => inField('extra', nestedObject(10000)),
        () => world.support,
      ],
      [
        'POST /orders/:id/notes, nested objects as note',
        '/orders/{pending}/notes',
        () => inField('note', nestedObject(10000)),
        () => world.support,
      ],
      [
        'POST /orders/:id/fulfillments, nested objects inside the items map',
        '/orders/{pending}/fulfillments',
        () => inField('items', `{"00000000-0000-4000-8000-000000000000":${nestedObject(10000)}}`),
        () => world.warehouse,
      ],
      [
        'PATCH /fulfillments/:id, nested arrays as packingMaterials',
        '/fulfillments/{fulfillment}',
        () => inField('packingMaterials', nestedArray(10000)),
        () => world.warehouse,
      ],
    ];

    it.each(cases)('%s', async (_name, path, body, who) => {
      const url = `${API}${path.replace('{pending}', world.pendingA.id).replace('{fulfillment}', world.fulfillmentId)}`;
      const method = path.startsWith('/fulfillments/') ? 'patch' : 'post';
      const res = await request(world.app, method, url)
        .set(path === '/auth/login' ? {} : who(world).auth)
        .set('Content-Type', 'application/json')
        // The idempotency fingerprint hashes the body before validation: it must not see it either.
        .set('Idempotency-Key', `deep-${Math.random()}`)
        .send(body());
      expect([res.status, res.body.errors]).toEqual([
        400,
        [{ field: 'body', message: 'must not nest objects or arrays deeper than 32 levels' }],
      ]);
      await alive();
    });
  });

  it('numbers past any sensible range are 400s (quantities, money, stock)', async () => {
    const problems: string[] = [];
    const attempts: Array<[string, TestUser, string, object]> = [
      [
        'put',
        world.warehouse,
        `/stock-levels/${world.variantId}/${world.locationId}`,
        { quantityOnHand: 1e308 },
      ],
      [
        'put',
        world.warehouse,
        `/stock-levels/${world.variantId}/${world.locationId}`,
        { quantityOnHand: 2 ** 53 },
      ],
      [
        'post',
        world.warehouse,
        `/stock-levels/${world.variantId}/${world.locationId}/adjust`,
        { delta: -(2 ** 31) },
      ],
      [
        'post',
        world.support,
        `/orders/${world.pendingA.id}/payments`,
        { outcome: 'received', amount: '1e300', reference: 'x' },
      ],
      [
        'post',
        world.support,
        `/orders/${world.pendingA.id}/payments`,
        { outcome: 'received', amount: 1e300, reference: 'x' },
      ],
      [
        'post',
        world.warehouse,
        '/reservations',
        {
          orderId: world.pendingA.id,
          orderItemId: world.pendingA.itemId,
          productVariantId: world.variantId,
          stockLocationId: world.locationId,
          quantity: 2 ** 40,
        },
      ],
    ];
    for (const [method, user, path, body] of attempts) {
      const res = await http(world.app)[method as 'post'](`${API}${path}`).set(user.auth).send(body);
      if (res.status !== 400)
        problems.push(`${method.toUpperCase()} ${path} ${JSON.stringify(body)} → ${res.status}`);
    }
    expect(problems).toEqual([]);
  });
});
