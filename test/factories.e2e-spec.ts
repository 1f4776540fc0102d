import { createTestApp, createUser, sql, TestApp } from './utils/app';
import { createOrder, createVariantWithStock } from './utils/factories';
import { UserRole } from '../src/identity/user-role.enum';

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
});
