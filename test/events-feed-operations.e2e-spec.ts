import { Client } from 'pg';
import { MikroORM } from '@mikro-orm/postgresql';
import { createTestApp, createUsersOfEveryRole, http, sql, TestApp, TestUser } from './utils/app';
import {
  confirmOrder,
  placeOneItemOrder,
  Receiver,
  startReceiver,
  until,
  WEBHOOK_TEST_SETTINGS,
} from './utils/webhooks';
import { createTestDatabase, dropTestDatabase, uniqueDatabaseName } from './setup/test-database';
import { createOrmConfig } from '../src/database/mikro-orm.config';
import { migrate } from '../src/database/migrate';
import { UnitOfWork } from '../src/common/unit-of-work';
import { OrderHistoryService } from '../src/history/order-history.service';
import { OrderHistoryAction } from '../src/history/order-history-action.enum';
import { FANOUT_BATCH, WebhookDispatcherJob } from '../src/integrations/webhook-dispatcher.job';
import { HistoryFeedRepository } from '../src/history/history-feed.repository';
import { postNote } from './utils/notes';

const SECRET = 'receiver-secret-0123456789-abcdefghijklmnop';
const BASE_MS = 60_000;

/**
 * What operators rely on: the lag metric, the retry schedule, and a feed that refuses rather than
 * skips after a restore into a new cluster. On a database of its own: this file makes the feed
 * unusable on purpose at the end, and its lag readings must not depend on other files' orders.
 */
