import { randomUUID } from 'node:crypto';
import { TestUser } from '../utils/app';
import { uniqueCode } from '../utils/factories';
import {
  buildWorld,
  fillPath,
  idsFor,
  openApiDocument,
  OpenApiDocument,
  Operation,
  operationsOf,
  request,
  resolve,
  rolesOf,
  World,
} from './security-world';
import { UserRole } from '../../src/identity/user-role.enum';

const ADDRESS = {
  name: 'Alice Customer',
  line1: '1 Private Lane',
  line2: 'Flat 2',
  city: 'Berlin',
  postalCode: '10115',
  region: 'BE',
  country: 'DE',
  phone: '+49 30 1234567',
};

/** A body each operation would take (or refuse only for the state of its object), per operation. */
function validBodies(world: World): Record<string, () => Record<string, unknown>> {
  const item = world.pendingA.itemId;
  return {
    'POST /auth/login': () => ({ email: world.admin.user.email, password: world.admin.password }),
    'POST /users': () => ({
      email: `sweep-${randomUUID()}@test.local`,
      password: 'sweep-password-123',
      fullName: 'Sweep User',
      role: 'support',
    }),
    'PATCH /users/{}': () => ({ fullName: 'Alice Customer', password: 'another-password-123' }),
    'POST /variants': () => ({ sku: uniqueCode('SWEEP'), name: 'Sweep variant' }),
    'POST /stock-locations': () => ({ code: uniqueCode('SW'), name: 'Sweep location' }),
    'PATCH /stock-locations/{}': () => ({ name: 'Sweep location', isActive: true }),
    'PUT /stock-levels/{}/{}': () => ({ quantityOnHand: 1000 }),
    'POST /stock-levels/{}/{}/adjust': () => ({ delta: 1 }),
    'POST /orders': () => ({
      customerId: world.customerA.user.id,
      currency: 'EUR',
      items: [{ variantId: world.variantId, quantity: 1, unitPrice: '1.00' }],
      shippingAddress: ADDRESS,
    }),
    'POST /orders/{}/notes': () => ({ note: 'Sweep', isInternal: true, notifyCustomer: false }),
    'PATCH /notes/{}': () => ({ note: 'Sweep', isInternal: true, notifyCustomer: false }),
    'POST /reservations': () => ({
      orderId: world.pendingA.id,
      orderItemId: item,
      productVariantId: world.variantId,
      stockLocationId: world.locationId,
      quantity: 1,
      expiresAt: '2999-01-01T00:00:00Z',
      notes: 'Sweep',
    }),
    'POST /reservations/{}/fulfil': () => ({ quantity: 1 }),
    'POST /reservations/{}/extend': () => ({ expiresAt: '2999-01-01T00:00:00Z' }),
    'POST /orders/{}/fulfillments': () => ({
      warehouseLocation: 'WH-SWEEP',
      items: { [item]: 1 },
      assignedToId: world.warehouse.user.id,
    }),
    'PATCH /fulfillments/{}': () => ({
      boxSize: 'M',
      weight: '1.250',
      packingMaterials: ['bubble wrap'],
      pickingNotes: 'Sweep',
      packingNotes: 'Sweep',
    }),
    'POST /fulfillments/{}/assign': () => ({ assignedToId: world.warehouse.user.id }),
    'POST /fulfillments/{}/status': () => ({ status: 'picking', notes: 'Sweep' }),
    'PATCH /orders/{}': () => ({
      items: [{ variantId: world.variantId, quantity: 1, unitPrice: '1.00' }],
      shippingAddress: ADDRESS,
    }),
    'POST /orders/{}/confirm': () => ({ items: [{ orderItemId: item, stockLocationId: world.locationId }] }),
    'POST /orders/{}/payments': () => ({ outcome: 'received', amount: '1.00', reference: 'PSP-SWEEP' }),
    'POST /orders/{}/cancel': () => ({ reason: 'Sweep' }),
    'POST /orders/{}/return-request': () => ({
      reason: 'Sweep',
      items: [{ orderItemId: item, quantity: 1 }],
    }),
    'POST /orders/{}/returns': () => ({
      items: [{ orderItemId: item, quantity: 1, restock: true, stockLocationId: world.locationId }],
    }),
    'POST /orders/{}/refunds': () => ({ amount: '1.00', reason: 'Sweep' }),
    'POST /me/orders/{}/return-request': () => ({
      reason: 'Sweep',
      items: [{ orderItemId: item, quantity: 1 }],
    }),
    'POST /webhook-subscriptions': () => ({
      url: 'https://erp.example.com/oms/events',
      secret: 's'.repeat(32),
      events: ['confirmed'],
      description: 'Sweep',
    }),
    'PATCH /webhook-subscriptions/{}': () => ({
      url: 'https://erp.example.com/oms/events',
      secret: 's'.repeat(32),
      events: ['shipped'],
      description: 'Sweep',
      isActive: false,
    }),
  };
}

