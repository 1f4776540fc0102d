import { createTestApp, createUser, sql, TestApp } from './utils/app';
import { createOrder, createVariantWithStock } from './utils/factories';
import { UserRole } from '../src/identity/user-role.enum';
import { OrderStatus } from '../src/orders/order-status.enum';

describe('test factories', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => {
    await app.close();
  });

  it('creates an order with items and its first history entry', async () => {
    const customer = await createUser(app, UserRole.CUSTOMER);
    const { variant } = await createVariantWithStock(app, 5);
    const { order, items } = await createOrder(app, customer.user, [
      { variant, quantity: 3, unitPrice: '2.50' },
    ]);
    expect(items).toHaveLength(1);
    const [row] = await sql<{ total_amount: string }>(app, 'select total_amount from orders where id = ?', [
      order.id,
    ]);
    expect(row.total_amount).toBe('7.50');
    const history = await sql<{ action: string; sequence: number; previous_hash: string | null }>(
      app,
      'select action, sequence, previous_hash from order_history where order_id = ?',
      [order.id],
    );
    expect(history).toEqual([{ action: 'created', sequence: 1, previous_hash: null }]);
  });

  // Each status is reached by the domain's own moves, so its history shows those moves in order.
  it.each([
    [OrderStatus.PENDING, ['created']],
    [OrderStatus.CONFIRMED, ['created', 'confirmed']],
    [OrderStatus.PROCESSING, ['created', 'confirmed', 'processing_started']],
    [OrderStatus.SHIPPED, ['created', 'confirmed', 'processing_started', 'shipped']],
    [OrderStatus.DELIVERED, ['created', 'confirmed', 'processing_started', 'shipped', 'delivered']],
    [
      OrderStatus.RETURN_REQUESTED,
      ['created', 'confirmed', 'processing_started', 'shipped', 'delivered', 'return_requested'],
    ],
    [
      OrderStatus.RETURNED,
      ['created', 'confirmed', 'processing_started', 'shipped', 'delivered', 'return_requested', 'returned'],
    ],
    [OrderStatus.CANCELLED, ['created', 'cancelled']],
    [OrderStatus.REFUNDED, ['created', 'cancelled', 'refunded']],
  ])('reaches %s through the API', async (status, moves) => {
    const customer = await createUser(app, UserRole.CUSTOMER);
    const { variant } = await createVariantWithStock(app, 5);
    const { order } = await createOrder(
      app,
      customer.user,
      [{ variant, quantity: 2, unitPrice: '4.25' }],
      status,
    );
    expect(order.status).toBe(status);
    const changes = await sql<{ action: string }>(
      app,
      'select action from order_history where order_id = ? and new_status is distinct from old_status order by sequence',
      [order.id],
    );
    expect(changes.map((c) => c.action)).toEqual(moves);
  });
});