describe('event feed operations (e2e, own database)', () => {
  const serverUrl = process.env.TEST_SERVER_URL!;
  const name = uniqueDatabaseName('oms_feed_ops');
  const savedEnv = { ...process.env };
  let url: string;
  let app: TestApp;
  let admin: TestUser;
  let support: TestUser;
  let customer: TestUser;
  let receiver: Receiver;
  let job: WebhookDispatcherJob;

  beforeAll(async () => {
    url = await createTestDatabase(serverUrl, name);
    const orm = await MikroORM.init({ ...createOrmConfig({ databaseUrl: url, poolMax: 2 }), debug: false });
    try {
      await migrate(orm);
    } finally {
      await orm.close(true);
    }
    app = await createTestApp({
      ...WEBHOOK_TEST_SETTINGS,
      DATABASE_URL: url,
      WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
      WEBHOOK_BACKOFF_BASE_MS: String(BASE_MS),
      WEBHOOK_MAX_ATTEMPTS: '8',
    });
    ({ admin, support, customer } = await createUsersOfEveryRole(app));
    receiver = await startReceiver();
    job = app.get(WebhookDispatcherJob);
  });

  afterAll(async () => {
    await receiver?.close();
    await app?.close();
    process.env = savedEnv;
    await dropTestDatabase(serverUrl, name);
  });

  async function lagGauge(): Promise<number> {
    const text = (await http(app).get('/metrics').expect(200)).text;
    const match = /^oms_webhook_delivery_lag_seconds (\S+)$/m.exec(text);
    if (!match) throw new Error('no oms_webhook_delivery_lag_seconds in /metrics');
    return Number(match[1]);
  }

  async function subscribe(path: string) {
    const res = await http(app)
      .post('/api/v1/webhook-subscriptions')
      .set(admin.auth)
      .send({ url: `${receiver.url}${path}`, secret: SECRET, events: ['confirmed'] })
      .expect(201);
    return res.body.id as string;
  }

  it('reports lag while an open transaction holds the feed back, though nothing is queued yet', async () => {
    const a = await placeOneItemOrder(app, support, customer);
    // Caught up: every entry so far fanned out (no subscription: nothing queued), lag 0.
    await until(
      () => job.tick(),
      async () => (await lagGauge()) === 0,
    );

    // A transaction writes an entry of order A and stays open; order B is confirmed meanwhile.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let written!: () => void;
    const wasWritten = new Promise<void>((resolve) => (written = resolve));
    const held = app.get(UnitOfWork).run('held-open', async () => {
      await app.get(OrderHistoryService).record({
        order: a.id,
        action: OrderHistoryAction.STATUS_CHANGED,
        description: 'written by a transaction that stays open',
      });
      written();
      await gate;
    });
    try {
      await wasWritten;
      const b = await placeOneItemOrder(app, support, customer);
      await confirmOrder(app, support, b.id);
      await job.tick();
      await job.tick();
      // B's entries wait behind the open transaction: no delivery row exists to measure from.
      const [{ n }] = await sql<{ n: number }>(app, 'select count(*)::int as n from webhook_deliveries');
      expect(n).toBe(0);
      expect(await lagGauge()).toBeGreaterThan(0);
    } finally {
      release();
      await held;
    }
    await until(
      () => job.tick(),
      async () => (await lagGauge()) === 0,
    );
  });

  it('with no active subscription, passes over the feed without reading it, and a first subscription then gets its events', async () => {
    const cursor = async () =>
      (
        await sql<{ xid: string; order_id: string; sequence: number }>(
          app,
          'select xid::text as xid, order_id, sequence from webhook_fanout_cursor',
        )
      )[0];
    await until(
      () => job.tick(),
      async () => (await lagGauge()) === 0,
    );
    // More history than one batch, written while nobody subscribes.
    const order = await placeOneItemOrder(app, support, customer);
    for (let n = 0; n < FANOUT_BATCH + 20; n += 10) {
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => postNote(app, support, order.id, { note: `note ${n + i}` })),
      );
    }
    const feed = app.get(HistoryFeedRepository);
    const read = jest.spyOn(feed, 'entriesAfter');
    try {
      await job.tick();
      const rowsRead = (
        await Promise.all(read.mock.results.map((r) => r.value as Promise<unknown[]>))
      ).reduce((sum, rows) => sum + rows.length, 0);
      expect(rowsRead).toBeLessThanOrEqual(FANOUT_BATCH);
    } finally {
      read.mockRestore();
    }
    const [newest] = await sql<{ xid: string; order_id: string; sequence: number }>(
      app,
      `select xid::text as xid, order_id, sequence from order_history
        order by xid desc, order_id desc, sequence desc limit 1`,
    );
    expect(await cursor()).toEqual(newest);
    expect(await lagGauge()).toBe(0);

    const subscription = await subscribe('/first');
    await confirmOrder(app, support, order.id);
    await until(
      () => job.tick(),
      () => receiver.received.some((r) => r.path === '/first'),
    );
    const [{ n }] = await sql<{ n: number }>(
      app,
      'select count(*)::int as n from webhook_deliveries where subscription_id = ?',
      [subscription],
    );
    expect(n).toBe(1);
    await http(app).delete(`/api/v1/webhook-subscriptions/${subscription}`).set(admin.auth).expect(204);
  });

  it('retries with a delay that doubles from WEBHOOK_BACKOFF_BASE_MS up to the one-hour cap, then fails', async () => {
    const subscription = await subscribe('/down');
    receiver.answer = () => 503;
    const order = await placeOneItemOrder(app, support, customer);
    await confirmOrder(app, support, order.id);
    const delays: number[] = [];
    const delivery = async () =>
      (
        await sql<{ id: string; status: string; attempts: number; delay_ms: number }>(
          app,
          `select id, status, attempts,
                  round(extract(epoch from next_attempt_at - updated_at) * 1000)::int as delay_ms
             from webhook_deliveries where subscription_id = ?`,
          [subscription],
        )
      )[0];
    await until(
      () => job.dispatch(),
      async () => (await delivery())?.attempts === 1,
    );
    for (;;) {
      const row = await delivery();
      if (row.status !== 'pending') break;
      // Settled in one statement: next_attempt_at = now() + delay, updated_at = now().
      delays.push(row.delay_ms);
      // Make it due now instead of waiting for it.
      await sql(app, 'update webhook_deliveries set next_attempt_at = now() where id = ?', [row.id]);
      const result = await job.dispatch();
      expect(result.claimed).toBe(1);
    }
    expect(delays).toEqual([1, 2, 4, 8, 16, 32].map((f) => f * BASE_MS).concat(60 * 60 * 1000));
    expect(await delivery()).toMatchObject({ status: 'failed', attempts: 8 });
    expect(receiver.received.filter((r) => r.path === '/down')).toHaveLength(8);
  });

  it('refuses the feed and stops the dispatcher when stored transaction ids are ahead of the server’s (a logical restore into a new cluster)', async () => {
    const subscription = await subscribe('/after-restore');
    receiver.answer = () => 204;
    const order = await placeOneItemOrder(app, support, customer);
    await http(app).get('/api/v1/events').set(support.auth).expect(200);

    // After pg_dump/pg_restore into a new cluster, the rows keep the ids of the old cluster while
    // the new one counts from its own, lower, start. A test cannot move a cluster's counter back,
    // so it moves one entry's id ahead instead: the same relation (stored > next). order_history is
    // append-only, so its trigger is disabled for this one statement, in this file's own database.
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('begin');
      await client.query('alter table order_history disable trigger order_history_append_only');
      await client.query(
        `update order_history
            set xid = ((pg_snapshot_xmax(pg_current_snapshot())::text)::bigint + 1000000)::text::xid8
          where id = (select id from order_history where order_id = $1 order by sequence limit 1)`,
        [order.id],
      );
      await client.query('alter table order_history enable trigger order_history_append_only');
      await client.query('commit');
    } finally {
      await client.end();
    }

    for (const query of [{}, { orderId: order.id }]) {
      const res = await http(app).get('/api/v1/events').query(query).set(support.auth).expect(503);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body).toMatchObject({
        code: 'EVENT_FEED_IDS_AHEAD',
        detail: expect.stringMatching(/transaction ids up to \d+.*next transaction id is \d+/),
      });
    }

    // The dispatcher: one clear error line, then nothing more is read, queued or sent.
    const logger = (job as unknown as { logger: { error: (message: string) => void } }).logger;
    const errors = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    const [before] = await sql<{ xid: string }>(app, 'select xid::text as xid from webhook_fanout_cursor');
    await confirmOrder(app, support, order.id);
    await job.tick();
    await job.tick();
    expect(await job.dispatch()).toMatchObject({ queued: 0, claimed: 0 });
    expect(errors).toHaveBeenCalledTimes(1);
    expect(errors.mock.calls[0][0]).toMatch(/Webhook dispatcher stopped.*transaction ids/);
    const [after] = await sql<{ xid: string }>(app, 'select xid::text as xid from webhook_fanout_cursor');
    expect(after.xid).toBe(before.xid);
    const [{ n }] = await sql<{ n: number }>(
      app,
      'select count(*)::int as n from webhook_deliveries where subscription_id = ?',
      [subscription],
    );
    expect(n).toBe(0);
    expect(receiver.received.filter((r) => r.path === '/after-restore')).toEqual([]);
  });
});
