import { createTestApp, createUsersOfEveryRole, http, sql, TestApp, TestUser } from './utils/app';
import { createLocation, createVariantWithStock } from './utils/factories';
import { placeOrder, SHIPPING_ADDRESS } from './utils/orders';
import { shipOrder } from './utils/webhooks';
import { UnitOfWork } from '../src/common/unit-of-work';
import { Order } from '../src/orders/order.entity';
import { OrderStatus } from '../src/orders/order-status.enum';
import { ProductVariant } from '../src/catalog/product-variant.entity';

/**
 * `orders` has one write style (docs/data-access.md, "Write style per table"): the row is inserted
 * by placement's statement, and every later change — status, amounts, address — is applied by the
 * statement that appends the history entry recording it. So each change moves version by one and
 * stamps updated_at with its entry's time, and the Order entity is never written by a flush.
 */
describe('orders: one write style (statements with their history entry)', () => {
  let app: TestApp;
  let admin: TestUser;
  let support: TestUser;
  let warehouse: TestUser;
  let customer: TestUser;
  let variant: ProductVariant;
  let locationCode: string;

  beforeAll(async () => {
    app = await createTestApp();
    ({ admin, support, warehouse, customer } = await createUsersOfEveryRole(app));
    const location = await createLocation(app);
    locationCode = location.code;
    variant = (await createVariantWithStock(app, 50, location)).variant;
  });

  afterAll(async () => {
    await app.close();
  });

  interface OrderState {
    status: string;
    version: number;
    total_amount: string;
    amount_paid: string;
    amount_refunded: string;
    shipping_address: { city: string };
    updated_at: Date;
    head_at: Date;
    last_entry_at: Date;
    last_action: string;
    entries: number;
  }
  const stateOf = async (orderId: string): Promise<OrderState> => {
    const [row] = await sql<OrderState>(
      app,
      `select o.status, o.version, o.total_amount::text as total_amount, o.amount_paid::text as amount_paid,
              o.amount_refunded::text as amount_refunded, o.shipping_address, o.updated_at, o.history_at as head_at,
              h.created_at as last_entry_at, h.action as last_action,
              (select count(*)::int from order_history where order_id = o.id) as entries
         from orders o
         join lateral (select created_at, action from order_history where order_id = o.id
                        order by sequence desc limit 1) h on true
        where o.id = ?`,
      [orderId],
    );
    return row;
  };
  const act = (user: TestUser, orderId: string, action: string, body: object = {}) =>
    http(app).post(`/api/v1/orders/${orderId}/${action}`).set(user.auth).send(body);

  const place = async (quantity = 2, unitPrice = '10.00') =>
    (await placeOrder(app, support, customer.user, [{ variant, quantity }], unitPrice)).id;

  /** The change moved version by one, stamped updated_at with its entry, and left what it should. */
  function expectOneChange(before: OrderState, after: OrderState, action: string, entriesAdded = 1): void {
    expect(after.version).toBe(before.version + 1);
    expect(after.entries).toBe(before.entries + entriesAdded);
    expect(after.last_action).toBe(action);
    expect(after.updated_at).toEqual(after.last_entry_at);
    expect(after.head_at).toEqual(after.last_entry_at);
  }

  it('placement inserts version 1 stamped with its created entry; every later change is one version and its entry', async () => {
    const id = await place(2, '10.00');
    const placed = await stateOf(id);
    expect(placed).toMatchObject({
      status: 'pending',
      version: 1,
      total_amount: '20.00',
      amount_paid: '0.00',
      entries: 1,
      last_action: 'created',
    });

    // Edit: total and address change with the `edited` entry.
    await http(app)
      .patch(`/api/v1/orders/${id}`)
      .set(support.auth)
      .send({
        items: [{ variantId: variant.id, quantity: 3, unitPrice: '10.00' }],
        shippingAddress: { ...SHIPPING_ADDRESS, city: 'Elsewhere' },
      })
      .expect(200);
    const edited = await stateOf(id);
    expectOneChange(placed, edited, 'edited');
    expect(edited).toMatchObject({ status: 'pending', total_amount: '30.00' });
    expect(edited.shipping_address.city).toBe('Elsewhere');

    // A failed payment records its entry and changes nothing on the order.
    await act(support, id, 'payments', { outcome: 'failed', amount: '5.00', reference: 'P-0' }).expect(200);
    const failed = await stateOf(id);
    expect(failed).toMatchObject({
      version: edited.version,
      updated_at: edited.updated_at,
      amount_paid: '0.00',
      entries: edited.entries + 1,
      last_action: 'payment_failed',
    });

    // A payment: the amount with `payment_received`; the status stays.
    await act(support, id, 'payments', { outcome: 'received', amount: '30.00', reference: 'P-1' }).expect(
      200,
    );
    const paid = await stateOf(id);
    expectOneChange(failed, paid, 'payment_received');
    expect(paid).toMatchObject({ status: 'pending', amount_paid: '30.00' });

    // Confirm (its reservation's entry too), cancel (the release's too), refund in two parts: each
    // one version of the order, moved with its entry.
    await act(support, id, 'confirm').expect(200);
    const confirmed = await stateOf(id);
    expectOneChange(paid, confirmed, 'confirmed', 2);
    expect(confirmed.status).toBe('confirmed');

    await act(support, id, 'cancel', { reason: 'changed mind' }).expect(200);
    const cancelled = await stateOf(id);
    expectOneChange(confirmed, cancelled, 'cancelled', 2);
    expect(cancelled.status).toBe('cancelled');

    await act(admin, id, 'refunds', { amount: '10.00', reason: 'part' }).expect(200);
    const partly = await stateOf(id);
    expectOneChange(cancelled, partly, 'refunded');
    expect(partly).toMatchObject({ status: 'cancelled', amount_refunded: '10.00' });

    await act(admin, id, 'refunds', { amount: '20.00', reason: 'rest' }).expect(200);
    const refunded = await stateOf(id);
    expectOneChange(partly, refunded, 'refunded');
    expect(refunded).toMatchObject({ status: 'refunded', amount_refunded: '30.00', amount_paid: '30.00' });
  });

  it('shipping, delivery and returns move the order the same way', async () => {
    const id = await place(1, '5.00');
    await act(support, id, 'confirm').expect(200);
    const confirmed = await stateOf(id);
    const [item] = await sql<{ id: string }>(app, 'select id from order_items where order_id = ?', [id]);
    await shipOrder(app, warehouse, { id, itemId: item.id, quantity: 1, locationCode });
    const shipped = await stateOf(id);
    expect(shipped.status).toBe(OrderStatus.SHIPPED);
    // processing (first picking) and shipped: two changes, each with its entry.
    expect(shipped.version).toBe(confirmed.version + 2);
    expect(shipped.updated_at).toEqual(shipped.last_entry_at);

    await act(support, id, 'deliver').expect(200);
    const delivered = await stateOf(id);
    expectOneChange(shipped, delivered, 'delivered');

    await act(support, id, 'return-request', {
      reason: 'too small',
      items: [{ orderItemId: item.id, quantity: 1 }],
    }).expect(200);
    const requested = await stateOf(id);
    expectOneChange(delivered, requested, 'return_requested');

    await act(warehouse, id, 'returns', {
      items: [{ orderItemId: item.id, quantity: 1, restock: true }],
    }).expect(200);
    const returned = await stateOf(id);
    expectOneChange(requested, returned, 'returned');
    expect(returned.status).toBe(OrderStatus.RETURNED);
  });

  it('a flush never writes an order: the Order entity is read-only', async () => {
    const id = await place();
    const before = await stateOf(id);
    await app.get(UnitOfWork).run('test-readonly-order', async (em) => {
      const order = await em.findOneOrFail(Order, id);
      order.status = OrderStatus.CANCELLED;
      order.amountPaid = '999.00';
      order.shippingAddress = { ...order.shippingAddress, city: 'Nowhere' };
      await em.flush();
    });
    expect(await stateOf(id)).toEqual(before);
  });
});
