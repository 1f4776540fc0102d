import { randomUUID } from 'node:crypto';
import { http, sql } from '../utils/app';
import {
  API,
  buildWorld,
  fillPath,
  idsFor,
  openApiDocument,
  Operation,
  operationsOf,
  World,
} from './security-world';

/**
 * OWASP API1:2023 Broken Object Level Authorization. Customer B asks for customer A's objects on
 * every /me route (404, the same answer as for an id that does not exist, nothing written);
 * customers get 403 on every staff route with a path id, even for ids of their own objects; staff
 * may change only their own notes (admins any); a warehouse queue shows only its own work.
 * The role × operation table itself is test/authorization-matrix.e2e-spec.ts.
 */
describe('OWASP API1: object-level authorization', () => {
  let world: World;
  let operations: Operation[];

  beforeAll(async () => {
    world = await buildWorld();
    operations = operationsOf(await openApiDocument(world.app));
  });

  afterAll(async () => {
    await world.app.close();
  });

  const call = (operation: Operation, url: string, auth: { Authorization: string }, body: object = {}) => {
    const req = http(world.app)[operation.method](url).set(auth);
    return operation.method === 'get' || operation.method === 'delete' ? req : req.send(body);
  };
  const withoutRequestSpecifics = (body: Record<string, unknown>) => {
    const { instance: _instance, requestId: _requestId, detail: _detail, ...rest } = body;
    return rest;
  };

  it('every /me/orders/{id} route answers customer B with 404 for A’s order, exactly as for an unknown id', async () => {
    const meRoutes = operations.filter((o) => o.path.startsWith(`${API}/me/orders/{id}`));
    expect(meRoutes.map((o) => o.key).sort()).toEqual([
      'GET /me/orders/{}',
      'GET /me/orders/{}/notes',
      'GET /me/orders/{}/timeline',
      'POST /me/orders/{}/return-request',
    ]);
    const returnBody = {
      reason: 'Not mine, but let us try',
      items: [{ orderItemId: world.delivered.itemId, quantity: 1 }],
    };
    const problems: string[] = [];
    for (const operation of meRoutes) {
      const others = await call(
        operation,
        fillPath(operation.path, { id: world.delivered.id }),
        world.customerB.auth,
        returnBody,
      );
      const unknown = await call(
        operation,
        fillPath(operation.path, { id: randomUUID() }),
        world.customerB.auth,
        returnBody,
      );
      if (others.status !== 404) problems.push(`${operation.key}: B on A's order → ${others.status}`);
      if (others.headers['content-type'] !== 'application/problem+json; charset=utf-8')
        problems.push(`${operation.key}: ${others.headers['content-type']}`);
      expect(withoutRequestSpecifics(others.body)).toEqual(withoutRequestSpecifics(unknown.body));
      for (const secret of [
        world.delivered.orderNumber,
        world.publicNote.text,
        'Alice',
        world.delivered.itemId,
      ]) {
        if (others.text.includes(secret)) problems.push(`${operation.key}: B's answer contains ${secret}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('A reads the same routes for her own order (control)', async () => {
    const a = world.customerA.auth;
    await http(world.app).get(`${API}/me/orders/${world.delivered.id}`).set(a).expect(200);
    await http(world.app).get(`${API}/me/orders/${world.delivered.id}/notes`).set(a).expect(200);
    await http(world.app).get(`${API}/me/orders/${world.delivered.id}/timeline`).set(a).expect(200);
  });

  it('B’s return request on A’s delivered order writes nothing', async () => {
    const trail = () =>
      sql<{ n: string }>(world.app, 'select count(*)::text as n from order_history where order_id = ?', [
        world.delivered.id,
      ]);
    const before = await trail();
    await http(world.app)
      .post(`${API}/me/orders/${world.delivered.id}/return-request`)
      .set(world.customerB.auth)
      .send({ reason: 'Mine now', items: [{ orderItemId: world.delivered.itemId, quantity: 2 }] })
      .expect(404);
    const [order] = await sql<{ status: string }>(world.app, 'select status from orders where id = ?', [
      world.delivered.id,
    ]);
    expect(order.status).toBe('delivered');
    expect(await trail()).toEqual(before);
  });

  it('/me/orders lists only the caller’s orders, and cannot be widened by a customerId filter', async () => {
    const listOf = async (auth: { Authorization: string }) =>
      (await http(world.app).get(`${API}/me/orders?pageSize=100`).set(auth).expect(200)).body;
    const a = await listOf(world.customerA.auth);
    const b = await listOf(world.customerB.auth);
    expect(a.data.map((o: { id: string }) => o.id).sort()).toEqual(
      [world.delivered.id, world.pendingA.id].sort(),
    );
    expect(b.data.map((o: { id: string }) => o.id)).toEqual([world.orderB.id]);
    expect(a.meta.total).toBe(2);

    for (const query of [`customerId=${world.customerA.user.id}`, 'q=ORD', 'status=delivered', 'all=true']) {
      const res = await http(world.app)
        .get(`${API}/me/orders?${query}`)
        .set(world.customerB.auth)
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    }
  });

  it('every staff route with a path id answers a customer 403, even for ids of the customer’s own objects', async () => {
    const staffRoutes = operations.filter((o) => o.path.includes('{') && !o.path.startsWith(`${API}/me/`));
    expect(staffRoutes.length).toBeGreaterThan(30);
    const leaks: string[] = [];
    for (const operation of staffRoutes) {
      const url = fillPath(operation.path, idsFor(world, operation.path));
      const res = await call(operation, url, world.customerA.auth);
      if (res.status !== 403) leaks.push(`${operation.key} → ${res.status}`);
      if (res.text.includes(world.delivered.orderNumber))
        leaks.push(`${operation.key} leaks the order number`);
    }
    expect(leaks).toEqual([]);
  });

  it('notes: only the author or an admin may change or delete one (other staff: 403, nothing changes)', async () => {
    const notes = [
      { note: world.internalNote, author: world.support, stranger: world.support2 },
      { note: world.warehouseNote, author: world.warehouse, stranger: world.warehouse2 },
      { note: world.internalNote, author: world.support, stranger: world.warehouse },
    ];
    for (const { note, stranger } of notes) {
      const patched = await http(world.app)
        .patch(`${API}/notes/${note.id}`)
        .set(stranger.auth)
        .send({ note: 'overwritten by someone else', isInternal: false });
      expect([note.id, patched.status]).toEqual([note.id, 403]);
      const deleted = await http(world.app).delete(`${API}/notes/${note.id}`).set(stranger.auth);
      expect([note.id, deleted.status]).toEqual([note.id, 403]);
      const [row] = await sql<{ note: string; is_internal: boolean }>(
        world.app,
        'select note, is_internal from order_notes where id = ?',
        [note.id],
      );
      expect(row).toEqual({ note: note.text, is_internal: true });
    }

    // Controls: the author, then an admin, may change a note.
    const own = await http(world.app)
      .post(`${API}/orders/${world.pendingA.id}/notes`)
      .set(world.support.auth)
      .send({ note: 'mine' })
      .expect(201);
    await http(world.app)
      .patch(`${API}/notes/${own.body.id}`)
      .set(world.support.auth)
      .send({ note: 'still mine' })
      .expect(200);
    await http(world.app)
      .patch(`${API}/notes/${own.body.id}`)
      .set(world.admin.auth)
      .send({ note: 'admin edit' })
      .expect(200);
    await http(world.app).delete(`${API}/notes/${own.body.id}`).set(world.admin.auth).expect(204);
  });

  it('a warehouse queue (/me/fulfillments) shows only the caller’s own assignments', async () => {
    const queue = async (auth: { Authorization: string }) =>
      (await http(world.app).get(`${API}/me/fulfillments?pageSize=100`).set(auth).expect(200)).body.data.map(
        (f: { id: string }) => f.id,
      );
    expect(await queue(world.warehouse.auth)).toContain(world.fulfillmentId);
    expect(await queue(world.warehouse2.auth)).not.toContain(world.fulfillmentId);
    await http(world.app)
      .get(`${API}/me/fulfillments?assignedToId=${world.warehouse.user.id}`)
      .set(world.warehouse2.auth)
      .expect(400);
  });
});
