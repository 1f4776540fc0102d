import { createTestApp, createUser, http, TestApp, TestUser } from './utils/app';
import { createLocation, createOrder, createVariantWithStock, uniqueCode } from './utils/factories';
import { UserRole } from '../src/identity/user-role.enum';
import { FulfillmentStatus } from '../src/fulfillment/fulfillment-status.enum';

const API = '/api/v1';
const S = FulfillmentStatus;

interface Fulfillment {
  id: string;
  status: string;
  createdAt: string;
  [field: string]: unknown;
}

/**
 * One read model per response: every action on a fulfillment answers exactly what
 * GET /fulfillments/:id shows right after it, every list shows each fulfillment as that GET does,
 * and the lists filter, sort and page as documented. The data is built through the API: an order
 * confirmed by confirming it, six one-unit parcels moved, assigned and packed by their routes.
 */
describe('fulfillment: one read model for GET, lists and actions', () => {
  let app: TestApp;
  let admin: TestUser;
  let support: TestUser;
  let warehouse: TestUser;
  let picker: TestUser;
  let customer: TestUser;
  let orderId: string;
  let itemId: string;
  let here: string;
  const there = uniqueCode('WH-READS');
  /** f[0..5], created in this order. */
  const f: string[] = [];

  const get = (id: string) => http(app).get(`${API}/fulfillments/${id}`).set(support.auth);
  const list = (query: Record<string, string | string[]>, who: TestUser = support) =>
    http(app).get(`${API}/fulfillments`).query(query).set(who.auth);
  const ids = (body: { data: Fulfillment[] }) => body.data.map((row) => row.id);

  /** The action succeeded with `status` and answered exactly what the GET shows right after it. */
  async function answersAsGet(action: Promise<{ status: number; body: Fulfillment }>, status = 200) {
    const res = await action;
    expect(res.status).toBe(status);
    const after = await get(res.body.id);
    expect(after.status).toBe(200);
    expect(res.body).toEqual(after.body);
    return res.body;
  }

  const move = (id: string, to: FulfillmentStatus) =>
    http(app).post(`${API}/fulfillments/${id}/status`).set(warehouse.auth).send({ status: to });

  beforeAll(async () => {
    app = await createTestApp();
    [admin, support, warehouse, picker, customer] = await Promise.all([
      createUser(app, UserRole.ADMIN),
      createUser(app, UserRole.SUPPORT),
      createUser(app, UserRole.WAREHOUSE),
      createUser(app, UserRole.WAREHOUSE),
      createUser(app, UserRole.CUSTOMER),
    ]);
    await createLocation(app, there);
    const { variant, location } = await createVariantWithStock(app, 50);
    here = location.code;
    const { order, items } = await createOrder(app, customer.user, [{ variant, quantity: 6 }]);
    orderId = order.id;
    itemId = items[0].id;
    await http(app).post(`${API}/orders/${orderId}/confirm`).set(admin.auth).send({}).expect(200);
  });
  afterAll(async () => {
    await app.close();
  });

  describe('every action answers what GET /fulfillments/:id shows right after it', () => {
    it('create (with and without an assignee)', async () => {
      for (const [n, location] of [here, there, here, there, here, here].entries()) {
        const body = await answersAsGet(
          http(app)
            .post(`${API}/orders/${orderId}/fulfillments`)
            .set(warehouse.auth)
            .send({
              warehouseLocation: location,
              items: { [itemId]: 1 },
              ...(n === 0 ? { assignedToId: picker.user.id } : {}),
            }),
          201,
        );
        expect(body).toMatchObject({
          orderId,
          status: S.PENDING,
          warehouseLocation: location,
          items: { [itemId]: 1 },
          assignedToId: n === 0 ? picker.user.id : null,
          assignedAt: n === 0 ? expect.any(String) : null,
          version: 1,
        });
        f.push(body.id);
      }
    });

    it('PATCH: set, unchanged (nothing written), cleared', async () => {
      const patch = (body: object) =>
        http(app).patch(`${API}/fulfillments/${f[1]}`).set(warehouse.auth).send(body);
      const details = {
        weight: 2.5,
        boxSize: 'L',
        packingMaterials: ['bubble wrap'],
        pickingNotes: 'top shelf',
      };
      const set = await answersAsGet(patch(details));
      expect(set).toMatchObject({ ...details, weight: '2.500', packingNotes: null, version: 2 });
      // The same values again change nothing: no new version, no new update time.
      const same = await answersAsGet(patch(details));
      expect(same).toMatchObject({ version: 2, updatedAt: set.updatedAt });
      const cleared = await answersAsGet(patch({ boxSize: null, packingMaterials: null }));
      expect(cleared).toMatchObject({ boxSize: null, packingMaterials: null, weight: '2.500', version: 3 });
    });

    it('assign', async () => {
      for (const n of [2, 4, 5]) {
        const body = await answersAsGet(
          http(app)
            .post(`${API}/fulfillments/${f[n]}/assign`)
            .set(warehouse.auth)
            .send({ assignedToId: picker.user.id }),
        );
        expect(body).toMatchObject({
          assignedToId: picker.user.id,
          assignedAt: expect.any(String),
          version: 2,
        });
      }
    });

    it('status moves, the shipping of a parcel included', async () => {
      const paths: Array<[number, FulfillmentStatus[]]> = [
        [1, [S.PICKING]],
        [2, [S.PICKING, S.PACKING]],
        [3, [S.PICKING, S.PACKING, S.READY_TO_SHIP]],
        [4, [S.CANCELLED]],
        [5, [S.PICKING, S.PACKING, S.READY_TO_SHIP, S.SHIPPED]],
      ];
      for (const [n, moves] of paths) {
        for (const to of moves) {
          const body = await answersAsGet(move(f[n], to));
          expect(body.status).toBe(to);
        }
      }
      const shipped = (await get(f[5])).body;
      expect(shipped).toMatchObject({ status: S.SHIPPED, shippedAt: expect.any(String), version: 6 });
      // Package details survive the moves.
      expect((await get(f[1])).body).toMatchObject({
        status: S.PICKING,
        weight: '2.500',
        pickingNotes: 'top shelf',
      });
    });
  });

  describe('lists show each fulfillment as GET does, filtered, sorted and paged', () => {
    it('shows each fulfillment exactly as GET /fulfillments/:id', async () => {
      const res = await list({ orderId, sort: 'createdAt' }).expect(200);
      expect(ids(res.body)).toEqual(f);
      for (const row of res.body.data) expect(row).toEqual((await get(row.id)).body);
    });

    it('filters by order, status, location, assignee', async () => {
      expect(ids((await list({ orderId }).expect(200)).body)).toEqual([...f].reverse());
      expect(ids((await list({ orderId, status: S.PACKING }).expect(200)).body)).toEqual([f[2]]);
      // Several statuses: comma-separated or repeated, the list syntax of every query filter.
      expect(ids((await list({ orderId, status: `${S.PACKING},${S.CANCELLED}` }).expect(200)).body)).toEqual([
        f[4],
        f[2],
      ]);
      expect(ids((await list({ orderId, status: [S.CANCELLED, S.PACKING] }).expect(200)).body)).toEqual([
        f[4],
        f[2],
      ]);
      expect(ids((await list({ warehouseLocation: there }).expect(200)).body)).toEqual([f[3], f[1]]);
      expect(ids((await list({ assignedToId: picker.user.id, sort: 'createdAt' }).expect(200)).body)).toEqual(
        [f[0], f[2], f[4], f[5]],
      );
      const none = await list({ orderId, warehouseLocation: there, status: S.SHIPPED }).expect(200);
      expect(none.body).toEqual({ data: [], meta: { page: 1, pageSize: 20, total: 0, totalPages: 0 } });
    });

    it('filters by creation time, `to` included', async () => {
      const all: Fulfillment[] = (await list({ orderId, sort: 'createdAt' }).expect(200)).body.data;
      const from = all[2].createdAt;
      const to = all[4].createdAt;
      const within = all.filter((row) => row.createdAt >= from && row.createdAt <= to).map((row) => row.id);
      expect(within).toEqual(expect.arrayContaining([f[2], f[3], f[4]]));
      expect(ids((await list({ orderId, from, to, sort: 'createdAt' }).expect(200)).body)).toEqual(within);
      expect(ids((await list({ orderId, from: to, to: from }).expect(200)).body)).toEqual([]);
    });

    it('sorts by status (the lifecycle order), a nullable stamp, the number', async () => {
      expect(ids((await list({ orderId, sort: 'status' }).expect(200)).body)).toEqual([
        f[0],
        f[1],
        f[2],
        f[3],
        f[5],
        f[4],
      ]);
      // Ascending, fulfillments never shipped come after the shipped one.
      expect(ids((await list({ orderId, sort: 'shippedAt,createdAt' }).expect(200)).body)).toEqual([
        f[5],
        f[0],
        f[1],
        f[2],
        f[3],
        f[4],
      ]);
      expect(ids((await list({ orderId, sort: '-fulfillmentNumber' }).expect(200)).body)).toEqual(
        [...f].reverse(),
      );
    });

    it('pages', async () => {
      const second = await list({ orderId, sort: 'createdAt', pageSize: '4', page: '2' }).expect(200);
      expect(ids(second.body)).toEqual([f[4], f[5]]);
      expect(second.body.meta).toEqual({ page: 2, pageSize: 4, total: 6, totalPages: 2 });
      const past = await list({ orderId, sort: 'createdAt', pageSize: '4', page: '3' }).expect(200);
      expect(past.body).toEqual({ data: [], meta: { page: 3, pageSize: 4, total: 6, totalPages: 2 } });
    });

    it('keeps the validation of the list: sort, instants, status, page size, ids', async () => {
      const badSort = await list({ sort: 'items' });
      expect(badSort.status).toBe(400);
      expect(badSort.body.errors).toEqual([{ field: 'sort', message: expect.stringContaining('createdAt') }]);
      const badFrom = await list({ from: 'yesterday', sort: 'items' });
      expect(badFrom.status).toBe(400);
      expect(badFrom.body.errors[0].field).toBe('from');
      expect((await list({ status: 'lost' })).status).toBe(400);
      const badOne = await list({ status: `${S.PACKING},lost` });
      expect(badOne.status).toBe(400);
      expect(badOne.body.errors[0].field).toBe('status');
      expect((await list({ pageSize: '0' })).status).toBe(400);
      expect((await list({ assignedToId: 'nobody' })).status).toBe(400);
    });

    it('GET /orders/:orderId/fulfillments: oldest first, sortable, paged; 404 for an unknown order', async () => {
      const ofOrder = (query: Record<string, string> = {}, id = orderId) =>
        http(app).get(`${API}/orders/${id}/fulfillments`).query(query).set(support.auth);
      const res = await ofOrder().expect(200);
      expect(ids(res.body)).toEqual(f);
      expect(res.body.data).toEqual((await list({ orderId, sort: 'createdAt' }).expect(200)).body.data);
      expect(ids((await ofOrder({ sort: '-fulfillmentNumber' }).expect(200)).body)).toEqual([...f].reverse());
      const page = await ofOrder({ pageSize: '5', page: '2' }).expect(200);
      expect(ids(page.body)).toEqual([f[5]]);
      expect(page.body.meta).toEqual({ page: 2, pageSize: 5, total: 6, totalPages: 2 });
      await ofOrder({}, '00000000-0000-4000-8000-000000000000').expect(404);
      expect((await ofOrder({ sort: 'items' })).status).toBe(400);
    });

    it('GET /me/fulfillments: open work oldest first, then the rest newest first', async () => {
      const mine = (query: Record<string, string> = {}, who: TestUser = picker) =>
        http(app).get(`${API}/me/fulfillments`).query(query).set(who.auth);
      const queue = await mine().expect(200);
      // f0 pending and f2 packing are open (oldest first); f5 shipped and f4 cancelled (newest first).
      expect(ids(queue.body)).toEqual([f[0], f[2], f[5], f[4]]);
      for (const row of queue.body.data) expect(row).toEqual((await get(row.id)).body);
      expect(ids((await mine({ status: S.CANCELLED }).expect(200)).body)).toEqual([f[4]]);
      expect(ids((await mine({ status: `${S.CANCELLED},${S.PACKING}` }).expect(200)).body)).toEqual([
        f[2],
        f[4],
      ]);
      const paged = await mine({ pageSize: '3', page: '2' }).expect(200);
      expect(ids(paged.body)).toEqual([f[4]]);
      expect(paged.body.meta.total).toBe(4);
      // Someone else's queue does not hold them.
      expect(ids((await mine({}, warehouse).expect(200)).body)).toEqual([]);
    });
  });
  describe('writes racing on one fulfillment', () => {
    it('parallel PATCHes of different details and an assignment all land, each one version', async () => {
      const created = await http(app)
        .post(`${API}/orders/${orderId}/fulfillments`)
        .set(warehouse.auth)
        .send({ warehouseLocation: here, items: { [itemId]: 1 } })
        .expect(201);
      const id = created.body.id;
      const patch = (body: object) =>
        http(app).patch(`${API}/fulfillments/${id}`).set(warehouse.auth).send(body);
      const answers = await Promise.all([
        patch({ boxSize: 'S' }),
        patch({ weight: 1.2 }),
        patch({ pickingNotes: 'aisle 4' }),
        patch({ packingNotes: 'fragile' }),
        patch({ packingMaterials: ['void fill'] }),
        http(app)
          .post(`${API}/fulfillments/${id}/assign`)
          .set(warehouse.auth)
          .send({ assignedToId: picker.user.id }),
      ]);
      expect(answers.map((res) => res.status)).toEqual([200, 200, 200, 200, 200, 200]);
      // Each answer is a distinct version: the changes were made one after the other.
      expect(new Set(answers.map((res) => res.body.version))).toEqual(new Set([2, 3, 4, 5, 6, 7]));
      expect((await get(id)).body).toMatchObject({
        boxSize: 'S',
        weight: '1.200',
        pickingNotes: 'aisle 4',
        packingNotes: 'fragile',
        packingMaterials: ['void fill'],
        assignedToId: picker.user.id,
        version: 7,
      });

      // A PATCH racing the cancellation either lands before it or is refused, never after it.
      const [cancel, late] = await Promise.all([move(id, S.CANCELLED), patch({ boxSize: 'XL' })]);
      expect(cancel.status).toBe(200);
      const final = (await get(id)).body;
      expect(final.status).toBe(S.CANCELLED);
      if (late.status === 200) {
        expect(final).toMatchObject({ boxSize: 'XL', version: 9 });
      } else {
        expect(late.status).toBe(409);
        expect(final).toMatchObject({ boxSize: 'S', version: 8 });
      }
    });
  });
});
