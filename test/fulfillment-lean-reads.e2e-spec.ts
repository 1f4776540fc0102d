import { FilterQuery } from '@mikro-orm/core';
import {
  createTestApp,
  createUser,
  createUsersOfEveryRole,
  freshEm,
  http,
  sql,
  TestApp,
  TestUser,
} from './utils/app';
import { createLocation, createOrder, createVariantWithStock, uniqueCode } from './utils/factories';
import { parseInstant } from '../src/common/instant';
import { offsetOf, parseSort, toPage } from '../src/common/pagination';
import { UserRole } from '../src/identity/user-role.enum';
import { OrderStatus } from '../src/orders/order-status.enum';
import { FulfillmentStatus } from '../src/fulfillment/fulfillment-status.enum';
import { OrderFulfillment } from '../src/fulfillment/order-fulfillment.entity';
import { toFulfillmentResponse } from '../src/fulfillment/fulfillment-response';

const API = '/api/v1';

const SORTABLE = Object.fromEntries(
  ['createdAt', 'updatedAt', 'status', 'fulfillmentNumber', 'warehouseLocation', 'shippedAt'].map((f) => [
    f,
    f,
  ]),
);

/**
 * The lean fulfillment reads and moves (raw statements mapped straight to the response) answer
 * exactly what the entity versions answer: the list against an ORM `findAndCount` with the same
 * filters, order and paging; a move's response against the entity read after it.
 */
