import { randomUUID } from 'node:crypto';
import { createTestApp, createUsersOfEveryRole, http, sql, TestApp, TestUser } from './utils/app';
import {
  createLocation,
  createVariantWithStock,
  deactivateLocation,
  OrderLine,
  setStock,
} from './utils/factories';
import { placeOrder as placeOrderViaApi } from './utils/orders';
import { ProductVariant } from '../src/catalog/product-variant.entity';
import { StockLocation } from '../src/catalog/stock-location.entity';

describe('confirming an order (e2e)', () => {
  let app: TestApp;
  let admin: TestUser;
  let support: TestUser;
  let warehouse: TestUser;
  let customer: TestUser;

  beforeAll(async () => {
    app = await createTestApp();
    ({ admin, support, warehouse, customer } = await createUsersOfEveryRole(app));
  });

  afterAll(async () => {
    await app.close();
  });

  const post = (path: string, user: TestUser, body?: object) => {
    const req = http(app).post(`/api/v1${path}`).set(user.auth);
    return body === undefined ? req : req.send(body);
  };

  async function addStock(variant: ProductVariant, location: StockLocation, onHand: number) {
    await setStock(app, variant, location, onHand);
  }

  const placeOrder = (lines: OrderLine[]) => placeOrderViaApi(app, support, customer.user, lines, '1.00');

  const reservationsOf = (orderId: string) =>
    sql<{ order_item_id: string; stock_location_id: string; quantity_reserved: number }>(
      app,
      `select order_item_id, stock_location_id, quantity_reserved from inventory_reservations
        where order_id = ? and is_active order by quantity_reserved desc, stock_location_id`,
      [orderId],
    );

  const reservedAt = async (variant: ProductVariant) =>
    sql<{ stock_location_id: string; reserved: number }>(
      app,
      'select stock_location_id, quantity_reserved as reserved from stock_levels where product_variant_id = ? order by stock_location_id',
      [variant.id],
    );

  it('409 INSUFFICIENT_STOCK lists every short item with requested and available, and reserves nothing', async () => {
    const a = await createLocation(app);
    const b = await createLocation(app);
    const ok = (await createVariantWithStock(app, 10, a)).variant;
    const short = (await createVariantWithStock(app, 2, a)).variant;
    await addStock(short, b, 1);
    const none = (await createVariantWithStock(app, 0, a)).variant;
    const order = await placeOrder([
      { variant: ok, quantity: 1 },
      { variant: short, quantity: 4 },
      { variant: none, quantity: 1 },
    ]);
    const [, itemShort, itemNone] = order.items.map((i) => i.id);

    const res = await post(`/orders/${order.id}/confirm`, support).expect(409);
    expect(res.body).toMatchObject({ code: 'INSUFFICIENT_STOCK', status: 409 });
    expect(res.body.shortages).toEqual([
      { productVariantId: short.id, orderItemId: itemShort, sku: short.sku, requested: 4, available: 3 },
      { productVariantId: none.id, orderItemId: itemNone, sku: none.sku, requested: 1, available: 0 },
    ]);
    expect(await reservationsOf(order.id)).toEqual([]);
    for (const v of [ok, short, none])
      for (const level of await reservedAt(v)) expect(level.reserved).toBe(0);
    const [row] = await sql(app, 'select status from orders where id = ?', [order.id]);
    expect(row).toEqual({ status: 'pending' });
    const trail = await sql<{ action: string }>(app, 'select action from order_history where order_id = ?', [
      order.id,
    ]);
    expect(trail.map((t) => t.action)).toEqual(['created']);
  });

  it('places items per item at the location with most available, splitting only when needed', async () => {
    const a = await createLocation(app);
    const b = await createLocation(app);
    const p = (await createVariantWithStock(app, 5, a)).variant; // p: A 5, B 1
    await addStock(p, b, 1);
    const q = (await createVariantWithStock(app, 1, a)).variant; // q: A 1, B 6
    await addStock(q, b, 6);
    const r = (await createVariantWithStock(app, 3, a)).variant; // r: A 3, B 3 → split
    await addStock(r, b, 3);
    const order = await placeOrder([
      { variant: p, quantity: 4 },
      { variant: q, quantity: 6 },
      { variant: r, quantity: 5 },
    ]);
    const [ip, iq, ir] = order.items.map((i) => i.id);
    await post(`/orders/${order.id}/confirm`, support).expect(200);
    const lowest = a.code < b.code ? a : b;
    const other = lowest === a ? b : a;
    expect(await reservationsOf(order.id)).toEqual(
      [
        { order_item_id: iq, stock_location_id: b.id, quantity_reserved: 6 },
        { order_item_id: ip, stock_location_id: a.id, quantity_reserved: 4 },
        // r: 3 and 3 available; the tie goes to the lowest code first, the rest from the other.
        { order_item_id: ir, stock_location_id: lowest.id, quantity_reserved: 3 },
        { order_item_id: ir, stock_location_id: other.id, quantity_reserved: 2 },
      ].sort(
        (m, n) =>
          n.quantity_reserved - m.quantity_reserved || (m.stock_location_id < n.stock_location_id ? -1 : 1),
      ),
    );
  });

  it('honours pinned locations and places the rest by the strategy', async () => {
    const a = await createLocation(app);
    const b = await createLocation(app);
    const p = (await createVariantWithStock(app, 9, a)).variant;
    await addStock(p, b, 2);
    const q = (await createVariantWithStock(app, 9, a)).variant;
    const order = await placeOrder([
      { variant: p, quantity: 2 },
      { variant: q, quantity: 2 },
    ]);
    const [ip, iq] = order.items.map((i) => i.id);

    // A pin where there is not enough is a shortage at that location.
    const shortPin = await post(`/orders/${order.id}/confirm`, support, {
      items: [{ orderItemId: iq, stockLocationId: b.id }],
    }).expect(409);
    expect(shortPin.body.shortages).toEqual([
      {
        productVariantId: q.id,
        stockLocationId: b.id,
        orderItemId: iq,
        sku: q.sku,
        requested: 2,
        available: 0,
      },
    ]);

    const res = await post(`/orders/${order.id}/confirm`, admin, {
      items: [{ orderItemId: ip, stockLocationId: b.id }],
    }).expect(200);
    expect(res.body.status).toBe('confirmed');
    expect(await reservationsOf(order.id)).toEqual(
      [
        { order_item_id: ip, stock_location_id: b.id, quantity_reserved: 2 },
        { order_item_id: iq, stock_location_id: a.id, quantity_reserved: 2 },
      ].sort((m, n) => (m.stock_location_id < n.stock_location_id ? -1 : 1)),
    );
    const [entry] = await sql<{ additional_data: { pinned: string[]; strategy: string } }>(
      app,
      `select additional_data from order_history where order_id = ? and action = 'confirmed'`,
      [order.id],
    );
    expect(entry.additional_data).toMatchObject({ pinned: [ip], strategy: 'SingleLocationFirstStrategy' });
  });

  it('refuses bad pins with a 400 naming the field', async () => {
    const a = await createLocation(app);
    const inactive = await createLocation(app);
    await deactivateLocation(app, inactive);
    const p = (await createVariantWithStock(app, 5, a)).variant;
    const order = await placeOrder([{ variant: p, quantity: 1 }]);
    const [ip] = order.items.map((i) => i.id);
    const res = await post(`/orders/${order.id}/confirm`, support, {
      items: [
        { orderItemId: randomUUID(), stockLocationId: a.id },
        { orderItemId: ip, stockLocationId: randomUUID() },
        { orderItemId: ip, stockLocationId: inactive.id },
      ],
    }).expect(400);
    expect(res.body.errors).toEqual([
      { field: 'items.0.orderItemId', message: 'is not an item of this order' },
      { field: 'items.1.stockLocationId', message: 'no such stock location' },
      { field: 'items.2.orderItemId', message: 'each item may be pinned once' },
      { field: 'items.2.stockLocationId', message: 'the stock location is not active' },
    ]);
    const shape = await post(`/orders/${order.id}/confirm`, support, {
      items: [{ orderItemId: 'x' }],
    }).expect(400);
    expect(shape.body.errors.map((e: { field: string }) => e.field)).toEqual([
      'items.0.orderItemId',
      'items.0.stockLocationId',
    ]);
    await post(`/orders/${order.id}/confirm`, warehouse).expect(403);
    await post(`/orders/${order.id}/confirm`, customer).expect(403);
    expect(await reservationsOf(order.id)).toEqual([]);
  });

  it('ignores inactive locations when placing', async () => {
    const a = await createLocation(app);
    const closed = await createLocation(app);
    const p = (await createVariantWithStock(app, 1, a)).variant;
    await addStock(p, closed, 50);
    await deactivateLocation(app, closed);
    const order = await placeOrder([{ variant: p, quantity: 2 }]);
    const res = await post(`/orders/${order.id}/confirm`, support).expect(409);
    expect(res.body.shortages[0]).toMatchObject({ requested: 2, available: 1 });
  });

  it('counts units reserved by hand while pending and reserves only the rest', async () => {
    const a = await createLocation(app);
    const p = (await createVariantWithStock(app, 5, a)).variant;
    const order = await placeOrder([{ variant: p, quantity: 3 }]);
    const [ip] = order.items.map((i) => i.id);
    await post('/reservations', admin, {
      orderId: order.id,
      orderItemId: ip,
      productVariantId: p.id,
      stockLocationId: a.id,
      quantity: 1,
    }).expect(201);
    const res = await post(`/orders/${order.id}/confirm`, support).expect(200);
    expect(res.body.items[0].quantityReserved).toBe(3);
    expect(res.body.reservations).toEqual({ active: 2, unitsReserved: 3, unitsFulfilled: 0 });
    expect((await reservedAt(p))[0].reserved).toBe(3);
  });

  it('never oversells: orders racing for the last units, exactly as many confirm as stock allows', async () => {
    const a = await createLocation(app);
    const p = (await createVariantWithStock(app, 5, a)).variant;
    const orders = [];
    for (let i = 0; i < 8; i++) orders.push(await placeOrder([{ variant: p, quantity: 2 }]));
    const results = await Promise.all(orders.map((o) => post(`/orders/${o.id}/confirm`, support)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 409, 409, 409, 409, 409, 409]);
    for (const r of results.filter((x) => x.status === 409)) expect(r.body.code).toBe('INSUFFICIENT_STOCK');
    expect(await reservedAt(p)).toEqual([{ stock_location_id: a.id, reserved: 4 }]);
    const [{ n }] = await sql<{ n: number }>(
      app,
      `select count(*)::int as n from orders where id in (${orders.map(() => '?').join(',')}) and status = 'confirmed'`,
      orders.map((o) => o.id),
    );
    expect(n).toBe(2);
  });

  it('the same order confirmed twice at once: one confirmation, one 409', async () => {
    const a = await createLocation(app);
    const p = (await createVariantWithStock(app, 10, a)).variant;
    const order = await placeOrder([{ variant: p, quantity: 2 }]);
    const results = await Promise.all([1, 2, 3].map(() => post(`/orders/${order.id}/confirm`, support)));
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409]);
    expect((await reservedAt(p))[0].reserved).toBe(2);
    const trail = await sql<{ action: string }>(
      app,
      `select action from order_history where order_id = ? and action = 'confirmed'`,
      [order.id],
    );
    expect(trail).toHaveLength(1);
  });
});
