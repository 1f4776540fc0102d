import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { createTestApp, createUser, http, sql, TestApp, TestUser } from './utils/app';
import { createOneItemOrder } from './utils/factories';
import { notifyCustomer } from './utils/notes';
import { UserRole } from '../src/identity/user-role.enum';
import { Order } from '../src/orders/order.entity';
import { NotificationDispatcherJob } from '../src/notes/notification-dispatcher.job';

interface OutboxRow {
  id: string;
  status: string;
  attempts: number;
  last_error: string | null;
  next_attempt_at: string;
  backoff_ms: number;
  due: boolean;
}

/** A port nothing listens on: bound by us for a moment, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('customer notifications when the webhook receiver is down', () => {
  let app: TestApp;
  let admin: TestUser;
  let support: TestUser;
  let customer: TestUser;

  const outbox = (order: Order) =>
    sql<OutboxRow>(
      app,
      `select id, status, attempts, last_error, next_attempt_at,
              round(extract(epoch from next_attempt_at - updated_at) * 1000)::int as backoff_ms,
              next_attempt_at <= now() as due
         from customer_notifications where order_id = ? order by created_at, id`,
      [order.id],
    );
  const dispatch = (order: Order) =>
    app.get(NotificationDispatcherJob).dispatch(50, { orderIds: [order.id] });
  /** Lets the backoff pass without waiting for it. */
  const forceDue = (order: Order) =>
    sql(app, 'update customer_notifications set next_attempt_at = now() where order_id = ?', [order.id]);

  async function notifyingOrder(text: string): Promise<{ order: Order; noteId: string }> {
    const order = await createOneItemOrder(app, customer.user, 5);
    return { order, noteId: await notifyCustomer(app, support, order.id, text) };
  }

  beforeAll(async () => {
    const port = await closedPort();
    app = await createTestApp({
      NOTIFY_WEBHOOK_URL: `http://127.0.0.1:${port}/hooks/oms`,
      NOTIFY_WEBHOOK_SECRET: 'retry-test-secret-0123456789',
      NOTIFY_MAX_ATTEMPTS: '3',
      NOTIFY_BACKOFF_BASE_MS: '1000',
      NOTIFY_TIMEOUT_MS: '2000',
    });
    [admin, support, customer] = await Promise.all([
      createUser(app, UserRole.ADMIN),
      createUser(app, UserRole.SUPPORT),
      createUser(app, UserRole.CUSTOMER),
    ]);
  });

  afterAll(async () => {
    await app.close();
  });

  it('retries with exponential backoff, then marks the notification failed with the last error', async () => {
    const { order, noteId } = await notifyingOrder('Nobody is listening');

    expect(await dispatch(order)).toEqual({ claimed: 1, sent: 0, retried: 1, failed: 0 });
    const [first] = await outbox(order);
    expect(first).toMatchObject({ status: 'pending', attempts: 1, backoff_ms: 1000, due: false });
    expect(first.last_error).toMatch(/^webhook request failed: .*ECONNREFUSED/);
    // Within the backoff nothing is claimed.
    expect(await dispatch(order)).toEqual({ claimed: 0, sent: 0, retried: 0, failed: 0 });

    await forceDue(order);
    expect(await dispatch(order)).toEqual({ claimed: 1, sent: 0, retried: 1, failed: 0 });
    const [second] = await outbox(order);
    expect(second).toMatchObject({ status: 'pending', attempts: 2, backoff_ms: 2000, due: false });
    expect(new Date(second.next_attempt_at).getTime()).toBeGreaterThan(
      new Date(first.next_attempt_at).getTime(),
    );

    await forceDue(order);
    expect(await dispatch(order)).toEqual({ claimed: 1, sent: 0, retried: 0, failed: 1 });
    const [last] = await outbox(order);
    expect(last).toMatchObject({ status: 'failed', attempts: 3 });
    expect(last.last_error).toMatch(/ECONNREFUSED/);

    // Failed is final for the dispatcher, even when due.
    await forceDue(order);
    expect(await dispatch(order)).toEqual({ claimed: 0, sent: 0, retried: 0, failed: 0 });
    const [note] = await sql<{ notified_at: string | null }>(
      app,
      'select notified_at from order_notes where id = ?',
      [noteId],
    );
    expect(note.notified_at).toBeNull();

    const failed = await http(app)
      .get('/api/v1/notifications')
      .query({ status: 'failed', orderId: order.id })
      .set(support.auth)
      .expect(200);
    expect(failed.body.data).toEqual([
      expect.objectContaining({ id: last.id, status: 'failed', attempts: 3, lastError: last.last_error }),
    ]);
  });

  it('puts a failed notification back to pending with a fresh attempt budget', async () => {
    const { order } = await notifyingOrder('Try again later');
    for (let attempt = 0; attempt < 3; attempt++) {
      await forceDue(order);
      await dispatch(order);
    }
    const [failed] = await outbox(order);
    expect(failed).toMatchObject({ status: 'failed', attempts: 3 });

    const res = await http(app).post(`/api/v1/notifications/${failed.id}/retry`).set(admin.auth).expect(200);
    expect(res.body).toMatchObject({ id: failed.id, status: 'pending', attempts: 0 });
    const [reset] = await outbox(order);
    expect(reset).toMatchObject({ status: 'pending', attempts: 0, due: true });

    // A second retry conflicts: it is pending now.
    await http(app).post(`/api/v1/notifications/${failed.id}/retry`).set(admin.auth).expect(409);
    expect(await dispatch(order)).toEqual({ claimed: 1, sent: 0, retried: 1, failed: 0 });
    expect((await outbox(order))[0]).toMatchObject({ status: 'pending', attempts: 1 });
  });

  it('counts an unknown channel as a failed attempt', async () => {
    const { order } = await notifyingOrder('Carrier pigeon');
    await sql(app, `update customer_notifications set channel = 'pigeon' where order_id = ?`, [order.id]);
    expect(await dispatch(order)).toEqual({ claimed: 1, sent: 0, retried: 1, failed: 0 });
    expect((await outbox(order))[0]).toMatchObject({
      attempts: 1,
      last_error: 'unknown notification channel "pigeon"',
    });
  });
});
