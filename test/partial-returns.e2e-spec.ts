import { createTestApp, createUsersOfEveryRole, http, sql, TestApp, TestUser } from './utils/app';
import { createVariantWithStock } from './utils/factories';
import { placeOrder } from './utils/orders';
import { ProductVariant } from '../src/catalog/product-variant.entity';
import { StockLocation } from '../src/catalog/stock-location.entity';

/**
 * A partial return keeps further returns possible until every shipped unit is back; `returned`
 * means all of them are (docs/architecture.md §3). In between, the order is delivered again.
 */
describe('partial returns (e2e)', () => {
  let app: TestApp;
  let admin: TestUser;
  let support: TestUser;
  let warehouse: TestUser;
  let customer: TestUser;
  let home: StockLocation;
  let x: ProductVariant;
  let y: ProductVariant;

  beforeAll(async () => {
    app = await createTestApp();
    ({ admin, support, warehouse, customer } = await createUsersOfEveryRole(app));
    const created = await createVariantWithStock(app, 50);
    x = created.variant;
    home = created.location;
    y = (await createVariantWithStock(app, 50, home)).variant;
  });

  afterAll(async () => {
    await app.close();
  });

  const post = (path: string, user: TestUser, body: object = {}) =>
    http(app).post(`/api/v1${path}`).set(user.auth).send(body);

  /** 3 × X at 4.00 and 1 × Y at 2.00 (14.00), paid in full, shipped and delivered, all through the API. */
  async function deliveredOrder() {
    const order = await placeOrder(app, support, customer.user, [
      { variant: x, quantity: 3, unitPrice: '4.00' },
      { variant: y, quantity: 1, unitPrice: '2.00' },
    ]);
    const [ix, iy] = order.items.map((i) => i.id);
    await post(`/orders/${order.id}/confirm`, support).expect(200);
    await post(`/orders/${order.id}/payments`, support, {
      outcome: 'received',
      amount: '14.00',
      reference: 'PSP-1',
    }).expect(200);
    const f = await post(`/orders/${order.id}/fulfillments`, warehouse, {
      warehouseLocation: home.code,
      items: { [ix]: 3, [iy]: 1 },
    }).expect(201);
    for (const status of ['picking', 'packing', 'ready_to_ship', 'shipped']) {
      await post(`/fulfillments/${f.body.id}/status`, warehouse, { status }).expect(200);
    }
    await post(`/orders/${order.id}/deliver`, warehouse).expect(200);
    return { id: order.id, ix, iy };
  }

  const returnOf = async (orderId: string, items: { orderItemId: string; quantity: number }[]) => {
    await post(`/orders/${orderId}/return-request`, support, { reason: 'Too many', items }).expect(200);
    return post(`/orders/${orderId}/returns`, warehouse, {
      items: items.map((line) => ({ ...line, restock: false })),
    });
  };

  it('keeps the order delivered after a partial return, with further returns and refunds possible', async () => {
    const order = await deliveredOrder();
    const first = await returnOf(order.id, [{ orderItemId: order.ix, quantity: 1 }]);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'delivered', allowedActions: ['return-request', 'refund'] });
    expect(first.body.items.map((i: { quantityReturned: number }) => i.quantityReturned)).toEqual([1, 0]);

    // The returned unit is refunded; the order stays delivered.
    const refund = await post(`/orders/${order.id}/refunds`, admin, { amount: '4.00', reason: '1 × X back' });
    expect(refund.status).toBe(200);
    expect(refund.body).toMatchObject({ status: 'delivered', amountRefunded: '4.00' });

    // At most what shipped and has not come back: 2 × X, 1 × Y.
    const over = await post(`/orders/${order.id}/return-request`, support, {
      reason: 'x',
      items: [{ orderItemId: order.ix, quantity: 3 }],
    }).expect(409);
    expect(over.body.items).toEqual([{ orderItemId: order.ix, sku: x.sku, requested: 3, returnable: 2 }]);

    // A second partial return, asked by the customer this time.
    await post(`/me/orders/${order.id}/return-request`, customer, {
      reason: 'Changed my mind',
      items: [{ orderItemId: order.iy, quantity: 1 }],
    }).expect(200);
    const overReceived = await post(`/orders/${order.id}/returns`, warehouse, {
      items: [{ orderItemId: order.iy, quantity: 2, restock: false }],
    }).expect(409);
    expect(overReceived.body.items).toEqual([
      { orderItemId: order.iy, sku: y.sku, requested: 2, returnable: 1 },
    ]);
    const second = await post(`/orders/${order.id}/returns`, warehouse, {
      items: [{ orderItemId: order.iy, quantity: 1, restock: true }],
    }).expect(200);
    expect(second.body.status).toBe('delivered');

    // The last two units: now every shipped unit is back.
    const last = await returnOf(order.id, [{ orderItemId: order.ix, quantity: 2 }]);
    expect(last.status).toBe(200);
    expect(last.body).toMatchObject({ status: 'returned', allowedActions: ['refund'] });
    expect(last.body.items.map((i: { quantityReturned: number }) => i.quantityReturned)).toEqual([3, 1]);
    const after = await post(`/orders/${order.id}/return-request`, support, {
      reason: 'x',
      items: [{ orderItemId: order.ix, quantity: 1 }],
    }).expect(409);
    expect(after.body).toMatchObject({ code: 'INVALID_TRANSITION', from: 'returned' });

    const rest = await post(`/orders/${order.id}/refunds`, admin, { amount: '10.00', reason: 'all back' });
    expect(rest.status).toBe(200);
    expect(rest.body).toMatchObject({ status: 'refunded', amountRefunded: '14.00' });

    const history = await sql<{ action: string; old_status: string; new_status: string }>(
      app,
      `select action, old_status, new_status from order_history
        where order_id = ? and action in ('return_requested', 'returned') order by sequence`,
      [order.id],
    );
    expect(history).toEqual([
      { action: 'return_requested', old_status: 'delivered', new_status: 'return_requested' },
      { action: 'returned', old_status: 'return_requested', new_status: 'delivered' },
      { action: 'return_requested', old_status: 'delivered', new_status: 'return_requested' },
      { action: 'returned', old_status: 'return_requested', new_status: 'delivered' },
      { action: 'return_requested', old_status: 'delivered', new_status: 'return_requested' },
      { action: 'returned', old_status: 'return_requested', new_status: 'returned' },
    ]);
  });

  it('returns everything at once as before: the order becomes returned', async () => {
    const order = await deliveredOrder();
    const res = await returnOf(order.id, [
      { orderItemId: order.ix, quantity: 3 },
      { orderItemId: order.iy, quantity: 1 },
    ]);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('returned');
  });
});
