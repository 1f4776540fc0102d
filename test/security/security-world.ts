import { randomUUID } from 'node:crypto';
import { createTestApp, createUser, http, sql, TestApp, TestUser } from '../utils/app';
import { createLocation, createVariantWithStock, uniqueCode } from '../utils/factories';
import { UserRole } from '../../src/identity/user-role.enum';

/** Shared by the OWASP suites: the OpenAPI operations and a small world of users and orders. */

export const API = '/api/v1';

export interface Operation {
  /** `GET /orders/{}`: method and path template without the prefix, parameters blanked. */
  key: string;
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** The documented path, `/api/v1/orders/{id}`. */
  path: string;
  operation: OpenApiOperation;
}

export interface OpenApiParameter {
  name: string;
  in: 'query' | 'path' | 'header';
  required?: boolean;
  schema?: Record<string, unknown>;
}

export interface OpenApiOperation {
  summary?: string;
  description?: string;
  parameters?: OpenApiParameter[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { description?: string; headers?: Record<string, unknown> }>;
  security?: Array<Record<string, string[]>>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, Record<string, unknown>> };
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

export function operationsOf(document: OpenApiDocument): Operation[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({
      key: `${method.toUpperCase()} ${path.replace(/^\/api\/v1/, '').replace(/\{[^}]+\}/g, '{}')}`,
      method,
      path,
      operation: item[method],
    })),
  );
}

/** The roles an operation admits, as its 403 description states them (set by `@Roles`). */
export function rolesOf(operation: OpenApiOperation): UserRole[] | 'any' | 'public' {
  const forbidden = operation.responses['403']?.description;
  if (!forbidden) return operation.security?.some((s) => 'bearer' in s) ? 'any' : 'public';
  const match = /\(roles: ([^)]*)\)/.exec(forbidden);
  if (!match || match[1] === 'any authenticated user') return 'any';
  return match[1].split(',').map((r) => r.trim() as UserRole);
}

/** Follows a `$ref` into the document's components. */
export function resolve(document: OpenApiDocument, schema: Record<string, unknown>): Record<string, unknown> {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  return resolve(document, document.components.schemas[ref.split('/').pop() as string]);
}

/** `http(app).get(url)` for a method chosen at run time. */
export function request(app: TestApp, method: Operation['method'], url: string) {
  const agent = http(app);
  return agent[method](url);
}

export async function openApiDocument(app: TestApp): Promise<OpenApiDocument> {
  return (await http(app).get('/docs-json').expect(200)).body;
}

const ADDRESS = {
  name: 'Alice Customer',
  line1: '1 Private Lane',
  city: 'Berlin',
  postalCode: '10115',
  country: 'DE',
};

export interface World {
  app: TestApp;
  admin: TestUser;
  support: TestUser;
  support2: TestUser;
  warehouse: TestUser;
  warehouse2: TestUser;
  /** Customer A owns every order below except `orderB`. */
  customerA: TestUser;
  customerB: TestUser;
  variantId: string;
  locationId: string;
  /** A's order, delivered: reservations, a shipped fulfillment, notes, history. */
  delivered: { id: string; orderNumber: string; itemId: string };
  /** A's order, still pending. */
  pendingA: { id: string; orderNumber: string; itemId: string };
  /** B's order, pending. */
  orderB: { id: string; orderNumber: string };
  fulfillmentId: string;
  reservationId: string;
  historyId: string;
  /** On `delivered`: a public note that notified the customer, and internal ones. */
  publicNote: { id: string; text: string };
  internalNote: { id: string; text: string };
  warehouseNote: { id: string; text: string };
  notificationId: string;
  /** A webhook subscription (paused, to a local address nobody listens on). */
  subscriptionId: string;
}

/**
 * Everything over HTTP as staff would do it, so that every table the customer routes read from
 * holds rows of A's orders: reservations, a fulfillment, public and internal notes, history.
 */