describe('fulfillment: lean list and moves answer as the entity reads', () => {
  let app: TestApp;
  let support: TestUser;
  let warehouse: TestUser;
  let customer: TestUser;
  let picker: TestUser;
  const here = uniqueCode('WH-LEAN');
  const there = uniqueCode('WH-LEAN');
  const orderIds: string[] = [];
  const ids: string[] = [];

  /** The list as it was read before: entities from findAndCount, mapped by the entity mapper. */
  async function ormList(query: Record<string, string>) {
    const page = { page: Number(query.page ?? 1), pageSize: Number(query.pageSize ?? 20) };
    const where: FilterQuery<OrderFulfillment> = {};
    if (query.status) where.status = query.status as FulfillmentStatus;
    if (query.warehouseLocation) where.warehouseLocation = query.warehouseLocation;
    if (query.assignedToId) where.assignedTo = query.assignedToId;
    if (query.orderId) where.order = query.orderId;
    if (query.from || query.to) {
      where.createdAt = {
        ...(query.from ? { $gte: parseInstant(query.from, 'from') } : {}),
        ...(query.to ? { $lt: parseInstant(query.to, 'to') } : {}),
      };
    }
    const [data, total] = await freshEm(app).findAndCount(OrderFulfillment, where, {
      orderBy: [...parseSort(query.sort, SORTABLE, '-createdAt'), { id: 'asc' }],
      limit: page.pageSize,
      offset: offsetOf(page),
    });
    return JSON.parse(JSON.stringify(toPage(data.map(toFulfillmentResponse), total, page)));
  }

  async function entityResponse(id: string) {
    const entity = await freshEm(app).findOneOrFail(OrderFulfillment, { id });
    return JSON.parse(JSON.stringify(toFulfillmentResponse(entity)));
  }

  function move(id: string, status: FulfillmentStatus, notes?: string) {
    return http(app)
      .post(`${API}/fulfillments/${id}/status`)
      .set(warehouse.auth)
      .send({ status, ...(notes ? { notes } : {}) });
  }

  beforeAll(async () => {
    app = await createTestApp();
    ({ support, warehouse, customer } = await createUsersOfEveryRole(app));
    picker = await createUser(app, UserRole.WAREHOUSE);
    for (const code of [here, there]) await createLocation(app, code);
    // Three orders, four one-unit fulfillments each, at two locations, some assigned to `picker`.
    for (let o = 0; o < 3; o++) {
      const [{ variant: a }, { variant: b }] = await Promise.all([
        createVariantWithStock(app, 50),
        createVariantWithStock(app, 50),
      ]);
      const { order, items } = await createOrder(
        app,
        customer.user,
        [
          { variant: a, quantity: 2 },
          { variant: b, quantity: 2 },
        ],
        OrderStatus.CONFIRMED,
      );
      orderIds.push(order.id);
      for (let f = 0; f < 4; f++) {
        const res = await http(app)
          .post(`${API}/orders/${order.id}/fulfillments`)
          .set(warehouse.auth)
          .send({
            warehouseLocation: f % 3 === 2 ? there : here,
            items: { [items[f % 2].id]: 1 },
            ...(f % 2 === 0 ? { assignedToId: picker.user.id } : {}),
          });
        expect(res.status).toBe(201);
        ids.push(res.body.id);
      }
    }
    // Every status; stage stamps, some null (null ordering); ties on created_at (id breaks them) and
    // microsecond timestamps; package details of every kind.
    const statuses = Object.values(FulfillmentStatus);
    for (const [n, id] of ids.entries()) {
      const created = `2026-03-0${1 + (n % 4)} 10:00:00.${123456 + (n % 3)}+00`;
      await sql(
        app,
        `update order_fulfillments
            set status = ?, created_at = ?::timestamptz,
                updated_at = ?::timestamptz + interval '1 minute' * ?,
                shipped_at = case when ? % 3 = 0 then null else ?::timestamptz + interval '1 hour' * (? % 4) end,
                picking_started_at = ?::timestamptz + interval '1.000001 second'
          where id = ?`,
        [statuses[n % statuses.length], created, created, n, n, created, n, created, id],
      );
    }
    await sql(
      app,
      `update order_fulfillments
          set weight = '1.250', box_size = 'M', packing_materials = '["bubble wrap", "void fill"]',
              picking_notes = 'top shelf', packing_notes = 'fragile'
        where id in (?, ?)`,
      [ids[1], ids[6]],
    );
  });
  afterAll(async () => {
    await app.close();
  });

  const cases: Array<[string, () => Record<string, string>]> = [
    ['one location, default order', () => ({ warehouseLocation: here })],
    ['oldest first', () => ({ warehouseLocation: here, sort: 'createdAt' })],
    [
      'nullable stamp then number, second page of 3',
      () => ({
        warehouseLocation: here,
        sort: '-shippedAt,fulfillmentNumber',
        page: '2',
        pageSize: '3',
      }),
    ],
    ['ascending nullable stamp', () => ({ warehouseLocation: here, sort: 'shippedAt' })],
    [
      'status (enum order), then latest update',
      () => ({ warehouseLocation: here, sort: 'status,-updatedAt' }),
    ],
    ['a status', () => ({ warehouseLocation: here, status: FulfillmentStatus.PICKING })],
    [
      'an assignee over locations',
      () => ({ assignedToId: picker.user.id, sort: 'warehouseLocation,-createdAt' }),
    ],
    ['an order by number', () => ({ orderId: orderIds[1], sort: '-fulfillmentNumber' })],
    [
      'a creation window',
      () => ({
        assignedToId: picker.user.id,
        from: '2026-03-02T10:00:00.123Z',
        to: '2026-03-04T00:00:00Z',
      }),
    ],
    ['a field named twice', () => ({ warehouseLocation: here, sort: 'createdAt,-createdAt' })],
    ['a page past the end', () => ({ warehouseLocation: there, page: '4', pageSize: '2' })],
    ['pages of one', () => ({ orderId: orderIds[2], status: FulfillmentStatus.PENDING, pageSize: '1' })],
    ['no match', () => ({ warehouseLocation: here, orderId: orderIds[0], assignedToId: support.user.id })],
  ];

  it.each(cases)('GET /fulfillments: %s', async (_, query) => {
    const res = await http(app).get(`${API}/fulfillments`).query(query()).set(support.auth);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(await ormList(query()));
  });

  it('covers rows of every kind in the cases above', async () => {
    const all = await ormList({ assignedToId: picker.user.id, pageSize: '100' });
    const rest = await ormList({ warehouseLocation: here, pageSize: '100' });
    const rows = [...all.data, ...rest.data];
    expect(new Set(rows.map((r: { status: string }) => r.status)).size).toBe(8);
    expect(rows.some((r: { weight: string | null }) => r.weight === '1.250')).toBe(true);
    expect(rows.some((r: { shippedAt: string | null }) => r.shippedAt === null)).toBe(true);
    const created = rows.map((r: { createdAt: string }) => r.createdAt);
    expect(new Set(created).size).toBeLessThan(created.length);
  });

  it('keeps the validation of the list: sort, instants, status, page size', async () => {
    const list = (query: Record<string, string>) =>
      http(app).get(`${API}/fulfillments`).query(query).set(support.auth);
    const badSort = await list({ sort: 'items' });
    expect(badSort.status).toBe(400);
    expect(badSort.body.errors).toEqual([{ field: 'sort', message: expect.stringContaining('createdAt') }]);
    const badFrom = await list({ from: 'yesterday', sort: 'items' });
    expect(badFrom.status).toBe(400);
    expect(badFrom.body.errors[0].field).toBe('from');
    expect((await list({ status: 'lost' })).status).toBe(400);
    expect((await list({ pageSize: '0' })).status).toBe(400);
    expect((await list({ assignedToId: 'nobody' })).status).toBe(400);
  });

  it('answers each move with the fulfillment as the entity reads it afterwards', async () => {
    const [{ variant }] = await Promise.all([createVariantWithStock(app, 50)]);
    const { order, items } = await createOrder(
      app,
      customer.user,
      [{ variant, quantity: 3 }],
      OrderStatus.CONFIRMED,
    );
    const created = await http(app)
      .post(`${API}/orders/${order.id}/fulfillments`)
      .set(warehouse.auth)
      .send({ warehouseLocation: here, items: { [items[0].id]: 2 }, assignedToId: picker.user.id });
    const id = created.body.id;
    await http(app)
      .patch(`${API}/fulfillments/${id}`)
      .set(warehouse.auth)
      .send({ weight: 2.5, boxSize: 'L' });
    await sql(
      app,
      `update order_fulfillments set created_at = '2026-03-01 10:00:00.999999+00' where id = ?`,
      [id],
    );
    for (const to of [
      FulfillmentStatus.PICKING,
      FulfillmentStatus.PACKING,
      FulfillmentStatus.PICKING,
      FulfillmentStatus.PACKING,
      FulfillmentStatus.READY_TO_SHIP,
      FulfillmentStatus.CANCELLED,
    ]) {
      const res = await move(id, to, `to ${to}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(await entityResponse(id));
      expect(res.body).toMatchObject({
        status: to,
        weight: '2.500',
        boxSize: 'L',
        assignedToId: picker.user.id,
      });
    }
    const refused = await move(id, FulfillmentStatus.PICKING);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'INVALID_TRANSITION', allowed: [] });
  });
});
