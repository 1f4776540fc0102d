import { createServer, IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { http, TestApp, TestUser } from './app';
import { createVariantWithStock } from './factories';
import { placeOrder } from './orders';

/** Settings every webhook test file uses: no background jobs, fast retries. */
export const WEBHOOK_TEST_SETTINGS = {
  JOBS_ENABLED: 'false',
  WEBHOOK_SECRET_KEY: '7f3c1e9a5b2d4f6081a3c5e7092b4d6f8a1c3e5072b4d6f8091a2b3c4d5e6f70',
  WEBHOOK_MAX_ATTEMPTS: '3',
  WEBHOOK_BACKOFF_BASE_MS: '1',
  WEBHOOK_TIMEOUT_MS: '30000',
};

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  body: { id: string; type: string; orderId: string; sequence: number; [key: string]: unknown };
}

/**
 * An HTTP receiver on 127.0.0.1 that records every request; `answer` decides the status, 0 holds
 * the request unanswered (in `held`) until the test answers it.
 */
export interface Receiver {
  url: string;
  port: number;
  received: ReceivedRequest[];
  held: ServerResponse[];
  answer: (request: ReceivedRequest) => number;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const receiver = { received: [] as ReceivedRequest[], held: [], answer: () => 204 } as unknown as Receiver;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const request = { path: req.url ?? '/', headers: req.headers, rawBody, body: JSON.parse(rawBody) };
      receiver.received.push(request);
      const status = receiver.answer(request);
      if (status === 0) {
        receiver.held.push(res);
        return;
      }
      res.statusCode = status;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.port = (server.address() as AddressInfo).port;
  receiver.url = `http://127.0.0.1:${receiver.port}`;
  receiver.close = () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return receiver;
}

/** Repeats `step` until `done` holds (the feed waits for transactions still open on the server). */
export async function until(
  step: () => Promise<unknown>,
  done: () => boolean | Promise<boolean>,
  ms = 20000,
) {
  const deadline = Date.now() + ms;
  for (;;) {
    await step();
    if (await done()) return;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A new pending order of one item (`quantity` units) with stock at a new location. */
export async function placeOneItemOrder(app: TestApp, staff: TestUser, customer: TestUser, quantity = 1) {
  const { variant, location } = await createVariantWithStock(app, 10);
  const placed = await placeOrder(app, staff, customer.user, [{ variant, quantity }]);
  return { id: placed.id, itemId: placed.items[0].id, quantity, locationCode: location.code };
}

export async function confirmOrder(app: TestApp, staff: TestUser, orderId: string) {
  await http(app).post(`/api/v1/orders/${orderId}/confirm`).set(staff.auth).send({}).expect(200);
}

/** Ships the whole order in one fulfillment, through every warehouse step. */
export async function shipOrder(
  app: TestApp,
  warehouse: TestUser,
  order: { id: string; itemId: string; quantity: number; locationCode: string },
) {
  const created = await http(app)
    .post(`/api/v1/orders/${order.id}/fulfillments`)
    .set(warehouse.auth)
    .send({ warehouseLocation: order.locationCode, items: { [order.itemId]: order.quantity } })
    .expect(201);
  for (const status of ['picking', 'packing', 'ready_to_ship', 'shipped']) {
    await http(app)
      .post(`/api/v1/fulfillments/${created.body.id}/status`)
      .set(warehouse.auth)
      .send({ status })
      .expect(200);
  }
}
