import type { Client } from 'pg';
import { createTestApp, createUser, http, sql, TestApp, TestUser } from './utils/app';
import {
  allocationsOf,
  chainOf,
  createOrder,
  createVariantWithStock,
  releaseReservations,
} from './utils/factories';
import { UserRole } from '../src/identity/user-role.enum';
import { UnitOfWork } from '../src/common/unit-of-work';
import { InsufficientStockError } from '../src/common/errors';
import { ReservationsService } from '../src/reservations/reservations.service';
import { ReservationExpiryJob } from '../src/reservations/reservation-expiry.job';
import { ProductVariant } from '../src/catalog/product-variant.entity';
import { StockLocation } from '../src/catalog/stock-location.entity';
import { OrderStatus } from '../src/orders/order-status.enum';
import { OrderItem } from '../src/orders/order-item.entity';
import { openSession } from './system/support/pg';

/**
 * Races over HTTP against real PostgreSQL (docs/architecture.md §5, §9): many parallel requests on one stock
 * level, then exact totals. Every file that calls the sweeper lives here, so no other test file's
 * sweep can take an expired reservation these tests race for.
 */
describe('inventory under concurrency', () => {
  let app: TestApp;
  let admin: TestUser;
  let warehouse: TestUser;
  let customer: TestUser;
  let uow: UnitOfWork;
  let reservations: ReservationsService;
  let sweeper: ReservationExpiryJob;

  beforeAll(async () => {
    app = await createTestApp();
    [admin, warehouse, customer] = await Promise.all([
      createUser(app, UserRole.ADMIN),
      createUser(app, UserRole.WAREHOUSE),
      createUser(app, UserRole.CUSTOMER),
    ]);
    uow = app.get(UnitOfWork);
    reservations = app.get(ReservationsService);
    sweeper = app.get(ReservationExpiryJob);
  });
  afterAll(async () => {
    await app.close();
  });

  async function level(variant: ProductVariant, location: StockLocation) {
    const [row] = await sql<{ quantity_on_hand: number; quantity_reserved: number }>(
      app,
      'select quantity_on_hand, quantity_reserved from stock_levels where product_variant_id = ? and stock_location_id = ?',
      [variant.id, location.id],
    );
    return row;
  }

  async function activeHeld(variant: ProductVariant, location: StockLocation): Promise<number> {
    const [row] = await sql<{ held: number }>(
      app,
      `select coalesce(sum(quantity_reserved - quantity_fulfilled), 0)::int as held from inventory_reservations
        where is_active and product_variant_id = ? and stock_location_id = ?`,
      [variant.id, location.id],
    );
    return row.held;
  }

  /**
   * `orders` orders of `each` units of the variant: room for orders × each reserved units; confirmed
   * ones with nothing reserved yet.
   */
  async function ordersFor(
    variant: ProductVariant,
    orders: number,
    each: number,
    status?: OrderStatus,
  ): Promise<OrderItem[]> {
    const created = await Promise.all(
      Array.from({ length: orders }, () =>
        createOrder(app, customer.user, [{ variant, quantity: each }], status),
      ),
    );
    // Confirming reserved each order in full; released, the test reserves by hand.
    if (status === OrderStatus.CONFIRMED) {
      for (const { order } of created) await releaseReservations(app, order.id);
    }
    return created.map((c) => c.items[0]);
  }

  const reservationBody = (
    item: OrderItem,
    variant: ProductVariant,
    location: StockLocation,
    quantity = 1,
  ) => ({
    orderId: item.order.id,
    orderItemId: item.id,
    productVariantId: variant.id,
    stockLocationId: location.id,
    quantity,
  });

  /** One active reservation per item, expiring in a minute. */
  async function holds(
    variant: ProductVariant,
    location: StockLocation,
    items: OrderItem[],
    quantity = 1,
  ): Promise<string[]> {
    const ids: string[] = [];
    for (const item of items) {
      const res = await http(app)
        .post('/api/v1/reservations')
        .set(warehouse.auth)
        .send({
          ...reservationBody(item, variant, location, quantity),
          expiresAt: new Date(Date.now() + 60_000).toISOString(),
        })
        .expect(201);
      ids.push(res.body.id);
    }
    return ids;
  }

  /** Moves expires_at into the past: expired, still active, not swept yet. */
  async function expireNow(ids: string[]): Promise<void> {
    await sql(
      app,
      `update inventory_reservations set expires_at = now() - interval '1 second'
        where id in (${ids.map(() => '?').join(', ')})`,
      ids,
    );
  }

  /** Backends waiting, directly or through another waiter, for a lock `holder` holds. */
  async function blockedBy(holder: Client): Promise<number> {
    const { rows } = await holder.query<{ n: number }>(
      `with recursive blocked(pid) as (
         select pid from pg_stat_activity where pg_backend_pid() = any(pg_blocking_pids(pid))
         union
         select a.pid from pg_stat_activity a join blocked b on b.pid = any(pg_blocking_pids(a.pid))
       )
       select count(*)::int as n from blocked`,
    );
    return rows[0].n;
  }

  async function waitUntilBlocked(holder: Client, count: number): Promise<void> {
    const deadline = Date.now() + 10_000;
    while ((await blockedBy(holder)) < count) {
      if (Date.now() > deadline) throw new Error(`fewer than ${count} backends waited for the holder`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Whether another session could lock the stock level row right now (nobody holds it). */
  async function levelIsFree(session: Client, variant: ProductVariant, location: StockLocation) {
    await session.query('begin');
    try {
      await session.query(
        `select id from stock_levels where product_variant_id = $1 and stock_location_id = $2 for update nowait`,
        [variant.id, location.id],
      );
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === '55P03') return false;
      throw error;
    } finally {
      await session.query('rollback');
    }
  }

  it('200 concurrent 1-unit reservations on 50 on hand: exactly 50 created, 150 × INSUFFICIENT_STOCK', async () => {
    const { variant, location } = await createVariantWithStock(app, 50);
    const items = await ordersFor(variant, 20, 10);
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        http(app)
          .post('/api/v1/reservations')
          .set(i % 2 ? warehouse.auth : admin.auth)
          .send(reservationBody(items[i % items.length], variant, location)),
      ),
    );
    const created = responses.filter((r) => r.status === 201);
    const refused = responses.filter((r) => r.status === 409);
    expect(created).toHaveLength(50);
    expect(refused).toHaveLength(150);
    expect(refused.every((r) => r.body.code === 'INSUFFICIENT_STOCK')).toBe(true);
    expect(
      refused.every((r) => r.body.shortages[0].requested === 1 && r.body.shortages[0].available === 0),
    ).toBe(true);
    expect(new Set(created.map((r) => r.body.id)).size).toBe(50);
    expect(await level(variant, location)).toEqual({ quantity_on_hand: 50, quantity_reserved: 50 });
    expect(await activeHeld(variant, location)).toBe(50);
    const [history] = await sql<{ n: number }>(
      app,
      `select count(*)::int as n from order_history
        where action = 'inventory_reserved' and additional_data->>'productVariantId' = ?`,
      [variant.id],
    );
    expect(history.n).toBe(50);
  });

  it('concurrent multi-unit reservations and on-hand changes never oversell', async () => {
    const { variant, location } = await createVariantWithStock(app, 30);
    const items = await ordersFor(variant, 10, 10);
    const requests = [
      ...Array.from({ length: 60 }, (_, i) =>
        http(app)
          .post('/api/v1/reservations')
          .set(warehouse.auth)
          .send(reservationBody(items[i % items.length], variant, location, 1 + (i % 3))),
      ),
      ...Array.from({ length: 10 }, (_, i) =>
        http(app)
          .put(`/api/v1/stock-levels/${variant.id}/${location.id}`)
          .set(admin.auth)
          .send({ quantityOnHand: 20 + i * 5 }),
      ),
    ];
    const responses = await Promise.all(requests);
    expect(responses.every((r) => [200, 201, 409].includes(r.status))).toBe(true);
    const row = await level(variant, location);
    const reservedByResponses = responses
      .filter((r) => r.status === 201)
      .reduce((sum, r) => sum + (r.body.quantityReserved as number), 0);
    expect(row.quantity_reserved).toBe(reservedByResponses);
    expect(row.quantity_reserved).toBeLessThanOrEqual(row.quantity_on_hand);
    expect(await activeHeld(variant, location)).toBe(row.quantity_reserved);
  });

  it('one request with the same variant twice over the available amount reserves nothing', async () => {
    const { variant, location } = await createVariantWithStock(app, 5);
    // An order names a variant once; two lines of its one item bring it twice into one request.
    const { order, items } = await createOrder(app, customer.user, [{ variant, quantity: 6 }]);
    const lines = [3, 3].map((quantity) => ({
      orderItemId: items[0].id,
      productVariantId: variant.id,
      stockLocationId: location.id,
      quantity,
    }));
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, () =>
        uow.run('race', () => reservations.reserveMany(order.id, lines)).catch((e) => e),
      ),
    );
    expect(outcomes.every((o) => o instanceof InsufficientStockError)).toBe(true);
    expect(await level(variant, location)).toEqual({ quantity_on_hand: 5, quantity_reserved: 0 });
    expect(await activeHeld(variant, location)).toBe(0);
  });

  it('release vs fulfil vs expiry on one reservation: exactly one outcome, stock conserved', async () => {
    const { variant, location } = await createVariantWithStock(app, 100);
    // Confirmed orders: units leave stock for an order only while it is confirmed or processing.
    const items = await ordersFor(variant, 10, 2, OrderStatus.CONFIRMED);
    for (const id of await holds(variant, location, items, 2)) {
      await expireNow([id]);
      const before = await level(variant, location);
      const [release, fulfil] = await Promise.all([
        http(app).post(`/api/v1/reservations/${id}/release`).set(warehouse.auth),
        http(app).post(`/api/v1/reservations/${id}/fulfil`).set(warehouse.auth).send({ quantity: 2 }),
        sweeper.sweep(50),
      ]);
      const [row] = await sql<{ release_reason: string; is_active: boolean }>(
        app,
        'select release_reason, is_active from inventory_reservations where id = ?',
        [id],
      );
      expect(row.is_active).toBe(false);
      const winners = [release.status === 200, fulfil.status === 200, row.release_reason === 'expired'];
      expect(winners.filter(Boolean)).toHaveLength(1);
      expect([release.status, fulfil.status].filter((s) => s === 409)).toHaveLength(
        row.release_reason === 'expired' ? 2 : 1,
      );
      const after = await level(variant, location);
      expect(after).toEqual({
        quantity_on_hand: before.quantity_on_hand - (row.release_reason === 'fulfilled' ? 2 : 0),
        quantity_reserved: before.quantity_reserved - 2,
      });
      const [entries] = await sql<{ n: number }>(
        app,
        `select count(*)::int as n from order_history
          where action = 'inventory_released' and additional_data->>'reservationId' = ?`,
        [id],
      );
      expect(entries.n).toBe(1);
    }
    expect(await activeHeld(variant, location)).toBe((await level(variant, location)).quantity_reserved);
  });

  it('two sweepers at once release each expired reservation exactly once', async () => {
    const { variant, location } = await createVariantWithStock(app, 100);
    const items = await ordersFor(variant, 30, 1);
    const ids = await holds(variant, location, items);
    await expireNow(ids);
    const [a, b] = await Promise.all([sweeper.sweep(4), sweeper.sweep(4)]);
    expect(a + b).toBeGreaterThanOrEqual(30);
    // A later sweep finds nothing left of these to release (the counts below stay exact).
    await sweeper.sweep();
    const rows = await sql<{ id: string; is_active: boolean; release_reason: string; entries: number }>(
      app,
      `select r.id, r.is_active, r.release_reason,
              (select count(*)::int from order_history h
                where h.action = 'inventory_released' and h.additional_data->>'reservationId' = r.id::text) as entries
         from inventory_reservations r where r.id in (${ids.map(() => '?').join(', ')})`,
      ids,
    );
    expect(rows).toHaveLength(30);
    expect(rows.every((r) => !r.is_active && r.release_reason === 'expired' && r.entries === 1)).toBe(true);
    expect(await level(variant, location)).toEqual({ quantity_on_hand: 100, quantity_reserved: 0 });
  });

  it('an expired hold never blocks: racing reservations on a level full of expired holds', async () => {
    const { variant, location } = await createVariantWithStock(app, 10);
    const old = await ordersFor(variant, 10, 1);
    await expireNow(await holds(variant, location, old));
    expect((await level(variant, location)).quantity_reserved).toBe(10);
    const items = await ordersFor(variant, 10, 2);
    const responses = await Promise.all([
      ...items.map((item) =>
        http(app)
          .post('/api/v1/reservations')
          .set(warehouse.auth)
          .send(reservationBody(item, variant, location)),
      ),
      ...items.map((item) =>
        http(app)
          .post('/api/v1/reservations')
          .set(warehouse.auth)
          .send(reservationBody(item, variant, location)),
      ),
    ]);
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
    expect(statuses.filter((s) => s === 409)).toHaveLength(10);
    expect(await level(variant, location)).toEqual({ quantity_on_hand: 10, quantity_reserved: 10 });
    expect(await activeHeld(variant, location)).toBe(10);
  });

  it('cancel racing reservations of the same order never leaves a cancelled order holding stock', async () => {
    const { variant, location } = await createVariantWithStock(app, 100);
    for (let round = 0; round < 5; round++) {
      const { order, items } = await createOrder(app, customer.user, [{ variant, quantity: 10 }]);
      const responses = await Promise.all([
        ...Array.from({ length: 5 }, () =>
          http(app)
            .post('/api/v1/reservations')
            .set(warehouse.auth)
            .send(reservationBody(items[0], variant, location)),
        ),
        http(app).post(`/api/v1/orders/${order.id}/cancel`).set(admin.auth).send({ reason: 'race' }),
      ]);
      expect(responses.slice(0, 5).every((r) => [201, 409].includes(r.status))).toBe(true);
      expect(responses[5].status).toBe(200);
      const [held] = await sql<{ n: number }>(
        app,
        'select count(*)::int as n from inventory_reservations where order_id = ? and is_active',
        [order.id],
      );
      expect(held.n).toBe(0);
    }
    expect(await level(variant, location)).toEqual({ quantity_on_hand: 100, quantity_reserved: 0 });
  });

  it('stock arriving while a reservation waits for the stock level: the reservation gets it, its counter moves', async () => {
    // Sold out (2 of 2 held). A session adds a unit and holds the row until the reservation waits
    // for it: the reservation's snapshot says sold out, the locked row says one unit is free.
    const { variant, location, stockLevel } = await createVariantWithStock(app, 2);
    const [held, waiting] = await ordersFor(variant, 2, 2);
    await holds(variant, location, [held], 2);
    const holder = await openSession(process.env.TEST_DATABASE_URL!);
    try {
      await holder.query('begin');
      await holder.query('update stock_levels set quantity_on_hand = 3 where id = $1', [stockLevel.id]);
      const reserving = http(app)
        .post('/api/v1/reservations')
        .set(warehouse.auth)
        .send(reservationBody(waiting, variant, location, 1))
        .then((res) => res);
      await waitUntilBlocked(holder, 1);
      await holder.query('commit');
      const res = await reserving;
      expect(res.status).toBe(201);
    } finally {
      await holder.end();
    }
    expect(await level(variant, location)).toEqual({ quantity_on_hand: 3, quantity_reserved: 3 });
    expect(await activeHeld(variant, location)).toBe(3);
  });

  // The hot stock level is locked last, by the reservation statement (order → items → level) and
  // by every release (reservation rows → order → items → level): a reservation and a release of
  // the same order never deadlock, and neither holds the level while it waits for the order.
  it('a reservation and a release of the same order queued on its lock: the release waits without the stock level, both succeed', async () => {
    const { variant, location } = await createVariantWithStock(app, 100);
    const [item] = await ordersFor(variant, 1, 10);
    const [held] = await holds(variant, location, [item]);
    const holder = await openSession(process.env.TEST_DATABASE_URL!);
    const session = await openSession(process.env.TEST_DATABASE_URL!);
    try {
      await holder.query('begin');
      await holder.query('select id from orders where id = $1 for update', [item.order.id]);
      const reserving = http(app)
        .post('/api/v1/reservations')
        .set(warehouse.auth)
        .send(reservationBody(item, variant, location, 2))
        .then((res) => res);
      await waitUntilBlocked(holder, 1);
      const releasing = http(app)
        .post(`/api/v1/reservations/${held}/release`)
        .set(warehouse.auth)
        .then((res) => res);
      await waitUntilBlocked(holder, 2);
      // Both wait for the order (the release with its reservation row locked): the level is free.
      expect(await levelIsFree(session, variant, location)).toBe(true);
      await holder.query('rollback');
      const [reserved, released] = await Promise.all([reserving, releasing]);
      expect(reserved.status).toBe(201);
      expect(released.status).toBe(200);
    } finally {
      await holder.end();
      await session.end();
    }
    expect(await level(variant, location)).toEqual({ quantity_on_hand: 100, quantity_reserved: 2 });
    expect(await activeHeld(variant, location)).toBe(2);
    const [row] = await allocationsOf(app, [item.id]);
    expect(row).toMatchObject({ quantity_allocated: 2, expected: 2 });
    expect(await chainOf(app, admin, item.order.id)).toMatchObject({ valid: true, firstBrokenEntryId: null });
  });

  it('the sweeper queued on the lock of an order whose expired hold it releases waits without the stock level', async () => {
    const { variant, location } = await createVariantWithStock(app, 100);
    const [expiring, other] = await ordersFor(variant, 2, 10);
    const [held] = await holds(variant, location, [expiring]);
    await expireNow([held]);
    const holder = await openSession(process.env.TEST_DATABASE_URL!);
    const session = await openSession(process.env.TEST_DATABASE_URL!);
    try {
      await holder.query('begin');
      await holder.query('select id from orders where id = $1 for update', [expiring.order.id]);
      const sweeping = sweeper.sweep(50);
      await waitUntilBlocked(holder, 1);
      // The sweep waits for the order with the expired hold locked, not the stock level.
      expect(await levelIsFree(session, variant, location)).toBe(true);
      await holder.query('rollback');
      expect(await sweeping).toBeGreaterThanOrEqual(1);
      const res = await http(app)
        .post('/api/v1/reservations')
        .set(warehouse.auth)
        .send(reservationBody(other, variant, location, 3));
      expect(res.status).toBe(201);
    } finally {
      await holder.end();
      await session.end();
    }
    expect(await level(variant, location)).toEqual({ quantity_on_hand: 100, quantity_reserved: 3 });
    expect(await activeHeld(variant, location)).toBe(3);
    expect(await allocationsOf(app, [expiring.id, other.id])).toEqual(
      [
        { id: expiring.id, quantity_allocated: 0, expected: 0 },
        { id: other.id, quantity_allocated: 3, expected: 3 },
      ].sort((a, b) => (a.id < b.id ? -1 : 1)),
    );
  });

  it('a deadlock of the reservation statement is retried by the unit of work: 201, written once', async () => {
    const { variant, location, stockLevel } = await createVariantWithStock(app, 10);
    const [item] = await ordersFor(variant, 1, 5);
    const holder = await openSession(process.env.TEST_DATABASE_URL!);
    try {
      // The holder takes the stock level, then the order: the other way round from the statement.
      await holder.query('begin');
      await holder.query('select id from stock_levels where id = $1 for update', [stockLevel.id]);
      const reserving = http(app)
        .post('/api/v1/reservations')
        .set(warehouse.auth)
        .send(reservationBody(item, variant, location, 2))
        .then((res) => res);
      await waitUntilBlocked(holder, 1); // the statement holds the order and its item, waits for the level
      // The app's backend, waiting first, finds the deadlock (after deadlock_timeout) and is the one
      // aborted: its transaction ends, so the holder gets the order, and ends too.
      await holder.query(`set local deadlock_timeout = '60s'`);
      await holder.query('select id from orders where id = $1 for update', [item.order.id]);
      await holder.query('rollback');
      const res = await reserving;
      expect(res.status).toBe(201);
    } finally {
      await holder.end();
    }
    expect(await level(variant, location)).toEqual({ quantity_on_hand: 10, quantity_reserved: 2 });
    const [row] = await allocationsOf(app, [item.id]);
    expect(row).toMatchObject({ quantity_allocated: 2, expected: 2 });
    const [{ n }] = await sql<{ n: number }>(
      app,
      'select count(*)::int as n from inventory_reservations where order_id = ?',
      [item.order.id],
    );
    expect(n).toBe(1);
    expect(await chainOf(app, admin, item.order.id)).toEqual({
      valid: true,
      entries: 2,
      firstBrokenEntryId: null,
    });
  });

  it('a flash sale on one stock level racing releases, expired holds and sweeps of the same orders: every request ends cleanly, counters exact', async () => {
    const { variant, location } = await createVariantWithStock(app, 40);
    const items = await ordersFor(variant, 12, 6);
    // Each order holds 2 units in two holds (24 of 40); one hold of each has expired, not swept yet:
    // every reservation finds expired holds of other orders (and of its own) to release first.
    const first = await holds(variant, location, items);
    const second = await holds(variant, location, items);
    await expireNow(first);
    const requests: Promise<{ kind: string; status: number; code?: string }>[] = [];
    for (let round = 0; round < 3; round++) {
      items.forEach((item, i) => {
        requests.push(
          http(app)
            .post('/api/v1/reservations')
            .set(warehouse.auth)
            .send(reservationBody(item, variant, location, 1 + ((i + round) % 2)))
            .then((res) => ({ kind: 'reserve', status: res.status, code: res.body.code })),
        );
      });
    }
    second.slice(0, 6).forEach((id) =>
      requests.push(
        http(app)
          .post(`/api/v1/reservations/${id}/release`)
          .set(warehouse.auth)
          .then((res) => ({ kind: 'release', status: res.status, code: res.body.code })),
      ),
    );
    requests.push(sweeper.sweep(5).then(() => ({ kind: 'sweep', status: 200 })));
    requests.push(sweeper.sweep(5).then(() => ({ kind: 'sweep', status: 200 })));
    const outcomes = await Promise.all(requests);
    for (const outcome of outcomes) {
      if (outcome.kind === 'release') expect(outcome.status).toBe(200);
      else if (outcome.status !== 201 && outcome.status !== 200) {
        // Refused cleanly: out of stock, or the item's own quantity reached.
        expect(outcome).toMatchObject({ kind: 'reserve', status: 409 });
        expect(['INSUFFICIENT_STOCK', 'CONFLICT']).toContain(outcome.code);
      }
    }
    expect(outcomes.filter((o) => o.kind === 'reserve' && o.status === 201).length).toBeGreaterThan(0);
    const row = await level(variant, location);
    expect(row.quantity_reserved).toBeLessThanOrEqual(row.quantity_on_hand);
    expect(await activeHeld(variant, location)).toBe(row.quantity_reserved);
    for (const allocation of await allocationsOf(
      app,
      items.map((item) => item.id),
    )) {
      expect(allocation.quantity_allocated).toBe(allocation.expected);
      expect(allocation.quantity_allocated).toBeLessThanOrEqual(6);
    }
    for (const item of items) expect((await chainOf(app, admin, item.order.id)).valid).toBe(true);
    // Every expired hold ended: released by a reservation's own release or by a sweep.
    const [{ active }] = await sql<{ active: number }>(
      app,
      `select count(*)::int as active from inventory_reservations where id = any(?::uuid[]) and is_active`,
      [`{${first.join(',')}}`],
    );
    expect(active).toBe(0);
  });

  it('the drift report is empty after all of the above', async () => {
    const res = await http(app).get('/api/v1/inventory/consistency').set(admin.auth).expect(200);
    expect(res.body).toEqual({ consistent: true, mismatches: [] });
    await http(app).get('/api/v1/inventory/consistency').set(warehouse.auth).expect(403);
  });
});
