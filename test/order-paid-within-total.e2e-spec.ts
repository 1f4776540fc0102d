import { createTestApp, createUsersOfEveryRole, http, sql, TestApp, TestUser } from './utils/app';
import { createVariantWithStock } from './utils/factories';
import { placeOrder } from './utils/orders';
import { ProductVariant } from '../src/catalog/product-variant.entity';
import { toCents } from '../src/orders/money';

/** Payments never exceed the order's total: neither a payment nor an edit may make them (docs/architecture.md §3). */
describe('payments never exceed the total (e2e)', () => {
  let app: TestApp;
  let support: TestUser;
  let customer: TestUser;
  let variant: ProductVariant;

  beforeAll(async () => {
    app = await createTestApp();
    ({ support, customer } = await createUsersOfEveryRole(app));
    variant = (await createVariantWithStock(app, 100)).variant;
  });

  afterAll(async () => {
    await app.close();
  });

  const pay = (orderId: string, amount: string) =>
    http(app)
      .post(`/api/v1/orders/${orderId}/payments`)
      .set(support.auth)
      .send({ outcome: 'received', amount, reference: `PSP-${amount}` });

  const edit = (orderId: string, quantity: number, unitPrice: string) =>
    http(app)
      .patch(`/api/v1/orders/${orderId}`)
      .set(support.auth)
      .send({ items: [{ variantId: variant.id, quantity, unitPrice }] });

  const amounts = async (orderId: string) =>
    (
      await sql<{ total_amount: string; amount_paid: string }>(
        app,
        'select total_amount, amount_paid from orders where id = ?',
        [orderId],
      )
    )[0];

  const edits = async (orderId: string) =>
    (
      await sql<{ n: number }>(
        app,
        `select count(*)::int as n from order_history where order_id = ? and action = 'edited'`,
        [orderId],
      )
    )[0].n;

  it('refuses an edit that would bring the total below what was paid, saying both amounts', async () => {
    const order = await placeOrder(app, support, customer.user, [
      { variant, quantity: 2, unitPrice: '19.99' },
    ]);
    await pay(order.id, '39.98').expect(200);

    const res = await edit(order.id, 1, '1.00').expect(409);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'CONFLICT', totalAmount: '1.00', amountPaid: '39.98' });
    expect(res.body.detail).toContain('39.98');
    expect(res.body.detail).toContain('1.00');

    const read = await http(app).get(`/api/v1/orders/${order.id}`).set(support.auth).expect(200);
    expect(read.body).toMatchObject({ totalAmount: '39.98', amountPaid: '39.98' });
    expect(read.body.items).toMatchObject([{ quantity: 2, unitPrice: '19.99' }]);
    expect(await edits(order.id)).toBe(0);
    // Nothing more can be paid either, nor a failed attempt recorded: there is nothing to pay.
    const more = await pay(order.id, '0.01').expect(409);
    expect(more.body).toMatchObject({ outstanding: '0.00', amountPaid: '39.98' });
    await http(app)
      .post(`/api/v1/orders/${order.id}/payments`)
      .set(support.auth)
      .send({ outcome: 'failed', amount: '1.00', reference: 'LATE' })
      .expect(409);
    const failures = await sql(
      app,
      `select 1 from order_history where order_id = ? and action = 'payment_failed'`,
      [order.id],
    );
    expect(failures).toEqual([]);
  });

  it('accepts an edit down to exactly what was paid, and a rise; never one cent below', async () => {
    const order = await placeOrder(app, support, customer.user, [
      { variant, quantity: 3, unitPrice: '10.00' },
    ]);
    await pay(order.id, '12.50').expect(200);
    await edit(order.id, 1, '12.49').expect(409);
    const down = await edit(order.id, 1, '12.50').expect(200);
    expect(down.body).toMatchObject({ totalAmount: '12.50', amountPaid: '12.50' });
    const up = await edit(order.id, 2, '12.50').expect(200);
    expect(up.body).toMatchObject({ totalAmount: '25.00', amountPaid: '12.50' });
    await pay(order.id, '12.51').expect(409);
    await pay(order.id, '12.50').expect(200);
    expect(await amounts(order.id)).toEqual({ total_amount: '25.00', amount_paid: '25.00' });
  });

  it('keeps payments within the total when an edit and a payment race', async () => {
    for (let round = 0; round < 5; round++) {
      const order = await placeOrder(app, support, customer.user, [
        { variant, quantity: 2, unitPrice: '10.00' },
      ]);
      // Each alone is fine; together the payment (15.00) would exceed the edited total (10.00).
      const [paid, edited] = await Promise.all([pay(order.id, '15.00'), edit(order.id, 1, '10.00')]);
      expect([paid.status, edited.status].sort()).toEqual([200, 409]);
      const { total_amount, amount_paid } = await amounts(order.id);
      expect(toCents(amount_paid)).toBeLessThanOrEqual(toCents(total_amount));
      // The winner's change is whole, the loser's absent.
      expect({ total_amount, amount_paid }).toEqual(
        paid.status === 200
          ? { total_amount: '20.00', amount_paid: '15.00' }
          : { total_amount: '10.00', amount_paid: '0.00' },
      );
    }
  });
});