/** Every path in `body` with a value: `shippingAddress`, `shippingAddress.city`, `items.0.quantity`, … */
function pathsOf(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    // An id-keyed map (fulfillment items) is one value: its keys are data, not fields.
    const isIdMap = !Array.isArray(child) && child !== null && typeof child === 'object' && key === 'items';
    return [path, ...(isIdMap ? [] : pathsOf(child, path))];
  });
}

function withValue(body: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(body);
  const keys = path.split('.');
  let node = copy as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[keys[keys.length - 1]] = value;
  return copy;
}

/** The documented schema of a body field (top-level only), to know whether it takes null. */
function fieldSchema(document: OpenApiDocument, op: Operation, field: string): Record<string, unknown> {
  const body = op.operation.requestBody?.content['application/json'].schema ?? {};
  const properties = (resolve(document, body).properties ?? {}) as Record<string, Record<string, unknown>>;
  return properties[field] ?? {};
}

/**
 * Odd JSON in request bodies (OWASP API8: no input reaches a 500): every field of every operation that
 * takes a body, at every depth, gets null, a lone surrogate, an array, a number, an object and a
 * boolean in place of a valid value. Nothing may answer 5xx; null for a field that does not document
 * `nullable` and a lone surrogate anywhere are a 400 problem+json naming that field by its path.
 */
describe('OWASP API8: odd JSON types and unstorable text in every body field', () => {
  let world: World;
  let document: OpenApiDocument;
  let operations: Operation[];

  beforeAll(async () => {
    world = await buildWorld();
    document = await openApiDocument(world.app);
    operations = operationsOf(document).filter((op) => op.operation.requestBody);
  }, 60_000);

  afterAll(async () => {
    await world.app.close();
  });

  const callerOf = (op: Operation): TestUser => {
    const roles = rolesOf(op.operation);
    if (roles === 'public' || roles === 'any' || roles.includes(UserRole.ADMIN)) return world.admin;
    return roles.includes(UserRole.CUSTOMER) ? world.customerA : world.warehouse;
  };
  const fieldsOf = (res: { body: { errors?: Array<{ field: string }> } }) =>
    (res.body.errors ?? []).map((e) => e.field);

  it('has a valid body for every operation that takes one', () => {
    const bodies = validBodies(world);
    expect(operations.map((op) => op.key).filter((key) => !bodies[key])).toEqual([]);
    expect(operations.length).toBeGreaterThan(20);
  });

  it('answers 400 naming the field, never 5xx, for null, lone surrogates and wrong JSON types', async () => {
    const bodies = validBodies(world);
    const problems: string[] = [];
    let attempts = 0;
    for (const op of operations) {
      const url = fillPath(op.path, idsFor(world, op.path));
      const user = callerOf(op);
      for (const path of pathsOf(bodies[op.key]())) {
        const top = path.split('.')[0];
        const nullable = path === top && fieldSchema(document, op, top).nullable === true;
        const cases: Array<[string, unknown]> = [
          ['null', null],
          ['"\\ud800"', '\ud800'],
          ['"a\\udfffb"', 'a\udfffb'],
          ['[]', []],
          ['12345', 12345],
          ['{}', {}],
          ['true', true],
        ];
        const answers = await Promise.all(
          cases.map(([, value]) =>
            request(world.app, op.method, url)
              .set(user.auth)
              .send(withValue(bodies[op.key](), path, value)),
          ),
        );
        attempts += answers.length;
        answers.forEach((res, i) => {
          const [label] = cases[i];
          const what = `${op.key} ${path}=${label} → ${res.status} ${JSON.stringify(res.body.errors ?? res.body.detail ?? '')}`;
          if (res.status >= 500) problems.push(what);
          else if (label === 'null' && nullable) return;
          else if (label === 'null' || label.includes('\\u')) {
            // An array element's own rules (`IsString({ each: true })`) name the array.
            const element = /^(.+)\.\d+$/.exec(path)?.[1];
            const named = fieldsOf(res).some((field) => field === path || field === element);
            if (res.status !== 400 || !named) problems.push(what);
            else if (res.headers['content-type'] !== 'application/problem+json; charset=utf-8')
              problems.push(`${what}: not problem+json`);
          }
        });
      }
    }
    expect(problems).toEqual([]);
    expect(attempts).toBeGreaterThan(500);
  }, 240_000);
});
