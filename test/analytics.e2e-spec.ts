import { randomInt, randomUUID } from 'node:crypto';
import { createTestApp, createUser, http, sql, TestApp, TestUser } from './utils/app';
import { createOrder, createVariantWithStock } from './utils/factories';
import { UserRole } from '../src/identity/user-role.enum';
import { OrderStatus } from '../src/orders/order-status.enum';
import { OrderHistoryAction } from '../src/history/order-history-action.enum';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Analytics over a window far in the future that only this file writes into. */
describe('analytics (e2e)', () => {
  let app: TestApp;
  let admin: TestUser;
  let support: TestUser;
  let orderId: string;
  let itemId: string;
  let shipsFrom: string;
  /** One-unit parcels this file ships. */
  const PARCELS = 5;
  // A Monday at 00:00 UTC, some year in the 2090s: no other test has data there.
  let monday: number;

  beforeAll(async () => {
    app = await createTestApp();
    admin = await createUser(app, UserRole.ADMIN);
    support = await createUser(app, UserRole.SUPPORT);
    const customer = await createUser(app, UserRole.CUSTOMER);
    const { variant, location } = await createVariantWithStock(app, 10);
    // Confirmed: its one item (a unit per parcel below) is reserved where the parcels ship from.
    const { order, items } = await createOrder(
      app,
      customer.user,
      [{ variant, quantity: PARCELS }],
      OrderStatus.CONFIRMED,
    );
    orderId = order.id;
    itemId = items[0].id;
    shipsFrom = location.code;
    const start = Date.UTC(2090 + randomInt(10), randomInt(12), 1 + randomInt(20));
    monday = start - ((new Date(start).getUTCDay() + 6) % 7) * DAY;
  });

  afterAll(async () => {
    await app.close();
  });

  const iso = (ms: number) => new Date(ms).toISOString();

  /** A shipped fulfillment whose stages took the given minutes (waiting, picking, gap, packing, to ship). */
  async function shippedFulfillment(createdAt: number, minutes: [number, number, number, number, number]) {
    const [waiting, picking, gap, packing, toShip] = minutes.map((m) => m * 60_000);
    const pickingStarted = createdAt + waiting;
    const pickingCompleted = pickingStarted + picking;
    const packingStarted = pickingCompleted + gap;
    const packingCompleted = packingStarted + packing;
    const shipped = packingCompleted + toShip;
    const parcel = await http(app)
      .post(`/api/v1/orders/${orderId}/fulfillments`)
      .set(admin.auth)
      .send({ warehouseLocation: shipsFrom, items: { [itemId]: 1 } })
      .expect(201);
    for (const status of ['picking', 'packing', 'ready_to_ship', 'shipped']) {
      await http(app)
        .post(`/api/v1/fulfillments/${parcel.body.id}/status`)
        .set(admin.auth)
        .send({ status })
        .expect(200);
    }
    // The moves stamp the wall clock; the stage times under test are written over by SQL (the
    // parcel and its status are the moves').
    await sql(
      app,
      `update order_fulfillments set created_at = ?, picking_started_at = ?, picking_completed_at = ?,
         packing_started_at = ?, packing_completed_at = ?, shipped_at = ? where id = ?`,
      [
        iso(createdAt),
        iso(pickingStarted),
        iso(pickingCompleted),
        iso(packingStarted),
        iso(packingCompleted),
        iso(shipped),
        parcel.body.id,
      ],
    );
    return shipped;
  }

  let sequence = 1000;
  // Inserted by SQL: entries dated in the 2090s, and the history is append-only (no move can be
  // re-dated afterwards). The fixture's hashes are not a chain; no test here verifies this order.
  async function historyEntry(action: OrderHistoryAction, at: number) {
    sequence += 1;
    await sql(
      app,
      `insert into order_history (id, order_id, sequence, action, description, created_at, hash)
       values (?, ?, ?, ?, 'analytics fixture', ?, ?)`,
      [randomUUID(), orderId, sequence, action, iso(at), 'f'.repeat(64)],
    );
  }

  it('counts shipped fulfillments per UTC day with the average seconds per stage', async () => {
    // Day 0 (Monday): two fulfillments; day 2 (Wednesday): one; day 1: none.
    await shippedFulfillment(monday + 1 * HOUR, [10, 20, 0, 5, 30]); // ships 02:05
    await shippedFulfillment(monday + 3 * HOUR, [30, 40, 0, 15, 90]); // ships 05:55
    await shippedFulfillment(monday + 2 * DAY + 22 * HOUR, [60, 60, 0, 60, 60]); // ships day 3, 02:00
    await shippedFulfillment(monday + 2 * DAY + 1 * HOUR, [1, 2, 3, 4, 5]); // ships day 2, 01:15
    // Outside the window (the day before): not counted.
    await shippedFulfillment(monday - DAY, [1, 1, 1, 1, 1]);

    const res = await http(app)
      .get('/api/v1/analytics/fulfillment')
      .query({ from: iso(monday), to: iso(monday + 4 * DAY), interval: 'day' })
      .set(admin.auth)
      .expect(200);

    expect(res.body.from).toBe(iso(monday));
    expect(res.body.to).toBe(iso(monday + 4 * DAY));
    expect(res.body.interval).toBe('day');
    expect(res.body.totalShipped).toBe(4);
    const none = {
      waitingSeconds: null,
      pickingSeconds: null,
      packingSeconds: null,
      toShipSeconds: null,
      totalSeconds: null,
    };
    expect(res.body.buckets).toEqual([
      {
        bucketStart: iso(monday),
        shipped: 2,
        averages: {
          waitingSeconds: 20 * 60,
          pickingSeconds: 30 * 60,
          packingSeconds: 10 * 60,
          toShipSeconds: 60 * 60,
          totalSeconds: ((65 + 175) / 2) * 60,
        },
      },
      { bucketStart: iso(monday + DAY), shipped: 0, averages: none },
      {
        bucketStart: iso(monday + 2 * DAY),
        shipped: 1,
        averages: {
          waitingSeconds: 60,
          pickingSeconds: 120,
          packingSeconds: 240,
          toShipSeconds: 300,
          totalSeconds: 15 * 60,
        },
      },
      {
        bucketStart: iso(monday + 3 * DAY),
        shipped: 1,
        averages: {
          waitingSeconds: 3600,
          pickingSeconds: 3600,
          packingSeconds: 3600,
          toShipSeconds: 3600,
          totalSeconds: 4 * 3600,
        },
      },
    ]);
    // Over the whole range: (10+30+60+1)/4 min waiting, etc.
    expect(res.body.averages).toEqual({
      waitingSeconds: Math.round(((10 + 30 + 60 + 1) / 4) * 60),
      pickingSeconds: Math.round(((20 + 40 + 60 + 2) / 4) * 60),
      packingSeconds: Math.round(((5 + 15 + 60 + 4) / 4) * 60),
      toShipSeconds: Math.round(((30 + 90 + 60 + 5) / 4) * 60),
      totalSeconds: Math.round(((65 + 175 + 240 + 15) / 4) * 60),
    });

    // Weekly: everything above falls into the one week starting on that Monday; the fixture of the
    // Sunday before falls into the week before.
    const weekly = await http(app)
      .get('/api/v1/analytics/fulfillment')
      .query({ from: iso(monday - 7 * DAY), to: iso(monday + 7 * DAY), interval: 'week' })
      .set(support.auth)
      .expect(200);
    expect(
      weekly.body.buckets.map((b: { bucketStart: string; shipped: number }) => [b.bucketStart, b.shipped]),
    ).toEqual([
      [iso(monday - 7 * DAY), 1],
      [iso(monday), 4],
    ]);
  });

  it('counts history entries per action and bucket, every action present', async () => {
    const base = monday + 14 * DAY; // a window of its own
    await historyEntry(OrderHistoryAction.CREATED, base + 1 * HOUR);
    await historyEntry(OrderHistoryAction.CREATED, base + 2 * HOUR);
    await historyEntry(OrderHistoryAction.CONFIRMED, base + 23 * HOUR);
    await historyEntry(OrderHistoryAction.SHIPPED, base + DAY + 5 * HOUR);
    await historyEntry(OrderHistoryAction.SHIPPED, base + 2 * DAY - 1); // last ms of day 1
    await historyEntry(OrderHistoryAction.REFUNDED, base + 2 * DAY); // exactly `to`: excluded

    const res = await http(app)
      .get('/api/v1/analytics/history')
      .query({ from: iso(base), to: iso(base + 2 * DAY) })
      .set(admin.auth)
      .expect(200);

    const zeros = Object.fromEntries(Object.values(OrderHistoryAction).map((a) => [a, 0]));
    expect(res.body).toEqual({
      from: iso(base),
      to: iso(base + 2 * DAY),
      interval: 'day',
      total: 5,
      buckets: [
        { bucketStart: iso(base), total: 3, counts: { ...zeros, created: 2, confirmed: 1 } },
        { bucketStart: iso(base + DAY), total: 2, counts: { ...zeros, shipped: 2 } },
      ],
    });
    expect(Object.keys(res.body.buckets[0].counts)).toHaveLength(18);
  });

  it('starts buckets at 00:00 UTC even when the range does not', async () => {
    const base = monday + 21 * DAY;
    await historyEntry(OrderHistoryAction.DELIVERED, base + 3 * HOUR);
    const res = await http(app)
      .get('/api/v1/analytics/history')
      .query({ from: iso(base + 2 * HOUR), to: iso(base + DAY + 2 * HOUR) })
      .set(admin.auth)
      .expect(200);
    expect(
      res.body.buckets.map((b: { bucketStart: string; total: number }) => [b.bucketStart, b.total]),
    ).toEqual([
      [iso(base), 1],
      [iso(base + DAY), 0],
    ]);
  });

  it('an empty range has no buckets', async () => {
    const at = iso(monday + 40 * DAY);
    const res = await http(app)
      .get('/api/v1/analytics/history')
      .query({ from: at, to: at })
      .set(admin.auth)
      .expect(200);
    expect(res.body).toMatchObject({ total: 0, buckets: [] });
  });

  it('refuses from after to, too long ranges and unknown intervals', async () => {
    const from = await http(app)
      .get('/api/v1/analytics/fulfillment')
      .query({ from: iso(monday + DAY), to: iso(monday) })
      .set(admin.auth)
      .expect(400);
    expect(from.body.code).toBe('VALIDATION_FAILED');
    expect(from.body.errors).toEqual([{ field: 'from', message: 'must not be after to' }]);

    const tooLong = await http(app)
      .get('/api/v1/analytics/history')
      .query({ from: iso(monday), to: iso(monday + 367 * DAY), interval: 'day' })
      .set(admin.auth)
      .expect(400);
    expect(tooLong.body.errors[0].field).toBe('to');
    // The same range is fine by week.
    await http(app)
      .get('/api/v1/analytics/history')
      .query({ from: iso(monday), to: iso(monday + 367 * DAY), interval: 'week' })
      .set(admin.auth)
      .expect(200);

    const interval = await http(app)
      .get('/api/v1/analytics/history')
      .query({ interval: 'month' })
      .set(admin.auth)
      .expect(400);
    expect(interval.body.errors[0].field).toBe('interval');

    const badDate = await http(app)
      .get('/api/v1/analytics/history')
      .query({ from: 'yesterday' })
      .set(admin.auth)
      .expect(400);
    expect(badDate.body.errors[0].field).toBe('from');
  });

  it('is for admin and support only', async () => {
    const warehouse = await createUser(app, UserRole.WAREHOUSE);
    const customer = await createUser(app, UserRole.CUSTOMER);
    await http(app).get('/api/v1/analytics/history').set(warehouse.auth).expect(403);
    await http(app).get('/api/v1/analytics/fulfillment').set(customer.auth).expect(403);
    await http(app).get('/api/v1/analytics/fulfillment').expect(401);
  });
});
