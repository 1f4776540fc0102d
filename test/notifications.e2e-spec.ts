import { randomUUID } from 'node:crypto';
import { createTestApp, createUser, expectFieldError, http, sql, TestApp, TestUser } from './utils/app';
import { createOneItemOrder } from './utils/factories';
import { NoteBody, postNote } from './utils/notes';
import { UserRole } from '../src/identity/user-role.enum';
import { Order } from '../src/orders/order.entity';
import { NotificationDispatcherJob } from '../src/notes/notification-dispatcher.job';

interface OutboxRow {
  id: string;
  note_id: string | null;
  channel: string;
  status: string;
  attempts: number;
  payload: Record<string, unknown>;
  sent_at: Date | null;
  last_error: string | null;
}

/** The outbox with the default (log) channel, and the notifications API. */
describe('customer notifications (log channel)', () => {
  let app: TestApp;
  let admin: TestUser;
  let support: TestUser;
  let customer: TestUser;

  const outbox = (orderId: string) =>
    sql<OutboxRow>(
      app,
      `select id, note_id, channel, status, attempts, payload, sent_at, last_error
         from customer_notifications where order_id = ? order by created_at, id`,
      [orderId],
    );

  // Scoped to this file's orders: other test files share the database.
  const dispatch = (...orders: Order[]) =>
    app.get(NotificationDispatcherJob).dispatch(50, { orderIds: orders.map((o) => o.id) });

  const newOrder = () => createOneItemOrder(app, customer.user, 5);

  const addNote = (order: Order, body: NoteBody) => postNote(app, support, order.id, body);

  beforeAll(async () => {
    app = await createTestApp();
    [admin, support, customer] = await Promise.all([
      createUser(app, UserRole.ADMIN),
      createUser(app, UserRole.SUPPORT),
      createUser(app, UserRole.CUSTOMER, { fullName: 'Carla Customer' }),
    ]);
  });

  afterAll(async () => {
    await app.close();
  });

  it('queues a notification with the note only for public notes that ask for it', async () => {
    const order = await newOrder();
    await addNote(order, { note: 'internal' });
    await addNote(order, { note: 'public, quiet', isInternal: false });
    const noteId = await addNote(order, {
      note: 'Your order ships today',
      isInternal: false,
      notifyCustomer: true,
    });
    const rows = await outbox(order.id);
    expect(rows).toEqual([
      {
        id: expect.any(String),
        note_id: noteId,
        channel: 'log',
        status: 'pending',
        attempts: 0,
        payload: {
          type: 'order.note',
          orderId: order.id,
          orderNumber: order.orderNumber,
          noteId,
          note: 'Your order ships today',
          noteCreatedAt: expect.any(String),
          customer: { id: customer.user.id, email: customer.user.email, name: 'Carla Customer' },
        },
        sent_at: null,
        last_error: null,
      },
    ]);
  });

  it('delivers through the log channel once, stamping sent_at and the note’s notified_at', async () => {
    const order = await newOrder();
    const noteId = await addNote(order, { note: 'Hello', isInternal: false, notifyCustomer: true });
    expect(await dispatch(order)).toEqual({ claimed: 1, sent: 1, retried: 0, failed: 0 });
    expect(await dispatch(order)).toEqual({ claimed: 0, sent: 0, retried: 0, failed: 0 });

    const [row] = await outbox(order.id);
    expect(row).toMatchObject({ status: 'sent', attempts: 1, last_error: null });
    expect(row.sent_at).not.toBeNull();
    const note = await http(app).get(`/api/v1/notes/${noteId}`).set(support.auth).expect(200);
    expect(note.body.notifiedAt).toEqual(expect.any(String));
  });

  it('queues a notification when an edit turns notifyCustomer on, and withdraws it when turned off', async () => {
    const order = await newOrder();
    const noteId = await addNote(order, { note: 'quiet', isInternal: false });
    expect(await outbox(order.id)).toEqual([]);

    await http(app)
      .patch(`/api/v1/notes/${noteId}`)
      .set(support.auth)
      .send({ notifyCustomer: true })
      .expect(200);
    expect((await outbox(order.id)).map((r) => r.status)).toEqual(['pending']);

    await http(app)
      .patch(`/api/v1/notes/${noteId}`)
      .set(support.auth)
      .send({ note: 'edited text' })
      .expect(200);
    expect((await outbox(order.id))[0].payload.note).toBe('edited text');

    await http(app)
      .patch(`/api/v1/notes/${noteId}`)
      .set(support.auth)
      .send({ isInternal: true, notifyCustomer: false })
      .expect(200);
    expect(await outbox(order.id)).toEqual([]);
  });

  it('withdraws undelivered notifications of a deleted note and keeps delivered ones', async () => {
    const order = await newOrder();
    const sentNote = await addNote(order, { note: 'delivered', isInternal: false, notifyCustomer: true });
    await dispatch(order);
    const pendingNote = await addNote(order, { note: 'not yet', isInternal: false, notifyCustomer: true });

    await http(app).delete(`/api/v1/notes/${pendingNote}`).set(support.auth).expect(204);
    await http(app).delete(`/api/v1/notes/${sentNote}`).set(admin.auth).expect(204);
    const rows = await outbox(order.id);
    expect(rows).toEqual([expect.objectContaining({ status: 'sent', note_id: null })]);
    expect(rows[0].payload.note).toBe('delivered');
  });

  describe('GET /notifications', () => {
    let order: Order;
    let sentId: string;
    let pendingId: string;

    beforeAll(async () => {
      order = await newOrder();
      await addNote(order, { note: 'one', isInternal: false, notifyCustomer: true });
      await dispatch(order);
      await addNote(order, { note: 'two', isInternal: false, notifyCustomer: true });
      const rows = await outbox(order.id);
      sentId = rows.find((r) => r.status === 'sent')!.id;
      pendingId = rows.find((r) => r.status === 'pending')!.id;
    });

    it('lists with filters for admin and support', async () => {
      for (const who of [admin, support]) {
        const all = await http(app)
          .get('/api/v1/notifications')
          .query({ orderId: order.id })
          .set(who.auth)
          .expect(200);
        expect(all.body.data.map((n: { id: string }) => n.id)).toEqual([pendingId, sentId]);
        expect(all.body.meta).toEqual({ page: 1, pageSize: 20, total: 2, totalPages: 1 });
      }
      const sent = await http(app)
        .get('/api/v1/notifications')
        .query({ orderId: order.id, status: 'sent' })
        .set(support.auth)
        .expect(200);
      expect(sent.body.data).toEqual([
        expect.objectContaining({
          id: sentId,
          orderId: order.id,
          channel: 'log',
          status: 'sent',
          attempts: 1,
          lastError: null,
          sentAt: expect.any(String),
          payload: expect.objectContaining({ note: 'one' }),
        }),
      ]);
      const pending = await http(app)
        .get('/api/v1/notifications')
        .query({ orderId: order.id, status: 'pending' })
        .set(support.auth)
        .expect(200);
      expect(pending.body.data.map((n: { id: string }) => n.id)).toEqual([pendingId]);
    });

    it('rejects bad filters', async () => {
      const res = await http(app)
        .get('/api/v1/notifications')
        .query({ status: 'lost' })
        .set(admin.auth)
        .expect(400);
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'status' })]);
      expectFieldError(
        await http(app).get('/api/v1/notifications').query({ orderId: 'x' }).set(admin.auth),
        'orderId',
      );
      expectFieldError(
        await http(app).get('/api/v1/notifications').query({ pageSize: 0 }).set(admin.auth),
        'pageSize',
      );
      expectFieldError(
        await http(app).get('/api/v1/notifications').query({ sort: 'payload' }).set(admin.auth),
        'sort',
      );
    });

    it('retries only failed notifications', async () => {
      const sent = await http(app)
        .post(`/api/v1/notifications/${sentId}/retry`)
        .set(support.auth)
        .expect(409);
      expect(sent.body).toMatchObject({ code: 'CONFLICT', status: 409, currentStatus: 'sent' });
      await http(app).post(`/api/v1/notifications/${pendingId}/retry`).set(support.auth).expect(409);
      await http(app).post(`/api/v1/notifications/${randomUUID()}/retry`).set(support.auth).expect(404);
      await http(app).post('/api/v1/notifications/nope/retry').set(support.auth).expect(400);

      // Failed by SQL: this file's channel never fails. The real path (a receiver that is down, the
      // attempts used up, then a retry) is in notifications-retry.e2e-spec.ts.
      await sql(
        app,
        `update customer_notifications set status = 'failed', attempts = 5, last_error = 'boom',
                next_attempt_at = now() + interval '1 day' where id = ?`,
        [pendingId],
      );
      const res = await http(app)
        .post(`/api/v1/notifications/${pendingId}/retry`)
        .set(admin.auth)
        .expect(200);
      expect(res.body).toMatchObject({ id: pendingId, status: 'pending', attempts: 0 });
      expect(new Date(res.body.nextAttemptAt).getTime()).toBeLessThanOrEqual(Date.now() + 1000);

      expect(await dispatch(order)).toEqual({ claimed: 1, sent: 1, retried: 0, failed: 0 });
      expect((await outbox(order.id)).map((r) => r.status)).toEqual(['sent', 'sent']);
    });
  });
});
