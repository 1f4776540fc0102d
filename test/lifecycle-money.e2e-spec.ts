import { randomUUID } from 'node:crypto';
import { createTestApp, createUsersOfEveryRole, http, sql, TestApp, TestUser } from './utils/app';
import { createOrder, createVariantWithStock } from './utils/factories';
import { OrderStatus } from '../src/orders/order-status.enum';
import { ProductVariant } from '../src/catalog/product-variant.entity';

describe('payments and refunds (e2e)', () => {
  let app: TestApp;
  let admin: TestUser;
  let support: TestUser;
  let warehouse: TestUser;
  let customer: TestUser;
  let variant: ProductVariant;

  beforeAll(async () => {
    app = await createTestApp();
    ({ admin, support, warehouse, customer } = await createUsersOfEveryRole(app));
    variant = (await createVariantWithStock(app, 100)).variant;
  });

  afterAll(async () => {
    await app.close();
  });

  const post = (path: string, user: TestUser, body: object) =>
    http(app).post(`/api/v1${path}`).set(user.auth).send(body);

  /** An order of `total` (one item) in `status`. */
  async function orderOf(total: string, status = OrderStatus.PENDING) {
    return (await createOrder(app, customer.user, [{ variant, quantity: 1, unitPrice: total }], status))
      .order;
  }

  const money = async (orderId: string) =>
    (
      await sql<{ amount_paid: string; amount_refunded: string; status: string }>(
        app,
        'select amount_paid, amount_refunded, status from orders where id = ?',
        [orderId],
      )
    )[0];

  const actions = async (orderId: string) =>
    (
      await sql<{ action: string; additional_data: Record<string, unknown> | null }>(
        app,
        'select action, additional_data from order_history where order_id = ? order by sequence',
        [orderId],
      )
    ).map((e) => e.action);

  it('validates payments: outcome, positive amount with at most 2 decimals, reference', async () => {
    const order = await orderOf('10.00');
    const res = await post(`/orders/${order.id}/payments`, support, {
      outcome: 'maybe',
      amount: '0',
      reference: '',
    }).expect(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([
      'outcome',
      'amount',
      'reference',
    ]);
    for (const amount of ['1.001', -1, '1e2', 'ten', null]) {
      await post(`/orders/${order.id}/payments`, support, {
        outcome: 'received',
        amount,
        reference: 'R',
      }).expect(400);
    }
    await post(`/orders/${order.id}/payments`, warehouse, {
      outcome: 'received',
      amount: '1',
      reference: 'R',
    }).expect(403);
    await post(`/orders/${randomUUID()}/payments`, support, {
      outcome: 'received',
      amount: '1',
      reference: 'R',
    }).expect(404);
    expect(await money(order.id)).toEqual({
      amount_paid: '0.00',
      amount_refunded: '0.00',
      status: 'pending',
    });
    expect(await actions(order.id)).toEqual(['created']);
  });

  it('adds payments in cents and never above the total, even when they race', async () => {
    const order = await orderOf('1.00');
    // 0.10 + 0.20 = 0.30 exactly.
    await post(`/orders/${order.id}/payments`, support, {
      outcome: 'received',
      amount: 0.1,
      reference: 'A',
    }).expect(200);
    await post(`/orders/${order.id}/payments`, support, {
      outcome: 'received',
      amount: '0.20',
      reference: 'B',
    }).expect(200);
    expect((await money(order.id)).amount_paid).toBe('0.30');
    // Ten parallel payments of 0.10 with 0.70 outstanding: exactly seven succeed.
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        post(`/orders/${order.id}/payments`, admin, {
          outcome: 'received',
          amount: '0.10',
          reference: `P${i}`,
        }),
      ),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(7);
    expect(results.filter((r) => r.status === 409)).toHaveLength(3);
    expect(await money(order.id)).toEqual({
      amount_paid: '1.00',
      amount_refunded: '0.00',
      status: 'pending',
    });
    expect((await actions(order.id)).filter((a) => a === 'payment_received')).toHaveLength(9);
  });

  it('replays a payment repeated with the same Idempotency-Key instead of taking it twice', async () => {
    const order = await orderOf('50.00');
    const key = randomUUID();
    const body = { outcome: 'received', amount: '20.00', reference: 'PSP-IDEM' };
    const first = await post(`/orders/${order.id}/payments`, support, body)
      .set('Idempotency-Key', key)
      .expect(200);
    const again = await post(`/orders/${order.id}/payments`, support, body)
      .set('Idempotency-Key', key)
      .expect(200);
    expect(again.body).toEqual(first.body);
    expect((await money(order.id)).amount_paid).toBe('20.00');
  });

  it('records failed payments without changing amounts or status', async () => {
    const order = await orderOf('5.00', OrderStatus.CONFIRMED);
    const res = await post(`/orders/${order.id}/payments`, support, {
      outcome: 'failed',
      amount: '5.00',
      reference: 'DECLINED',
    }).expect(200);
    expect(res.body).toMatchObject({ status: 'confirmed', amountPaid: '0.00' });
    const [entry] = await sql(
      app,
      `select old_status, new_status, additional_data from order_history where order_id = ? and action = 'payment_failed'`,
      [order.id],
    );
    expect(entry).toEqual({
      old_status: 'confirmed',
      new_status: 'confirmed',
      additional_data: { amount: '5.00', reference: 'DECLINED' },
    });
  });

  it('refunds only delivered, cancelled or returned orders, and never more than was paid, even when racing', async () => {
    const order = await orderOf('3.00', OrderStatus.DELIVERED);
    const none = await post(`/orders/${order.id}/refunds`, admin, {
      amount: '0.01',
      reason: 'nothing paid',
    }).expect(409);
    expect(none.body).toMatchObject({ code: 'CONFLICT', amountPaid: '0.00', refundable: '0.00' });
    await post(`/orders/${order.id}/payments`, support, {
      outcome: 'received',
      amount: '3.00',
      reference: 'P',
    }).expect(200);

    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        post(`/orders/${order.id}/refunds`, admin, { amount: '1.00', reason: 'race' }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 409, 409]);
    expect(await money(order.id)).toEqual({
      amount_paid: '3.00',
      amount_refunded: '3.00',
      status: 'refunded',
    });
    const trail = await sql<{ old_status: string; new_status: string }>(
      app,
      `select old_status, new_status from order_history where order_id = ? and action = 'refunded' order by sequence`,
      [order.id],
    );
    expect(trail).toEqual([
      { old_status: 'delivered', new_status: 'delivered' },
      { old_status: 'delivered', new_status: 'delivered' },
      { old_status: 'delivered', new_status: 'refunded' },
    ]);

    for (const status of [
      OrderStatus.PENDING,
      OrderStatus.CONFIRMED,
      OrderStatus.SHIPPED,
      OrderStatus.RETURN_REQUESTED,
    ]) {
      const other = await orderOf('1.00', status);
      const res = await post(`/orders/${other.id}/refunds`, admin, { amount: '1.00', reason: 'x' }).expect(
        409,
      );
      expect(res.body).toMatchObject({ code: 'INVALID_TRANSITION', from: status, action: 'refund' });
    }
    const bad = await post(`/orders/${order.id}/refunds`, admin, { amount: '-1', reason: '' }).expect(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(['amount', 'reason']);
  });
});
