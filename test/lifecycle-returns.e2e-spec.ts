import { randomUUID } from 'node:crypto';
import { createTestApp, createUsersOfEveryRole, http, sql, TestApp, TestUser } from './utils/app';
import { createLocation, createVariantWithStock } from './utils/factories';
import { placeOrder } from './utils/orders';
import { ProductVariant } from '../src/catalog/product-variant.entity';
import { StockLocation } from '../src/catalog/stock-location.entity';

describe('delivery and returns (e2e)', () => {
  let app: TestApp;
  let admin: TestUser;
  let support: TestUser;
  let warehouse: TestUser;
  let customer: TestUser;
  let home: StockLocation;
  let outlet: StockLocation;
  let x: ProductVariant;
  let y: ProductVariant;

  beforeAll(async () => {
    app = await createTestApp();
    ({ admin, support, warehouse, customer } = await createUsersOfEveryRole(app));
    home = await createLocation(app);
    outlet = await createLocation(app);
    x = (await createVariantWithStock(app, 50, home)).variant;
    y = (await createVariantWithStock(app, 50, home)).variant;
  });

  afterAll(async () => {
    await app.close();
  });

  const post = (path: string, user: TestUser, body: object = {}) =>
    http(app).post(`/api/v1${path}`).set(user.auth).send(body);

  async function onHand(variant: ProductVariant, location: StockLocation): Promise<number | undefined> {
    const [row] = await sql<{ n: number }>(
      app,
      'select quantity_on_hand as n from stock_levels where product_variant_id = ? and stock_location_id = ?',
      [variant.id, location.id],
    );
    return row?.n;
  }

  /** An order of 3 × X and 2 × Y, shipped in full; delivered unless told otherwise. */
  async function shippedOrder(deliver = true) {
    const order = await placeOrder(app, support, customer.user, [
      { variant: x, quantity: 3, unitPrice: '4.00' },
      { variant: y, quantity: 2, unitPrice: '1.00' },
    ]);
    const [ix, iy] = order.items.map((i) => i.id);
    await post(`/orders/${order.id}/confirm`, support).expect(200);
    const f = await post(`/orders/${order.id}/fulfillments`, warehouse, {
      warehouseLocation: home.code,
      items: { [ix]: 3, [iy]: 2 },
    }).expect(201);
    for (const status of ['picking', 'packing', 'ready_to_ship', 'shipped']) {
      await post(`/fulfillments/${f.body.id}/status`, warehouse, { status }).expect(200);
    }
    if (deliver) await post(`/orders/${order.id}/deliver`, warehouse).expect(200);
    return { id: order.id, ix, iy };
  }

  it('delivers only a shipped order, for admin, support and warehouse', async () => {
    const order = await shippedOrder(false);
    await post(`/orders/${order.id}/deliver`, customer).expect(403);
    const res = await post(`/orders/${order.id}/deliver`, support).expect(200);
    expect(res.body).toMatchObject({ status: 'delivered' });
    const again = await post(`/orders/${order.id}/deliver`, admin).expect(409);
    expect(again.body).toMatchObject({
      code: 'INVALID_TRANSITION',
      from: 'delivered',
      action: 'deliver',
      allowedFrom: ['shipped'],
    });
  });

  it('receives returns: restock where it shipped from, at a chosen location, or not at all', async () => {
    const order = await shippedOrder();
    expect(await onHand(x, home)).toBeLessThan(50);
    const xBefore = (await onHand(x, home))!;
    const yBefore = (await onHand(y, home))!;
    await post(`/orders/${order.id}/return-request`, support, {
      reason: 'Damaged',
      items: [
        { orderItemId: order.ix, quantity: 3 },
        { orderItemId: order.iy, quantity: 1 },
      ],
    }).expect(200);
    await post(`/orders/${order.id}/returns`, support, {
      items: [{ orderItemId: order.ix, quantity: 1, restock: false }],
    }).expect(403);

    const res = await post(`/orders/${order.id}/returns`, warehouse, {
      items: [
        { orderItemId: order.ix, quantity: 2, restock: true },
        { orderItemId: order.iy, quantity: 1, restock: true, stockLocationId: outlet.id },
      ],
    }).expect(200);
    // 1 × X and 1 × Y are still out: a partial return leaves the order delivered.
    expect(res.body.status).toBe('delivered');
    expect(res.body.items.map((i: { quantityReturned: number }) => i.quantityReturned)).toEqual([2, 1]);
    expect(await onHand(x, home)).toBe(xBefore + 2);
    expect(await onHand(y, home)).toBe(yBefore);
    expect(await onHand(y, outlet)).toBe(1); // a new stock level
    const items = await sql(
      app,
      'select quantity_returned from order_items where order_id = ? order by created_at',
      [order.id],
    );
    expect(items).toEqual([{ quantity_returned: 2 }, { quantity_returned: 1 }]);
  });

  it('refuses returns above what shipped, unknown items and locations, and the wrong status', async () => {
    const order = await shippedOrder();
    const early = await post(`/orders/${order.id}/returns`, admin, {
      items: [{ orderItemId: order.ix, quantity: 1, restock: false }],
    }).expect(409);
    expect(early.body).toMatchObject({
      code: 'INVALID_TRANSITION',
      from: 'delivered',
      action: 'receive-return',
    });
    const unknown = await post(`/orders/${order.id}/return-request`, support, {
      reason: 'x',
      items: [{ orderItemId: randomUUID(), quantity: 1 }],
    }).expect(400);
    expect(unknown.body.errors).toEqual([
      { field: 'items.0.orderItemId', message: 'is not an item of this order' },
    ]);
    await post(`/orders/${order.id}/return-request`, support, {
      reason: 'x',
      items: [{ orderItemId: order.ix, quantity: 3 }],
    }).expect(200);

    const over = await post(`/orders/${order.id}/returns`, admin, {
      items: [{ orderItemId: order.ix, quantity: 4, restock: false }],
    }).expect(409);
    expect(over.body.items).toEqual([{ orderItemId: order.ix, sku: x.sku, requested: 4, returnable: 3 }]);
    const dup = await post(`/orders/${order.id}/returns`, admin, {
      items: [
        { orderItemId: order.ix, quantity: 1, restock: false },
        { orderItemId: order.ix, quantity: 1, restock: false },
      ],
    }).expect(400);
    expect(dup.body.errors).toEqual([{ field: 'items.1.orderItemId', message: 'each item may appear once' }]);
    const location = await post(`/orders/${order.id}/returns`, admin, {
      items: [{ orderItemId: order.ix, quantity: 1, restock: true, stockLocationId: randomUUID() }],
    }).expect(400);
    expect(location.body.errors).toEqual([
      { field: 'items.0.stockLocationId', message: 'no such stock location' },
    ]);
    const shape = await post(`/orders/${order.id}/returns`, admin, {
      items: [{ orderItemId: order.ix, quantity: 0 }],
    }).expect(400);
    expect(shape.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'items.0.quantity',
      'items.0.restock',
    ]);

    // None of it changed anything.
    const [row] = await sql(app, 'select status from orders where id = ?', [order.id]);
    expect(row).toEqual({ status: 'return_requested' });
    const items = await sql(app, 'select quantity_returned from order_items where order_id = ?', [order.id]);
    expect(items).toEqual([{ quantity_returned: 0 }, { quantity_returned: 0 }]);
  });
});
