import { createTestApp, createUsersOfEveryRole, http, TestApp, TestUser } from '../utils/app';
import { createVariantWithStock } from '../utils/factories';

/**
 * The support and warehouse guides (docs/guides/*.md), step by step with their paths and example
 * bodies, so that the guides cannot drift from the API without a failing test.
 */
describe('the guides, followed to the letter', () => {
  let app: TestApp;
  let admin: TestUser;
  let support: TestUser;
  let warehouse: TestUser;
  let customer: TestUser;

  beforeAll(async () => {
    app = await createTestApp();
    ({ admin, support, warehouse, customer } = await createUsersOfEveryRole(app));
  });

  afterAll(async () => {
    await app.close();
  });

  /** Logs in like the guide says and returns the Authorization header. */
  async function logIn(user: TestUser): Promise<{ Authorization: string }> {
    const res = await http(app)
      .post('/api/v1/auth/login')
      .send({ email: user.user.email, password: user.password })
      .expect(200);
    return { Authorization: `Bearer ${res.body.accessToken}` };
  }

  async function placeOrder(quantity: number) {
    const { variant, location } = await createVariantWithStock(app, 10);
    const res = await http(app)
      .post('/api/v1/orders')
      .set(support.auth)
      .send({
        customerId: customer.user.id,
        currency: 'EUR',
        items: [{ variantId: variant.id, quantity, unitPrice: '19.99' }],
        shippingAddress: {
          name: 'Jane Doe',
          line1: '1 Main Street',
          city: 'Berlin',
          postalCode: '10115',
          country: 'DE',
        },
      })
      .expect(201);
    return { order: res.body, location, itemId: res.body.items[0].id as string };
  }

  it('support: log in, find the order, read its history, add notes, take a payment, confirm, cancel, refund (admin)', async () => {
    const auth = await logIn(support);
    expect((await http(app).get('/api/v1/auth/me').set(auth).expect(200)).body.role).toBe('support');
    const { order } = await placeOrder(2);

    const byNumber = await http(app)
      .get('/api/v1/orders')
      .query({ q: order.orderNumber, sort: '-createdAt' })
      .set(auth)
      .expect(200);
    expect(byNumber.body.data.map((o: { id: string }) => o.id)).toContain(order.id);
    const byEmail = await http(app)
      .get('/api/v1/orders')
      .query({ q: customer.user.email })
      .set(auth)
      .expect(200);
    expect(byEmail.body.data.map((o: { id: string }) => o.id)).toContain(order.id);
    const detail = await http(app).get(`/api/v1/orders/${order.id}`).set(auth).expect(200);
    expect(detail.body.allowedActions).toEqual(expect.arrayContaining(['confirm', 'payment', 'cancel']));

    await http(app)
      .post(`/api/v1/orders/${order.id}/notes`)
      .set(auth)
      .send({ note: 'Customer called: please leave the parcel with the neighbour.', isInternal: true })
      .expect(201);
    await http(app)
      .post(`/api/v1/orders/${order.id}/notes`)
      .set(auth)
      .set('Idempotency-Key', `guide-note-${order.id}`)
      .send({ note: 'Your order is on its way soon.', isInternal: false, notifyCustomer: true })
      .expect(201);
    await http(app)
      .post(`/api/v1/orders/${order.id}/notes`)
      .set(auth)
      .send({ note: 'Internal but notify?', isInternal: true, notifyCustomer: true })
      .expect(400);
    const publicNotes = await http(app)
      .get(`/api/v1/orders/${order.id}/notes`)
      .query({ isInternal: false })
      .set(auth)
      .expect(200);
    expect(publicNotes.body.data).toHaveLength(1);

    await http(app)
      .post(`/api/v1/orders/${order.id}/payments`)
      .set(auth)
      .send({ outcome: 'received', amount: '39.98', reference: 'PSP-7F3A-2291' })
      .expect(200);
    await http(app).post(`/api/v1/orders/${order.id}/confirm`).set(auth).send({}).expect(200);

    const history = await http(app).get(`/api/v1/orders/${order.id}/history`).set(auth).expect(200);
    const actions = history.body.data.map((e: { action: string }) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        'created',
        'note_added',
        'payment_received',
        'confirmed',
        'inventory_reserved',
      ]),
    );
    const notesOnly = await http(app)
      .get(`/api/v1/orders/${order.id}/history`)
      .query({ action: 'note_added' })
      .set(auth)
      .expect(200);
    expect(notesOnly.body.data).toHaveLength(2);
    const csv = await http(app).get(`/api/v1/orders/${order.id}/history/export`).set(auth).expect(200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);

    const cancelled = await http(app)
      .post(`/api/v1/orders/${order.id}/cancel`)
      .set(auth)
      .send({ reason: 'Customer changed their mind' })
      .expect(200);
    expect(cancelled.body.status).toBe('cancelled');
    const reservations = await http(app).get(`/api/v1/orders/${order.id}/reservations`).set(auth).expect(200);
    expect(reservations.body.data.every((r: { isActive: boolean }) => !r.isActive)).toBe(true);

    // Refunds need an admin.
    await http(app)
      .post(`/api/v1/orders/${order.id}/refunds`)
      .set(auth)
      .send({ amount: '39.98', reason: 'Cancelled' })
      .expect(403);
    const refunded = await http(app)
      .post(`/api/v1/orders/${order.id}/refunds`)
      .set(await logIn(admin))
      .send({ amount: '39.98', reason: 'Returned items' })
      .expect(200);
    expect(refunded.body).toMatchObject({ status: 'refunded', amountRefunded: '39.98' });
  });

  it('warehouse: queue, pick, pack, ship in two parcels (partial shipment), deliver, receive a return', async () => {
    const auth = await logIn(warehouse);
    const me = (await http(app).get('/api/v1/auth/me').set(auth).expect(200)).body;
    const { order, location, itemId } = await placeOrder(3);
    await http(app).post(`/api/v1/orders/${order.id}/confirm`).set(support.auth).send({}).expect(200);

    const ship = async (quantity: number) => {
      const created = await http(app)
        .post(`/api/v1/orders/${order.id}/fulfillments`)
        .set(auth)
        .send({ warehouseLocation: location.code, items: { [itemId]: quantity }, assignedToId: me.id })
        .expect(201);
      const id = created.body.id as string;
      const queue = await http(app).get('/api/v1/me/fulfillments').set(auth).expect(200);
      expect(queue.body.data.map((f: { id: string }) => f.id)).toContain(id);
      const move = (status: string, extra: Record<string, unknown> = {}) =>
        http(app)
          .post(`/api/v1/fulfillments/${id}/status`)
          .set(auth)
          .send({ status, ...extra })
          .expect(200);
      await move('picking', { notes: 'Started on aisle 4' });
      await http(app)
        .patch(`/api/v1/fulfillments/${id}`)
        .set(auth)
        .send({ pickingNotes: 'Item 2 was on the top shelf' })
        .expect(200);
      await move('packing');
      await http(app)
        .patch(`/api/v1/fulfillments/${id}`)
        .set(auth)
        .send({
          boxSize: 'M',
          weight: 1.25,
          packingMaterials: ['bubble wrap', 'void fill'],
          packingNotes: 'Fragile sticker applied',
        })
        .expect(200);
      await move('ready_to_ship');
      return { id, shipped: await move('shipped') };
    };

    const first = await ship(2);
    expect(first.shipped.body.status).toBe('shipped');
    let current = await http(app).get(`/api/v1/orders/${order.id}`).set(auth).expect(200);
    expect(current.body.status).toBe('processing'); // partially shipped
    await http(app)
      .post(`/api/v1/orders/${order.id}/cancel`)
      .set(support.auth)
      .send({ reason: 'Too late' })
      .expect(409);

    const second = await ship(1);
    current = await http(app).get(`/api/v1/orders/${order.id}`).set(auth).expect(200);
    expect(current.body.status).toBe('shipped');
    for (const parcel of [first.id, second.id]) {
      await http(app)
        .post(`/api/v1/fulfillments/${parcel}/status`)
        .set(auth)
        .send({ status: 'fulfilled' })
        .expect(200);
    }
    const delivered = await http(app).post(`/api/v1/orders/${order.id}/deliver`).set(auth).expect(200);
    expect(delivered.body.status).toBe('delivered');

    await http(app)
      .post(`/api/v1/orders/${order.id}/return-request`)
      .set(support.auth)
      .send({ reason: 'Wrong size', items: [{ orderItemId: itemId, quantity: 1 }] })
      .expect(200);
    const returned = await http(app)
      .post(`/api/v1/orders/${order.id}/returns`)
      .set(auth)
      .send({ items: [{ orderItemId: itemId, quantity: 1, restock: true }] })
      .expect(200);
    // One of the two shipped units is back: the order is delivered again, further returns stay
    // possible (warehouse guide, returns).
    expect(returned.body.status).toBe('delivered');

    await http(app)
      .post(`/api/v1/orders/${order.id}/notes`)
      .set(auth)
      .send({ note: 'Box damaged on arrival, photos in ticket 123' })
      .expect(201);
  });

  it('warehouse: a parcel ships from its location code; units handed over directly count as shipped', async () => {
    const auth = await logIn(warehouse);
    const { order, location, itemId } = await placeOrder(2);
    await http(app).post(`/api/v1/orders/${order.id}/confirm`).set(support.auth).send({}).expect(200);

    // §2: warehouseLocation is the code of a stock location; anything else is a 400 naming it.
    const unknown = await http(app)
      .post(`/api/v1/orders/${order.id}/fulfillments`)
      .set(auth)
      .send({ warehouseLocation: 'NOWHERE-x', items: { [itemId]: 1 } })
      .expect(400);
    expect(unknown.body.errors).toEqual([
      { field: 'warehouseLocation', message: 'must be the code of a stock location' },
    ]);

    // §8: hand one unit over at the counter: it is a shipped parcel of the order at the hold's location.
    const holds = await http(app).get(`/api/v1/orders/${order.id}/reservations`).set(auth).expect(200);
    expect(holds.body.data[0].stockLocationId).toBe(location.id);
    await http(app)
      .post(`/api/v1/reservations/${holds.body.data[0].id}/fulfil`)
      .set(auth)
      .send({ quantity: 1 })
      .expect(200);
    const parcels = await http(app).get(`/api/v1/orders/${order.id}/fulfillments`).set(auth).expect(200);
    expect(parcels.body.data).toEqual([
      expect.objectContaining({
        status: 'shipped',
        warehouseLocation: location.code,
        items: { [itemId]: 1 },
      }),
    ]);

    // The other unit goes in a parcel from the same location; then the order has shipped.
    const created = await http(app)
      .post(`/api/v1/orders/${order.id}/fulfillments`)
      .set(auth)
      .send({ warehouseLocation: location.code, items: { [itemId]: 1 } })
      .expect(201);
    for (const status of ['picking', 'packing', 'ready_to_ship', 'shipped']) {
      await http(app)
        .post(`/api/v1/fulfillments/${created.body.id}/status`)
        .set(auth)
        .send({ status })
        .expect(200);
    }
    const current = await http(app).get(`/api/v1/orders/${order.id}`).set(auth).expect(200);
    expect(current.body.status).toBe('shipped');
  });
});
