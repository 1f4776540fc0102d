import { createTestApp, createUser, http, sql, TestApp, TestUser } from './utils/app';
import { createOrder, createVariantWithStock } from './utils/factories';
import { notifyCustomer } from './utils/notes';
import { UserRole } from '../src/identity/user-role.enum';
import { OrderStatus } from '../src/orders/order-status.enum';
import { FulfillmentStatus } from '../src/fulfillment/fulfillment-status.enum';

const HOUR = 3_600_000;

/**
 * The dashboard counts the whole database, which other test files change at the same time. So the
 * answer is compared with figures computed here by hand from the rows (not with SQL aggregates),
 * taken just before and just after the request: when nothing changed in between, the answer must
 * equal them exactly.
 */
describe('dashboard summary (e2e)', () => {
  let app: TestApp;
  let admin: TestUser;
  let support: TestUser;

  beforeAll(async () => {
    app = await createTestApp();
    [admin, support] = await Promise.all([
      createUser(app, UserRole.ADMIN),
      createUser(app, UserRole.SUPPORT),
    ]);

    // Data of our own so that every figure is non-zero: an order in every status, a fulfillment in
    // every status, reservations expiring in 2 h, in 48 h and never, a pending customer notification.
    const customer = await createUser(app, UserRole.CUSTOMER);
    const { variant, location } = await createVariantWithStock(app, 100);
    for (const status of Object.values(OrderStatus)) {
      await createOrder(app, customer.user, [{ variant, quantity: 1 }], status);
    }
    // A confirmed order with one one-unit parcel moved into each fulfillment status by the API.
    const { order: shippedFrom, items: parcelItems } = await createOrder(
      app,
      customer.user,
      [{ variant, quantity: Object.values(FulfillmentStatus).length }],
      OrderStatus.CONFIRMED,
    );
    const S = FulfillmentStatus;
    const path: Record<FulfillmentStatus, FulfillmentStatus[]> = {
      [S.PENDING]: [],
      [S.PICKING]: [S.PICKING],
      [S.PACKING]: [S.PICKING, S.PACKING],
      [S.READY_TO_SHIP]: [S.PICKING, S.PACKING, S.READY_TO_SHIP],
      [S.SHIPPED]: [S.PICKING, S.PACKING, S.READY_TO_SHIP, S.SHIPPED],
      [S.PARTIALLY_FULFILLED]: [S.PICKING, S.PACKING, S.READY_TO_SHIP, S.SHIPPED, S.PARTIALLY_FULFILLED],
      [S.FULFILLED]: [S.PICKING, S.PACKING, S.READY_TO_SHIP, S.SHIPPED, S.FULFILLED],
      [S.CANCELLED]: [S.CANCELLED],
    };
    for (const status of Object.values(FulfillmentStatus)) {
      const parcel = await http(app)
        .post(`/api/v1/orders/${shippedFrom.id}/fulfillments`)
        .set(admin.auth)
        .send({ warehouseLocation: location.code, items: { [parcelItems[0].id]: 1 } })
        .expect(201);
      for (const step of path[status]) {
        await http(app)
          .post(`/api/v1/fulfillments/${parcel.body.id}/status`)
          .set(admin.auth)
          .send({ status: step })
          .expect(200);
      }
    }
    // A pending order holding reservations of its own (confirming would reserve it all).
    const { order, items } = await createOrder(app, customer.user, [{ variant, quantity: 6 }]);
    for (const [quantity, expiresIn] of [
      [1, 2 * HOUR],
      [2, 48 * HOUR],
      [3, null],
    ] as const) {
      await http(app)
        .post('/api/v1/reservations')
        .set(admin.auth)
        .send({
          orderId: order.id,
          orderItemId: items[0].id,
          productVariantId: variant.id,
          stockLocationId: location.id,
          quantity,
          expiresAt: expiresIn === null ? null : new Date(Date.now() + expiresIn).toISOString(),
        })
        .expect(201);
    }
    await notifyCustomer(app, support, order.id, 'Your order is delayed');
    // Not due for a day: dispatchers that other test files run leave it pending.
    await sql(
      app,
      `update customer_notifications set next_attempt_at = now() + interval '1 day' where order_id = ?`,
      [order.id],
    );
  });

  afterAll(async () => {
    await app.close();
  });

  /** The expected summary, computed in JavaScript from the rows themselves. */
  async function byHand() {
    const orders = await sql<{ status: string }>(app, 'select status from orders');
    const fulfillments = await sql<{ status: string }>(app, 'select status from order_fulfillments');
    const active = await sql<{
      quantity_reserved: number;
      quantity_fulfilled: number;
      expires_at: Date | null;
    }>(
      app,
      'select quantity_reserved, quantity_fulfilled, expires_at from inventory_reservations where is_active',
    );
    const notifications = await sql<{ status: string }>(app, 'select status from customer_notifications');
    const count = (rows: { status: string }[], statuses: string[]) =>
      Object.fromEntries(statuses.map((s) => [s, rows.filter((r) => r.status === s).length]));
    const horizon = Date.now() + 24 * HOUR;
    const expiring = active.filter(
      (r) => r.expires_at !== null && new Date(r.expires_at).getTime() < horizon,
    );
    const units = (rows: typeof active) =>
      rows.reduce((sum, r) => sum + r.quantity_reserved - r.quantity_fulfilled, 0);
    return {
      ordersByStatus: count(orders, Object.values(OrderStatus)),
      fulfillmentsByStatus: count(fulfillments, Object.values(FulfillmentStatus)),
      activeReservations: { count: active.length, units: units(active) },
      reservationsExpiringIn24h: { count: expiring.length, units: units(expiring) },
      notificationsPending: notifications.filter((n) => n.status === 'pending').length,
    };
  }

  it('matches the figures computed by hand from the rows', async () => {
    let compared = false;
    for (let attempt = 0; attempt < 40 && !compared; attempt++) {
      const before = await byHand();
      const res = await http(app).get('/api/v1/dashboard/summary').set(support.auth).expect(200);
      const after = await byHand();
      if (JSON.stringify(before) !== JSON.stringify(after)) continue; // another test wrote meanwhile
      const { generatedAt, ...figures } = res.body;
      expect(figures).toEqual(before);
      expect(Math.abs(new Date(generatedAt).getTime() - Date.now())).toBeLessThan(60_000);
      compared = true;
    }
    expect(compared).toBe(true);
  });

  it('always lists every status, with our own data counted', async () => {
    const res = await http(app).get('/api/v1/dashboard/summary').set(admin.auth).expect(200);
    expect(Object.keys(res.body.ordersByStatus)).toEqual(Object.values(OrderStatus));
    expect(Object.keys(res.body.fulfillmentsByStatus)).toEqual(Object.values(FulfillmentStatus));
    for (const n of Object.values<number>(res.body.ordersByStatus)) expect(n).toBeGreaterThanOrEqual(1);
    for (const n of Object.values<number>(res.body.fulfillmentsByStatus)) expect(n).toBeGreaterThanOrEqual(1);
    expect(res.body.activeReservations.count).toBeGreaterThanOrEqual(3);
    expect(res.body.activeReservations.units).toBeGreaterThanOrEqual(6);
    expect(res.body.reservationsExpiringIn24h.count).toBeGreaterThanOrEqual(1);
    expect(res.body.notificationsPending).toBeGreaterThanOrEqual(1);
  });

  it('is for admin and support only', async () => {
    const warehouse = await createUser(app, UserRole.WAREHOUSE);
    const customer = await createUser(app, UserRole.CUSTOMER);
    await http(app).get('/api/v1/dashboard/summary').set(warehouse.auth).expect(403);
    await http(app).get('/api/v1/dashboard/summary').set(customer.auth).expect(403);
    await http(app).get('/api/v1/dashboard/summary').expect(401);
  });
});
