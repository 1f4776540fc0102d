import { http, sql, TestUser } from '../utils/app';
import {
  API,
  buildWorld,
  fillPath,
  idsFor,
  keysDeep,
  openApiDocument,
  request,
  OpenApiDocument,
  operationsOf,
  resolve,
  rolesOf,
  World,
} from './security-world';
import { UserRole } from '../../src/identity/user-role.enum';

/**
 * OWASP API3:2023 Broken Object Property Level Authorization: mass assignment (fields a caller
 * may not set are refused with a 400 naming them, and nothing is written) and excessive data
 * exposure (no password hashes anywhere; no staff identities, IPs, user agents or internal notes
 * in what a customer sees).
 */
describe('OWASP API3: object property level authorization', () => {
  let world: World;
  let document: OpenApiDocument;

  beforeAll(async () => {
    world = await buildWorld();
    document = await openApiDocument(world.app);
  });

  afterAll(async () => {
    await world.app.close();
  });

  const send = (method: 'post' | 'patch' | 'put', path: string, user: TestUser, body: object) =>
    http(world.app)[method](`${API}${path}`).set(user.auth).send(body);
  const fieldsOf = (body: { errors?: Array<{ field: string; message: string }> }) =>
    (body.errors ?? []).filter((e) => e.message === 'is not an allowed field').map((e) => e.field);

  const SENSITIVE: Record<string, unknown> = {
    id: '00000000-0000-4000-8000-000000000000',
    status: 'delivered',
    customerId: '00000000-0000-4000-8000-000000000000',
    orderNumber: 'ORD-1999-000001',
    totalAmount: '0.01',
    amountPaid: '999.00',
    quantityReserved: 1000,
    quantityFulfilled: 1000,
    quantityOnHand: 1000,
    isInternal: false,
    isActive: true,
    role: 'admin',
    passwordHash: '$argon2id$v=19$m=65536,t=3,p=4$forged',
    performedById: '00000000-0000-4000-8000-000000000000',
    createdById: '00000000-0000-4000-8000-000000000000',
    createdAt: '2000-01-01T00:00:00Z',
    version: 99,
  };

  it('every operation with a JSON body refuses each sensitive field it does not declare, naming it', async () => {
    const problems: string[] = [];
    let checked = 0;
    for (const op of operationsOf(document)) {
      const schema = op.operation.requestBody?.content['application/json']?.schema;
      if (!schema) continue;
      const declared = Object.keys((resolve(document, schema).properties as object) ?? {});
      const roles = rolesOf(op.operation);
      const user =
        roles === 'public' || roles === 'any' || roles.includes(UserRole.ADMIN)
          ? world.admin
          : world.customerA;
      const url = fillPath(op.path, idsFor(world, op.path));
      for (const [field, value] of Object.entries(SENSITIVE)) {
        if (declared.includes(field)) continue;
        checked += 1;
        const res = await request(world.app, op.method, url)
          .set(user.auth)
          .send({ [field]: value });
        if (res.status !== 400 || !fieldsOf(res.body).includes(field)) {
          problems.push(
            `${op.key} with ${field} → ${res.status} ${JSON.stringify(res.body.errors ?? res.body)}`,
          );
        }
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(300);
  }, 180_000);

  it('POST /orders with status, totals or an order number of the caller’s choosing: 400, no order', async () => {
    const count = async () =>
      (
        await sql<{ n: string }>(world.app, 'select count(*)::text as n from orders where customer_id = ?', [
          world.customerB.user.id,
        ])
      )[0].n;
    const before = await count();
    const valid = {
      customerId: world.customerB.user.id,
      currency: 'EUR',
      items: [{ variantId: world.variantId, quantity: 1, unitPrice: '10.00' }],
      shippingAddress: { name: 'Bob', line1: '2 Road', city: 'Hamburg', postalCode: '20095', country: 'DE' },
    };
    for (const extra of [
      { status: 'delivered' },
      { totalAmount: '0.01' },
      { orderNumber: 'ORD-2026-000001' },
      { amountPaid: '10.00' },
      { items: [{ ...valid.items[0], quantityReserved: 1 }] },
      { items: [{ ...valid.items[0], lineTotal: '0.01' }] },
    ]) {
      const res = await send('post', '/orders', world.support, { ...valid, ...extra }).expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    }
    expect(await count()).toBe(before);
    await send('post', '/orders', world.support, valid).expect(201); // control
  });

  it('PATCH /orders/:id cannot move the order to another customer or change its status', async () => {
    for (const extra of [
      { customerId: world.customerB.user.id },
      { status: 'cancelled' },
      { totalAmount: '1.00' },
      { currency: 'USD' },
    ]) {
      const res = await send('patch', `/orders/${world.pendingA.id}`, world.admin, {
        shippingAddress: { name: 'Eve', line1: '3 Way', city: 'Munich', postalCode: '80331', country: 'DE' },
        ...extra,
      }).expect(400);
      expect(fieldsOf(res.body)).toEqual(Object.keys(extra));
    }
    const [row] = await sql<{ customer_id: string; status: string; name: string }>(
      world.app,
      "select customer_id, status, shipping_address->>'name' as name from orders where id = ?",
      [world.pendingA.id],
    );
    expect(row).toEqual({ customer_id: world.customerA.user.id, status: 'pending', name: 'Alice Customer' });
  });

  it('POST /reservations takes a quantity, never the counters themselves', async () => {
    const valid = {
      orderId: world.pendingA.id,
      orderItemId: world.pendingA.itemId,
      productVariantId: world.variantId,
      stockLocationId: world.locationId,
      quantity: 1,
    };
    for (const extra of [
      { quantityReserved: 500 },
      { quantityFulfilled: 1 },
      { isActive: false },
      { releasedAt: null },
    ]) {
      const res = await send('post', '/reservations', world.warehouse, { ...valid, ...extra }).expect(400);
      expect(fieldsOf(res.body)).toEqual(Object.keys(extra));
    }
    const [row] = await sql<{ n: string }>(
      world.app,
      'select count(*)::text as n from inventory_reservations where order_item_id = ?',
      [world.pendingA.itemId],
    );
    expect(row.n).toBe('0');
  });

  it('stock levels and fulfillments: counters and statuses only through their own routes', async () => {
    const level = `/stock-levels/${world.variantId}/${world.locationId}`;
    const res = await send('put', level, world.warehouse, {
      quantityOnHand: 1000,
      quantityReserved: 0,
    }).expect(400);
    expect(fieldsOf(res.body)).toEqual(['quantityReserved']);
    for (const extra of [
      { status: 'fulfilled' },
      { orderId: world.pendingA.id },
      { shippedAt: '2020-01-01T00:00:00Z' },
    ]) {
      const patched = await send('patch', `/fulfillments/${world.fulfillmentId}`, world.warehouse, {
        boxSize: 'L',
        ...extra,
      }).expect(400);
      expect(fieldsOf(patched.body)).toEqual(Object.keys(extra));
    }
    const [f] = await sql<{ status: string; box_size: string | null }>(
      world.app,
      'select status, box_size from order_fulfillments where id = ?',
      [world.fulfillmentId],
    );
    expect(f.status).toBe('shipped');
    expect(f.box_size).not.toBe('L');
  });

  it('isInternal: warehouse staff cannot publish a note, neither when writing nor when editing their own', async () => {
    await send('post', `/orders/${world.delivered.id}/notes`, world.warehouse, {
      note: 'published by the warehouse',
      isInternal: false,
    }).expect(403);
    await send('patch', `/notes/${world.warehouseNote.id}`, world.warehouse, { isInternal: false }).expect(
      403,
    );
    const [row] = await sql<{ is_internal: boolean }>(
      world.app,
      'select is_internal from order_notes where id = ?',
      [world.warehouseNote.id],
    );
    expect(row.is_internal).toBe(true);
    // notifyCustomer on an internal note is refused for everyone.
    await send('post', `/orders/${world.delivered.id}/notes`, world.admin, {
      note: 'x',
      isInternal: true,
      notifyCustomer: true,
    }).expect(400);
  });

  it('role: only an admin changes roles (PATCH /users/:id); nobody else, not even for themselves', async () => {
    for (const user of [world.support, world.warehouse, world.customerA]) {
      await send('patch', `/users/${user.user.id}`, user, { role: 'admin' }).expect(403);
      const [row] = await sql<{ role: string }>(world.app, 'select role from users where id = ?', [
        user.user.id,
      ]);
      expect(row.role).toBe(user.user.role);
    }
    // /auth/me is read-only.
    await http(world.app)
      .patch(`${API}/auth/me`)
      .set(world.customerA.auth)
      .send({ role: 'admin' })
      .expect(404);
    // JSON prototype tricks are refused before anything reads the body.
    const polluted = await http(world.app)
      .post(`${API}/orders/${world.pendingA.id}/notes`)
      .set(world.support.auth)
      .set('Content-Type', 'application/json')
      .send('{"note":"x","__proto__":{"isInternal":false,"role":"admin"}}');
    expect(polluted.status).toBe(400);
    expect(({} as Record<string, unknown>).role).toBeUndefined();
  });

  it('no answer carries a password or its hash', async () => {
    const login = await http(world.app)
      .post(`${API}/auth/login`)
      .send({ email: world.customerA.user.email, password: world.customerA.password })
      .expect(200);
    const answers = [
      login,
      await http(world.app).get(`${API}/auth/me`).set(world.customerA.auth).expect(200),
      await http(world.app).get(`${API}/users?pageSize=100`).set(world.admin.auth).expect(200),
      await http(world.app).get(`${API}/users/${world.customerA.user.id}`).set(world.admin.auth).expect(200),
      await send('patch', `/users/${world.customerB.user.id}`, world.admin, { fullName: 'Bob C.' }).expect(
        200,
      ),
      await http(world.app).get(`${API}/orders/${world.delivered.id}`).set(world.admin.auth).expect(200),
      await http(world.app)
        .get(`${API}/orders?q=${world.customerA.user.email}`)
        .set(world.admin.auth)
        .expect(200),
      await http(world.app)
        .get(`${API}/orders/${world.delivered.id}/history`)
        .set(world.admin.auth)
        .expect(200),
      await http(world.app)
        .get(`${API}/orders/${world.delivered.id}/notes`)
        .set(world.admin.auth)
        .expect(200),
    ];
    for (const res of answers) {
      const keys = [...keysDeep(res.body)];
      expect(keys.filter((k) => /password/i.test(k))).toEqual([]);
      expect(res.text).not.toContain('$argon2');
    }
  });

  it('a customer’s views carry no staff identities, IPs, user agents, internal flags or internal notes', async () => {
    const paths = [
      '/me/orders',
      `/me/orders/${world.delivered.id}`,
      `/me/orders/${world.delivered.id}/notes`,
      `/me/orders/${world.delivered.id}/timeline`,
      '/auth/me',
    ];
    const answers = [];
    for (const path of paths) {
      answers.push(await http(world.app).get(`${API}${path}`).set(world.customerA.auth).expect(200));
    }
    const FORBIDDEN_KEYS = [
      'ipAddress',
      'userAgent',
      'performedBy',
      'performedById',
      'createdBy',
      'createdById',
      'author',
      'isInternal',
      'notifyCustomer',
      'assignedToId',
      'assignedTo',
      'warehouseLocation',
      'pickingNotes',
      'packingNotes',
      'additionalData',
      'hash',
      'previousHash',
      'reservations',
      'stockLocationId',
      'passwordHash',
    ];
    const staff = [world.admin, world.support, world.support2, world.warehouse, world.warehouse2];
    const secrets = [
      world.internalNote.text,
      world.warehouseNote.text,
      ...staff.flatMap((s) => [s.user.id, s.user.email, s.user.fullName]),
      '127.0.0.1',
      'superagent',
    ];
    answers.forEach((res, i) => {
      const keys = [...keysDeep(res.body)];
      expect([paths[i], keys.filter((k) => FORBIDDEN_KEYS.includes(k))]).toEqual([paths[i], []]);
      expect([paths[i], secrets.filter((s) => res.text.includes(s))]).toEqual([paths[i], []]);
    });
    // Control: the public note and the shipment are there.
    expect(answers[2].text).toContain(world.publicNote.text);
    expect(answers[1].body.shipments).toHaveLength(1);
  });
});
