import {
  createTestApp,
  createUsersOfEveryRole,
  expectFieldError,
  http,
  sql,
  TestApp,
  TestUser,
} from './utils/app';
import { confirmOrder, placeOneItemOrder, until, WEBHOOK_TEST_SETTINGS } from './utils/webhooks';
import { UnitOfWork } from '../src/common/unit-of-work';
import { OrderHistoryService } from '../src/history/order-history.service';
import { OrderHistoryAction } from '../src/history/order-history-action.enum';

interface Event {
  id: string;
  type: string;
  orderId: string;
  sequence: number;
  data: { details: Record<string, unknown> | null };
}

/** GET /events: the commit-safe feed of every history entry. */
describe('event feed (e2e)', () => {
  let app: TestApp;
  let admin: TestUser;
  let support: TestUser;
  let warehouse: TestUser;
  let customer: TestUser;

  beforeAll(async () => {
    app = await createTestApp(WEBHOOK_TEST_SETTINGS);
    ({ admin, support, warehouse, customer } = await createUsersOfEveryRole(app));
  });

  afterAll(async () => {
    await app.close();
  });

  async function page(after: string | null, limit = 500, filters: Record<string, string> = {}) {
    const res = await http(app)
      .get('/api/v1/events')
      .query({ ...(after ? { after } : {}), limit, ...filters })
      .set(support.auth)
      .expect(200);
    return res.body as { data: Event[]; nextCursor: string | null };
  }

  /** A reader: follows nextCursor to the current end of the feed, collecting what it sees. */
  async function readOn(
    cursor: string | null,
    seen: Event[],
    limit = 500,
    filters: Record<string, string> = {},
  ): Promise<string | null> {
    for (;;) {
      const next = await page(cursor, limit, filters);
      seen.push(...next.data);
      if (next.data.length === 0) return next.nextCursor ?? cursor;
      cursor = next.nextCursor;
    }
  }

  async function trail(orderIds: string[]) {
    return sql<{ id: string; order_id: string; sequence: number }>(
      app,
      'select id, order_id, sequence from order_history where order_id in (?) order by order_id, sequence',
      [orderIds],
    );
  }

  it('gives a reader every event exactly once when a transaction that started first commits last', async () => {
    const a = await placeOneItemOrder(app, support, customer);
    const b = await placeOneItemOrder(app, support, customer);
    const seen: Event[] = [];
    let cursor = await readOn(null, seen);

    // Transaction 1 writes a history entry of order A through the history service and stays open.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let written!: () => void;
    const wasWritten = new Promise<void>((resolve) => (written = resolve));
    const held = app.get(UnitOfWork).run('held-open', async () => {
      await app.get(OrderHistoryService).record({
        order: a.id,
        action: OrderHistoryAction.STATUS_CHANGED,
        description: 'written by a transaction that commits late',
      });
      written();
      await gate;
    });
    await wasWritten;

    // Meanwhile order B is confirmed and committed (later transactions, larger ids).
    await confirmOrder(app, support, b.id);
    const bEntries = (await trail([b.id])).map((e) => e.id);

    // The reader keeps reading while transaction 1 is open: B's events must not move it past A's.
    for (let i = 0; i < 3; i++) cursor = await readOn(cursor, seen);
    const bSeenWhileOpen = seen.filter((e) => e.orderId === b.id && e.sequence > 1).map((e) => e.type);

    release();
    await held;
    expect(bSeenWhileOpen).toEqual([]);
    const expected = await trail([a.id, b.id]);
    const ours = () => seen.filter((e) => e.orderId === a.id || e.orderId === b.id);
    await until(
      async () => (cursor = await readOn(cursor, seen)),
      () => ours().length >= expected.length,
      5000,
    ).catch(() => undefined);

    expect(
      ours()
        .map((e) => e.id)
        .sort(),
    ).toEqual(expected.map((e) => e.id).sort());
    expect(new Set(ours().map((e) => e.id)).size).toBe(ours().length);
    for (const orderId of [a.id, b.id]) {
      const sequences = ours()
        .filter((e) => e.orderId === orderId)
        .map((e) => e.sequence);
      expect(sequences).toEqual([...sequences].sort((x, y) => x - y));
    }
    expect(bEntries.length).toBeGreaterThan(1);
  });

  it('pages with small limits to the same events, filters by type and order, and refuses a bad cursor', async () => {
    const order = await placeOneItemOrder(app, support, customer);
    await confirmOrder(app, support, order.id);
    const expected = await trail([order.id]);
    const all: Event[] = [];
    await until(
      () => readOn(null, ((all.length = 0), all)),
      () => all.filter((e) => e.orderId === order.id).length === expected.length,
    );
    // The whole feed of the shared test database in smaller pages (other test files add events
    // meanwhile, after those already read): the same events in the same order, perhaps followed by
    // newer ones.
    const smaller: Event[] = [];
    await readOn(null, smaller, 50);
    expect(smaller.map((e) => e.id).slice(0, all.length)).toEqual(all.map((e) => e.id));
    // This order's events two at a time: every page's cursor leads on to the next, none lost.
    const small: Event[] = [];
    await readOn(null, small, 2, { orderId: order.id });
    expect(small.map((e) => e.id)).toEqual(expected.map((e) => e.id));

    const byOrder = await page(null, 500, { orderId: order.id });
    expect(byOrder.data.map((e) => e.id)).toEqual(expected.map((e) => e.id));
    const confirmed = await page(null, 500, { type: 'confirmed', orderId: order.id });
    expect(confirmed.data.map((e) => e.type)).toEqual(['confirmed']);

    for (const after of ['not-a-cursor', Buffer.from('1.x.2').toString('base64url')]) {
      const res = await http(app).get('/api/v1/events').query({ after }).set(admin.auth).expect(400);
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'after' })]);
    }
    expectFieldError(await http(app).get('/api/v1/events').query({ limit: 501 }).set(admin.auth), 'limit');
    await http(app).get('/api/v1/events').set(customer.auth).expect(403);
  });

  it('keeps note texts, warehouse notes, IPs and user agents out of events', async () => {
    const order = await placeOneItemOrder(app, support, customer);
    const text = 'Customer called: leave the parcel behind the blue door';
    await http(app)
      .post(`/api/v1/orders/${order.id}/notes`)
      .set(support.auth)
      .set('User-Agent', 'SecretAgent/1.0')
      .send({ note: text, isInternal: true })
      .expect(201);
    const events: Event[] = [];
    await until(
      async () => {
        events.length = 0;
        events.push(...(await page(null, 500, { orderId: order.id })).data);
      },
      () => events.some((e) => e.type === 'note_added'),
    );

    // Warehouse notes typed on status moves stay in the history, not in events.
    await confirmOrder(app, support, order.id);
    const parcel = await http(app)
      .post(`/api/v1/orders/${order.id}/fulfillments`)
      .set(warehouse.auth)
      .send({ warehouseLocation: order.locationCode, items: { [order.itemId]: order.quantity } })
      .expect(201);
    for (const status of ['picking', 'packing', 'ready_to_ship', 'shipped']) {
      await http(app)
        .post(`/api/v1/fulfillments/${parcel.body.id}/status`)
        .set(warehouse.auth)
        .send({ status, notes: `SECRET ${status}: the customer is rude, ring twice` })
        .expect(200);
    }
    const [stored] = await sql<{ n: number }>(
      app,
      `select count(*)::int as n from order_history where order_id = ? and additional_data->>'notes' like 'SECRET%'`,
      [order.id],
    );
    expect(stored.n).toBe(4);
    await until(
      async () => {
        events.length = 0;
        events.push(...(await page(null, 500, { orderId: order.id })).data);
      },
      () => events.some((e) => e.type === 'shipped'),
    );
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['processing_started', 'status_changed', 'packed', 'shipped']),
    );
    const serialized = JSON.stringify(events);
    expect(serialized).not.toContain('SECRET');
    expect(serialized).not.toContain('ring twice');
    expect(serialized).not.toContain('blue door');
    expect(serialized).not.toContain('SecretAgent');
    expect(serialized).not.toMatch(/ipAddress|userAgent/);
    expect(events.find((e) => e.type === 'note_added')?.data.details).toEqual({ noteId: expect.any(String) });
  });
});
