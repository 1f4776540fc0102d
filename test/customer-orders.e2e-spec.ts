import { randomUUID } from 'node:crypto';
import { createTestApp, createUser, expectFieldError, http, sql, TestApp, TestUser } from './utils/app';
import { createLocation, createVariantWithStock } from './utils/factories';
import { StockLocation } from '../src/catalog/stock-location.entity';
import { UserRole } from '../src/identity/user-role.enum';
import { ProductVariant } from '../src/catalog/product-variant.entity';

const ADDRESS = {
  name: 'Alice Example',
  line1: '2 Side Road',
  city: 'Munich',
  postalCode: '80331',
  country: 'DE',
};

interface PlacedOrder {
  id: string;
  orderNumber: string;
  items: { id: string }[];
}

describe('customer routes /me/orders (e2e)', () => {
  let app: TestApp;
  let support: TestUser;
  let warehouse: TestUser;
  let alice: TestUser;
  let bob: TestUser;
  let x: ProductVariant;
  let y: ProductVariant;
  let shipsFrom: StockLocation;
  let delivered: PlacedOrder;
  let pending: PlacedOrder;
  let bobs: PlacedOrder;
  let shippedNumber: string;

  const post = (path: string, user: TestUser, body: object = {}) =>
    http(app).post(`/api/v1${path}`).set(user.auth).send(body);
  const get = (path: string, user: TestUser) => http(app).get(`/api/v1${path}`).set(user.auth);

  async function place(customer: TestUser, lines: [ProductVariant, number, string][]): Promise<PlacedOrder> {
    const res = await post('/orders', support, {
      customerId: customer.user.id,
      currency: 'EUR',
      items: lines.map(([variant, quantity, unitPrice]) => ({ variantId: variant.id, quantity, unitPrice })),
      shippingAddress: ADDRESS,
    }).expect(201);
    return res.body;
  }

  /** Confirm, ship everything in one fulfillment (after a cancelled one), deliver. */
  async function deliverAll(order: PlacedOrder): Promise<string> {
    await post(`/orders/${order.id}/confirm`, support).expect(200);
    const items = Object.fromEntries(order.items.map((i) => [i.id, 1]));
    const dropped = await post(`/orders/${order.id}/fulfillments`, warehouse, {
      warehouseLocation: shipsFrom.code,
      items,
    }).expect(201);
    await post(`/fulfillments/${dropped.body.id}/status`, warehouse, { status: 'cancelled' }).expect(200);
    const f = await post(`/orders/${order.id}/fulfillments`, warehouse, {
      warehouseLocation: shipsFrom.code,
      items,
    }).expect(201);
    for (const status of ['picking', 'packing', 'ready_to_ship', 'shipped']) {
      await post(`/fulfillments/${f.body.id}/status`, warehouse, { status }).expect(200);
    }
    await post(`/orders/${order.id}/deliver`, support).expect(200);
    return f.body.fulfillmentNumber;
  }

  beforeAll(async () => {
    app = await createTestApp();
    [support, warehouse, alice, bob] = await Promise.all([
      createUser(app, UserRole.SUPPORT),
      createUser(app, UserRole.WAREHOUSE),
      createUser(app, UserRole.CUSTOMER),
      createUser(app, UserRole.CUSTOMER),
    ]);
    shipsFrom = await createLocation(app);
    x = (await createVariantWithStock(app, 20, shipsFrom)).variant;
    y = (await createVariantWithStock(app, 20, shipsFrom)).variant;
    delivered = await place(alice, [
      [x, 1, '10.00'],
      [y, 1, '2.50'],
    ]);
    shippedNumber = await deliverAll(delivered);
    pending = await place(alice, [[x, 3, '1.00']]);
    bobs = await place(bob, [[y, 1, '99.00']]);

    await post(`/orders/${delivered.id}/notes`, support, { note: 'INTERNAL: customer called twice' }).expect(
      201,
    );
    await post(`/orders/${delivered.id}/notes`, support, {
      note: 'Your parcel is on its way',
      isInternal: false,
    }).expect(201);
  });

  afterAll(async () => {
    await app.close();
  });

  it('lists only my orders, without internal fields', async () => {
    const res = await get('/me/orders?sort=-totalAmount', alice).expect(200);
    expect(res.body.meta).toEqual({ page: 1, pageSize: 20, total: 2, totalPages: 1 });
    expect(res.body.data.map((o: { id: string }) => o.id)).toEqual([delivered.id, pending.id]);
    expect(res.body.data[1]).toEqual({
      id: pending.id,
      orderNumber: pending.orderNumber,
      status: 'pending',
      currency: 'EUR',
      totalAmount: '3.00',
      amountPaid: '0.00',
      amountRefunded: '0.00',
      shippingAddress: ADDRESS,
      items: [
        {
          id: pending.items[0].id,
          variantId: x.id,
          sku: x.sku,
          name: x.name,
          quantity: 3,
          unitPrice: '1.00',
          lineTotal: '3.00',
          quantityReturned: 0,
        },
      ],
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const bobsList = await get('/me/orders', bob).expect(200);
    expect(bobsList.body.data.map((o: { id: string }) => o.id)).toEqual([bobs.id]);
    expectFieldError(await get('/me/orders?sort=customerId', alice), 'sort');
    expectFieldError(await get('/me/orders?pageSize=500', alice), 'pageSize');
  });

  it('shows my order with its shipments only (no cancelled ones, no warehouse data)', async () => {
    const res = await get(`/me/orders/${delivered.id}`, alice).expect(200);
    expect(res.body).toMatchObject({ id: delivered.id, status: 'delivered', totalAmount: '12.50' });
    expect(res.body.shipments).toEqual([
      {
        fulfillmentNumber: shippedNumber,
        status: 'shipped',
        shippedAt: expect.any(String),
        items: [
          { orderItemId: delivered.items[0].id, sku: x.sku, name: x.name, quantity: 1 },
          { orderItemId: delivered.items[1].id, sku: y.sku, name: y.name, quantity: 1 },
        ],
      },
    ]);
    expect(JSON.stringify(res.body)).not.toMatch(/warehouseLocation|assignedTo|customerId|reservations/);
    expect(JSON.stringify(res.body)).not.toContain(shipsFrom.code);
  });

  it('shows only public notes and a customer-safe timeline', async () => {
    const notes = await get(`/me/orders/${delivered.id}/notes`, alice).expect(200);
    expect(notes.body.data).toEqual([
      { id: expect.any(String), note: 'Your parcel is on its way', createdAt: expect.any(String) },
    ]);
    expect(notes.body.meta.total).toBe(1);

    const timeline = await get(`/me/orders/${delivered.id}/timeline`, alice).expect(200);
    expect(timeline.body.map((e: { action: string }) => e.action)).toEqual([
      'created',
      'confirmed',
      'processing_started',
      'shipped',
      'delivered',
    ]);
    for (const entry of timeline.body)
      expect(Object.keys(entry).sort()).toEqual(['action', 'description', 'occurredAt', 'status']);
    expect(JSON.stringify(timeline.body)).not.toMatch(
      new RegExp(`${support.user.id}|${warehouse.user.id}|INTERNAL|127\\.0\\.0\\.1|::1`),
    );
  });

  it('lets me request a return of my delivered order; the history names me', async () => {
    const notYet = await post(`/me/orders/${pending.id}/return-request`, alice, {
      reason: 'x',
      items: [{ orderItemId: pending.items[0].id, quantity: 1 }],
    }).expect(409);
    expect(notYet.body).toMatchObject({
      code: 'INVALID_TRANSITION',
      from: 'pending',
      action: 'return-request',
    });
    const bad = await post(`/me/orders/${delivered.id}/return-request`, alice, {
      reason: '',
      items: [],
    }).expect(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(['reason', 'items']);

    const res = await post(`/me/orders/${delivered.id}/return-request`, alice, {
      reason: 'Does not fit',
      items: [{ orderItemId: delivered.items[1].id, quantity: 1 }],
    }).expect(200);
    expect(res.body).toMatchObject({ id: delivered.id, status: 'return_requested' });
    expect(res.body.shipments).toHaveLength(1);
    expect(res.body).not.toHaveProperty('allowedActions');
    const [entry] = await sql(
      app,
      `select old_status, new_status, performed_by_id, additional_data from order_history where order_id = ? and action = 'return_requested'`,
      [delivered.id],
    );
    expect(entry).toEqual({
      old_status: 'delivered',
      new_status: 'return_requested',
      performed_by_id: alice.user.id,
      additional_data: {
        reason: 'Does not fit',
        requestedBy: 'customer',
        items: [{ orderItemId: delivered.items[1].id, sku: y.sku, quantity: 1 }],
      },
    });
  });

  describe('BOLA: another customer’s order is a 404 on every /me route, and nothing is written', () => {
    const routes = (id: string) => [
      () => get(`/me/orders/${id}`, bob),
      () => get(`/me/orders/${id}/notes`, bob),
      () => get(`/me/orders/${id}/timeline`, bob),
      () =>
        post(`/me/orders/${id}/return-request`, bob, {
          reason: 'mine now',
          items: [{ orderItemId: randomUUID(), quantity: 1 }],
        }),
    ];

    it.each([0, 1, 2, 3])('route %i', async (index) => {
      const historyBefore = await sql(
        app,
        'select count(*)::int as n from order_history where order_id = ?',
        [delivered.id],
      );
      for (const id of [delivered.id, pending.id]) {
        const res = await routes(id)[index]().expect(404);
        expect(res.body).toMatchObject({ code: 'NOT_FOUND', status: 404 });
        expect(JSON.stringify(res.body)).not.toMatch(/Alice|EUR|ORD-/);
      }
      // The same answer as for an order that does not exist at all.
      const unknown = await routes(randomUUID())[index]().expect(404);
      expect(unknown.body.code).toBe('NOT_FOUND');
      expect(
        await sql(app, 'select count(*)::int as n from order_history where order_id = ?', [delivered.id]),
      ).toEqual(historyBefore);
    });

    it('the list never shows them', async () => {
      const res = await get('/me/orders?pageSize=100', bob).expect(200);
      expect(res.body.data.map((o: { id: string }) => o.id)).not.toContain(delivered.id);
    });
  });

  it('is for customers only; staff use /orders', async () => {
    await get('/me/orders', support).expect(403);
    await get(`/me/orders/${delivered.id}`, warehouse).expect(403);
    await post(`/me/orders/${delivered.id}/return-request`, support, { reason: 'x', items: [] }).expect(403);
    await http(app).get('/api/v1/me/orders').expect(401);
    // …and customers cannot use the staff routes.
    await get(`/orders/${delivered.id}`, alice).expect(403);
    await post(`/orders/${delivered.id}/return-request`, alice, {
      reason: 'x',
      items: [{ orderItemId: delivered.items[0].id, quantity: 1 }],
    }).expect(403);
    const bad = await get('/me/orders/not-a-uuid', alice).expect(400);
    expect(bad.body.errors).toEqual([{ field: 'id', message: 'must be a UUID' }]);
  });
});
