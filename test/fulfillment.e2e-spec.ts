import { randomUUID } from 'node:crypto';
import { createTestApp, createUsersOfEveryRole, createUser, http, sql, TestApp, TestUser } from './utils/app';
import { createLocation, createOrder, createVariantWithStock, uniqueCode } from './utils/factories';
import { UserRole } from '../src/identity/user-role.enum';
import { OrderStatus } from '../src/orders/order-status.enum';
import { FulfillmentStatus } from '../src/fulfillment/fulfillment-status.enum';

const API = '/api/v1';
/** The stock locations parcels ship from (created in beforeAll; codes unique to this run). */
const WH_A = uniqueCode('WH-A');
const WH_B = uniqueCode('WH-B');
const WH_Q = uniqueCode('WH-Q');

describe('fulfillment: create, assign, package details, lists, queue, statistics', () => {
  let app: TestApp;
  let admin: TestUser;
  let support: TestUser;
  let warehouse: TestUser;
  let customer: TestUser;

  beforeAll(async () => {
    app = await createTestApp();
    ({ admin, support, warehouse, customer } = await createUsersOfEveryRole(app));
    for (const code of [WH_A, WH_B, WH_Q]) await createLocation(app, code);
  });
  afterAll(async () => {
    await app.close();
  });

  /** An order with two items (3 and 2 units), in `status`. */
  async function order(status = OrderStatus.CONFIRMED) {
    const [{ variant: a }, { variant: b }] = await Promise.all([
      createVariantWithStock(app, 50),
      createVariantWithStock(app, 50),
    ]);
    const { order, items } = await createOrder(
      app,
      customer.user,
      [
        { variant: a, quantity: 3 },
        { variant: b, quantity: 2 },
      ],
      status,
    );
    return { order, first: items[0], second: items[1] };
  }

  function create(orderId: string, body: object, who: TestUser = warehouse) {
    return http(app).post(`${API}/orders/${orderId}/fulfillments`).set(who.auth).send(body);
  }

  function history(orderId: string) {
    return sql<{
      action: string;
      old_status: string | null;
      new_status: string | null;
      additional_data: Record<string, unknown> | null;
    }>(
      app,
      'select action, old_status, new_status, additional_data from order_history where order_id = ? order by sequence',
      [orderId],
    );
  }

  describe('POST /orders/:orderId/fulfillments', () => {
    it('creates a pending fulfillment with a sequence number and a history entry', async () => {
      const { order: o, first, second } = await order();
      const before = (await history(o.id)).length;
      const res = await create(o.id, { warehouseLocation: WH_A, items: { [first.id]: 2, [second.id]: 2 } });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        orderId: o.id,
        status: 'pending',
        allowedTransitions: ['picking', 'cancelled'],
        warehouseLocation: WH_A,
        items: { [first.id]: 2, [second.id]: 2 },
        assignedToId: null,
        assignedAt: null,
        pickingStartedAt: null,
        version: 1,
      });
      expect(res.body.fulfillmentNumber).toMatch(new RegExp(`^FUL-${new Date().getUTCFullYear()}-\\d{6}$`));
      const entries = (await history(o.id)).slice(before);
      expect(entries.map((e) => e.action)).toEqual(['status_changed']);
      expect(entries[0].additional_data).toMatchObject({
        fulfillmentId: res.body.id,
        fulfillmentNumber: res.body.fulfillmentNumber,
        from: null,
        to: 'pending',
      });
    });

    it('assigns at creation to a warehouse user, stamping assigned_at and recording `assigned`', async () => {
      const { order: o, first } = await order(OrderStatus.PROCESSING);
      const before = (await history(o.id)).length;
      const res = await create(
        o.id,
        { warehouseLocation: WH_A, items: { [first.id]: 1 }, assignedToId: warehouse.user.id },
        admin,
      );
      expect(res.status).toBe(201);
      expect(res.body.assignedToId).toBe(warehouse.user.id);
      expect(res.body.assignedAt).toEqual(expect.any(String));
      expect((await history(o.id)).slice(before).map((e) => e.action)).toEqual([
        'status_changed',
        'assigned',
      ]);
    });

    it('gives unique numbers to parallel creations', async () => {
      const { order: o, first } = await order();
      const responses = await Promise.all(
        [1, 1, 1].map((q) => create(o.id, { warehouseLocation: WH_A, items: { [first.id]: q } })),
      );
      expect(responses.map((r) => r.status)).toEqual([201, 201, 201]);
      expect(new Set(responses.map((r) => r.body.fulfillmentNumber)).size).toBe(3);
    });

    it('refuses more than is still unfulfilled, naming the item and the remaining quantity', async () => {
      const { order: o, first, second } = await order();
      expect((await create(o.id, { warehouseLocation: WH_A, items: { [first.id]: 2 } })).status).toBe(201);
      const res = await create(o.id, { warehouseLocation: WH_A, items: { [first.id]: 2, [second.id]: 1 } });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('CONFLICT');
      expect(res.body.detail).toContain(first.id);
      expect(res.body.detail).toContain('has 1 left to fulfil, 2 requested');
      expect(res.body.shortfalls).toEqual([
        { orderItemId: first.id, sku: first.sku, ordered: 3, remaining: 1, requested: 2 },
      ]);
      expect((await create(o.id, { warehouseLocation: WH_A, items: { [first.id]: 1 } })).status).toBe(201);
    });

    it('makes a cancelled fulfillment’s items available again', async () => {
      const { order: o, first } = await order();
      const made = await create(o.id, { warehouseLocation: WH_A, items: { [first.id]: 3 } });
      expect((await create(o.id, { warehouseLocation: WH_A, items: { [first.id]: 1 } })).status).toBe(409);
      const cancelled = await http(app)
        .post(`${API}/fulfillments/${made.body.id}/status`)
        .set(warehouse.auth)
        .send({ status: 'cancelled', notes: 'wrong warehouse' });
      expect(cancelled.status).toBe(200);
      expect(cancelled.body.cancelledAt).toEqual(expect.any(String));
      expect((await create(o.id, { warehouseLocation: WH_B, items: { [first.id]: 3 } })).status).toBe(201);
    });

    it('lets only one of two parallel creations for the full remaining quantity through', async () => {
      const { order: o, first, second } = await order();
      const body = { warehouseLocation: WH_A, items: { [first.id]: 3, [second.id]: 2 } };
      const responses = await Promise.all([create(o.id, body), create(o.id, body)]);
      expect(responses.map((r) => r.status).sort()).toEqual([201, 409]);
      const [row] = await sql<{ count: string }>(
        app,
        'select count(*) as count from order_fulfillments where order_id = ?',
        [o.id],
      );
      expect(Number(row.count)).toBe(1);
    });

    it.each([OrderStatus.PENDING, OrderStatus.CANCELLED, OrderStatus.SHIPPED, OrderStatus.DELIVERED])(
      'refuses a %s order with 409',
      async (status) => {
        const { order: o, first } = await order(status);
        const res = await create(o.id, { warehouseLocation: WH_A, items: { [first.id]: 1 } });
        expect(res.status).toBe(409);
        expect(res.body.code).toBe('CONFLICT');
        expect(res.body.detail).toContain(
          `is ${status}; only confirmed or processing orders can be fulfilled`,
        );
      },
    );

    it('refuses items of another order with a 400 naming them', async () => {
      const { order: o, first } = await order();
      const { second: foreign } = await order();
      const res = await create(o.id, {
        warehouseLocation: WH_A,
        items: { [first.id]: 1, [foreign.id]: 1 },
      });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([
        { field: `items.${foreign.id}`, message: expect.stringContaining('is not an item') },
      ]);
      const rows = await sql(app, 'select 1 from order_fulfillments where order_id = ?', [o.id]);
      expect(rows).toHaveLength(0);
    });

    it.each([
      ['an empty map', {}],
      ['an array', []],
      ['a non-UUID key', { 'not-a-uuid': 1 }],
      ['a zero quantity', { [randomUUID()]: 0 }],
      ['a negative quantity', { [randomUUID()]: -1 }],
      ['a fractional quantity', { [randomUUID()]: 1.5 }],
      ['a string quantity', { [randomUUID()]: '1' }],
    ])('refuses items as %s with 400 on `items`', async (_, items) => {
      const { order: o } = await order();
      const res = await create(o.id, { warehouseLocation: WH_A, items });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['items']);
    });

    it('refuses a missing location, unknown fields and a non-assignable assignee', async () => {
      const { order: o, first } = await order();
      const missing = await create(o.id, { items: { [first.id]: 1 } });
      expect(missing.status).toBe(400);
      expect(missing.body.errors.map((e: { field: string }) => e.field)).toContain('warehouseLocation');
      const extra = await create(o.id, {
        warehouseLocation: WH_A,
        items: { [first.id]: 1 },
        status: 'shipped',
      });
      expect(extra.status).toBe(400);
      for (const assignee of [customer, support]) {
        const res = await create(o.id, {
          warehouseLocation: WH_A,
          items: { [first.id]: 1 },
          assignedToId: assignee.user.id,
        });
        expect(res.status).toBe(400);
        expect(res.body.errors).toEqual([
          { field: 'assignedToId', message: 'must be an active warehouse or admin user' },
        ]);
      }
      expect(await sql(app, 'select 1 from order_fulfillments where order_id = ?', [o.id])).toHaveLength(0);
    });

    it('refuses a warehouseLocation that is not the code of an active stock location (400, nothing written)', async () => {
      const { order: o, first } = await order();
      const closed = await createLocation(app, uniqueCode('WH-CLOSED'));
      await http(app)
        .patch(`${API}/stock-locations/${closed.id}`)
        .set(admin.auth)
        .send({ isActive: false })
        .expect(200);
      const cases: [string, string][] = [
        [uniqueCode('NOWHERE'), 'must be the code of a stock location'],
        [WH_A.toLowerCase(), 'must be the code of a stock location'],
        [closed.code, `stock location ${closed.code} is inactive`],
      ];
      for (const [code, message] of cases) {
        const res = await create(o.id, { warehouseLocation: code, items: { [first.id]: 1 } });
        expect(res.status).toBe(400);
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(res.body).toMatchObject({
          code: 'VALIDATION_FAILED',
          errors: [{ field: 'warehouseLocation', message }],
        });
      }
      expect(await sql(app, 'select 1 from order_fulfillments where order_id = ?', [o.id])).toHaveLength(0);
      // Surrounding blanks are not part of a code: the stored location is the location's own code.
      const ok = await create(o.id, { warehouseLocation: ` ${WH_A} `, items: { [first.id]: 1 } });
      expect(ok.status).toBe(201);
      expect(ok.body.warehouseLocation).toBe(WH_A);
    });

    it('answers 404 for an unknown order, 400 for a bad id, 403 for support and customers', async () => {
      const body = { warehouseLocation: WH_A, items: { [randomUUID()]: 1 } };
      expect((await create(randomUUID(), body)).status).toBe(404);
      expect((await create('nope', body)).status).toBe(400);
      const { order: o, first } = await order();
      const ok = { warehouseLocation: WH_A, items: { [first.id]: 1 } };
      expect((await create(o.id, ok, support)).status).toBe(403);
      expect((await create(o.id, ok, customer)).status).toBe(403);
      expect((await http(app).post(`${API}/orders/${o.id}/fulfillments`).send(ok)).status).toBe(401);
    });

    it('honours Idempotency-Key: a repeat returns the first response and creates nothing new', async () => {
      const { order: o, first } = await order();
      const key = randomUUID();
      const body = { warehouseLocation: WH_A, items: { [first.id]: 1 } };
      const one = await create(o.id, body).set('Idempotency-Key', key);
      const two = await create(o.id, body).set('Idempotency-Key', key);
      expect(one.status).toBe(201);
      expect(two.status).toBe(201);
      expect(two.body.id).toBe(one.body.id);
      expect(await sql(app, 'select 1 from order_fulfillments where order_id = ?', [o.id])).toHaveLength(1);
    });
  });

  describe('assign', () => {
    it('assigns to an active warehouse or admin user, with history `assigned`', async () => {
      const { order: o, first } = await order();
      const made = await create(o.id, { warehouseLocation: WH_A, items: { [first.id]: 1 } });
      const res = await http(app)
        .post(`${API}/fulfillments/${made.body.id}/assign`)
        .set(warehouse.auth)
        .send({ assignedToId: admin.user.id });
      expect(res.status).toBe(200);
      expect(res.body.assignedToId).toBe(admin.user.id);
      expect(res.body.assignedAt).toEqual(expect.any(String));
      const entries = await history(o.id);
      expect(entries.at(-1)).toMatchObject({
        action: 'assigned',
        additional_data: {
          fulfillmentId: made.body.id,
          assignedToId: admin.user.id,
          previousAssignedToId: null,
        },
      });
    });

    it('refuses inactive users, other roles, unknown users and closed fulfillments', async () => {
      const { order: o, first } = await order();
      const made = await create(o.id, { warehouseLocation: WH_A, items: { [first.id]: 1 } });
      const inactive = await createUser(app, UserRole.WAREHOUSE);
      await http(app)
        .patch(`${API}/users/${inactive.user.id}`)
        .set(admin.auth)
        .send({ isActive: false })
        .expect(200);
      const assign = (id: string, assignedToId: string) =>
        http(app).post(`${API}/fulfillments/${id}/assign`).set(warehouse.auth).send({ assignedToId });
      for (const userId of [inactive.user.id, support.user.id, customer.user.id, randomUUID()]) {
        const res = await assign(made.body.id, userId);
        expect(res.status).toBe(400);
        expect(res.body.errors).toEqual([
          { field: 'assignedToId', message: 'must be an active warehouse or admin user' },
        ]);
      }
      expect((await assign(made.body.id, 'x')).status).toBe(400);
      expect((await assign(randomUUID(), warehouse.user.id)).status).toBe(404);
      await http(app)
        .post(`${API}/fulfillments/${made.body.id}/status`)
        .set(warehouse.auth)
        .send({ status: 'cancelled' });
      const closed = await assign(made.body.id, warehouse.user.id);
      expect(closed.status).toBe(409);
      expect(closed.body.code).toBe('CONFLICT');
      expect((await history(o.id)).filter((e) => e.action === 'assigned')).toHaveLength(0);
    });
  });

  describe('PATCH /fulfillments/:id', () => {
    it('sets package details, normalises the weight and clears with null', async () => {
      const { order: o, first } = await order();
      const made = await create(o.id, { warehouseLocation: WH_A, items: { [first.id]: 1 } });
      const patch = (body: object, who = warehouse) =>
        http(app).patch(`${API}/fulfillments/${made.body.id}`).set(who.auth).send(body);
      const res = await patch({
        boxSize: 'M',
        weight: 1.25,
        packingMaterials: ['bubble wrap', 'tape'],
        pickingNotes: 'top shelf',
        packingNotes: 'fragile',
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        boxSize: 'M',
        weight: '1.250',
        packingMaterials: ['bubble wrap', 'tape'],
        pickingNotes: 'top shelf',
        packingNotes: 'fragile',
      });
      const cleared = await patch({ weight: '0.5', boxSize: null }, admin);
      expect(cleared.status).toBe(200);
      expect(cleared.body).toMatchObject({ weight: '0.500', boxSize: null, pickingNotes: 'top shelf' });
      const read = await http(app).get(`${API}/fulfillments/${made.body.id}`).set(support.auth);
      expect(read.body).toMatchObject({
        weight: '0.500',
        boxSize: null,
        packingMaterials: ['bubble wrap', 'tape'],
      });
    });

    it.each([
      ['a negative weight', { weight: -1 }],
      ['a weight with 4 decimals', { weight: '1.2345' }],
      ['a weight as text', { weight: 'heavy' }],
      ['materials not strings', { packingMaterials: [1] }],
      ['materials not an array', { packingMaterials: 'tape' }],
      ['a long box size', { boxSize: 'x'.repeat(33) }],
      ['an unknown field', { status: 'shipped' }],
    ])('refuses %s with 400', async (_, body) => {
      const { order: o, first } = await order();
      const made = await create(o.id, { warehouseLocation: WH_A, items: { [first.id]: 1 } });
      const res = await http(app).patch(`${API}/fulfillments/${made.body.id}`).set(warehouse.auth).send(body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    });

    it('is forbidden to support and refused after the fulfillment is closed', async () => {
      const { order: o, first } = await order();
      const made = await create(o.id, { warehouseLocation: WH_A, items: { [first.id]: 1 } });
      const url = `${API}/fulfillments/${made.body.id}`;
      expect((await http(app).patch(url).set(support.auth).send({ boxSize: 'S' })).status).toBe(403);
      await http(app).post(`${url}/status`).set(warehouse.auth).send({ status: 'cancelled' });
      const res = await http(app).patch(url).set(warehouse.auth).send({ boxSize: 'S' });
      expect(res.status).toBe(409);
    });
  });

  describe('reads', () => {
    it('lists an order’s fulfillments, filters the global list, and reads one', async () => {
      const { code: location } = await createLocation(app, uniqueCode('WH-LIST'));
      const { order: o, first, second } = await order();
      const a = await create(o.id, { warehouseLocation: location, items: { [first.id]: 1 } });
      const b = await create(o.id, {
        warehouseLocation: location,
        items: { [second.id]: 1 },
        assignedToId: warehouse.user.id,
      });
      await http(app)
        .post(`${API}/fulfillments/${a.body.id}/status`)
        .set(warehouse.auth)
        .send({ status: 'picking' });

      const byOrder = await http(app).get(`${API}/orders/${o.id}/fulfillments`).set(support.auth);
      expect(byOrder.status).toBe(200);
      expect(byOrder.body.data.map((f: { id: string }) => f.id)).toEqual([a.body.id, b.body.id]);
      expect(byOrder.body.meta).toEqual({ page: 1, pageSize: 20, total: 2, totalPages: 1 });

      const list = (query: Record<string, string>) =>
        http(app).get(`${API}/fulfillments`).query(query).set(warehouse.auth);
      const picking = await list({ warehouseLocation: location, status: 'picking' });
      expect(picking.body.data.map((f: { id: string }) => f.id)).toEqual([a.body.id]);
      const mine = await list({ warehouseLocation: location, assignedToId: warehouse.user.id });
      expect(mine.body.data.map((f: { id: string }) => f.id)).toEqual([b.body.id]);
      const sorted = await list({ orderId: o.id, sort: 'createdAt' });
      expect(sorted.body.data.map((f: { id: string }) => f.id)).toEqual([a.body.id, b.body.id]);
      const future = await list({ orderId: o.id, from: new Date(Date.now() + 3600_000).toISOString() });
      expect(future.body.meta.total).toBe(0);
      const past = await list({ orderId: o.id, to: new Date(Date.now() - 3600_000).toISOString() });
      expect(past.body.meta.total).toBe(0);
      expect((await list({ sort: 'items' })).status).toBe(400);
      expect((await list({ status: 'lost' })).status).toBe(400);
      expect((await list({ pageSize: '101' })).status).toBe(400);

      const one = await http(app).get(`${API}/fulfillments/${a.body.id}`).set(support.auth);
      expect(one.status).toBe(200);
      expect(one.body).toMatchObject({
        id: a.body.id,
        status: 'picking',
        pickingStartedAt: expect.any(String),
      });
      expect((await http(app).get(`${API}/fulfillments/${randomUUID()}`).set(support.auth)).status).toBe(404);
      expect((await http(app).get(`${API}/fulfillments/${a.body.id}`).set(customer.auth)).status).toBe(403);
      expect(
        (await http(app).get(`${API}/orders/${randomUUID()}/fulfillments`).set(support.auth)).status,
      ).toBe(404);
    });
  });

  describe('GET /me/fulfillments', () => {
    it('lists my fulfillments, open work first (oldest first), then the rest (newest first)', async () => {
      const me = await createUser(app, UserRole.WAREHOUSE);
      const { order: o, first, second } = await order();
      const make = async (items: Record<string, number>) =>
        (await create(o.id, { warehouseLocation: WH_Q, items, assignedToId: me.user.id })).body.id as string;
      const closedOld = await make({ [first.id]: 1 });
      const openOld = await make({ [first.id]: 1 });
      const closedNew = await make({ [first.id]: 1 });
      const openNew = await make({ [second.id]: 1 });
      await create(o.id, {
        warehouseLocation: WH_Q,
        items: { [second.id]: 1 },
        assignedToId: warehouse.user.id,
      });
      for (const id of [closedOld, closedNew]) {
        await http(app).post(`${API}/fulfillments/${id}/status`).set(me.auth).send({ status: 'cancelled' });
      }
      await http(app).post(`${API}/fulfillments/${openNew}/status`).set(me.auth).send({ status: 'picking' });

      const res = await http(app).get(`${API}/me/fulfillments`).set(me.auth);
      expect(res.status).toBe(200);
      expect(res.body.data.map((f: { id: string }) => f.id)).toEqual([
        openOld,
        openNew,
        closedNew,
        closedOld,
      ]);
      expect(res.body.meta.total).toBe(4);
      const page2 = await http(app)
        .get(`${API}/me/fulfillments`)
        .query({ page: 2, pageSize: 3 })
        .set(me.auth);
      expect(page2.body.data.map((f: { id: string }) => f.id)).toEqual([closedOld]);
      const picking = await http(app).get(`${API}/me/fulfillments`).query({ status: 'picking' }).set(me.auth);
      expect(picking.body.data.map((f: { id: string }) => f.id)).toEqual([openNew]);
      expect((await http(app).get(`${API}/me/fulfillments`).set(support.auth)).status).toBe(403);
      expect((await http(app).get(`${API}/me/fulfillments`).set(customer.auth)).status).toBe(403);
    });
  });

  describe('GET /fulfillments/statistics', () => {
    it('counts every status and averages the stage durations of known data', async () => {
      const stats0 = await createLocation(app, uniqueCode('WH-STATS'));
      const location = stats0.code;
      const [{ variant: a }, { variant: b }] = await Promise.all([
        createVariantWithStock(app, 50, stats0),
        createVariantWithStock(app, 50, stats0),
      ]);
      // Confirming reserves both items at the statistics location, where the parcels ship from.
      const {
        order: o,
        items: [first, second],
      } = await createOrder(
        app,
        customer.user,
        [
          { variant: a, quantity: 3 },
          { variant: b, quantity: 2 },
        ],
        OrderStatus.CONFIRMED,
      );
      const ids: string[] = [];
      for (const items of [{ [first.id]: 1 }, { [first.id]: 1 }, { [second.id]: 1 }]) {
        ids.push((await create(o.id, { warehouseLocation: location, items })).body.id);
      }
      const walk = async (id: string, statuses: string[]) => {
        for (const status of statuses) {
          await http(app)
            .post(`${API}/fulfillments/${id}/status`)
            .set(warehouse.auth)
            .send({ status })
            .expect(200);
        }
      };
      await walk(ids[0], ['picking', 'packing', 'ready_to_ship', 'shipped']);
      await walk(ids[1], ['picking', 'packing']);
      // Known stage durations: picking 60 s and 120 s, packing 30 s, ready → shipped 600 s. The moves
      // stamp the wall clock, so only the stamps are rewritten by SQL (the statuses are the moves').
      const t0 = new Date('2026-01-05T10:00:00Z');
      const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
      await sql(
        app,
        `update order_fulfillments set picking_started_at = ?, picking_completed_at = ?,
                packing_started_at = ?, packing_completed_at = ?, shipped_at = ? where id = ?`,
        [at(0), at(60), at(60), at(90), at(690), ids[0]],
      );
      await sql(
        app,
        `update order_fulfillments set picking_started_at = ?, picking_completed_at = ?,
                packing_started_at = ? where id = ?`,
        [at(0), at(120), at(120), ids[1]],
      );

      const stats = await http(app)
        .get(`${API}/fulfillments/statistics`)
        .query({ warehouseLocation: location })
        .set(support.auth);
      expect(stats.status).toBe(200);
      expect(stats.body).toEqual({
        byStatus: {
          pending: 1,
          picking: 0,
          packing: 1,
          ready_to_ship: 0,
          shipped: 1,
          partially_fulfilled: 0,
          fulfilled: 0,
          cancelled: 0,
        },
        averages: { pickingSeconds: 90, packingSeconds: 30, toShipSeconds: 600 },
      });

      const empty = await http(app)
        .get(`${API}/fulfillments/statistics`)
        .query({ warehouseLocation: location, from: new Date(Date.now() + 3600_000).toISOString() })
        .set(warehouse.auth);
      expect(empty.body).toEqual({
        byStatus: {
          pending: 0,
          picking: 0,
          packing: 0,
          ready_to_ship: 0,
          shipped: 0,
          partially_fulfilled: 0,
          fulfilled: 0,
          cancelled: 0,
        },
        averages: { pickingSeconds: null, packingSeconds: null, toShipSeconds: null },
      });
      const window = await http(app)
        .get(`${API}/fulfillments/statistics`)
        .query({
          warehouseLocation: location,
          from: new Date(Date.now() - 3600_000).toISOString(),
          to: new Date(Date.now() + 3600_000).toISOString(),
        })
        .set(admin.auth);
      expect(window.body.byStatus.pending).toBe(1);
      expect(
        (await http(app).get(`${API}/fulfillments/statistics`).query({ from: 'yesterday' }).set(admin.auth))
          .status,
      ).toBe(400);
      expect((await http(app).get(`${API}/fulfillments/statistics`).set(customer.auth)).status).toBe(403);
    });
  });

  it('keeps FulfillmentStatus values in the order the statistics answer them', () => {
    expect(Object.values(FulfillmentStatus)).toHaveLength(8);
  });
});
