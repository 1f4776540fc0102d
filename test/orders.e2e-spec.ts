import { randomUUID } from 'node:crypto';
import {
  createTestApp,
  createUser,
  createUsersOfEveryRole,
  expectFieldError,
  http,
  sql,
  TestApp,
  TestUser,
} from './utils/app';
import { createLocation, createOrder, createVariantWithStock, uniqueCode } from './utils/factories';
import { SHIPPING_ADDRESS } from './utils/orders';
import { UserRole } from '../src/identity/user-role.enum';
import { OrderStatus } from '../src/orders/order-status.enum';
import { ProductVariant } from '../src/catalog/product-variant.entity';

describe('orders CRUD (e2e)', () => {
  let app: TestApp;
  let admin: TestUser;
  let support: TestUser;
  let warehouse: TestUser;
  let customer: TestUser;
  let v1: ProductVariant;
  let v2: ProductVariant;
  let v3: ProductVariant;

  beforeAll(async () => {
    app = await createTestApp();
    ({ admin, support, warehouse, customer } = await createUsersOfEveryRole(app));
    const location = await createLocation(app);
    v1 = (await createVariantWithStock(app, 10, location)).variant;
    v2 = (await createVariantWithStock(app, 10, location)).variant;
    v3 = (await createVariantWithStock(app, 10, location)).variant;
  });

  afterAll(async () => {
    await app.close();
  });

  const history = (orderId: string) =>
    sql<{ action: string; old_status: string | null; new_status: string | null; additional_data: unknown }>(
      app,
      'select action, old_status, new_status, additional_data from order_history where order_id = ? order by sequence',
      [orderId],
    );

  const place = (body: Record<string, unknown>, user: TestUser = support) =>
    http(app).post('/api/v1/orders').set(user.auth).send(body);

  describe('POST /orders', () => {
    it('creates a pending order with totals in cents, a readable number and its created history', async () => {
      const res = await place({
        customerId: customer.user.id,
        currency: 'EUR',
        items: [
          { variantId: v1.id, quantity: 3, unitPrice: '0.10' },
          { variantId: v2.id, quantity: 1, unitPrice: 19.99 },
          { variantId: v3.id, quantity: 7, unitPrice: '0.7' },
        ],
        shippingAddress: { ...SHIPPING_ADDRESS, line2: 'Flat 2', phone: '+49 30 1234567' },
      }).expect(201);

      expect(res.body).toEqual({
        id: expect.any(String),
        orderNumber: expect.stringMatching(new RegExp(`^ORD-${new Date().getUTCFullYear()}-\\d{6}$`)),
        customerId: customer.user.id,
        status: 'pending',
        currency: 'EUR',
        // 3 × 0.10 + 19.99 + 7 × 0.70: exactly 25.19 (floating point would give 25.189999…)
        totalAmount: '25.19',
        amountPaid: '0.00',
        amountRefunded: '0.00',
        shippingAddress: { ...SHIPPING_ADDRESS, line2: 'Flat 2', phone: '+49 30 1234567' },
        items: [
          {
            id: expect.any(String),
            variantId: v1.id,
            sku: v1.sku,
            name: v1.name,
            quantity: 3,
            unitPrice: '0.10',
            lineTotal: '0.30',
            quantityReturned: 0,
          },
          expect.objectContaining({ variantId: v2.id, quantity: 1, unitPrice: '19.99', lineTotal: '19.99' }),
          expect.objectContaining({ variantId: v3.id, quantity: 7, unitPrice: '0.70', lineTotal: '4.90' }),
        ],
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const [row] = await sql<{ total_amount: string; status: string }>(
        app,
        'select total_amount, status from orders where id = ?',
        [res.body.id],
      );
      expect(row).toEqual({ total_amount: '25.19', status: 'pending' });
      const entries = await history(res.body.id);
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ action: 'created', old_status: null, new_status: 'pending' });
    });

    it('numbers orders uniquely under concurrency', async () => {
      const responses = await Promise.all(
        Array.from({ length: 8 }, () =>
          place({
            customerId: customer.user.id,
            currency: 'USD',
            items: [{ variantId: v1.id, quantity: 1, unitPrice: '1.00' }],
            shippingAddress: SHIPPING_ADDRESS,
          }),
        ),
      );
      expect(responses.map((r) => r.status)).toEqual(Array(8).fill(201));
      expect(new Set(responses.map((r) => r.body.orderNumber)).size).toBe(8);
    });

    it('refuses bad input with a 400 naming each field, writing nothing', async () => {
      const before = await sql<{ n: number }>(
        app,
        'select count(*)::int as n from orders where customer_id = ?',
        [customer.user.id],
      );
      const res = await place({
        customerId: 'nope',
        currency: 'eur',
        items: [
          { variantId: v1.id, quantity: 0, unitPrice: '1.999' },
          { variantId: v2.id, quantity: 1.5, unitPrice: -1 },
        ],
        shippingAddress: { ...SHIPPING_ADDRESS, country: 'Germany', city: '' },
        extra: true,
      }).expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      const fields = res.body.errors.map((e: { field: string }) => e.field);
      expect(fields).toEqual(
        expect.arrayContaining([
          'customerId',
          'currency',
          'items.0.quantity',
          'items.0.unitPrice',
          'items.1.quantity',
          'items.1.unitPrice',
          'shippingAddress.country',
          'shippingAddress.city',
          'extra',
        ]),
      );
      await place({
        customerId: customer.user.id,
        currency: 'EUR',
        items: [],
        shippingAddress: SHIPPING_ADDRESS,
      }).expect(400);
      await place({
        customerId: customer.user.id,
        currency: 'XYZ',
        items: [{ variantId: v1.id, quantity: 1, unitPrice: '1' }],
        shippingAddress: SHIPPING_ADDRESS,
      }).expect(400);
      const after = await sql<{ n: number }>(
        app,
        'select count(*)::int as n from orders where customer_id = ?',
        [customer.user.id],
      );
      expect(after).toEqual(before);
    });

    it('needs an active customer and existing, distinct variants', async () => {
      const line = { variantId: v1.id, quantity: 1, unitPrice: '1.00' };
      const staff = await place({
        customerId: support.user.id,
        currency: 'EUR',
        items: [line],
        shippingAddress: SHIPPING_ADDRESS,
      }).expect(400);
      expect(staff.body.errors).toEqual([
        { field: 'customerId', message: 'must be the id of an active user with role customer' },
      ]);
      const inactive = await createUser(app, UserRole.CUSTOMER);
      await http(app)
        .patch(`/api/v1/users/${inactive.user.id}`)
        .set(admin.auth)
        .send({ isActive: false })
        .expect(200);
      await place({
        customerId: inactive.user.id,
        currency: 'EUR',
        items: [line],
        shippingAddress: SHIPPING_ADDRESS,
      }).expect(400);

      const unknown = await place({
        customerId: customer.user.id,
        currency: 'EUR',
        items: [line, { variantId: randomUUID(), quantity: 1, unitPrice: '1.00' }, line],
        shippingAddress: SHIPPING_ADDRESS,
      }).expect(400);
      expect(unknown.body.errors).toEqual([
        { field: 'items.1.variantId', message: 'no such product variant' },
        { field: 'items.2.variantId', message: 'each variant may appear only once' },
      ]);
    });

    it('replays a repeat with the same Idempotency-Key and creates nothing new', async () => {
      const key = randomUUID();
      const body = {
        customerId: customer.user.id,
        currency: 'EUR',
        items: [{ variantId: v2.id, quantity: 2, unitPrice: '5.00' }],
        shippingAddress: SHIPPING_ADDRESS,
      };
      const first = await place(body).set('Idempotency-Key', key).expect(201);
      const again = await place(body).set('Idempotency-Key', key).expect(201);
      expect(again.body).toEqual(first.body);
      const other = await place({ ...body, currency: 'USD' }).set('Idempotency-Key', key);
      expect(other.status).toBe(422);
      const rows = await sql(app, 'select id from orders where order_number = ?', [first.body.orderNumber]);
      expect(rows).toHaveLength(1);
    });

    it('is for admin and support', async () => {
      const body = {
        customerId: customer.user.id,
        currency: 'EUR',
        items: [{ variantId: v1.id, quantity: 1, unitPrice: '1.00' }],
        shippingAddress: SHIPPING_ADDRESS,
      };
      await place(body, admin).expect(201);
      await place(body, warehouse).expect(403);
      await place(body, customer).expect(403);
      await http(app).post('/api/v1/orders').send(body).expect(401);
    });
  });

  describe('GET /orders', () => {
    let buyer: TestUser;
    const ids: Record<string, string> = {};

    beforeAll(async () => {
      buyer = await createUser(app, UserRole.CUSTOMER, { email: `Buyer-${randomUUID()}@Example.test` });
      for (const [name, status, quantity] of [
        ['a', OrderStatus.PENDING, 1],
        ['b', OrderStatus.CONFIRMED, 3],
        ['c', OrderStatus.DELIVERED, 2],
      ] as const) {
        ids[name] = (
          await createOrder(app, buyer.user, [{ variant: v1, quantity, unitPrice: '10.00' }], status)
        ).order.id;
      }
    });

    const list = (query: Record<string, unknown>, user: TestUser = support) =>
      http(app).get('/api/v1/orders').query(query).set(user.auth);

    it('filters by customer and status (repeatable or comma-separated), sorted', async () => {
      const all = await list({ customerId: buyer.user.id, sort: 'totalAmount' }).expect(200);
      expect(all.body.meta).toEqual({ page: 1, pageSize: 20, total: 3, totalPages: 1 });
      expect(all.body.data.map((o: { id: string }) => o.id)).toEqual([ids.a, ids.c, ids.b]);
      expect(all.body.data[0]).toEqual({
        id: ids.a,
        orderNumber: expect.any(String),
        customerId: buyer.user.id,
        customerEmail: buyer.user.email,
        status: 'pending',
        currency: 'EUR',
        totalAmount: '10.00',
        amountPaid: '0.00',
        amountRefunded: '0.00',
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });

      const two = await http(app)
        .get(`/api/v1/orders?customerId=${buyer.user.id}&status=pending&status=delivered&sort=-totalAmount`)
        .set(warehouse.auth)
        .expect(200);
      expect(two.body.data.map((o: { id: string }) => o.id)).toEqual([ids.c, ids.a]);
      const comma = await list({ customerId: buyer.user.id, status: 'confirmed,delivered' }).expect(200);
      expect(comma.body.meta.total).toBe(2);

      const paged = await list({
        customerId: buyer.user.id,
        sort: '-totalAmount',
        page: 2,
        pageSize: 2,
      }).expect(200);
      expect(paged.body.data.map((o: { id: string }) => o.id)).toEqual([ids.a]);
      expect(paged.body.meta).toEqual({ page: 2, pageSize: 2, total: 3, totalPages: 2 });
    });

    it('searches by order-number prefix and by exact customer email, case-insensitively', async () => {
      const [row] = await sql<{ order_number: string }>(app, 'select order_number from orders where id = ?', [
        ids.b,
      ]);
      const byNumber = await list({ q: row.order_number.toLowerCase() }).expect(200);
      expect(byNumber.body.data.map((o: { id: string }) => o.id)).toEqual([ids.b]);
      // Numbers are sequential, so a prefix may also match the buyer's other orders: exactly those.
      const start = row.order_number.slice(0, -2);
      const numbers = await sql<{ id: string; order_number: string }>(
        app,
        'select id, order_number from orders where customer_id = ?',
        [buyer.user.id],
      );
      const matching = numbers.filter((n) => n.order_number.startsWith(start)).map((n) => n.id);
      expect(matching).toContain(ids.b);
      const prefix = await list({ q: start.toLowerCase(), customerId: buyer.user.id }).expect(200);
      expect(prefix.body.data.map((o: { id: string }) => o.id).sort()).toEqual(matching.sort());

      const byEmail = await list({ q: buyer.user.email.toUpperCase() }).expect(200);
      expect(byEmail.body.meta.total).toBe(3);
      // LIKE wildcards in q are plain characters.
      await list({ q: '%' })
        .expect(200)
        .expect((res) => expect(res.body.meta.total).toBe(0));
      await list({ q: 'ORD-%' })
        .expect(200)
        .expect((res) => expect(res.body.meta.total).toBe(0));
    });

    it('filters by creation time', async () => {
      const [row] = await sql<{ created_at: Date }>(app, 'select created_at from orders where id = ?', [
        ids.b,
      ]);
      const at = new Date(row.created_at).toISOString();
      const from = await list({ customerId: buyer.user.id, createdFrom: at, sort: 'createdAt' }).expect(200);
      expect(from.body.data.map((o: { id: string }) => o.id)).toEqual([ids.b, ids.c]);
      // Both ends include their instant (a date alone would include its whole day).
      const to = await list({ customerId: buyer.user.id, createdTo: at, sort: 'createdAt' }).expect(200);
      expect(to.body.data.map((o: { id: string }) => o.id)).toEqual([ids.a, ids.b]);
      const before = new Date(new Date(row.created_at).getTime() - 1).toISOString();
      const toBefore = await list({ customerId: buyer.user.id, createdTo: before }).expect(200);
      expect(toBefore.body.data.map((o: { id: string }) => o.id)).toEqual([ids.a]);
    });

    it('refuses unknown sort fields, bad filters and too large pages', async () => {
      const sort = await list({ sort: 'customerId' }).expect(400);
      expect(sort.body.errors[0].field).toBe('sort');
      const status = await list({ status: 'lost' }).expect(400);
      expect(status.body.errors[0].field).toBe('status');
      expectFieldError(await list({ createdFrom: 'yesterday' }), 'createdFrom');
      expectFieldError(await list({ customerId: 'x' }), 'customerId');
      expectFieldError(await list({ pageSize: 101 }), 'pageSize');
      await list({}, customer).expect(403);
    });
  });

  describe('GET /orders/:id and PATCH /orders/:id', () => {
    async function newOrder() {
      const res = await place({
        customerId: customer.user.id,
        currency: 'EUR',
        items: [
          { variantId: v1.id, quantity: 2, unitPrice: '10.00' },
          { variantId: v2.id, quantity: 1, unitPrice: '5.50' },
        ],
        shippingAddress: SHIPPING_ADDRESS,
      }).expect(201);
      return res.body;
    }

    it('shows the order with reservation and fulfillment summaries and the allowed actions', async () => {
      const order = await newOrder();
      const res = await http(app).get(`/api/v1/orders/${order.id}`).set(warehouse.auth).expect(200);
      expect(res.body).toEqual({
        ...order,
        items: order.items.map((item: object) => ({
          ...item,
          quantityReserved: 0,
          quantityFulfilled: 0,
          quantityShipped: 0,
        })),
        reservations: { active: 0, unitsReserved: 0, unitsFulfilled: 0 },
        fulfillments: [],
        allowedActions: ['edit', 'confirm', 'payment', 'cancel'],
      });
      await http(app).get(`/api/v1/orders/${randomUUID()}`).set(support.auth).expect(404);
      const bad = await http(app).get('/api/v1/orders/not-a-uuid').set(support.auth).expect(400);
      expect(bad.body.errors).toEqual([{ field: 'id', message: 'must be a UUID' }]);
      await http(app).get(`/api/v1/orders/${order.id}`).set(customer.auth).expect(403);
    });

    it('edits items and address while pending, recomputes the total and records the diff', async () => {
      const order = await newOrder();
      const kept = order.items[0];
      const res = await http(app)
        .patch(`/api/v1/orders/${order.id}`)
        .set(support.auth)
        .send({
          items: [
            { variantId: v1.id, quantity: 5, unitPrice: '9.00' },
            { variantId: v3.id, quantity: 1, unitPrice: '0.99' },
          ],
          shippingAddress: { ...SHIPPING_ADDRESS, city: 'Hamburg', postalCode: '20095' },
        })
        .expect(200);
      expect(res.body.totalAmount).toBe('45.99');
      expect(res.body.shippingAddress).toEqual({ ...SHIPPING_ADDRESS, city: 'Hamburg', postalCode: '20095' });
      expect(
        res.body.items.map((i: { id: string; variantId: string; quantity: number }) => [
          i.variantId,
          i.quantity,
        ]),
      ).toEqual([
        [v1.id, 5],
        [v3.id, 1],
      ]);
      expect(res.body.items[0].id).toBe(kept.id); // the kept variant keeps its item
      const [row] = await sql<{ total_amount: string }>(app, 'select total_amount from orders where id = ?', [
        order.id,
      ]);
      expect(row.total_amount).toBe('45.99');
      const items = await sql(
        app,
        'select product_variant_id from order_items where order_id = ? order by created_at',
        [order.id],
      );
      expect(items).toHaveLength(2);

      const entries = await history(order.id);
      expect(entries.map((e) => e.action)).toEqual(['created', 'edited']);
      expect(entries[1]).toEqual({
        action: 'edited',
        old_status: 'pending',
        new_status: 'pending',
        additional_data: {
          before: {
            items: [
              { variantId: v1.id, sku: v1.sku, quantity: 2, unitPrice: '10.00' },
              { variantId: v2.id, sku: v2.sku, quantity: 1, unitPrice: '5.50' },
            ],
            totalAmount: '25.50',
            shippingAddress: SHIPPING_ADDRESS,
          },
          after: {
            items: [
              { variantId: v1.id, sku: v1.sku, quantity: 5, unitPrice: '9.00' },
              { variantId: v3.id, sku: v3.sku, quantity: 1, unitPrice: '0.99' },
            ],
            totalAmount: '45.99',
            shippingAddress: { ...SHIPPING_ADDRESS, city: 'Hamburg', postalCode: '20095' },
          },
        },
      });

      // The address alone; an edit that changes nothing records nothing.
      await http(app)
        .patch(`/api/v1/orders/${order.id}`)
        .set(admin.auth)
        .send({ shippingAddress: { ...SHIPPING_ADDRESS, city: 'Hamburg', postalCode: '20095' } })
        .expect(200);
      expect((await history(order.id)).map((e) => e.action)).toEqual(['created', 'edited']);
    });

    it('refuses to change the items of a pending order that holds reservations (the address may change)', async () => {
      const order = await newOrder();
      const [row] = await sql<{ stock_location_id: string }>(
        app,
        'select stock_location_id from stock_levels where product_variant_id = ?',
        [v1.id],
      );
      await http(app)
        .post('/api/v1/reservations')
        .set(admin.auth)
        .send({
          orderId: order.id,
          orderItemId: order.items[0].id,
          productVariantId: v1.id,
          stockLocationId: row.stock_location_id,
          quantity: 1,
        })
        .expect(201);
      const res = await http(app)
        .patch(`/api/v1/orders/${order.id}`)
        .set(support.auth)
        .send({ items: [{ variantId: v2.id, quantity: 1, unitPrice: '1.00' }] })
        .expect(409);
      expect(res.body).toMatchObject({ code: 'CONFLICT', activeReservations: 1 });
      const items = await sql(app, 'select id from order_items where order_id = ?', [order.id]);
      expect(items).toHaveLength(2);
      await http(app)
        .patch(`/api/v1/orders/${order.id}`)
        .set(support.auth)
        .send({ shippingAddress: { ...SHIPPING_ADDRESS, name: 'John Doe' } })
        .expect(200);
    });

    it('refuses an edit once the order is not pending, and empty or bad edits', async () => {
      const buyer = await createUser(app, UserRole.CUSTOMER);
      const { order } = await createOrder(
        app,
        buyer.user,
        [{ variant: v1, quantity: 1 }],
        OrderStatus.CONFIRMED,
      );
      const res = await http(app)
        .patch(`/api/v1/orders/${order.id}`)
        .set(support.auth)
        .send({ shippingAddress: SHIPPING_ADDRESS })
        .expect(409);
      expect(res.body).toMatchObject({
        code: 'INVALID_TRANSITION',
        from: 'confirmed',
        action: 'edit',
        allowed: ['payment', 'fulfil', 'cancel'],
      });
      const pending = await newOrder();
      const empty = await http(app)
        .patch(`/api/v1/orders/${pending.id}`)
        .set(support.auth)
        .send({})
        .expect(400);
      expect(empty.body.errors[0].field).toBe('items');
      await http(app)
        .patch(`/api/v1/orders/${pending.id}`)
        .set(support.auth)
        .send({ items: [{ variantId: randomUUID(), quantity: 1, unitPrice: '1' }] })
        .expect(400);
      await http(app)
        .patch(`/api/v1/orders/${pending.id}`)
        .set(warehouse.auth)
        .send({ shippingAddress: SHIPPING_ADDRESS })
        .expect(403);
      await http(app)
        .patch(`/api/v1/orders/${randomUUID()}`)
        .set(support.auth)
        .send({ shippingAddress: SHIPPING_ADDRESS })
        .expect(404);
      expect((await history(pending.id)).map((e) => e.action)).toEqual(['created']);
    });
  });

  it('keeps SKU and name as they were when the order was placed', async () => {
    const { variant } = await createVariantWithStock(app, 1);
    const res = await place({
      customerId: customer.user.id,
      currency: 'EUR',
      items: [{ variantId: variant.id, quantity: 1, unitPrice: '1.00' }],
      shippingAddress: SHIPPING_ADDRESS,
    }).expect(201);
    // By SQL: no route renames a variant, and the order's copy must not follow the catalogue anyway.
    await sql(app, 'update product_variants set name = ? where id = ?', [uniqueCode('RENAMED'), variant.id]);
    const after = await http(app).get(`/api/v1/orders/${res.body.id}`).set(support.auth).expect(200);
    expect(after.body.items[0].name).toBe(variant.name);
  });
});
