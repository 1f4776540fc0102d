import { randomUUID } from 'node:crypto';
import { createTestApp, createUser, http, sql, TestApp, TestUser } from './utils/app';
import { createLocation, createVariantWithStock, OrderLine, setStock } from './utils/factories';
import { placeOrder as placeOrderViaApi } from './utils/orders';
import { UserRole } from '../src/identity/user-role.enum';
import { ProductVariant } from '../src/catalog/product-variant.entity';
import { StockLocation } from '../src/catalog/stock-location.entity';

describe('cancelling an order (e2e)', () => {
  let app: TestApp;
  let support: TestUser;
  let warehouse: TestUser;
  let customer: TestUser;
  let whA: StockLocation;
  let whB: StockLocation;

  beforeAll(async () => {
    app = await createTestApp();
    [support, warehouse, customer] = await Promise.all([
      createUser(app, UserRole.SUPPORT),
      createUser(app, UserRole.WAREHOUSE),
      createUser(app, UserRole.CUSTOMER),
    ]);
    whA = await createLocation(app);
    whB = await createLocation(app);
  });

  afterAll(async () => {
    await app.close();
  });

  const post = (path: string, user: TestUser, body: object = {}) =>
    http(app).post(`/api/v1${path}`).set(user.auth).send(body);

  async function stockOf(variant: ProductVariant) {
    return sql<{ code: string; on_hand: number; reserved: number }>(
      app,
      `select l.code, s.quantity_on_hand as on_hand, s.quantity_reserved as reserved
         from stock_levels s join stock_locations l on l.id = s.stock_location_id
        where s.product_variant_id = ? order by l.code`,
      [variant.id],
    );
  }

  const placeOrder = (lines: OrderLine[]) => placeOrderViaApi(app, support, customer.user, lines, '3.00');

  it('releases every reservation and cancels every open fulfillment, in one transaction with its history', async () => {
    // X is split: 3 at A + 2 at B; Y at A.
    const x = (await createVariantWithStock(app, 3, whA)).variant;
    await setStock(app, x, whB, 2);
    const y = (await createVariantWithStock(app, 4, whA)).variant;
    const order = await placeOrder([
      { variant: x, quantity: 5 },
      { variant: y, quantity: 1 },
    ]);
    const [itemX, itemY] = order.items.map((i) => i.id);
    const confirmed = await post(`/orders/${order.id}/confirm`, support).expect(200);
    expect(confirmed.body.reservations).toEqual({ active: 3, unitsReserved: 6, unitsFulfilled: 0 });
    expect(await stockOf(x)).toEqual(
      [
        { code: whA.code, on_hand: 3, reserved: 3 },
        { code: whB.code, on_hand: 2, reserved: 2 },
      ].sort((a, b) => a.code.localeCompare(b.code)),
    );

    // Two open fulfillments, one of them already picking (the order is processing).
    const f1 = await post(`/orders/${order.id}/fulfillments`, warehouse, {
      warehouseLocation: whA.code,
      items: { [itemX]: 3 },
    }).expect(201);
    await post(`/fulfillments/${f1.body.id}/status`, warehouse, { status: 'picking' }).expect(200);
    const f2 = await post(`/orders/${order.id}/fulfillments`, warehouse, {
      warehouseLocation: whB.code,
      items: { [itemY]: 1 },
    }).expect(201);
    const historyBefore = await sql<{ n: number }>(
      app,
      'select count(*)::int as n from order_history where order_id = ?',
      [order.id],
    );

    const res = await post(`/orders/${order.id}/cancel`, support, {
      reason: 'Customer changed their mind',
    }).expect(200);
    expect(res.body).toMatchObject({
      status: 'cancelled',
      reservations: { active: 0, unitsReserved: 0, unitsFulfilled: 0 },
      allowedActions: [], // nothing was paid: nothing to refund
    });
    expect(res.body.fulfillments.map((f: { id: string; status: string }) => [f.id, f.status])).toEqual([
      [f1.body.id, 'cancelled'],
      [f2.body.id, 'cancelled'],
    ]);

    // Stock is available again everywhere.
    for (const level of await stockOf(x)) expect(level.reserved).toBe(0);
    expect(await stockOf(y)).toEqual([{ code: whA.code, on_hand: 4, reserved: 0 }]);
    const availability = await http(app)
      .get(`/api/v1/inventory/variants/${x.id}/availability`)
      .set(support.auth)
      .expect(200);
    expect(availability.body).toMatchObject({ onHand: 5, reserved: 0, available: 5 });

    // Reservations are kept, inactive, released for the reason cancelled.
    const reservations = await sql(
      app,
      'select is_active, release_reason, released_at is not null as released from inventory_reservations where order_id = ?',
      [order.id],
    );
    expect(reservations).toHaveLength(3);
    for (const r of reservations)
      expect(r).toEqual({ is_active: false, release_reason: 'cancelled', released: true });
    const fulfillments = await sql(
      app,
      'select status, cancelled_at is not null as stamped from order_fulfillments where order_id = ?',
      [order.id],
    );
    expect(fulfillments).toEqual([
      { status: 'cancelled', stamped: true },
      { status: 'cancelled', stamped: true },
    ]);

    // History: 3 releases, 2 fulfillment cancellations, then the order's own entry.
    const entries = await sql<{
      action: string;
      old_status: string | null;
      new_status: string | null;
      additional_data: Record<string, unknown>;
    }>(
      app,
      'select action, old_status, new_status, additional_data from order_history where order_id = ? and sequence > ? order by sequence',
      [order.id, historyBefore[0].n],
    );
    expect(entries.map((e) => e.action)).toEqual([
      'inventory_released',
      'inventory_released',
      'inventory_released',
      'status_changed',
      'status_changed',
      'cancelled',
    ]);
    expect(entries[5]).toEqual({
      action: 'cancelled',
      old_status: 'processing',
      new_status: 'cancelled',
      additional_data: {
        reason: 'Customer changed their mind',
        reservationsReleased: 3,
        fulfillmentsCancelled: 2,
      },
    });

    // Cancelled is final for the lifecycle (only refunds remain).
    const again = await post(`/orders/${order.id}/cancel`, support, { reason: 'again' }).expect(409);
    expect(again.body).toMatchObject({ code: 'INVALID_TRANSITION', from: 'cancelled', allowed: ['refund'] });
    await post(`/orders/${order.id}/confirm`, support).expect(409);
  });

  it('cancels a pending order (nothing to release) and refuses bad or unauthorised requests', async () => {
    const { variant } = await createVariantWithStock(app, 1, whA);
    const order = await placeOrder([{ variant, quantity: 1 }]);
    const missing = await post(`/orders/${order.id}/cancel`, support, {}).expect(400);
    expect(missing.body.errors[0].field).toBe('reason');
    await post(`/orders/${order.id}/cancel`, warehouse, { reason: 'x' }).expect(403);
    await post(`/orders/${order.id}/cancel`, customer, { reason: 'x' }).expect(403);
    await post(`/orders/${randomUUID()}/cancel`, support, { reason: 'x' }).expect(404);
    const res = await post(`/orders/${order.id}/cancel`, support, { reason: 'Duplicate order' }).expect(200);
    expect(res.body).toMatchObject({ status: 'cancelled', reservations: { active: 0 } });
    const trail = await sql<{ action: string }>(
      app,
      'select action from order_history where order_id = ? order by sequence',
      [order.id],
    );
    expect(trail.map((t) => t.action)).toEqual(['created', 'cancelled']);
  });

  it('a paid cancelled order can be refunded in full, and becomes refunded', async () => {
    const { variant } = await createVariantWithStock(app, 2, whA);
    const order = await placeOrder([{ variant, quantity: 2 }]);
    await post(`/orders/${order.id}/payments`, support, {
      outcome: 'received',
      amount: '6.00',
      reference: 'PSP',
    }).expect(200);
    await post(`/orders/${order.id}/cancel`, support, { reason: 'Out of stock' }).expect(200);
    const admin = await createUser(app, UserRole.ADMIN);
    const partial = await post(`/orders/${order.id}/refunds`, admin, {
      amount: '2.00',
      reason: 'part',
    }).expect(200);
    expect(partial.body).toMatchObject({ status: 'cancelled', amountRefunded: '2.00' });
    const full = await post(`/orders/${order.id}/refunds`, admin, { amount: '4.00', reason: 'rest' }).expect(
      200,
    );
    expect(full.body).toMatchObject({ status: 'refunded', amountRefunded: '6.00' });
  });
});
