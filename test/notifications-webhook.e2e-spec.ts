import { createHmac } from 'node:crypto';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { createTestApp, createUser, http, sql, TestApp, TestUser } from './utils/app';
import { createOneItemOrder } from './utils/factories';
import { notifyCustomer } from './utils/notes';
import { UserRole } from '../src/identity/user-role.enum';
import { Order } from '../src/orders/order.entity';
import { NotificationDispatcherJob } from '../src/notes/notification-dispatcher.job';
import { verifyWebhookSignature } from '../src/notes/webhook-signature';

const SECRET = 'webhook-test-secret-0123456789';
// Well above a send's time on a loaded machine (two app instances share this process): a send that
// only looked slow would count as a failed attempt and be retried.
const TIMEOUT_MS = 1500;

interface Delivery {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
}

/** A webhook receiver on 127.0.0.1: records every request and answers as `respond` says. */
class Receiver {
  readonly deliveries: Delivery[] = [];
  /** Per request: status code and delay; default 204 after a few ms. */
  respond: (delivery: Delivery) => { status: number; delayMs?: number; location?: string } = () => ({
    status: 204,
    delayMs: 20,
  });
  private server!: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const delivery = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          rawBody: Buffer.concat(chunks).toString('utf8'),
        };
        this.deliveries.push(delivery);
        const answer = this.respond(delivery);
        setTimeout(() => {
          if (res.destroyed) return;
          res.statusCode = answer.status;
          if (answer.location) res.setHeader('Location', answer.location);
          res.end();
        }, answer.delayMs ?? 0);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/oms`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  forNotification(id: string): Delivery[] {
    return this.deliveries.filter((d) => d.headers['x-oms-notification-id'] === id);
  }
}

interface OutboxRow {
  id: string;
  note_id: string;
  channel: string;
  status: string;
  attempts: number;
  last_error: string | null;
  backoff_ms: number;
}

describe('customer notifications over a signed webhook', () => {
  const receiver = new Receiver();
  let app: TestApp;
  let secondInstance: TestApp;
  let support: TestUser;
  let customer: TestUser;

  const outbox = (...orders: Order[]) =>
    sql<OutboxRow>(
      app,
      `select id, note_id, channel, status, attempts, last_error,
              round(extract(epoch from next_attempt_at - updated_at) * 1000)::int as backoff_ms
         from customer_notifications where order_id in (?) order by created_at, id`,
      [orders.map((o) => o.id)],
    );

  // Scoped to this file's orders: other test files share the database.
  const dispatch = (instance: TestApp, orders: Order[], batchSize = 50) =>
    instance.get(NotificationDispatcherJob).dispatch(batchSize, { orderIds: orders.map((o) => o.id) });

  const newOrder = () => createOneItemOrder(app, customer.user, 5);

  const notify = (order: Order, text: string) => notifyCustomer(app, support, order.id, text);

  beforeAll(async () => {
    const url = await receiver.start();
    const settings = {
      NOTIFY_WEBHOOK_URL: url,
      NOTIFY_WEBHOOK_SECRET: SECRET,
      NOTIFY_MAX_ATTEMPTS: '3',
      NOTIFY_BACKOFF_BASE_MS: '1000',
      NOTIFY_TIMEOUT_MS: String(TIMEOUT_MS),
    };
    app = await createTestApp(settings);
    secondInstance = await createTestApp(settings);
    [support, customer] = await Promise.all([
      createUser(app, UserRole.SUPPORT),
      createUser(app, UserRole.CUSTOMER, { fullName: 'Wendy Webhook' }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([app.close(), secondInstance.close()]);
    await receiver.stop();
  });

  beforeEach(() => {
    receiver.respond = () => ({ status: 204, delayMs: 20 });
  });

  it('delivers a signed JSON POST and stamps the note’s notified_at', async () => {
    const order = await newOrder();
    const noteId = await notify(order, 'Your order ships today');
    const [queued] = await outbox(order);
    expect(queued).toMatchObject({ channel: 'webhook', status: 'pending', attempts: 0 });

    expect(await dispatch(app, [order])).toEqual({ claimed: 1, sent: 1, retried: 0, failed: 0 });

    const [delivery] = receiver.forNotification(queued.id);
    expect(receiver.forNotification(queued.id)).toHaveLength(1);
    expect(delivery.method).toBe('POST');
    expect(delivery.url).toBe('/hooks/oms');
    expect(delivery.headers['content-type']).toBe('application/json');

    // The receiver's check, computed independently: HMAC-SHA256 over "<timestamp>.<id>.<raw body>".
    const timestamp = delivery.headers['x-oms-timestamp'] as string;
    const expected = createHmac('sha256', SECRET)
      .update(`${timestamp}.${queued.id}.${delivery.rawBody}`)
      .digest('hex');
    expect(delivery.headers['x-oms-signature']).toBe(`sha256=${expected}`);
    expect(
      verifyWebhookSignature({
        secret: SECRET,
        signature: delivery.headers['x-oms-signature'] as string,
        timestamp,
        notificationId: queued.id,
        rawBody: delivery.rawBody,
      }),
    ).toBe(true);
    expect(
      verifyWebhookSignature({
        secret: 'another-secret-0123456789',
        signature: delivery.headers['x-oms-signature'] as string,
        timestamp,
        notificationId: queued.id,
        rawBody: delivery.rawBody,
      }),
    ).toBe(false);

    expect(JSON.parse(delivery.rawBody)).toEqual({
      id: queued.id,
      type: 'order.note',
      attempt: 1,
      createdAt: expect.any(String),
      data: {
        type: 'order.note',
        orderId: order.id,
        orderNumber: order.orderNumber,
        noteId,
        note: 'Your order ships today',
        noteCreatedAt: expect.any(String),
        customer: { id: customer.user.id, email: customer.user.email, name: 'Wendy Webhook' },
      },
    });

    expect(await outbox(order)).toEqual([
      expect.objectContaining({ status: 'sent', attempts: 1, last_error: null }),
    ]);
    const note = await http(app).get(`/api/v1/notes/${noteId}`).set(support.auth).expect(200);
    expect(note.body.notifiedAt).toEqual(expect.any(String));
    expect(await dispatch(app, [order])).toEqual({ claimed: 0, sent: 0, retried: 0, failed: 0 });
    expect(receiver.forNotification(queued.id)).toHaveLength(1);
  });

  it('treats a non-2xx answer, a redirect and a timeout as failed attempts with backoff', async () => {
    const order = await newOrder();
    const noteId = await notify(order, 'Retry me');
    const [queued] = await outbox(order);
    const forceDue = () =>
      sql(app, 'update customer_notifications set next_attempt_at = now() where id = ?', [queued.id]);

    receiver.respond = () => ({ status: 503 });
    expect(await dispatch(app, [order])).toEqual({ claimed: 1, sent: 0, retried: 1, failed: 0 });
    expect((await outbox(order))[0]).toMatchObject({
      status: 'pending',
      attempts: 1,
      last_error: 'webhook answered HTTP 503',
      backoff_ms: 1000,
    });
    // Not due yet: nothing is claimed before the backoff has passed.
    expect(await dispatch(app, [order])).toEqual({ claimed: 0, sent: 0, retried: 0, failed: 0 });

    await forceDue();
    receiver.respond = () => ({ status: 302, location: 'http://127.0.0.1:1/elsewhere' });
    expect(await dispatch(app, [order])).toMatchObject({ claimed: 1, retried: 1 });
    expect((await outbox(order))[0]).toMatchObject({
      attempts: 2,
      last_error: 'webhook answered HTTP 302',
      backoff_ms: 2000,
    });

    await forceDue();
    receiver.respond = () => ({ status: 200 });
    expect(await dispatch(app, [order])).toMatchObject({ claimed: 1, sent: 1 });
    expect((await outbox(order))[0]).toMatchObject({ status: 'sent', attempts: 3, last_error: null });
    expect(receiver.forNotification(queued.id).map((d) => JSON.parse(d.rawBody).attempt)).toEqual([1, 2, 3]);
    const [note] = await sql<{ notified_at: string | null }>(
      app,
      'select notified_at from order_notes where id = ?',
      [noteId],
    );
    expect(note.notified_at).not.toBeNull();
  });

  it('gives up on a receiver that does not answer within NOTIFY_TIMEOUT_MS', async () => {
    const order = await newOrder();
    await notify(order, 'Slow receiver');
    const [queued] = await outbox(order);
    receiver.respond = () => ({ status: 200, delayMs: TIMEOUT_MS * 4 });
    expect(await dispatch(app, [order])).toMatchObject({ claimed: 1, retried: 1 });
    expect((await outbox(order))[0]).toMatchObject({
      status: 'pending',
      attempts: 1,
      last_error: `webhook timed out after ${TIMEOUT_MS} ms`,
    });
    expect(receiver.forNotification(queued.id)).toHaveLength(1);
  });

  it('delivers each notification exactly once with two app instances dispatching in parallel', async () => {
    const orders = await Promise.all([newOrder(), newOrder(), newOrder()]);
    for (const [index, order] of orders.entries()) {
      for (let n = 0; n < 5; n++) await notify(order, `Parallel ${index}.${n}`);
    }
    const queued = await outbox(...orders);
    expect(queued).toHaveLength(15);
    receiver.respond = () => ({ status: 200, delayMs: 30 });

    let claimed = 0;
    const perRound: number[][] = [];
    for (let round = 0; round < 10; round++) {
      const results = await Promise.all([
        dispatch(app, orders, 4),
        dispatch(secondInstance, orders, 4),
        dispatch(app, orders, 4),
        dispatch(secondInstance, orders, 4),
      ]);
      perRound.push(results.map((r) => r.claimed));
      claimed += results.reduce((sum, r) => sum + r.claimed, 0);
      if (results.every((r) => r.claimed === 0)) break;
    }

    expect(claimed).toBe(15);
    // The first round ran four dispatchers at once, and together they took every due row.
    expect(perRound[0].reduce((a, b) => a + b, 0)).toBe(15);
    for (const row of queued) expect(receiver.forNotification(row.id)).toHaveLength(1);
    const after = await outbox(...orders);
    expect(after.filter((row) => row.status !== 'sent' || row.attempts !== 1)).toEqual([]);
    const [{ pending }] = await sql<{ pending: number }>(
      app,
      `select count(*)::int as pending from order_notes where order_id in (?) and notified_at is null`,
      [orders.map((o) => o.id)],
    );
    expect(pending).toBe(0);
  });
});
