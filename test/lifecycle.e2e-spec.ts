import { createTestApp, createUsersOfEveryRole, http, sql, TestApp, TestUser } from './utils/app';
import { createLocation, createVariantWithStock, setStock } from './utils/factories';
import { SHIPPING_ADDRESS } from './utils/orders';
import { ProductVariant } from '../src/catalog/product-variant.entity';
import { StockLocation } from '../src/catalog/stock-location.entity';

type Entry = [action: string, oldStatus: string | null, newStatus: string | null];

/**
 * One order through its whole life over HTTP: create → confirm → pay → two shipments → deliver →
 * return → refund, checking every answer, the stock levels and the full history after each step.
 */
describe('order lifecycle (e2e)', () => {
  let app: TestApp;
  let admin: TestUser;
  let support: TestUser;
  let warehouse: TestUser;
  let customer: TestUser;
  let whA: StockLocation;
  let whB: StockLocation;
  let x: ProductVariant;
  let y: ProductVariant;

  beforeAll(async () => {
    app = await createTestApp();
    ({ admin, support, warehouse, customer } = await createUsersOfEveryRole(app));
    whA = await createLocation(app);
    whB = await createLocation(app);
  });

  afterAll(async () => {
    await app.close();
  });

  async function stock(variant: ProductVariant, location: StockLocation) {
    const [row] = await sql<{ on_hand: number; reserved: number }>(
      app,
      `select quantity_on_hand as on_hand, quantity_reserved as reserved from stock_levels
        where product_variant_id = ? and stock_location_id = ?`,
      [variant.id, location.id],
    );
    return row;
  }

  async function trail(orderId: string): Promise<Entry[]> {
    const rows = await sql<{ action: string; old_status: string | null; new_status: string | null }>(
      app,
      'select action, old_status, new_status from order_history where order_id = ? order by sequence',
      [orderId],
    );
    return rows.map((r) => [r.action, r.old_status, r.new_status]);
  }

  const post = (path: string, user: TestUser, body: object = {}) =>
    http(app).post(`/api/v1${path}`).set(user.auth).send(body);

  async function moveFulfillment(id: string, ...statuses: string[]) {
    for (const status of statuses) {
      const res = await post(`/fulfillments/${id}/status`, warehouse, { status });
      expect([status, res.status]).toEqual([status, 200]);
    }
  }

  it('walks create → confirm → pay → ship twice → deliver → return → refund', async () => {
    // X: 5 at A, 2 at B. Y: 3 at A. A can serve the whole order.
    x = (await createVariantWithStock(app, 5, whA)).variant;
    await setStock(app, x, whB, 2);
    y = (await createVariantWithStock(app, 3, whA)).variant;

    // --- create
    const created = await post('/orders', support, {
      customerId: customer.user.id,
      currency: 'EUR',
      items: [
        { variantId: x.id, quantity: 4, unitPrice: '12.50' },
        { variantId: y.id, quantity: 2, unitPrice: '7.25' },
      ],
      shippingAddress: SHIPPING_ADDRESS,
    }).expect(201);
    const order = created.body;
    expect(order).toMatchObject({ status: 'pending', totalAmount: '64.50', amountPaid: '0.00' });
    const [itemX, itemY] = order.items.map((i: { id: string }) => i.id);
    const expected: Entry[] = [['created', null, 'pending']];
    expect(await trail(order.id)).toEqual(expected);

    // --- confirm: everything at A (one location serves all)
    const confirmed = await post(`/orders/${order.id}/confirm`, support).expect(200);
    expect(confirmed.body).toMatchObject({
      id: order.id,
      status: 'confirmed',
      reservations: { active: 2, unitsReserved: 6, unitsFulfilled: 0 },
      fulfillments: [],
      allowedActions: ['payment', 'fulfil', 'cancel'],
    });
    expect(confirmed.body.items.map((i: { quantityReserved: number }) => i.quantityReserved)).toEqual([4, 2]);
    expect(await stock(x, whA)).toEqual({ on_hand: 5, reserved: 4 });
    expect(await stock(x, whB)).toEqual({ on_hand: 2, reserved: 0 });
    expect(await stock(y, whA)).toEqual({ on_hand: 3, reserved: 2 });
    const reservations = await sql<{
      order_item_id: string;
      stock_location_id: string;
      quantity_reserved: number;
      expires_at: Date | null;
    }>(
      app,
      'select order_item_id, stock_location_id, quantity_reserved, expires_at from inventory_reservations where order_id = ? order by quantity_reserved desc',
      [order.id],
    );
    expect(reservations).toEqual([
      { order_item_id: itemX, stock_location_id: whA.id, quantity_reserved: 4, expires_at: null },
      { order_item_id: itemY, stock_location_id: whA.id, quantity_reserved: 2, expires_at: null },
    ]);
    expected.push(
      ['inventory_reserved', null, null],
      ['inventory_reserved', null, null],
      ['confirmed', 'pending', 'confirmed'],
    );
    expect(await trail(order.id)).toEqual(expected);
    const [confirmEntry] = await sql<{ additional_data: { reservations: unknown[] } }>(
      app,
      `select additional_data from order_history where order_id = ? and action = 'confirmed'`,
      [order.id],
    );
    expect(confirmEntry.additional_data.reservations).toHaveLength(2);

    // A second confirm is an illegal transition.
    const again = await post(`/orders/${order.id}/confirm`, support).expect(409);
    expect(again.body).toMatchObject({
      code: 'INVALID_TRANSITION',
      from: 'confirmed',
      allowed: ['payment', 'fulfil', 'cancel'],
    });

    // --- pay: one failure, then the full amount; more than the total is refused
    const failed = await post(`/orders/${order.id}/payments`, support, {
      outcome: 'failed',
      amount: '64.50',
      reference: 'PSP-1',
    }).expect(200);
    expect(failed.body).toMatchObject({ status: 'confirmed', amountPaid: '0.00' });
    const paid = await post(`/orders/${order.id}/payments`, support, {
      outcome: 'received',
      amount: 64.5,
      reference: 'PSP-2',
    }).expect(200);
    expect(paid.body).toMatchObject({ status: 'confirmed', amountPaid: '64.50' });
    const over = await post(`/orders/${order.id}/payments`, support, {
      outcome: 'received',
      amount: '0.01',
      reference: 'PSP-3',
    }).expect(409);
    expect(over.body).toMatchObject({
      code: 'CONFLICT',
      totalAmount: '64.50',
      amountPaid: '64.50',
      outstanding: '0.00',
    });
    expected.push(
      ['payment_failed', 'confirmed', 'confirmed'],
      ['payment_received', 'confirmed', 'confirmed'],
    );
    expect(await trail(order.id)).toEqual(expected);

    // --- first shipment: all of X
    const f1 = await post(`/orders/${order.id}/fulfillments`, warehouse, {
      warehouseLocation: whA.code,
      items: { [itemX]: 4 },
    }).expect(201);
    await moveFulfillment(f1.body.id, 'picking', 'packing', 'ready_to_ship', 'shipped');
    expected.push(
      ['status_changed', null, null], // fulfillment created
      ['processing_started', 'confirmed', 'processing'],
      ['status_changed', null, null], // packing
      ['packed', null, null],
      ['inventory_released', null, null], // X's reservation fulfilled
      ['shipped', null, null], // partial: the order stays processing
    );
    expect(await trail(order.id)).toEqual(expected);
    expect(await stock(x, whA)).toEqual({ on_hand: 1, reserved: 0 });
    const partial = await http(app).get(`/api/v1/orders/${order.id}`).set(support.auth).expect(200);
    expect(partial.body).toMatchObject({
      status: 'processing',
      reservations: { active: 1, unitsReserved: 2, unitsFulfilled: 4 },
    });
    expect(partial.body.items.map((i: { quantityShipped: number }) => i.quantityShipped)).toEqual([4, 0]);
    expect(partial.body.fulfillments).toEqual([
      expect.objectContaining({
        id: f1.body.id,
        status: 'shipped',
        items: { [itemX]: 4 },
        shippedAt: expect.any(String),
      }),
    ]);

    // Not deliverable yet (Y has not shipped), and no longer cancellable (X has).
    const early = await post(`/orders/${order.id}/deliver`, warehouse).expect(409);
    expect(early.body).toMatchObject({ code: 'INVALID_TRANSITION', from: 'processing', action: 'deliver' });
    const cancel = await post(`/orders/${order.id}/cancel`, support, { reason: 'too late' }).expect(409);
    expect(cancel.body).toMatchObject({ code: 'CONFLICT', shippedQuantities: { [itemX]: 4 } });
    expect(await trail(order.id)).toEqual(expected);

    // --- second shipment: Y; the order is shipped
    const f2 = await post(`/orders/${order.id}/fulfillments`, warehouse, {
      warehouseLocation: whA.code,
      items: { [itemY]: 2 },
    }).expect(201);
    await moveFulfillment(f2.body.id, 'picking', 'packing', 'ready_to_ship', 'shipped');
    expected.push(
      ['status_changed', null, null], // created
      ['status_changed', null, null], // picking (the order is already processing)
      ['status_changed', null, null], // packing
      ['packed', null, null],
      ['inventory_released', null, null],
      ['shipped', 'processing', 'shipped'],
    );
    expect(await trail(order.id)).toEqual(expected);
    expect(await stock(y, whA)).toEqual({ on_hand: 1, reserved: 0 });

    // --- deliver
    const delivered = await post(`/orders/${order.id}/deliver`, warehouse).expect(200);
    expect(delivered.body).toMatchObject({
      status: 'delivered',
      reservations: { active: 0, unitsReserved: 0, unitsFulfilled: 6 },
      // Paid in full: nothing more to pay.
      allowedActions: ['return-request', 'refund'],
    });
    expected.push(['delivered', 'shipped', 'delivered']);
    expect(await trail(order.id)).toEqual(expected);

    // --- return: more than shipped is refused; one X comes back and is restocked where it shipped from
    const tooMany = await post(`/orders/${order.id}/return-request`, support, {
      reason: 'Too big',
      items: [{ orderItemId: itemX, quantity: 5 }],
    }).expect(409);
    expect(tooMany.body.items).toEqual([{ orderItemId: itemX, sku: x.sku, requested: 5, returnable: 4 }]);
    const requested = await post(`/orders/${order.id}/return-request`, support, {
      reason: 'Too big',
      items: [{ orderItemId: itemX, quantity: 1 }],
    }).expect(200);
    expect(requested.body).toMatchObject({ status: 'return_requested', allowedActions: ['receive-return'] });
    expected.push(['return_requested', 'delivered', 'return_requested']);

    // Refunds wait until the items are back.
    await post(`/orders/${order.id}/refunds`, admin, { amount: '12.50', reason: 'early' }).expect(409);

    const returned = await post(`/orders/${order.id}/returns`, warehouse, {
      items: [{ orderItemId: itemX, quantity: 1, restock: true }],
    }).expect(200);
    // A partial return: the order is delivered again, the other units can still come back.
    expect(returned.body).toMatchObject({
      status: 'delivered',
      allowedActions: ['return-request', 'refund'],
    });
    expect(returned.body.items.map((i: { quantityReturned: number }) => i.quantityReturned)).toEqual([1, 0]);
    expect(await stock(x, whA)).toEqual({ on_hand: 2, reserved: 0 });
    expected.push(['returned', 'return_requested', 'delivered']);
    expect(await trail(order.id)).toEqual(expected);
    const [returnEntry] = await sql<{ additional_data: unknown }>(
      app,
      `select additional_data from order_history where order_id = ? and action = 'returned'`,
      [order.id],
    );
    expect(returnEntry.additional_data).toEqual({
      items: [
        {
          orderItemId: itemX,
          sku: x.sku,
          quantity: 1,
          restocked: true,
          stockLocationId: whA.id,
          // The unit shipped from A, so it goes back on hand at A.
          shippedFrom: [{ stockLocationId: whA.id, stockLocationCode: whA.code, quantity: 1 }],
          restockedAt: [{ stockLocationId: whA.id, stockLocationCode: whA.code, quantity: 1 }],
        },
      ],
      complete: false,
      unitsNotReturned: 5, // 3 × X and 2 × Y
    });

    // --- refund: partial keeps the status, more than paid is refused, the rest completes it
    const part = await post(`/orders/${order.id}/refunds`, admin, {
      amount: '12.50',
      reason: 'Returned item',
    }).expect(200);
    expect(part.body).toMatchObject({ status: 'delivered', amountPaid: '64.50', amountRefunded: '12.50' });
    const tooMuch = await post(`/orders/${order.id}/refunds`, admin, { amount: '52.01', reason: 'x' }).expect(
      409,
    );
    expect(tooMuch.body).toMatchObject({ code: 'CONFLICT', refundable: '52.00' });
    await post(`/orders/${order.id}/refunds`, support, { amount: '1.00', reason: 'x' }).expect(403);
    const rest = await post(`/orders/${order.id}/refunds`, admin, {
      amount: '52.00',
      reason: 'Goodwill',
    }).expect(200);
    expect(rest.body).toMatchObject({ status: 'refunded', amountRefunded: '64.50', allowedActions: [] });
    expected.push(['refunded', 'delivered', 'delivered'], ['refunded', 'delivered', 'refunded']);
    expect(await trail(order.id)).toEqual(expected);

    // Terminal: nothing more.
    const final = await post(`/orders/${order.id}/payments`, support, {
      outcome: 'received',
      amount: '1.00',
      reference: 'late',
    }).expect(409);
    expect(final.body).toMatchObject({ code: 'INVALID_TRANSITION', from: 'refunded', allowed: [] });
    const [row] = await sql(
      app,
      'select status, amount_paid, amount_refunded, total_amount from orders where id = ?',
      [order.id],
    );
    expect(row).toEqual({
      status: 'refunded',
      amount_paid: '64.50',
      amount_refunded: '64.50',
      total_amount: '64.50',
    });

    // The customer sees a safe timeline of it all.
    const timeline = await http(app)
      .get(`/api/v1/me/orders/${order.id}/timeline`)
      .set(customer.auth)
      .expect(200);
    expect(timeline.body.map((e: { action: string; status: string }) => [e.action, e.status])).toEqual([
      ['created', 'pending'],
      ['confirmed', 'confirmed'],
      ['payment_received', 'confirmed'],
      ['processing_started', 'processing'],
      ['shipped', 'processing'],
      ['shipped', 'shipped'],
      ['delivered', 'delivered'],
      ['return_requested', 'return_requested'],
      ['returned', 'delivered'],
      ['refunded', 'delivered'],
      ['refunded', 'refunded'],
    ]);
  });
});
