import { createHmac } from 'node:crypto';
import { createTestApp, createUsersOfEveryRole, http, sql, TestApp, TestUser } from './utils/app';
import {
  confirmOrder,
  placeOneItemOrder,
  Receiver,
  shipOrder,
  startReceiver,
  until,
  WEBHOOK_TEST_SETTINGS,
} from './utils/webhooks';
import { WebhookDispatcherJob } from '../src/integrations/webhook-dispatcher.job';
import { WebhookAddressGuard } from '../src/integrations/webhook-address-guard';
import {
  ClaimedDelivery,
  WebhookDeliveriesRepository,
} from '../src/integrations/webhook-deliveries.repository';
import { WebhookDeliveryStatus } from '../src/integrations/webhook-delivery-status.enum';
import { UnitOfWork } from '../src/common/unit-of-work';

const SECRET = 'receiver-secret-0123456789-abcdefghijklmnop';

/** Webhook subscriptions end to end, against receivers on 127.0.0.1 (private URLs allowed here). */
describe('webhook subscriptions (e2e)', () => {
  let app: TestApp;
  let admin: TestUser;
  let support: TestUser;
  let warehouse: TestUser;
  let customer: TestUser;
  let receiver: Receiver;
  let job: WebhookDispatcherJob;
  /** A second instance on the same database (closing one app of two early breaks the other). */
  let other: TestApp;

  beforeAll(async () => {
    app = await createTestApp({ ...WEBHOOK_TEST_SETTINGS, WEBHOOK_ALLOW_PRIVATE_URLS: 'true' });
    other = await createTestApp();
    ({ admin, support, warehouse, customer } = await createUsersOfEveryRole(app));
    receiver = await startReceiver();
    job = app.get(WebhookDispatcherJob);
  });

  afterAll(async () => {
    await receiver.close();
    await other.close();
    await app.close();
  });

  async function subscribe(events: string[], path: string, url = `${receiver.url}${path}`) {
    const res = await http(app)
      .post('/api/v1/webhook-subscriptions')
      .set(admin.auth)
      .send({ url, secret: SECRET, events, description: `test ${path}` })
      .expect(201);
    return res.body as { id: string; url: string; isActive: boolean };
  }

  // Other test files write orders to the same database at the same time, and a subscription gets
  // every order's events: this file sends and counts only the events of the orders it placed.
  const mine: string[] = [];
  async function place(quantity?: number) {
    const order = await placeOneItemOrder(app, support, customer, quantity);
    mine.push(order.id);
    return order;
  }
  const receivedAt = (path: string) =>
    receiver.received.filter((r) => r.path === path && mine.includes(r.body.orderId as string));
  const dispatch = (ids: string[], dispatcher = job) =>
    dispatcher.dispatch(50, { subscriptionIds: ids, orderIds: mine });

  async function deliveries(subscriptionId: string, status?: string) {
    const res = await http(app)
      .get(`/api/v1/webhook-subscriptions/${subscriptionId}/deliveries`)
      .query(status ? { status, pageSize: 100 } : { pageSize: 100 })
      .set(admin.auth)
      .expect(200);
    // Fan-out queues every subscribed event of the shared test database, other test files'
    // orders included: keep this file's orders only.
    return (
      res.body.data as Array<{
        id: string;
        eventId: string;
        orderId: string;
        type: string;
        status: string;
        attempts: number;
        lastError: string | null;
        responseStatus: number | null;
      }>
    )
      .filter((d) => mine.includes(d.orderId))
      .map(({ orderId: _orderId, ...rest }) => rest);
  }

  async function historyOf(orderId: string, actions: string[]) {
    const rows = await sql<{ id: string; action: string; sequence: number }>(
      app,
      'select id, action, sequence from order_history where order_id = ? order by sequence',
      [orderId],
    );
    return rows.filter((r) => actions.includes(r.action));
  }

  it('delivers exactly the subscribed events of an order, in sequence order, signed', async () => {
    const subscription = await subscribe(['confirmed', 'shipped'], '/erp');
    expect(subscription).not.toHaveProperty('secret');
    const order = await place(2);
    await confirmOrder(app, support, order.id);
    await shipOrder(app, warehouse, order);
    const expected = await historyOf(order.id, ['confirmed', 'shipped']);
    expect(expected.map((e) => e.action)).toEqual(['confirmed', 'shipped']);

    await until(
      () => dispatch([subscription.id]),
      () => receivedAt('/erp').length >= expected.length,
    );
    await dispatch([subscription.id]);

    const got = receivedAt('/erp');
    expect(got.map((r) => [r.body.id, r.body.type, r.body.sequence])).toEqual(
      expected.map((e) => [e.id, e.action, e.sequence]),
    );
    for (const request of got) {
      expect(request.headers['x-oms-event-id']).toBe(request.body.id);
      expect(request.headers['x-oms-event-type']).toBe(request.body.type);
      // The documented scheme, recomputed here: hex HMAC-SHA256 of "<timestamp>.<event id>.<raw body>".
      const timestamp = request.headers['x-oms-timestamp'] as string;
      expect(timestamp).toMatch(/^\d{10}$/);
      const expected = createHmac('sha256', SECRET)
        .update(`${timestamp}.${request.body.id}.${request.rawBody}`)
        .digest('hex');
      expect(request.headers['x-oms-signature']).toBe(`sha256=${expected}`);
      expect(request.body).toMatchObject({ orderId: order.id, orderNumber: expect.any(String) });
      expect(Object.keys(request.body)).toEqual([
        'id',
        'type',
        'orderId',
        'orderNumber',
        'sequence',
        'occurredAt',
        'data',
      ]);
      expect(JSON.stringify(request.body)).not.toMatch(/ipAddress|userAgent|description/);
    }
    expect(got[0].body.data).toMatchObject({
      oldStatus: 'pending',
      newStatus: 'confirmed',
      performedById: support.user.id,
    });
    const sent = await deliveries(subscription.id, 'sent');
    expect(sent.map((d) => [d.eventId, d.attempts, d.responseStatus]).sort()).toEqual(
      expected.map((e) => [e.id, 1, 204]).sort(),
    );
    // `sort` is honoured (the default, -createdAt, cannot tell these two apart when one fan-out
    // queued both).
    for (const [sort, actions] of [
      ['sequence', ['confirmed', 'shipped']],
      ['-sequence', ['shipped', 'confirmed']],
      ['createdAt,sequence', ['confirmed', 'shipped']],
      ['-attempts,-sequence', ['shipped', 'confirmed']],
    ] as const) {
      const sorted = await http(app)
        .get(`/api/v1/webhook-subscriptions/${subscription.id}/deliveries`)
        .query({ sort })
        .set(admin.auth)
        .expect(200);
      const ofThisOrder = (sorted.body.data as Array<{ orderId: string; type: string }>).filter(
        (d) => d.orderId === order.id,
      );
      expect(ofThisOrder.map((d) => d.type)).toEqual(actions);
    }
    const badSort = await http(app)
      .get(`/api/v1/webhook-subscriptions/${subscription.id}/deliveries`)
      .query({ sort: 'url' })
      .set(admin.auth)
      .expect(400);
    expect(badSort.body.errors).toEqual([expect.objectContaining({ field: 'sort' })]);
    const metrics = (await http(app).get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/^oms_webhook_deliveries_total\{outcome="sent"\} [1-9]/m);
    expect(metrics).toMatch(/^oms_webhook_delivery_lag_seconds /m);
  });

  it('retries a failing receiver with backoff, marks it failed, keeps the order’s later events waiting until then, and redelivers', async () => {
    const subscription = await subscribe(['confirmed', 'shipped'], '/flaky');
    let down = true;
    receiver.answer = (request) => (request.path === '/flaky' && down ? 503 : 204);
    const order = await place();
    await confirmOrder(app, support, order.id);
    await shipOrder(app, warehouse, order);
    const [confirmed, shipped] = await historyOf(order.id, ['confirmed', 'shipped']);

    // The confirmed event is tried WEBHOOK_MAX_ATTEMPTS (3) times; shipped waits meanwhile.
    await until(
      () => dispatch([subscription.id]),
      async () => (await deliveries(subscription.id, 'failed')).length === 1,
    );
    const triedWhileFailing = receivedAt('/flaky').map((r) => r.body.id);
    expect(triedWhileFailing).toEqual([confirmed.id, confirmed.id, confirmed.id]);
    const [failed] = await deliveries(subscription.id, 'failed');
    expect(failed).toMatchObject({
      eventId: confirmed.id,
      attempts: 3,
      responseStatus: 503,
      lastError: 'receiver answered HTTP 503',
    });

    // Once the earlier one has failed, the later one goes on.
    down = false;
    await until(
      () => dispatch([subscription.id]),
      () => receivedAt('/flaky').length === 4,
    );
    expect(receivedAt('/flaky')[3].body.id).toBe(shipped.id);

    const redelivered = await http(app)
      .post(`/api/v1/webhook-subscriptions/${subscription.id}/deliveries/${failed.id}/redeliver`)
      .set(admin.auth)
      .expect(200);
    expect(redelivered.body).toMatchObject({ id: failed.id, status: 'pending', attempts: 0 });
    await until(
      () => dispatch([subscription.id]),
      () => receivedAt('/flaky').length === 5,
    );
    expect(receivedAt('/flaky')[4].body.id).toBe(confirmed.id);
    expect((await deliveries(subscription.id)).map((d) => d.status)).toEqual(['sent', 'sent']);
    receiver.answer = () => 204;
  });

  it('lets only the current claim settle a delivery: a send still in flight when it was redelivered changes nothing', async () => {
    const subscription = await subscribe(['confirmed'], '/stale');
    const order = await place();
    await confirmOrder(app, support, order.id);
    const repository = app.get(WebhookDeliveriesRepository);
    const uow = app.get(UnitOfWork);
    const claim = () =>
      uow.run('test-claim', () => repository.claim(10, 60_000, [subscription.id], [order.id]));
    let first: ClaimedDelivery[] = [];
    await until(
      async () => {
        await job.fanOut();
        first = await claim();
      },
      () => first.length === 1,
    );
    const [stale] = first;
    // While that send is in flight, an admin redelivers, and a dispatcher claims it again: the new
    // claim has the same attempt count as the old one.
    await http(app)
      .post(`/api/v1/webhook-subscriptions/${subscription.id}/deliveries/${stale.id}/redeliver`)
      .set(admin.auth)
      .expect(200);
    const [current] = await claim();
    expect(current).toMatchObject({ id: stale.id, attempts: stale.attempts });

    // The old send's failure arrives: it must not settle the new claim.
    const staleSettled = await uow.run('test-settle', () =>
      repository.settle(stale, {
        status: WebhookDeliveryStatus.FAILED,
        responseStatus: 500,
        error: 'the stale send failed',
      }),
    );
    expect(staleSettled).toBe(false);
    expect(await deliveries(subscription.id)).toEqual([
      expect.objectContaining({ id: stale.id, status: 'pending', attempts: 1, lastError: null }),
    ]);
    const currentSettled = await uow.run('test-settle', () =>
      repository.settle(current, { status: WebhookDeliveryStatus.SENT, responseStatus: 204 }),
    );
    expect(currentSettled).toBe(true);
    expect(await deliveries(subscription.id)).toEqual([
      expect.objectContaining({ id: stale.id, status: 'sent', attempts: 1, responseStatus: 204 }),
    ]);
  });

  it('sends each delivery once when two dispatchers run at the same time', async () => {
    {
      const subscription = await subscribe(['confirmed'], '/twice');
      const orders = await Promise.all(Array.from({ length: 6 }, () => place()));
      for (const order of orders) await confirmOrder(app, support, order.id);
      const otherJob = other.get(WebhookDispatcherJob);
      await until(
        () => Promise.all([dispatch([subscription.id]), dispatch([subscription.id], otherJob)]),
        () => receivedAt('/twice').length >= orders.length,
      );
      await Promise.all([dispatch([subscription.id]), dispatch([subscription.id], otherJob)]);
      const ids = receivedAt('/twice').map((r) => r.body.orderId);
      expect(ids.sort()).toEqual(orders.map((o) => o.id).sort());
      expect((await deliveries(subscription.id)).map((d) => [d.status, d.attempts])).toEqual(
        orders.map(() => ['sent', 1]),
      );
    }
  });

  it('keeps delivering to other subscriptions while a receiver hangs', async () => {
    const hanging = await subscribe(['confirmed'], '/hang');
    receiver.answer = (request) => (request.path === '/hang' ? 0 : 204);
    const first = await place();
    await confirmOrder(app, support, first.id);
    // Scheduled runs (tick) do not wait for sends: the hanging request stays in flight.
    // Scoped to this test's subscriptions: the run's database holds other files' deliveries too.
    await until(
      () => job.tick({ subscriptionIds: [hanging.id] }),
      () => receivedAt('/hang').length === 1,
    );

    const fast = await subscribe(['confirmed'], '/fast');
    const second = await place();
    await confirmOrder(app, support, second.id);
    await until(
      () => job.tick({ subscriptionIds: [hanging.id, fast.id] }),
      () => receivedAt('/fast').length === 1,
    );
    expect(receivedAt('/fast')[0].body.orderId).toBe(second.id);
    // The hanging receiver's first request is still unanswered, its delivery still in flight.
    expect(receiver.held.length).toBeGreaterThanOrEqual(1);
    const inFlight = await deliveries(hanging.id);
    expect(inFlight.find((d) => d.eventId === receivedAt('/hang')[0].body.id)).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastError: null,
    });

    // Answered at last: both of its deliveries (one per order) are sent.
    receiver.answer = () => 204;
    await until(
      async () => {
        for (const response of receiver.held.splice(0)) response.end();
        await job.tick({ subscriptionIds: [hanging.id, fast.id] });
      },
      async () => (await deliveries(hanging.id, 'sent')).length === 2,
    );
    await http(app)
      .patch(`/api/v1/webhook-subscriptions/${hanging.id}`)
      .set(admin.auth)
      .send({ isActive: false });
    await http(app)
      .patch(`/api/v1/webhook-subscriptions/${fast.id}`)
      .set(admin.auth)
      .send({ isActive: false });
  });

  it('queues and sends nothing to a paused subscription', async () => {
    const paused = await subscribe(['*'], '/paused');
    const control = await subscribe(['confirmed'], '/control');
    const patched = await http(app)
      .patch(`/api/v1/webhook-subscriptions/${paused.id}`)
      .set(admin.auth)
      .send({ isActive: false })
      .expect(200);
    expect(patched.body.isActive).toBe(false);
    const order = await place();
    await confirmOrder(app, support, order.id);
    // The control subscription received the event: the fan-out has passed it.
    await until(
      () => dispatch([paused.id, control.id]),
      () => receivedAt('/control').length === 1,
    );
    expect(receivedAt('/paused')).toEqual([]);
    expect(await deliveries(paused.id)).toEqual([]);
  });

  it('connects to the address it checked, not to what the system resolver says', async () => {
    const guard = app.get(WebhookAddressGuard);
    const resolveAll = guard.resolveAll;
    // A name the system cannot resolve: only the guard's answer (127.0.0.1) can reach the receiver.
    guard.resolveAll = () => Promise.resolve([{ address: '127.0.0.1', family: 4 }]);
    try {
      const subscription = await subscribe(
        ['confirmed'],
        '/pinned',
        `http://receiver.invalid:${receiver.port}/pinned`,
      );
      const order = await place();
      await confirmOrder(app, support, order.id);
      await until(
        () => dispatch([subscription.id]),
        () => receivedAt('/pinned').length === 1,
      );
      expect(receivedAt('/pinned')[0].headers.host).toBe(`receiver.invalid:${receiver.port}`);
    } finally {
      guard.resolveAll = resolveAll;
    }
  });

  it('manages subscriptions: admin only, secret never returned, bad input named, delete', async () => {
    const body = { url: `${receiver.url}/crud`, secret: SECRET, events: ['shipped'] };
    await http(app).post('/api/v1/webhook-subscriptions').set(support.auth).send(body).expect(403);
    await http(app).get('/api/v1/events').set(warehouse.auth).expect(403);

    const short = await http(app)
      .post('/api/v1/webhook-subscriptions')
      .set(admin.auth)
      .send({ ...body, secret: 'too-short' })
      .expect(400);
    expect(short.body.errors).toEqual([expect.objectContaining({ field: 'secret' })]);
    const badEvent = await http(app)
      .post('/api/v1/webhook-subscriptions')
      .set(admin.auth)
      .send({ ...body, events: ['teleported'] })
      .expect(400);
    expect(badEvent.body.errors).toEqual([expect.objectContaining({ field: 'events' })]);

    const created = await http(app)
      .post('/api/v1/webhook-subscriptions')
      .set(admin.auth)
      .set('Idempotency-Key', 'webhook-crud-1')
      .send(body)
      .expect(201);
    const again = await http(app)
      .post('/api/v1/webhook-subscriptions')
      .set(admin.auth)
      .set('Idempotency-Key', 'webhook-crud-1')
      .send(body)
      .expect(201);
    expect(again.body.id).toBe(created.body.id);
    const [stored] = await sql<{ secret: string }>(
      app,
      'select secret from webhook_subscriptions where id = ?',
      [created.body.id],
    );
    expect(stored.secret).not.toContain(SECRET);

    const read = await http(app)
      .get(`/api/v1/webhook-subscriptions/${created.body.id}`)
      .set(admin.auth)
      .expect(200);
    const list = await http(app).get('/api/v1/webhook-subscriptions').set(admin.auth).expect(200);
    for (const shown of [created.body, read.body, ...list.body.data]) {
      expect(JSON.stringify(shown)).not.toContain(SECRET);
      expect(shown).not.toHaveProperty('secret');
    }
    const changed = await http(app)
      .patch(`/api/v1/webhook-subscriptions/${created.body.id}`)
      .set(admin.auth)
      .send({ events: ['*'], description: 'all' })
      .expect(200);
    expect(changed.body).toMatchObject({ events: ['*'], description: 'all', isActive: true });
    await http(app).delete(`/api/v1/webhook-subscriptions/${created.body.id}`).set(admin.auth).expect(204);
    await http(app).get(`/api/v1/webhook-subscriptions/${created.body.id}`).set(admin.auth).expect(404);
  });
});
