import { Client } from 'pg';
import { createTestApp, createUser, http, sql, TestApp, TestUser } from './utils/app';
import { createOrder, createVariantWithStock } from './utils/factories';
import { UserRole } from '../src/identity/user-role.enum';
import { ProductVariant } from '../src/catalog/product-variant.entity';
import { StockLocation } from '../src/catalog/stock-location.entity';

/**
 * POST /reservations is a budgeted write command (docs/data-access.md): BEGIN, ONE statement,
 * COMMIT (authentication aside, which the guard's user cache takes off the database). Counted at
 * the driver: every query any pg Client of this process sends while the request runs.
 */
async function roundTrips(work: () => Promise<unknown>): Promise<string[]> {
  const sent: string[] = [];
  const original = Client.prototype.query;
  const patched = function (this: Client, ...args: unknown[]) {
    const first = args[0] as string | { text?: string };
    sent.push(typeof first === 'string' ? first : (first?.text ?? ''));
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  };
  Client.prototype.query = patched as typeof original;
  try {
    await work();
  } finally {
    Client.prototype.query = original;
  }
  return sent;
}

/** The guard's user lookup, while authentication still reads the database on each request. */
const isAuthLookup = (statement: string) => /\bfrom\s+"?users"?\b/i.test(statement);

describe('write commands in round trips: POST /reservations (and races), fulfillment moves', () => {
  let app: TestApp;
  let admin: TestUser;
  let warehouse: TestUser;
  let customer: TestUser;

  beforeAll(async () => {
    app = await createTestApp();
    [admin, warehouse, customer] = await Promise.all([
      createUser(app, UserRole.ADMIN),
      createUser(app, UserRole.WAREHOUSE),
      createUser(app, UserRole.CUSTOMER),
    ]);
  });
  afterAll(async () => {
    await app.close();
  });

  const reserve = (body: Record<string, unknown>) =>
    http(app).post('/api/v1/reservations').set(warehouse.auth).send(body);

  async function level(variant: ProductVariant, location: StockLocation) {
    const [row] = await sql<{ quantity_on_hand: number; quantity_reserved: number; held: number }>(
      app,
      `select sl.quantity_on_hand, sl.quantity_reserved,
              (select coalesce(sum(r.quantity_reserved - r.quantity_fulfilled), 0)::int from inventory_reservations r
                where r.is_active and r.product_variant_id = sl.product_variant_id
                  and r.stock_location_id = sl.stock_location_id) as held
         from stock_levels sl where sl.product_variant_id = ? and sl.stock_location_id = ?`,
      [variant.id, location.id],
    );
    return row;
  }

  /** Each item's allocation counter next to what its reservations say it must be. */
  async function allocations(itemIds: string[]) {
    return sql<{ id: string; quantity_allocated: number; expected: number }>(
      app,
      `select i.id, i.quantity_allocated,
              coalesce((select sum(case when r.is_active then r.quantity_reserved else r.quantity_fulfilled end)
                          from inventory_reservations r where r.order_item_id = i.id), 0)::int as expected
         from order_items i where i.id = any(?::uuid[]) order by i.id`,
      [`{${itemIds.join(',')}}`],
    );
  }

  async function verify(orderId: string) {
    const res = await http(app).get(`/api/v1/orders/${orderId}/history/verify`).set(admin.auth).expect(200);
    return res.body as { valid: boolean; entries: number; firstBrokenEntryId: string | null };
  }

  it('takes BEGIN, one statement and COMMIT (authentication aside)', async () => {
    const { variant, location } = await createVariantWithStock(app, 10);
    const { order, items } = await createOrder(app, customer.user, [{ variant, quantity: 3 }]);
    const body = {
      orderId: order.id,
      orderItemId: items[0].id,
      productVariantId: variant.id,
      stockLocationId: location.id,
      quantity: 1,
    };
    await reserve(body).expect(201); // connections of the pool opened and set up before counting

    const sent = await roundTrips(() => reserve(body).expect(201));
    const auth = sent.filter(isAuthLookup);
    expect(auth.length).toBeLessThanOrEqual(1);
    const transaction = sent.filter((statement) => !isAuthLookup(statement));
    expect(transaction).toHaveLength(3);
    expect(transaction[0]).toMatch(/^begin/i);
    expect(transaction[2]).toMatch(/^commit/i);
    expect(await level(variant, location)).toEqual({ quantity_on_hand: 10, quantity_reserved: 2, held: 2 });
    expect(await verify(order.id)).toEqual({ valid: true, entries: 3, firstBrokenEntryId: null });
  });

  it('a refused reservation costs no more, and writes nothing', async () => {
    const { variant, location } = await createVariantWithStock(app, 1);
    const { order, items } = await createOrder(app, customer.user, [{ variant, quantity: 3 }]);
    const body = {
      orderId: order.id,
      orderItemId: items[0].id,
      productVariantId: variant.id,
      stockLocationId: location.id,
      quantity: 2,
    };
    await reserve({ ...body, quantity: 1, orderItemId: order.id }).expect(404);
    let res: { status: number; body: { code?: string } } | undefined;
    const sent = await roundTrips(async () => {
      res = await reserve(body);
    });
    expect(res).toMatchObject({ status: 409, body: { code: 'INSUFFICIENT_STOCK' } });
    // BEGIN, the statement, ROLLBACK.
    expect(sent.filter((statement) => !isAuthLookup(statement))).toHaveLength(3);
    expect(await level(variant, location)).toEqual({ quantity_on_hand: 1, quantity_reserved: 0, held: 0 });
    expect(await verify(order.id)).toEqual({ valid: true, entries: 1, firstBrokenEntryId: null });
  });

  it('30 concurrent reservations on one stock level never oversell; counters equal the active holds', async () => {
    const { variant, location } = await createVariantWithStock(app, 17);
    const orders = await Promise.all(
      Array.from({ length: 15 }, () => createOrder(app, customer.user, [{ variant, quantity: 2 }])),
    );
    const responses = await Promise.all(
      orders.flatMap(({ order, items }) =>
        [0, 1].map(() =>
          reserve({
            orderId: order.id,
            orderItemId: items[0].id,
            productVariantId: variant.id,
            stockLocationId: location.id,
            quantity: 1,
          }),
        ),
      ),
    );
    const statuses = responses.map((res) => res.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(17);
    expect(statuses.filter((status) => status === 409)).toHaveLength(13);
    for (const res of responses.filter((r) => r.status === 409)) {
      expect(res.body.code).toBe('INSUFFICIENT_STOCK');
    }
    expect(await level(variant, location)).toEqual({ quantity_on_hand: 17, quantity_reserved: 17, held: 17 });
    const rows = await allocations(orders.map(({ items }) => items[0].id));
    expect(rows).toHaveLength(orders.length);
    for (const row of rows) expect(row.quantity_allocated).toBe(row.expected);
    expect(rows.reduce((sum, row) => sum + row.quantity_allocated, 0)).toBe(17);
    for (const { order } of orders) {
      const [{ reserved }] = await sql<{ reserved: number }>(
        app,
        `select count(*)::int as reserved from inventory_reservations where order_id = ?`,
        [order.id],
      );
      expect(await verify(order.id)).toEqual({
        valid: true,
        entries: 1 + reserved,
        firstBrokenEntryId: null,
      });
    }
  });

  it('concurrent reservations of one order item never exceed its quantity, also across locations', async () => {
    const a = await createVariantWithStock(app, 100);
    const { order, items } = await createOrder(app, customer.user, [{ variant: a.variant, quantity: 5 }]);
    const second = await createVariantWithStock(app, 100);
    const otherLocation = second.location.id;
    // The same variant at a second location: reservations of the item race through two stock rows.
    await http(app)
      .put(`/api/v1/stock-levels/${a.variant.id}/${otherLocation}`)
      .set(admin.auth)
      .send({ quantityOnHand: 100 })
      .expect((res) => expect(res.status).toBeLessThan(300));
    const responses = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        reserve({
          orderId: order.id,
          orderItemId: items[0].id,
          productVariantId: a.variant.id,
          stockLocationId: i % 2 === 0 ? a.location.id : otherLocation,
          quantity: 1,
        }),
      ),
    );
    const statuses = responses.map((res) => res.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(5);
    expect(statuses.filter((status) => status === 409)).toHaveLength(7);
    for (const res of responses.filter((r) => r.status === 409)) {
      expect(res.body.detail).toMatch(/units already reserved or fulfilled/);
    }
    const [row] = await allocations([items[0].id]);
    expect(row).toMatchObject({ quantity_allocated: 5, expected: 5 });
    const first = await level(a.variant, a.location);
    const [other] = await sql<{ quantity_reserved: number }>(
      app,
      'select quantity_reserved from stock_levels where product_variant_id = ? and stock_location_id = ?',
      [a.variant.id, otherLocation],
    );
    expect(first.quantity_reserved + other.quantity_reserved).toBe(5);
    expect(first.quantity_reserved).toBe(first.held);
    expect(await verify(order.id)).toEqual({ valid: true, entries: 6, firstBrokenEntryId: null });
  });

  it('reservations racing releases of the same item keep its allocation, the stock counter and the chain exact', async () => {
    const { variant, location } = await createVariantWithStock(app, 100);
    const { order, items } = await createOrder(app, customer.user, [{ variant, quantity: 10 }]);
    const body = {
      orderId: order.id,
      orderItemId: items[0].id,
      productVariantId: variant.id,
      stockLocationId: location.id,
      quantity: 1,
    };
    const first = await Promise.all(Array.from({ length: 6 }, () => reserve(body).expect(201)));
    const raced = await Promise.all([
      ...first.map((res) =>
        http(app).post(`/api/v1/reservations/${res.body.id}/release`).set(warehouse.auth),
      ),
      ...Array.from({ length: 10 }, () => reserve(body)),
    ]);
    // Every answer is a success or the item's own limit (never a deadlock or a server error).
    for (const res of raced) expect([200, 201, 409]).toContain(res.status);
    expect(raced.slice(0, 6).every((res) => res.status === 200)).toBe(true);
    const [row] = await allocations([items[0].id]);
    expect(row.quantity_allocated).toBe(row.expected);
    expect(row.quantity_allocated).toBeLessThanOrEqual(10);
    expect(row.quantity_allocated).toBe(raced.slice(6).filter((res) => res.status === 201).length);
    const counters = await level(variant, location);
    expect(counters.quantity_reserved).toBe(counters.held);
    expect(counters.held).toBe(row.quantity_allocated);
    expect((await verify(order.id)).valid).toBe(true);
  });

  it('a released hold gives its units back to the item: reserve, release, reserve again up to the quantity', async () => {
    const { variant, location } = await createVariantWithStock(app, 10);
    const { order, items } = await createOrder(app, customer.user, [{ variant, quantity: 2 }]);
    const body = {
      orderId: order.id,
      orderItemId: items[0].id,
      productVariantId: variant.id,
      stockLocationId: location.id,
      quantity: 2,
    };
    const first = await reserve(body).expect(201);
    await reserve({ ...body, quantity: 1 }).expect(409);
    await http(app).post(`/api/v1/reservations/${first.body.id}/release`).set(warehouse.auth).expect(200);
    await reserve(body).expect(201);
    const [row] = await allocations([items[0].id]);
    expect(row).toMatchObject({ quantity_allocated: 2, expected: 2 });
    expect(await level(variant, location)).toEqual({ quantity_on_hand: 10, quantity_reserved: 2, held: 2 });
    expect(await verify(order.id)).toEqual({ valid: true, entries: 4, firstBrokenEntryId: null });
  });

  it('a fulfillment move (picking → packing) takes BEGIN, one statement and COMMIT, its entry chained', async () => {
    const { variant, location } = await createVariantWithStock(app, 10);
    const { order, items } = await createOrder(app, customer.user, [{ variant, quantity: 2 }]);
    await http(app).post(`/api/v1/orders/${order.id}/confirm`).set(admin.auth).send({}).expect(200);
    const created = await http(app)
      .post(`/api/v1/orders/${order.id}/fulfillments`)
      .set(warehouse.auth)
      .send({ warehouseLocation: location.code, items: { [items[0].id]: 2 } })
      .expect(201);
    const move = (status: string) =>
      http(app).post(`/api/v1/fulfillments/${created.body.id}/status`).set(warehouse.auth).send({ status });
    await move('picking').expect(200); // the first picking also moves the order to processing

    let res: { status: number; body: { status?: string } } | undefined;
    const sent = await roundTrips(async () => {
      res = await move('packing');
    });
    expect(res).toMatchObject({ status: 200, body: { status: 'packing' } });
    const transaction = sent.filter((statement) => !isAuthLookup(statement));
    expect(transaction).toHaveLength(3);
    expect(transaction[0]).toMatch(/^begin/i);
    expect(transaction[2]).toMatch(/^commit/i);
    // A refused move (packing → shipped is not allowed) writes nothing and costs no more.
    const refused = await roundTrips(() => move('shipped').expect(409));
    expect(refused.filter((statement) => !isAuthLookup(statement))).toHaveLength(3);

    const trail = await http(app)
      .get(`/api/v1/orders/${order.id}/history?pageSize=100`)
      .set(admin.auth)
      .expect(200);
    const last = trail.body.data[trail.body.data.length - 1];
    expect(last).toMatchObject({
      action: 'status_changed',
      description: expect.stringMatching(/^Fulfillment FUL-\S+ moved from picking to packing$/),
      additionalData: { fulfillmentId: created.body.id, from: 'picking', to: 'packing' },
    });
    expect((await verify(order.id)).valid).toBe(true);
  });
});
