import { createTestApp, http, sql, TestApp } from './utils/app';
import { seedDemoData } from '../src/database/seeders/demo-data';
import { OrderStatus } from '../src/orders/order-status.enum';

/** The zero-setup demo data: orders in every status, made through the real services. */
describe('demo data (e2e)', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp();
  });

  afterAll(async () => {
    await app.close();
  });

  const demoOrders = () =>
    sql<{ id: string; status: string; total_amount: string; amount_paid: string; amount_refunded: string }>(
      app,
      `select o.id, o.status, o.total_amount, o.amount_paid, o.amount_refunded
         from orders o join users u on u.id = o.customer_id
        where u.email = 'customer@oms.local' order by o.created_at`,
    );

  it('seeds one order in every status, with notes, and is idempotent', async () => {
    // More variants than one page of the catalogue holds, sorting before the demo SKUs.
    await sql(
      app,
      `insert into product_variants (id, sku, name)
       select gen_random_uuid(), 'AAA-' || gen_random_uuid(), 'Filler' from generate_series(1, 120)`,
    );
    const credentials = await seedDemoData(app);
    const orders = await demoOrders();
    expect(orders.map((o) => o.status)).toEqual(Object.values(OrderStatus));
    const byStatus = Object.fromEntries(orders.map((o) => [o.status, o]));
    expect(byStatus.pending.amount_paid).toBe('0.00');
    expect(byStatus.confirmed.amount_paid).toBe(byStatus.confirmed.total_amount);
    expect(byStatus.refunded.amount_refunded).toBe(byStatus.refunded.amount_paid);

    // The processing order is partially shipped: one shipped fulfillment, one being picked.
    const fulfillments = await sql<{ status: string }>(
      app,
      'select status from order_fulfillments where order_id = ? order by created_at',
      [byStatus.processing.id],
    );
    expect(fulfillments.map((f) => f.status)).toEqual(['shipped', 'picking']);
    const deliveredParcels = await sql<{ status: string }>(
      app,
      'select status from order_fulfillments where order_id = ?',
      [byStatus.delivered.id],
    );
    expect(deliveredParcels).toEqual([{ status: 'fulfilled' }]);
    const [{ n: notes }] = await sql<{ n: number }>(
      app,
      `select count(*)::int as n from order_notes where order_id in (${orders.map(() => '?').join(',')})`,
      orders.map((o) => o.id),
    );
    expect(notes).toBeGreaterThanOrEqual(4);

    // Stock bookkeeping stays consistent after the whole lifecycle.
    const admin = credentials.find((c) => c.role === 'admin')!;
    const login = await http(app)
      .post('/api/v1/auth/login')
      .send({ email: admin.email, password: admin.password })
      .expect(200);
    const auth = { Authorization: `Bearer ${login.body.accessToken}` };
    // (Only the demo stock levels: other test files may leave deliberate drift elsewhere.)
    const demoLevels = await sql<{ id: string }>(
      app,
      `select s.id from stock_levels s join stock_locations l on l.id = s.stock_location_id
        where l.code in ('WH-A', 'WH-B')`,
    );
    expect(demoLevels).toHaveLength(12);
    const consistency = await http(app).get('/api/v1/inventory/consistency').set(auth).expect(200);
    const ids = new Set(demoLevels.map((l) => l.id));
    expect(
      consistency.body.mismatches.filter((m: { stockLevelId: string }) => ids.has(m.stockLevelId)),
    ).toEqual([]);

    // Every demo order's history chain verifies.
    for (const order of orders) {
      const verify = await http(app).get(`/api/v1/orders/${order.id}/history/verify`).set(auth).expect(200);
      expect(verify.body.valid).toBe(true);
    }

    // Customer view works for the demo customer.
    const customer = credentials.find((c) => c.role === 'customer')!;
    const me = await http(app)
      .post('/api/v1/auth/login')
      .send({ email: customer.email, password: customer.password })
      .expect(200);
    const mine = await http(app)
      .get('/api/v1/me/orders')
      .set({ Authorization: `Bearer ${me.body.accessToken}` })
      .expect(200);
    expect(mine.body.meta.total).toBe(9);

    await seedDemoData(app);
    expect(await demoOrders()).toEqual(orders);
  });
});
