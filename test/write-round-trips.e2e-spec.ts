import { Client } from 'pg';
import { whileOrderLocked } from './utils/proxied-app';
import { createTestApp, createUser, http, sql, TestApp, TestUser } from './utils/app';
import { allocationsOf, chainOf, createOrder, createVariantWithStock } from './utils/factories';
import { UserRole } from '../src/identity/user-role.enum';
import { OrderStatus } from '../src/orders/order-status.enum';
import { ProductVariant } from '../src/catalog/product-variant.entity';
import { StockLocation } from '../src/catalog/stock-location.entity';

/**
 * Write commands are budgeted in round trips (docs/data-access.md): POST /reservations is BEGIN, ONE
 * statement, COMMIT (authentication aside, which the guard's user cache takes off the database); a
 * fulfillment move, the first picking included, the same; shipping BEGIN + 2 + COMMIT; confirmation
 * BEGIN + 3 + COMMIT plus the order detail read that answers it. Counted at the driver: every query
 * any pg Client of this process sends while the request runs.
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

/** Waits until `count` backends of the test's database wait for a lock (the holder's or a queued one). */
async function waitForLockWaits(holder: Client, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { rows } = await holder.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`,
    );
    if (rows[0].n >= count) return;
    if (Date.now() > deadline) throw new Error(`fewer than ${count} backends waited for a lock in time`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Authentication's statements, not the request's: the guard's user lookup (when its cache misses)
 * and the user-change listener's heartbeat (`select 1` every 2 s on its own connection, which may
 * fall inside a counted request).
 */
const isAuthLookup = (statement: string) =>
  /\bfrom\s+"?users"?\b/i.test(statement) || /^\s*select 1\s*$/i.test(statement);

describe('write commands in round trips: POST /reservations (and races), fulfillment moves, confirmation, shipping', () => {
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
    expect(await chainOf(app, admin, order.id)).toEqual({
      valid: true,
      entries: 3,
      firstBrokenEntryId: null,
    });
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
    expect(await chainOf(app, admin, order.id)).toEqual({
      valid: true,
      entries: 1,
      firstBrokenEntryId: null,
    });
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
    const rows = await allocationsOf(
      app,
      orders.map(({ items }) => items[0].id),
    );
    expect(rows).toHaveLength(orders.length);
    for (const row of rows) expect(row.quantity_allocated).toBe(row.expected);
    expect(rows.reduce((sum, row) => sum + row.quantity_allocated, 0)).toBe(17);
    for (const { order } of orders) {
      const [{ reserved }] = await sql<{ reserved: number }>(
        app,
        `select count(*)::int as reserved from inventory_reservations where order_id = ?`,
        [order.id],
      );
      expect(await chainOf(app, admin, order.id)).toEqual({
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
    const [row] = await allocationsOf(app, [items[0].id]);
    expect(row).toMatchObject({ quantity_allocated: 5, expected: 5 });
    const first = await level(a.variant, a.location);
    const [other] = await sql<{ quantity_reserved: number }>(
      app,
      'select quantity_reserved from stock_levels where product_variant_id = ? and stock_location_id = ?',
      [a.variant.id, otherLocation],
    );
    expect(first.quantity_reserved + other.quantity_reserved).toBe(5);
    expect(first.quantity_reserved).toBe(first.held);
    expect(await chainOf(app, admin, order.id)).toEqual({
      valid: true,
      entries: 6,
      firstBrokenEntryId: null,
    });
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
    const [row] = await allocationsOf(app, [items[0].id]);
    expect(row.quantity_allocated).toBe(row.expected);
    expect(row.quantity_allocated).toBeLessThanOrEqual(10);
    expect(row.quantity_allocated).toBe(raced.slice(6).filter((res) => res.status === 201).length);
    const counters = await level(variant, location);
    expect(counters.quantity_reserved).toBe(counters.held);
    expect(counters.held).toBe(row.quantity_allocated);
    expect((await chainOf(app, admin, order.id)).valid).toBe(true);
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
    const [row] = await allocationsOf(app, [items[0].id]);
    expect(row).toMatchObject({ quantity_allocated: 2, expected: 2 });
    expect(await level(variant, location)).toEqual({ quantity_on_hand: 10, quantity_reserved: 2, held: 2 });
    expect(await chainOf(app, admin, order.id)).toEqual({
      valid: true,
      entries: 4,
      firstBrokenEntryId: null,
    });
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
    expect((await chainOf(app, admin, order.id)).valid).toBe(true);
  });

  /** Statements of a request, authentication aside. */
  const transactionOf = (sent: string[]) => sent.filter((statement) => !isAuthLookup(statement));

  const confirm = (orderId: string, body: Record<string, unknown> = {}) =>
    http(app).post(`/api/v1/orders/${orderId}/confirm`).set(admin.auth).send(body);

  /** A confirmed order with one parcel per entry of `parcels` (units of its one item), each moved to `until`. */
  async function parcelsOf(
    parcels: number[],
    until: 'pending' | 'ready_to_ship',
    stock = 100,
  ): Promise<{
    orderId: string;
    itemId: string;
    parcelIds: string[];
    variant: ProductVariant;
    location: StockLocation;
  }> {
    const { variant, location } = await createVariantWithStock(app, stock);
    const total = parcels.reduce((sum, n) => sum + n, 0);
    const { order, items } = await createOrder(app, customer.user, [{ variant, quantity: total }]);
    await confirm(order.id).expect(200);
    const parcelIds: string[] = [];
    for (const quantity of parcels) {
      const created = await http(app)
        .post(`/api/v1/orders/${order.id}/fulfillments`)
        .set(warehouse.auth)
        .send({ warehouseLocation: location.code, items: { [items[0].id]: quantity } })
        .expect(201);
      parcelIds.push(created.body.id);
    }
    if (until === 'ready_to_ship') {
      for (const id of parcelIds) {
        for (const status of ['picking', 'packing', 'ready_to_ship']) {
          await http(app)
            .post(`/api/v1/fulfillments/${id}/status`)
            .set(warehouse.auth)
            .send({ status })
            .expect(200);
        }
      }
    }
    return { orderId: order.id, itemId: items[0].id, parcelIds, variant, location };
  }

  const moveTo = (fulfillmentId: string, status: string) =>
    http(app).post(`/api/v1/fulfillments/${fulfillmentId}/status`).set(warehouse.auth).send({ status });

  async function orderStatus(orderId: string): Promise<string> {
    const [row] = await sql<{ status: string }>(app, 'select status from orders where id = ?', [orderId]);
    return row.status;
  }

  async function trail(orderId: string) {
    return sql<{ action: string; old_status: string | null; new_status: string | null }>(
      app,
      'select action::text, old_status, new_status from order_history where order_id = ? order by sequence',
      [orderId],
    );
  }

  it('confirmation takes BEGIN, three statements and COMMIT, plus the order detail read that answers it', async () => {
    const a = await createVariantWithStock(app, 10);
    const b = await createVariantWithStock(app, 10, a.location);
    const { order } = await createOrder(app, customer.user, [
      { variant: a.variant, quantity: 2 },
      { variant: b.variant, quantity: 3 },
    ]);
    // What the answer alone costs: the statements of GET /orders/:id (transaction statements aside).
    const answer = transactionOf(
      await roundTrips(() => http(app).get(`/api/v1/orders/${order.id}`).set(admin.auth).expect(200)),
    ).filter((statement) => !/^(begin|commit|rollback)/i.test(statement));

    let res: { status: number; body: { status?: string } } | undefined;
    const sent = transactionOf(
      await roundTrips(async () => {
        res = await confirm(order.id);
      }),
    );
    expect(res).toMatchObject({ status: 200, body: { status: 'confirmed' } });
    expect(sent[0]).toMatch(/^begin/i);
    expect(sent[sent.length - 1]).toMatch(/^commit/i);
    // BEGIN + 3 + COMMIT, and the answer's read.
    expect(sent.length - answer.length).toBe(5);
    expect(await level(a.variant, a.location)).toEqual({
      quantity_on_hand: 10,
      quantity_reserved: 2,
      held: 2,
    });
    expect(await level(b.variant, b.location)).toEqual({
      quantity_on_hand: 10,
      quantity_reserved: 3,
      held: 3,
    });
    expect((await trail(order.id)).map((e) => e.action)).toEqual([
      'created',
      'inventory_reserved',
      'inventory_reserved',
      'confirmed',
    ]);
    expect((await trail(order.id))[3]).toMatchObject({ old_status: 'pending', new_status: 'confirmed' });
    expect(await chainOf(app, admin, order.id)).toEqual({
      valid: true,
      entries: 4,
      firstBrokenEntryId: null,
    });
  });

  it('a refused confirmation (too little stock) costs no more than the confirmation read, and writes nothing', async () => {
    const { variant, location } = await createVariantWithStock(app, 1);
    const { order } = await createOrder(app, customer.user, [{ variant, quantity: 2 }]);
    let res: { status: number; body: { code?: string } } | undefined;
    const sent = transactionOf(
      await roundTrips(async () => {
        res = await confirm(order.id);
      }),
    );
    expect(res).toMatchObject({ status: 409, body: { code: 'INSUFFICIENT_STOCK' } });
    expect(sent).toHaveLength(3); // BEGIN, the confirmation read, ROLLBACK
    expect(await orderStatus(order.id)).toBe('pending');
    expect(await level(variant, location)).toEqual({ quantity_on_hand: 1, quantity_reserved: 0, held: 0 });
  });

  it('the first picking of a confirmed order takes BEGIN, one statement and COMMIT, and starts processing', async () => {
    const { orderId, parcelIds } = await parcelsOf([2], 'pending');
    let res: { status: number; body: { status?: string } } | undefined;
    const sent = transactionOf(
      await roundTrips(async () => {
        res = await moveTo(parcelIds[0], 'picking');
      }),
    );
    expect(res).toMatchObject({ status: 200, body: { status: 'picking' } });
    expect(sent).toHaveLength(3);
    expect(await orderStatus(orderId)).toBe('processing');
    const entries = await trail(orderId);
    expect(entries[entries.length - 1]).toEqual({
      action: 'processing_started',
      old_status: 'confirmed',
      new_status: 'processing',
    });
    const [order] = await sql<{ version: number }>(app, 'select version from orders where id = ?', [orderId]);
    expect(order.version).toBeGreaterThan(1);
    expect(await chainOf(app, admin, orderId)).toMatchObject({ valid: true });
  });

  it('shipping takes BEGIN, two statements and COMMIT: stock leaves the location, the order ships with its last parcel', async () => {
    const { orderId, itemId, parcelIds, variant, location } = await parcelsOf([1, 2], 'ready_to_ship', 10);
    const first = transactionOf(await roundTrips(() => moveTo(parcelIds[0], 'shipped').expect(200)));
    expect(first).toHaveLength(4);
    expect(first[0]).toMatch(/^begin/i);
    expect(first[3]).toMatch(/^commit/i);
    expect(await orderStatus(orderId)).toBe('processing');
    expect(await level(variant, location)).toEqual({ quantity_on_hand: 9, quantity_reserved: 2, held: 2 });

    let res: { status: number; body: { status?: string; shippedAt?: string | null } } | undefined;
    const second = transactionOf(
      await roundTrips(async () => {
        res = await moveTo(parcelIds[1], 'shipped');
      }),
    );
    expect(res).toMatchObject({ status: 200, body: { status: 'shipped', shippedAt: expect.any(String) } });
    expect(second).toHaveLength(4);
    expect(await orderStatus(orderId)).toBe('shipped');
    expect(await level(variant, location)).toEqual({ quantity_on_hand: 7, quantity_reserved: 0, held: 0 });
    const [row] = await allocationsOf(app, [itemId]);
    expect(row).toMatchObject({ quantity_allocated: 3, expected: 3 });
    const shipped = (await trail(orderId)).filter((e) => e.action === 'shipped');
    expect(shipped).toEqual([
      { action: 'shipped', old_status: null, new_status: null },
      { action: 'shipped', old_status: 'processing', new_status: 'shipped' },
    ]);
    expect(await chainOf(app, admin, orderId)).toMatchObject({ valid: true });
  });

  it('concurrent confirmations of orders competing for one stock level never oversell', async () => {
    const { variant, location } = await createVariantWithStock(app, 10);
    const orders = await Promise.all(
      Array.from({ length: 8 }, () => createOrder(app, customer.user, [{ variant, quantity: 3 }])),
    );
    const responses = await Promise.all(orders.map(({ order }) => confirm(order.id)));
    const statuses = responses.map((res) => res.status);
    // 10 units, 3 per order: exactly three orders get their stock, the others are told why.
    expect(statuses.filter((status) => status === 200)).toHaveLength(3);
    expect(statuses.filter((status) => status === 409)).toHaveLength(5);
    for (const res of responses.filter((r) => r.status === 409))
      expect(res.body.code).toBe('INSUFFICIENT_STOCK');
    expect(await level(variant, location)).toEqual({ quantity_on_hand: 10, quantity_reserved: 9, held: 9 });
    for (const [index, { order, items }] of orders.entries()) {
      const confirmed = responses[index].status === 200;
      expect(await orderStatus(order.id)).toBe(confirmed ? 'confirmed' : 'pending');
      const [row] = await allocationsOf(app, [items[0].id]);
      expect(row).toEqual({
        id: items[0].id,
        quantity_allocated: confirmed ? 3 : 0,
        expected: confirmed ? 3 : 0,
      });
      expect(await chainOf(app, admin, order.id)).toEqual({
        valid: true,
        entries: confirmed ? 3 : 1,
        firstBrokenEntryId: null,
      });
    }
  });

  it('concurrent ships of the parcels of one order move it to shipped exactly once, stock exact', async () => {
    const orders = await Promise.all(
      Array.from({ length: 4 }, () => parcelsOf([1, 1, 2], 'ready_to_ship', 10)),
    );
    const responses = await Promise.all(
      orders.flatMap(({ parcelIds }) => parcelIds.map((id) => moveTo(id, 'shipped'))),
    );
    for (const res of responses) expect(res.status).toBe(200);
    for (const { orderId, itemId, variant, location } of orders) {
      expect(await orderStatus(orderId)).toBe('shipped');
      const shipped = (await trail(orderId)).filter((e) => e.action === 'shipped');
      expect(shipped).toHaveLength(3);
      expect(shipped.filter((e) => e.new_status === 'shipped')).toEqual([
        { action: 'shipped', old_status: 'processing', new_status: 'shipped' },
      ]);
      expect(shipped.filter((e) => e.new_status === null)).toHaveLength(2);
      expect(await level(variant, location)).toEqual({ quantity_on_hand: 6, quantity_reserved: 0, held: 0 });
      const [row] = await allocationsOf(app, [itemId]);
      expect(row).toMatchObject({ quantity_allocated: 4, expected: 4 });
      expect(await chainOf(app, admin, orderId)).toMatchObject({ valid: true });
    }
  });

  it('a confirmation that waited for the order lock while a hold was made counts that hold (reads after the lock)', async () => {
    const { variant, location } = await createVariantWithStock(app, 100);
    const { order, items } = await createOrder(app, customer.user, [{ variant, quantity: 3 }]);
    let reservation: { status: number } | undefined;
    let confirmation: { status: number; body: { status?: string } } | undefined;
    // The test holds the order lock; a reservation of 1 unit queues for it first, the confirmation
    // second. Released, the reservation commits, then the confirmation gets the lock: its statement
    // started before that commit, so its snapshot misses the hold unless it reads again.
    await whileOrderLocked(order.id, async (holder) => {
      const reserving = reserve({
        orderId: order.id,
        orderItemId: items[0].id,
        productVariantId: variant.id,
        stockLocationId: location.id,
        quantity: 1,
      }).then((res) => (reservation = res));
      await waitForLockWaits(holder, 1);
      const confirming = confirm(order.id).then((res) => (confirmation = res));
      await waitForLockWaits(holder, 2);
      await holder.query('rollback');
      await holder.query('begin');
      await Promise.all([reserving, confirming]);
    });
    expect(reservation?.status).toBe(201);
    expect(confirmation).toMatchObject({ status: 200, body: { status: 'confirmed' } });
    const [row] = await allocationsOf(app, [items[0].id]);
    expect(row).toMatchObject({ quantity_allocated: 3, expected: 3 });
    expect(await level(variant, location)).toEqual({ quantity_on_hand: 100, quantity_reserved: 3, held: 3 });
    expect(await chainOf(app, admin, order.id)).toEqual({
      valid: true,
      entries: 4,
      firstBrokenEntryId: null,
    });
  });
  it('a payment, a refund and a delivery take BEGIN, the order lock, one statement and COMMIT, plus the answer', async () => {
    const { variant } = await createVariantWithStock(app, 10);
    const { order } = await createOrder(app, customer.user, [{ variant, quantity: 1 }], OrderStatus.SHIPPED);
    const answer = transactionOf(
      await roundTrips(() => http(app).get(`/api/v1/orders/${order.id}`).set(admin.auth).expect(200)),
    ).filter((statement) => !/^(begin|commit|rollback)/i.test(statement));
    const post = (action: string, body: object) =>
      http(app).post(`/api/v1/orders/${order.id}/${action}`).set(admin.auth).send(body).expect(200);

    for (const [action, body] of [
      ['payments', { outcome: 'received', amount: order.totalAmount, reference: 'RT-1' }],
      ['deliver', {}],
      ['refunds', { amount: '1.00', reason: 'scratched' }],
    ] as const) {
      const sent = transactionOf(await roundTrips(() => post(action, body)));
      expect(sent[0]).toMatch(/^begin/i);
      expect(sent[1]).toMatch(/ for update$/i);
      expect(sent[sent.length - 1]).toMatch(/^commit/i);
      // BEGIN + the lock + the change with its entry + COMMIT, and the answer's read.
      expect(sent.length - answer.length).toBe(4);
    }
    expect((await trail(order.id)).slice(-3).map((e) => e.action)).toEqual([
      'payment_received',
      'delivered',
      'refunded',
    ]);
    expect(await chainOf(app, admin, order.id)).toMatchObject({ valid: true, firstBrokenEntryId: null });
  });
});