export async function buildWorld(overrides: Record<string, string> = {}): Promise<World> {
  const app = await createTestApp({
    WEBHOOK_SECRET_KEY: '5a1c3e7092b4d6f8a1c3e5072b4d6f8091a2b3c4d5e6f707f3c1e9a5b2d4f608',
    WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
    ...overrides,
  });
  const [admin, support, support2, warehouse, warehouse2, customerA, customerB] = await Promise.all([
    createUser(app, UserRole.ADMIN),
    createUser(app, UserRole.SUPPORT),
    createUser(app, UserRole.SUPPORT),
    createUser(app, UserRole.WAREHOUSE),
    createUser(app, UserRole.WAREHOUSE),
    createUser(app, UserRole.CUSTOMER, { fullName: 'Alice Customer' }),
    createUser(app, UserRole.CUSTOMER, { fullName: 'Bob Customer' }),
  ]);
  const location = await createLocation(app, uniqueCode('SEC'));
  const { variant } = await createVariantWithStock(app, 1000, location);

  const post = async (path: string, user: TestUser, body: object, status: number) => {
    const res = await http(app).post(`${API}${path}`).set(user.auth).send(body);
    if (res.status !== status) throw new Error(`POST ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const placeOrder = async (customer: TestUser) => {
    const order = await post(
      '/orders',
      support,
      {
        customerId: customer.user.id,
        currency: 'EUR',
        items: [{ variantId: variant.id, quantity: 2, unitPrice: '10.00' }],
        shippingAddress: ADDRESS,
      },
      201,
    );
    return { id: order.id as string, orderNumber: order.orderNumber as string, itemId: order.items[0].id };
  };

  const delivered = await placeOrder(customerA);
  const pendingA = await placeOrder(customerA);
  const orderB = await placeOrder(customerB);

  await post(`/orders/${delivered.id}/confirm`, support, {}, 200);
  await post(
    `/orders/${delivered.id}/payments`,
    support,
    { outcome: 'received', amount: '20.00', reference: uniqueCode('PSP') },
    200,
  );
  const fulfillment = await post(
    `/orders/${delivered.id}/fulfillments`,
    warehouse,
    { warehouseLocation: location.code, items: { [delivered.itemId]: 2 }, assignedToId: warehouse.user.id },
    201,
  );
  for (const status of ['picking', 'packing', 'ready_to_ship', 'shipped']) {
    await post(`/fulfillments/${fulfillment.id}/status`, warehouse, { status }, 200);
  }
  await post(`/orders/${delivered.id}/deliver`, warehouse, {}, 200);

  const publicText = `Public note ${randomUUID()}: your parcel is on its way`;
  const internalText = `INTERNAL-SECRET ${randomUUID()}: customer is on the fraud watch list`;
  const warehouseText = `WAREHOUSE-INTERNAL ${randomUUID()}: box damaged, repacked`;
  const publicNote = await post(
    `/orders/${delivered.id}/notes`,
    support,
    { note: publicText, isInternal: false, notifyCustomer: true },
    201,
  );
  const internalNote = await post(`/orders/${delivered.id}/notes`, support, { note: internalText }, 201);
  const warehouseNote = await post(`/orders/${delivered.id}/notes`, warehouse, { note: warehouseText }, 201);

  const [reservation] = await sql<{ id: string }>(
    app,
    'select id from inventory_reservations where order_id = ? limit 1',
    [delivered.id],
  );
  const [history] = await sql<{ id: string }>(
    app,
    'select id from order_history where order_id = ? order by sequence limit 1',
    [delivered.id],
  );
  const [notification] = await sql<{ id: string }>(
    app,
    'select id from customer_notifications where order_id = ? limit 1',
    [delivered.id],
  );
  const subscription = await http(app)
    .post('/api/v1/webhook-subscriptions')
    .set(admin.auth)
    .send({ url: 'http://127.0.0.1:9/oms-events', secret: 's'.repeat(32), events: ['*'] })
    .expect(201);
  // Paused: the webhook tests' dispatcher runs are global over the shared test database, and an
  // active subscription to every event would queue a delivery for each event of every test file.
  await http(app)
    .patch(`/api/v1/webhook-subscriptions/${subscription.body.id}`)
    .set(admin.auth)
    .send({ isActive: false })
    .expect(200);
  return {
    app,
    admin,
    support,
    support2,
    warehouse,
    warehouse2,
    customerA,
    customerB,
    variantId: variant.id,
    locationId: location.id,
    delivered,
    pendingA,
    orderB: { id: orderB.id, orderNumber: orderB.orderNumber },
    fulfillmentId: fulfillment.id,
    reservationId: reservation.id,
    historyId: history.id,
    publicNote: { id: publicNote.id, text: publicText },
    internalNote: { id: internalNote.id, text: internalText },
    warehouseNote: { id: warehouseNote.id, text: warehouseText },
    notificationId: notification.id,
    subscriptionId: subscription.body.id,
  };
}

/** Real ids for the path parameters of `path` (the object of the path's first segment for `{id}`). */
export function idsFor(world: World, path: string): Record<string, string> {
  const resource = path.replace(/^\/api\/v1\//, '').split('/')[0];
  const byResource: Record<string, string> = {
    orders: world.delivered.id,
    users: world.customerA.user.id,
    variants: world.variantId,
    'stock-locations': world.locationId,
    notes: world.internalNote.id,
    notifications: world.notificationId,
    fulfillments: world.fulfillmentId,
    reservations: world.reservationId,
    history: world.historyId,
    me: world.delivered.id,
    'webhook-subscriptions': world.subscriptionId,
  };
  return {
    id: byResource[resource] ?? randomUUID(),
    orderId: world.delivered.id,
    variantId: world.variantId,
    locationId: world.locationId,
  };
}

export function fillPath(path: string, ids: Record<string, string>): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => ids[name] ?? randomUUID());
}

/** Every key anywhere in a JSON value (objects inside arrays included). */
export function keysDeep(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => keysDeep(v, into));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      into.add(k);
      keysDeep(v, into);
    }
  }
  return into;
}
