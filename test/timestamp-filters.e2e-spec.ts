import { createTestApp, createUser, http, TestApp, TestUser } from './utils/app';
import { createOrder, createVariantWithStock } from './utils/factories';
import { UserRole } from '../src/identity/user-role.enum';

/** Every query timestamp is read the same way (common/instant.ts): zone-less is UTC, unreadable is a 400. */
describe('timestamp filters (e2e)', () => {
  let app: TestApp;
  let admin: TestUser;
  let customer: TestUser;

  beforeAll(async () => {
    app = await createTestApp();
    admin = await createUser(app, UserRole.ADMIN);
    customer = await createUser(app, UserRole.CUSTOMER);
  });

  afterAll(async () => {
    await app.close();
  });

  // ISO-8601 (the validator accepts it) that JavaScript cannot read: once an "Invalid Date" in SQL.
  const WEEK_DATE = '2026-W05';

  it.each([
    ['/api/v1/orders', 'createdFrom'],
    ['/api/v1/orders', 'createdTo'],
    ['/api/v1/fulfillments', 'from'],
    ['/api/v1/fulfillments', 'to'],
    ['/api/v1/fulfillments/statistics', 'from'],
    ['/api/v1/fulfillments/statistics', 'to'],
    ['/api/v1/reservations', 'expiresBefore'],
    ['/api/v1/analytics/fulfillment', 'from'],
    ['/api/v1/analytics/fulfillment', 'to'],
    ['/api/v1/history', 'from'],
    ['/api/v1/history', 'to'],
  ])('GET %s?%s=<week date> is a 400 naming the field', async (path, field) => {
    const res = await http(app)
      .get(path)
      .query({ [field]: WEEK_DATE })
      .set(admin.auth);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field, message: expect.stringContaining('ISO-8601') }]);
  });

  it('reads a zone-less createdFrom/createdTo as UTC', async () => {
    const { variant } = await createVariantWithStock(app, 5);
    const { order } = await createOrder(app, customer.user, [{ variant, quantity: 1 }]);
    const zoneless = order.createdAt.toISOString().replace('Z', '');
    const list = (query: Record<string, string>) =>
      http(app)
        .get('/api/v1/orders')
        .query({ customerId: customer.user.id, ...query })
        .set(admin.auth);

    const from = await list({ createdFrom: zoneless });
    expect(from.status).toBe(200);
    expect(from.body.data.map((o: { id: string }) => o.id)).toEqual([order.id]);

    const to = await list({ createdTo: zoneless }); // inclusive: the instant itself is in
    expect(to.status).toBe(200);
    expect(to.body.data.map((o: { id: string }) => o.id)).toEqual([order.id]);

    const justBefore = new Date(order.createdAt.getTime() - 1).toISOString().replace('Z', '');
    const before = await list({ createdTo: justBefore });
    expect(before.status).toBe(200);
    expect(before.body.data).toEqual([]);
  });
});
