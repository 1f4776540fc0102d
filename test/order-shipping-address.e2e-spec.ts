import { createTestApp, createUsersOfEveryRole, http, sql, TestApp, TestUser } from './utils/app';
import { createVariantWithStock } from './utils/factories';
import { placeOrder, SHIPPING_ADDRESS } from './utils/orders';
import { ProductVariant } from '../src/catalog/product-variant.entity';

/** The shipping address is a validated object on create and edit; optional fields never read back as null. */
describe('shipping address validation (e2e)', () => {
  let app: TestApp;
  let support: TestUser;
  let customer: TestUser;
  let variant: ProductVariant;

  beforeAll(async () => {
    app = await createTestApp();
    ({ support, customer } = await createUsersOfEveryRole(app));
    variant = (await createVariantWithStock(app, 10)).variant;
  });

  afterAll(async () => {
    await app.close();
  });

  const orderBody = (shippingAddress?: unknown) => ({
    customerId: customer.user.id,
    currency: 'EUR',
    items: [{ variantId: variant.id, quantity: 1, unitPrice: '5.00' }],
    ...(shippingAddress === undefined ? {} : { shippingAddress }),
  });

  const ordersOfCustomer = async () =>
    (
      await sql<{ n: number }>(app, 'select count(*)::int as n from orders where customer_id = ?', [
        customer.user.id,
      ])
    )[0].n;

  const NOT_AN_ADDRESS: [string, unknown][] = [
    ['missing', undefined],
    ['null', null],
    ['an empty array', []],
    ['an array holding an address', [SHIPPING_ADDRESS]],
    ['a string', 'Berlin'],
    ['a number', 42],
  ];

  it.each(NOT_AN_ADDRESS)(
    'refuses a shipping address that is %s on create with a 400 naming it',
    async (_, value) => {
      const before = await ordersOfCustomer();
      const res = await http(app).post('/api/v1/orders').set(support.auth).send(orderBody(value)).expect(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('shippingAddress');
      expect(await ordersOfCustomer()).toBe(before);
    },
  );

  it.each(NOT_AN_ADDRESS.filter(([what]) => what !== 'missing'))(
    'refuses a shipping address that is %s on edit, changing nothing',
    async (_, value) => {
      const order = await placeOrder(app, support, customer.user, [{ variant, quantity: 1 }]);
      const res = await http(app)
        .patch(`/api/v1/orders/${order.id}`)
        .set(support.auth)
        .send({ shippingAddress: value })
        .expect(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('shippingAddress');
      const read = await http(app).get(`/api/v1/orders/${order.id}`).set(support.auth).expect(200);
      expect(read.body.shippingAddress).toEqual(SHIPPING_ADDRESS);
    },
  );

  it('names the missing fields of an address object', async () => {
    const res = await http(app)
      .post('/api/v1/orders')
      .set(support.auth)
      .send(orderBody({ name: 'Jane' }))
      .expect(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(
      expect.arrayContaining([
        'shippingAddress.line1',
        'shippingAddress.city',
        'shippingAddress.postalCode',
        'shippingAddress.country',
      ]),
    );
  });

  it('refuses null for line2, region and phone (400 naming the field, nothing stored); leaving them out clears them', async () => {
    for (const field of ['line2', 'region', 'phone']) {
      const refused = await http(app)
        .post('/api/v1/orders')
        .set(support.auth)
        .send(orderBody({ ...SHIPPING_ADDRESS, [field]: null }))
        .expect(400);
      expect(refused.body.errors).toEqual([
        { field: `shippingAddress.${field}`, message: `${field} must not be null` },
      ]);
    }
    const created = await http(app)
      .post('/api/v1/orders')
      .set(support.auth)
      .send(orderBody(SHIPPING_ADDRESS))
      .expect(201);
    expect(created.body.shippingAddress).toEqual(SHIPPING_ADDRESS);

    const full = { ...SHIPPING_ADDRESS, line2: 'Flat 2', region: 'BE', phone: '+49 30 1234567' };
    const edited = await http(app)
      .patch(`/api/v1/orders/${created.body.id}`)
      .set(support.auth)
      .send({ shippingAddress: full })
      .expect(200);
    expect(edited.body.shippingAddress).toEqual(full);
    await http(app)
      .patch(`/api/v1/orders/${created.body.id}`)
      .set(support.auth)
      .send({ shippingAddress: { ...full, line2: null } })
      .expect(400);
    const cleared = await http(app)
      .patch(`/api/v1/orders/${created.body.id}`)
      .set(support.auth)
      .send({ shippingAddress: { ...SHIPPING_ADDRESS, region: 'BE' } })
      .expect(200);
    expect(cleared.body.shippingAddress).toEqual({ ...SHIPPING_ADDRESS, region: 'BE' });
    const [stored] = await sql<{ shipping_address: unknown }>(
      app,
      'select shipping_address from orders where id = ?',
      [created.body.id],
    );
    expect(stored.shipping_address).toEqual({ ...SHIPPING_ADDRESS, region: 'BE' });

    const staff = await http(app).get(`/api/v1/orders/${created.body.id}`).set(support.auth).expect(200);
    expect(staff.body.shippingAddress).toEqual({ ...SHIPPING_ADDRESS, region: 'BE' });
    const mine = await http(app).get(`/api/v1/me/orders/${created.body.id}`).set(customer.auth).expect(200);
    expect(mine.body.shippingAddress).toEqual({ ...SHIPPING_ADDRESS, region: 'BE' });
  });
});
