import { createTestApp, createUsersOfEveryRole, http, sql, TestApp, UsersOfEveryRole } from './utils/app';
import { createVariantWithStock } from './utils/factories';
import { StockLocation } from '../src/catalog/stock-location.entity';
import { ProductVariant } from '../src/catalog/product-variant.entity';

const API = '/api/v1';
const ADDRESS = {
  name: 'Jane Doe',
  line1: '1 Main Street',
  city: 'Berlin',
  postalCode: '10115',
  country: 'DE',
};
const up = (id: string) => id.toUpperCase();
const today = () => new Date().toISOString().slice(0, 10);

interface PlacedOrder {
  id: string;
  customerId: string;
  items: Array<{ id: string; variantId: string }>;
}

/**
 * Ids are case-insensitive on input and lowercase everywhere after (path, body, query, id-keyed
 * maps), so what is stored, found and hashed into the history chain is one form; and the rules of
 * filters and text fields are the same on every route (common/field-decorators.ts, instant.ts).
 */
describe('canonical ids, filters and text fields (e2e)', () => {
  let app: TestApp;
  let users: UsersOfEveryRole;
  let variant: ProductVariant;
  let location: StockLocation;

  beforeAll(async () => {
    app = await createTestApp();
    users = await createUsersOfEveryRole(app);
    ({ variant, location } = await createVariantWithStock(app, 100));
  });

  afterAll(async () => {
    await app.close();
  });

  const placeOrder = async (quantity: number): Promise<PlacedOrder> => {
    const res = await http(app)
      .post(`${API}/orders`)
      .set(users.support.auth)
      .send({
        customerId: up(users.customer.user.id),
        currency: 'EUR',
        items: [{ variantId: up(variant.id), quantity, unitPrice: '5.00' }],
        shippingAddress: ADDRESS,
      });
    expect(res.status).toBe(201);
    return res.body;
  };
  const verify = async (orderId: string) =>
    (
      await http(app)
        .get(`${API}/orders/${up(orderId)}/history/verify`)
        .set(users.admin.auth)
        .expect(200)
    ).body;

  describe('uppercase ids', () => {
    it('in a reservation body: found, stored lowercase, and its history entry verifies', async () => {
      const order = await placeOrder(3);
      expect(order.customerId).toBe(users.customer.user.id);
      expect(order.items[0].variantId).toBe(variant.id);

      const res = await http(app)
        .post(`${API}/reservations`)
        .set(users.warehouse.auth)
        .send({
          orderId: up(order.id),
          orderItemId: up(order.items[0].id),
          productVariantId: up(variant.id),
          stockLocationId: up(location.id),
          quantity: 1,
          expiresAt: '2999-01-01T12:00:00Z',
        });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        orderId: order.id,
        orderItemId: order.items[0].id,
        productVariantId: variant.id,
        stockLocationId: location.id,
      });
      const history = await sql<{ additional_data: unknown }>(
        app,
        `select additional_data from order_history where order_id = ? order by sequence`,
        [order.id],
      );
      expect(JSON.stringify(history)).not.toMatch(/[0-9A-F]{8}-[0-9A-F]{4}-/);
      expect(await verify(order.id)).toEqual({
        valid: true,
        entries: history.length,
        firstBrokenEntryId: null,
      });

      // Query filters take any case too.
      const listed = await http(app)
        .get(`${API}/reservations`)
        .query({ orderId: up(order.id), stockLocationId: up(location.id), productVariantId: up(variant.id) })
        .set(users.admin.auth)
        .expect(200);
      expect(listed.body.data.map((r: { id: string }) => r.id)).toEqual([res.body.id]);
      const orders = await http(app)
        .get(`${API}/orders`)
        .query({ customerId: up(users.customer.user.id) })
        .set(users.admin.auth)
        .expect(200);
      expect(orders.body.data.map((o: { id: string }) => o.id)).toContain(order.id);
      const entries = await http(app)
        .get(`${API}/history`)
        .query({ orderId: up(order.id), performedById: up(users.warehouse.user.id) })
        .set(users.admin.auth)
        .expect(200);
      expect(entries.body.data.length).toBeGreaterThan(0);
      expect(entries.body.data.every((e: { orderId: string }) => e.orderId === order.id)).toBe(true);
    });

    it('in paths, pinned locations and fulfillment item maps: the whole story verifies', async () => {
      const order = await placeOrder(2);
      const item = order.items[0].id;
      const detail = await http(app)
        .get(`${API}/orders/${up(order.id)}`)
        .set(users.support.auth)
        .expect(200);
      expect(detail.body.id).toBe(order.id);

      await http(app)
        .post(`${API}/orders/${up(order.id)}/confirm`)
        .set(users.support.auth)
        .send({ items: [{ orderItemId: up(item), stockLocationId: up(location.id) }] })
        .expect(200);
      const fulfillment = await http(app)
        .post(`${API}/orders/${up(order.id)}/fulfillments`)
        .set(users.warehouse.auth)
        .send({
          warehouseLocation: location.code,
          items: { [up(item)]: 2 },
          assignedToId: up(users.warehouse.user.id),
        });
      expect(fulfillment.status).toBe(201);
      expect(fulfillment.body.orderId).toBe(order.id);
      await http(app)
        .post(`${API}/fulfillments/${up(fulfillment.body.id)}/status`)
        .set(users.warehouse.auth)
        .send({ status: 'picking' })
        .expect(200);

      const note = await http(app)
        .post(`${API}/orders/${up(order.id)}/notes`)
        .set(users.support.auth)
        .send({ note: 'Upper-case path' })
        .expect(201);
      expect(note.body.orderId).toBe(order.id);
      await http(app)
        .patch(`${API}/notes/${up(note.body.id)}`)
        .set(users.support.auth)
        .send({ note: 'Still found' })
        .expect(200);

      const [{ count }] = await sql<{ count: string }>(
        app,
        'select count(*) from order_history where order_id = ?',
        [order.id],
      );
      expect(Number(count)).toBeGreaterThanOrEqual(4);
      expect(await verify(order.id)).toEqual({
        valid: true,
        entries: Number(count),
        firstBrokenEntryId: null,
      });
    });
  });

  describe('filters', () => {
    let order: PlacedOrder;
    let fulfillmentId: string;

    beforeAll(async () => {
      order = await placeOrder(1);
      await http(app).post(`${API}/orders/${order.id}/confirm`).set(users.support.auth).send({}).expect(200);
      const made = await http(app)
        .post(`${API}/orders/${order.id}/fulfillments`)
        .set(users.warehouse.auth)
        .send({ warehouseLocation: location.code, items: { [order.items[0].id]: 1 } })
        .expect(201);
      fulfillmentId = made.body.id;
    });

    it('a date alone as `to`/`createdTo` includes that whole day (UTC), as history’s `to` does', async () => {
      const day = today();
      const orders = await http(app)
        .get(`${API}/orders`)
        .query({ customerId: users.customer.user.id, createdFrom: day, createdTo: day, pageSize: 100 })
        .set(users.admin.auth)
        .expect(200);
      expect(orders.body.data.map((o: { id: string }) => o.id)).toContain(order.id);

      const fulfillments = await http(app)
        .get(`${API}/fulfillments`)
        .query({ orderId: order.id, from: day, to: day })
        .set(users.admin.auth)
        .expect(200);
      expect(fulfillments.body.data.map((f: { id: string }) => f.id)).toEqual([fulfillmentId]);

      const statistics = await http(app)
        .get(`${API}/fulfillments/statistics`)
        .query({ from: day, to: day, warehouseLocation: location.code })
        .set(users.admin.auth)
        .expect(200);
      expect(statistics.body.byStatus.pending).toBeGreaterThanOrEqual(1);

      const history = await http(app)
        .get(`${API}/orders/${order.id}/history`)
        .query({ from: day, to: day })
        .set(users.admin.auth)
        .expect(200);
      expect(history.body.data.length).toBeGreaterThan(0);

      // An instant `to` includes that instant (and nothing after it).
      const [{ created_at }] = await sql<{ created_at: Date }>(
        app,
        'select created_at from orders where id = ?',
        [order.id],
      );
      const before = new Date(new Date(created_at).getTime() - 1).toISOString();
      const none = await http(app)
        .get(`${API}/orders`)
        .query({ customerId: users.customer.user.id, createdFrom: before, createdTo: before })
        .set(users.admin.auth)
        .expect(200);
      expect(none.body.data.map((o: { id: string }) => o.id)).not.toContain(order.id);
    });

    it('`expiresBefore` is strict: a date alone means before that day starts', async () => {
      const pending = await placeOrder(1);
      const reservation = await http(app)
        .post(`${API}/reservations`)
        .set(users.warehouse.auth)
        .send({
          orderId: pending.id,
          orderItemId: pending.items[0].id,
          productVariantId: variant.id,
          stockLocationId: location.id,
          quantity: 1,
          expiresAt: '2998-06-01T12:00:00Z',
        })
        .expect(201);
      const expiring = (expiresBefore: string) =>
        http(app)
          .get(`${API}/reservations`)
          .query({ orderId: pending.id, expiresBefore })
          .set(users.admin.auth)
          .expect(200)
          .then((res) => res.body.data.map((r: { id: string }) => r.id));
      expect(await expiring('2998-06-01')).not.toContain(reservation.body.id);
      expect(await expiring('2998-06-02')).toContain(reservation.body.id);
    });

    it('every list filter takes repeated and comma-separated values alike', async () => {
      const actions = (query: string) =>
        http(app)
          .get(`${API}/orders/${order.id}/history?${query}`)
          .set(users.admin.auth)
          .expect(200)
          .then((res) => res.body.data.map((e: { action: string }) => e.action).sort());
      const comma = await actions('action=created,confirmed');
      expect(comma).toEqual(['confirmed', 'created']);
      expect(await actions('action=created&action=confirmed')).toEqual(comma);
      expect(await actions('action=created,confirmed&action=inventory_reserved')).toEqual(
        await actions('action=created&action=confirmed&action=inventory_reserved'),
      );
      expect(await actions('action=inventory_reserved')).not.toEqual([]);

      const statuses = (query: string) =>
        http(app)
          .get(`${API}/orders?customerId=${users.customer.user.id}&pageSize=100&${query}`)
          .set(users.admin.auth)
          .expect(200)
          .then((res) => res.body.meta.total);
      expect(await statuses('status=pending,confirmed')).toBe(
        await statuses('status=pending&status=confirmed'),
      );
      await http(app)
        .get(`${API}/orders/${order.id}/history?action=created,lost`)
        .set(users.admin.auth)
        .expect(400);
    });
  });

  describe('text fields', () => {
    it('`null` for a field that takes none is a 400 and changes nothing', async () => {
      const order = await placeOrder(1);
      const note = await http(app)
        .post(`${API}/orders/${order.id}/notes`)
        .set(users.support.auth)
        .send({ note: 'Keep me' })
        .expect(201);
      const res = await http(app)
        .patch(`${API}/notes/${note.body.id}`)
        .set(users.support.auth)
        .send({ note: null })
        .expect(400);
      expect(res.body.errors).toEqual([{ field: 'note', message: 'note must not be null' }]);
      const [row] = await sql<{ note: string }>(app, 'select note from order_notes where id = ?', [
        note.body.id,
      ]);
      expect(row.note).toBe('Keep me');

      const password = await http(app)
        .patch(`${API}/users/${users.customer.user.id}`)
        .set(users.admin.auth)
        .send({ password: null })
        .expect(400);
      expect(password.body.errors).toEqual([{ field: 'password', message: 'password must not be null' }]);
      const address = await http(app)
        .patch(`${API}/orders/${order.id}`)
        .set(users.support.auth)
        .send({ shippingAddress: { ...ADDRESS, line2: null, region: null, phone: null } })
        .expect(400);
      expect(address.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
        'shippingAddress.line2',
        'shippingAddress.phone',
        'shippingAddress.region',
      ]);
    });

    it.each([
      [
        '/users',
        'fullName',
        (v: string) => ({ email: 'x@test.local', password: 'long-password-1', fullName: v, role: 'support' }),
      ],
      ['/variants', 'name', (v: string) => ({ sku: 'CTRL-1', name: v })],
      ['/stock-locations', 'name', (v: string) => ({ code: 'CTRL-1', name: v })],
      ['/orders', 'shippingAddress.city', (v: string) => ({ shippingAddress: { ...ADDRESS, city: v } })],
      ['/auth/login', 'email', (v: string) => ({ email: v, password: 'x' })],
    ])('POST %s refuses tab, CR, LF and other control characters in %s', async (path, field, body) => {
      for (const value of ['Jane\tDoe', 'Jane\rDoe', 'Jane\nDoe', 'Jane\u001bDoe', 'Jane\u0085Doe']) {
        const res = await http(app).post(`${API}${path}`).set(users.admin.auth).send(body(value));
        expect(res.status).toBe(400);
        expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      }
    });

    it('single-line query filters refuse control characters too', async () => {
      const res = await http(app).get(`${API}/variants`).query({ q: 'shirt\nblack' }).set(users.admin.auth);
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ field: 'q', message: expect.stringContaining('single line') }]);
    });

    it('multi-line text keeps line breaks and tabs, refuses other control characters', async () => {
      const order = await placeOrder(1);
      const text = 'Line one\r\nLine two\n\tindented';
      const note = await http(app)
        .post(`${API}/orders/${order.id}/notes`)
        .set(users.support.auth)
        .send({ note: text })
        .expect(201);
      expect(note.body.note).toBe(text);
      const bell = await http(app)
        .post(`${API}/orders/${order.id}/notes`)
        .set(users.support.auth)
        .send({ note: 'ring\u0007' })
        .expect(400);
      expect(bell.body.errors.map((e: { field: string }) => e.field)).toEqual(['note']);
    });
  });
});
