import { createTestApp, createUser, http, TestApp, TestUser } from './utils/app';
import { createOrder, createVariantWithStock } from './utils/factories';
import { UserRole } from '../src/identity/user-role.enum';

describe('reservations with RESERVATION_TTL_MINUTES', () => {
  let app: TestApp;
  let warehouse: TestUser;
  let customer: TestUser;

  beforeAll(async () => {
    app = await createTestApp({ RESERVATION_TTL_MINUTES: '15' });
    [warehouse, customer] = await Promise.all([
      createUser(app, UserRole.WAREHOUSE),
      createUser(app, UserRole.CUSTOMER),
    ]);
  });
  afterAll(async () => {
    await app.close();
  });

  it('expires after the TTL unless expiresAt says otherwise (null: never)', async () => {
    const { variant, location } = await createVariantWithStock(app, 10);
    const { order, items } = await createOrder(app, customer.user, [{ variant, quantity: 5 }]);
    const body = {
      orderId: order.id,
      orderItemId: items[0].id,
      productVariantId: variant.id,
      stockLocationId: location.id,
      quantity: 1,
    };
    const before = Date.now();
    const byDefault = await http(app).post('/api/v1/reservations').set(warehouse.auth).send(body).expect(201);
    const expiresIn = new Date(byDefault.body.expiresAt).getTime() - before;
    expect(expiresIn).toBeGreaterThanOrEqual(15 * 60_000);
    expect(expiresIn).toBeLessThan(16 * 60_000);

    const never = await http(app)
      .post('/api/v1/reservations')
      .set(warehouse.auth)
      .send({ ...body, expiresAt: null })
      .expect(201);
    expect(never.body.expiresAt).toBeNull();

    const explicit = new Date(Date.now() + 3 * 3600_000).toISOString();
    const pinned = await http(app)
      .post('/api/v1/reservations')
      .set(warehouse.auth)
      .send({ ...body, expiresAt: explicit })
      .expect(201);
    expect(pinned.body.expiresAt).toBe(explicit);
  });
});
