import { randomUUID } from 'node:crypto';
import { createTestApp, createUser, http, TestApp, TestUser } from './utils/app';
import { createOneItemOrder, staffOf } from './utils/factories';
import { UnitOfWork } from '../src/common/unit-of-work';
import { RequestContext } from '../src/common/request-context';
import { UserRole } from '../src/identity/user-role.enum';
import { Order } from '../src/orders/order.entity';
import { OrderHistoryService } from '../src/history/order-history.service';
import { HistoryQueryService } from '../src/history/history-query.service';
import { OrderHistoryAction as A } from '../src/history/order-history-action.enum';

interface Entry {
  id: string;
  orderId: string;
  sequence: number;
  action: string;
  oldStatus: string | null;
  newStatus: string | null;
  description: string;
  performedBy: { id: string; fullName: string; role: string } | null;
  additionalData: Record<string, unknown> | null;
  ipAddress: string | null;
  userAgent: string | null;
  createdAt: string;
  hash: string;
  previousHash: string | null;
}

interface Spec {
  action: A;
  oldStatus?: string;
  newStatus?: string;
  additionalData?: Record<string, unknown>;
}

describe('history read API', () => {
  let app: TestApp;
  let admin: TestUser;
  let support: TestUser;
  let warehouse: TestUser;
  let customer: TestUser;

  beforeAll(async () => {
    app = await createTestApp();
    [admin, support, warehouse, customer] = await Promise.all([
      createUser(app, UserRole.ADMIN, { fullName: 'Ada Admin' }),
      createUser(app, UserRole.SUPPORT, { fullName: 'Sam Support' }),
      createUser(app, UserRole.WAREHOUSE, { fullName: 'Wes Warehouse' }),
      createUser(app, UserRole.CUSTOMER),
    ]);
  });

  afterAll(async () => {
    await app.close();
  });

  const newOrder = () => createOneItemOrder(app, customer.user);

  /** Records the entries in one unit of work, as `actor` (the system when none). */
  async function record(order: Order, specs: Spec[], actor?: TestUser): Promise<void> {
    await app.get(UnitOfWork).run('test-history', async () => {
      if (actor) RequestContext.setActor(actor.user.id, actor.user.role);
      for (const spec of specs) {
        await app.get(OrderHistoryService).record({
          order: order.id,
          ...spec,
          description: `${spec.action} by a test`,
        });
      }
    });
  }

  async function listAll(orderId: string, query = ''): Promise<Entry[]> {
    const res = await http(app).get(`/api/v1/orders/${orderId}/history?pageSize=100${query}`).set(admin.auth);
    expect(res.status).toBe(200);
    return res.body.data as Entry[];
  }

  it('round-trips every one of the 18 actions through record() and the read API', async () => {
    const order = await newOrder();
    const specs: Spec[] = Object.values(A)
      .filter((action) => action !== A.CREATED)
      .map((action, index) => ({
        action,
        oldStatus: `old-${index}`,
        newStatus: `new-${index}`,
        additionalData: { index, nested: { list: [1, 'two', null], flag: true }, action },
      }));
    await record(order, specs, support);

    const entries = await listAll(order.id);
    expect(entries.map((e) => e.action).sort()).toEqual(Object.values(A).sort());
    expect(entries.map((e) => e.sequence)).toEqual(Array.from({ length: 18 }, (_, i) => i + 1));
    const placedBy = (await staffOf(app)).user;
    expect(entries[0]).toMatchObject({
      action: 'created',
      previousHash: null,
      performedBy: { id: placedBy.id, fullName: placedBy.fullName, role: 'admin' },
    });
    specs.forEach((spec, index) => {
      const entry = entries[index + 1];
      expect(entry).toEqual({
        id: expect.any(String),
        orderId: order.id,
        sequence: index + 2,
        action: spec.action,
        oldStatus: spec.oldStatus,
        newStatus: spec.newStatus,
        description: `${spec.action} by a test`,
        performedBy: { id: support.user.id, fullName: 'Sam Support', role: 'support' },
        additionalData: spec.additionalData,
        ipAddress: null,
        userAgent: null,
        createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
        previousHash: entries[index].hash,
      });
    });

    for (const entry of [entries[0], entries[10], entries[17]]) {
      const one = await http(app).get(`/api/v1/history/${entry.id}`).set(warehouse.auth).expect(200);
      expect(one.body).toEqual(entry);
    }
    const verify = await http(app)
      .get(`/api/v1/orders/${order.id}/history/verify`)
      .set(admin.auth)
      .expect(200);
    expect(verify.body).toEqual({ valid: true, entries: 18, firstBrokenEntryId: null });
  });

  describe('filters, sorting and pagination', () => {
    let order: Order;
    let other: Order;
    let all: Entry[];

    beforeAll(async () => {
      order = await newOrder();
      other = await newOrder();
      await record(order, [{ action: A.CONFIRMED, oldStatus: 'pending', newStatus: 'confirmed' }], admin);
      await record(order, [{ action: A.NOTE_ADDED }, { action: A.ASSIGNED }], warehouse);
      await record(
        order,
        [{ action: A.SHIPPED }, { action: A.NOTE_ADDED }, { action: A.DELIVERED }],
        support,
      );
      await record(other, [{ action: A.SHIPPED }, { action: A.DELIVERED }], support);
      all = await listAll(order.id);
    });

    it('orders by createdAt then sequence, oldest first by default, newest first with -createdAt', async () => {
      expect(all.map((e) => e.action)).toEqual([
        'created',
        'confirmed',
        'note_added',
        'assigned',
        'shipped',
        'note_added',
        'delivered',
      ]);
      const times = all.map((e) => Date.parse(e.createdAt));
      expect([...times].sort((a, b) => a - b)).toEqual(times);
      const newest = await listAll(order.id, '&sort=-createdAt');
      expect(newest.map((e) => e.sequence)).toEqual([7, 6, 5, 4, 3, 2, 1]);
      const oldest = await listAll(order.id, '&sort=createdAt');
      expect(oldest.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    });

    it('refuses to sort by anything but createdAt', async () => {
      const res = await http(app).get(`/api/v1/orders/${order.id}/history?sort=action`).set(admin.auth);
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ field: 'sort', message: 'allowed fields: createdAt' }]);
    });

    it('paginates with meta', async () => {
      const res = await http(app)
        .get(`/api/v1/orders/${order.id}/history?page=2&pageSize=3`)
        .set(admin.auth)
        .expect(200);
      expect(res.body.meta).toEqual({ page: 2, pageSize: 3, total: 7, totalPages: 3 });
      expect(res.body.data.map((e: Entry) => e.sequence)).toEqual([4, 5, 6]);
      const tooBig = await http(app).get(`/api/v1/orders/${order.id}/history?pageSize=101`).set(admin.auth);
      expect(tooBig.status).toBe(400);
    });

    it('filters by one action or several (repeatable)', async () => {
      const notes = await listAll(order.id, '&action=note_added');
      expect(notes.map((e) => e.sequence)).toEqual([3, 6]);
      const two = await listAll(order.id, '&action=shipped&action=delivered');
      expect(two.map((e) => e.action)).toEqual(['shipped', 'delivered']);
    });

    it('refuses an unknown action, naming the field', async () => {
      const res = await http(app)
        .get(`/api/v1/orders/${order.id}/history?action=shipped&action=teleported`)
        .set(admin.auth);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.errors).toEqual([{ field: 'action', message: expect.stringContaining('each value') }]);
    });

    it('filters by from and to (inclusive), and refuses from after to', async () => {
      const from = encodeURIComponent(all[2].createdAt);
      const to = encodeURIComponent(all[4].createdAt);
      const range = await listAll(order.id, `&from=${from}&to=${to}`);
      expect(range.map((e) => e.sequence)).toEqual([3, 4, 5]);
      expect((await listAll(order.id, `&from=${to}`)).map((e) => e.sequence)).toEqual([5, 6, 7]);
      expect((await listAll(order.id, `&to=${from}`)).map((e) => e.sequence)).toEqual([1, 2, 3]);

      const reversed = await http(app)
        .get(`/api/v1/orders/${order.id}/history?from=${to}&to=${from}`)
        .set(admin.auth);
      expect(reversed.status).toBe(400);
      expect(reversed.body.errors).toEqual([{ field: 'to', message: 'must not be before from' }]);

      const notADate = await http(app)
        .get(`/api/v1/orders/${order.id}/history?from=yesterday`)
        .set(admin.auth);
      expect(notADate.status).toBe(400);
      expect(notADate.body.errors).toEqual([{ field: 'from', message: expect.any(String) }]);
    });

    it('takes a date alone as `to` to include that whole day', async () => {
      const day = all[0].createdAt.slice(0, 10);
      const sameDay = await listAll(order.id, `&from=${day}&to=${day}`);
      // Every entry of that day, though all were written after its midnight.
      expect(sameDay.map((e) => e.id)).toEqual(
        all.filter((e) => e.createdAt.startsWith(day)).map((e) => e.id),
      );
      expect(sameDay.length).toBeGreaterThan(0);
      const before = await listAll(order.id, '&to=2000-01-01');
      expect(before).toEqual([]);
    });

    it('filters by performer', async () => {
      const byWarehouse = await listAll(order.id, `&performedById=${warehouse.user.id}`);
      expect(byWarehouse.map((e) => e.action)).toEqual(['note_added', 'assigned']);
      expect(byWarehouse[0].performedBy).toEqual({
        id: warehouse.user.id,
        fullName: 'Wes Warehouse',
        role: 'warehouse',
      });
      const bad = await http(app)
        .get(`/api/v1/orders/${order.id}/history?performedById=nope`)
        .set(admin.auth);
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0].field).toBe('performedById');
    });

    it('lists across orders, filtered by orderId, action and performer', async () => {
      const mine = await http(app)
        .get(`/api/v1/history?orderId=${other.id}&pageSize=100`)
        .set(support.auth)
        .expect(200);
      expect(mine.body.data.map((e: Entry) => e.action)).toEqual(['created', 'shipped', 'delivered']);
      expect(mine.body.data.every((e: Entry) => e.orderId === other.id)).toBe(true);

      const shippedBySupport = await http(app)
        .get(`/api/v1/history?action=shipped&performedById=${support.user.id}&pageSize=100`)
        .set(admin.auth)
        .expect(200);
      const orders = shippedBySupport.body.data.map((e: Entry) => e.orderId);
      expect(orders).toEqual(expect.arrayContaining([order.id, other.id]));
      expect(shippedBySupport.body.data.every((e: Entry) => e.action === 'shipped')).toBe(true);

      const newestFirst = await http(app)
        .get(`/api/v1/history?orderId=${order.id}&sort=-createdAt&pageSize=2`)
        .set(admin.auth)
        .expect(200);
      expect(newestFirst.body.data.map((e: Entry) => e.sequence)).toEqual([7, 6]);
      expect(newestFirst.body.meta).toEqual({ page: 1, pageSize: 2, total: 7, totalPages: 4 });

      // The per-order list (lean SQL) answers exactly what the cross-order list (ORM) does.
      for (const filter of [
        '',
        '&sort=-createdAt&page=2&pageSize=3',
        '&action=shipped&action=created',
        `&performedById=${support.user.id}`,
        '&from=2000-01-01&to=2999-12-31',
        '&page=9',
      ]) {
        const [perOrder, across] = await Promise.all([
          http(app)
            .get(`/api/v1/orders/${order.id}/history?${filter.slice(1)}`)
            .set(admin.auth)
            .expect(200),
          http(app).get(`/api/v1/history?orderId=${order.id}${filter}`).set(admin.auth).expect(200),
        ]);
        expect(perOrder.body).toEqual(across.body);
      }
    });
  });

  describe('access and errors', () => {
    let order: Order;
    let entryId: string;

    beforeAll(async () => {
      order = await newOrder();
      entryId = (await listAll(order.id))[0].id;
    });

    it('lets every staff role read an order’s history and one entry; customers never', async () => {
      for (const staff of [admin, support, warehouse]) {
        await http(app).get(`/api/v1/orders/${order.id}/history`).set(staff.auth).expect(200);
        await http(app).get(`/api/v1/history/${entryId}`).set(staff.auth).expect(200);
      }
      await http(app).get(`/api/v1/orders/${order.id}/history`).set(customer.auth).expect(403);
      await http(app).get(`/api/v1/history/${entryId}`).set(customer.auth).expect(403);
      await http(app).get(`/api/v1/orders/${order.id}/history`).expect(401);
    });

    it('lets only admin and support list across orders or export; only admin verify', async () => {
      await http(app).get('/api/v1/history').set(warehouse.auth).expect(403);
      await http(app).get('/api/v1/history').set(customer.auth).expect(403);
      await http(app).get('/api/v1/history').set(support.auth).expect(200);
      await http(app).get(`/api/v1/orders/${order.id}/history/export`).set(warehouse.auth).expect(403);
      await http(app).get(`/api/v1/orders/${order.id}/history/export`).set(support.auth).expect(200);
      await http(app).get(`/api/v1/orders/${order.id}/history/verify`).set(support.auth).expect(403);
      await http(app).get(`/api/v1/orders/${order.id}/history/verify`).set(warehouse.auth).expect(403);
      await http(app).get(`/api/v1/orders/${order.id}/history/verify`).set(admin.auth).expect(200);
    });

    it('answers 404 for an order or entry that does not exist, 400 for an id that is not a UUID', async () => {
      const missing = randomUUID();
      for (const path of ['history', 'history/verify', 'history/export']) {
        const res = await http(app).get(`/api/v1/orders/${missing}/${path}`).set(admin.auth);
        expect(res.status).toBe(404);
        expect(res.body).toMatchObject({ code: 'NOT_FOUND', detail: `Order ${missing} was not found` });
      }
      await http(app).get(`/api/v1/history/${missing}`).set(admin.auth).expect(404);
      const bad = await http(app).get('/api/v1/orders/not-a-uuid/history').set(admin.auth);
      expect(bad.status).toBe(400);
      expect(bad.body.errors).toEqual([{ field: 'orderId', message: 'must be a UUID' }]);
      await http(app).get('/api/v1/history/not-a-uuid').set(admin.auth).expect(400);
    });

    it('has no route that changes or deletes history', async () => {
      const paths = [`/api/v1/history/${entryId}`, `/api/v1/orders/${order.id}/history`, '/api/v1/history'];
      for (const path of paths) {
        for (const method of ['post', 'put', 'patch', 'delete'] as const) {
          const res = await http(app)[method](path).set(admin.auth).send({ description: 'rewritten' });
          expect(res.status).toBe(404);
        }
      }
      const [entry] = await listAll(order.id);
      expect(entry.description).not.toBe('rewritten');
    });

    it('documents every history route in OpenAPI with its roles', async () => {
      const res = await http(app).get('/docs-json').expect(200);
      const paths = res.body.paths as Record<string, Record<string, { summary: string }>>;
      expect(paths['/api/v1/orders/{orderId}/history'].get.summary).toMatch(
        /roles: admin, support, warehouse/,
      );
      expect(paths['/api/v1/history'].get.summary).toMatch(/roles: admin, support/);
      expect(paths['/api/v1/history/{id}'].get.summary).toMatch(/roles: admin, support, warehouse/);
      expect(paths['/api/v1/orders/{orderId}/history/verify'].get.summary).toMatch(/roles: admin\)/);
      expect(paths['/api/v1/orders/{orderId}/history/export'].get.summary).toMatch(/roles: admin, support/);
    });
  });

  it('projects a customer-safe timeline: customer-meaningful actions only, no staff or internal data', async () => {
    const order = await newOrder();
    await record(
      order,
      [
        { action: A.NOTE_ADDED, additionalData: { noteId: randomUUID(), isInternal: true } },
        { action: A.CONFIRMED, oldStatus: 'pending', newStatus: 'confirmed' },
        { action: A.INVENTORY_RESERVED, additionalData: { stockLocationId: randomUUID() } },
        { action: A.PROCESSING_STARTED, oldStatus: 'pending', newStatus: 'picking' },
        { action: A.STATUS_CHANGED, oldStatus: 'picking', newStatus: 'packing' },
        { action: A.STATUS_CHANGED, oldStatus: 'confirmed', newStatus: 'processing' },
        { action: A.CANCELLED, oldStatus: 'processing', newStatus: 'cancelled' },
      ],
      support,
    );
    const timeline = await app
      .get(UnitOfWork)
      .read('test-timeline', () => app.get(HistoryQueryService).customerTimeline(order.id));
    const staff = await listAll(order.id);
    expect(timeline).toEqual([
      {
        action: 'created',
        status: 'pending',
        description: 'We received your order.',
        occurredAt: staff[0].createdAt,
      },
      {
        action: 'confirmed',
        status: 'confirmed',
        description: 'Your order is confirmed.',
        occurredAt: staff[2].createdAt,
      },
      {
        action: 'processing_started',
        status: 'confirmed',
        description: 'We started preparing your order.',
        occurredAt: staff[4].createdAt,
      },
      {
        action: 'status_changed',
        status: 'processing',
        description: 'Your order is now being prepared.',
        occurredAt: staff[6].createdAt,
      },
      {
        action: 'cancelled',
        status: 'cancelled',
        description: 'Your order was cancelled.',
        occurredAt: staff[7].createdAt,
      },
    ]);
    expect(JSON.stringify(timeline)).not.toMatch(/by a test|Sam Support|noteId|stockLocationId/);
  });
});
