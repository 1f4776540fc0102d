import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestApp, createUser, http, TestApp } from '../utils/app';
import { createVariantWithStock } from '../utils/factories';
import { placeOrder } from '../utils/orders';
import { UserRole } from '../../src/identity/user-role.enum';
import { OpenApiDocument, OpenApiOperation, operationsOf, resolve, rolesOf } from './security-world';

const STORED = join(__dirname, '..', '..', 'docs', 'openapi.json');

/** JSON paths where two values differ (at most `limit` of them). */
function differences(a: unknown, b: unknown, path = '$', out: string[] = [], limit = 20): string[] {
  if (out.length >= limit) return out;
  if (a === b) return out;
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) {
      differences(
        (a as Record<string, unknown>)[key],
        (b as Record<string, unknown>)[key],
        `${path}.${key}`,
        out,
        limit,
      );
    }
    return out;
  }
  out.push(path);
  return out;
}

type Schema = Record<string, unknown>;

/** Request body properties (through $ref, nested objects and array items) that carry no example. */
function propertiesWithoutExample(
  document: OpenApiDocument,
  schema: Schema,
  place: string,
  out: string[],
  depth = 0,
) {
  if (depth > 6) return;
  const s = resolve(document, schema);
  for (const [name, raw] of Object.entries((s.properties as Record<string, Schema>) ?? {})) {
    const property = raw as Schema;
    const target = resolve(document, property);
    const items =
      target.type === 'array' && target.items ? resolve(document, target.items as Schema) : undefined;
    const nested = target.properties ? target : items?.properties ? items : undefined;
    if (nested) {
      propertiesWithoutExample(document, nested, `${place}.${name}`, out, depth + 1);
    } else if (
      property.example === undefined &&
      target.example === undefined &&
      items?.example === undefined
    ) {
      out.push(`${place}.${name}`);
    }
  }
}

/**
 * The OpenAPI document: docs/openapi.json is what the app serves (regenerate with `npm run openapi`),
 * and every operation says what it does and who may call it (summary), what goes wrong (its 4xx
 * answers, problem+json), and shows example request bodies. Spectral's OWASP lint runs in CI
 * (`npm run lint:openapi`, .spectral.yaml).
 */
describe('OpenAPI document quality', () => {
  let app: TestApp;
  let document: OpenApiDocument;

  beforeAll(async () => {
    app = await createTestApp();
    document = (await http(app).get('/docs-json').expect(200)).body;
  });

  afterAll(async () => {
    await app.close();
  });

  it('docs/openapi.json is up to date with the code (else: npm run openapi, and commit it)', () => {
    const stored = JSON.parse(readFileSync(STORED, 'utf8'));
    expect(differences(document, stored)).toEqual([]);
  });

  it('every operation has a summary that ends with who may call it, matching its @Roles', () => {
    const offenders: string[] = [];
    for (const op of operationsOf(document)) {
      const summary = op.operation.summary ?? '';
      const stated = /\((?:roles: ([^)]+)|(public)[^)]*)\)$/.exec(summary);
      if (!stated) {
        offenders.push(
          `${op.key}: summary does not end with "(roles: …)" or "(public…)": ${summary || '(none)'}`,
        );
        continue;
      }
      const guard = rolesOf(op.operation);
      if (stated[2]) {
        if (guard !== 'public')
          offenders.push(`${op.key}: says public, guard wants ${JSON.stringify(guard)}`);
        continue;
      }
      // "admin, support, warehouse — warehouse: internal notes only": the roles come before the dash.
      const roles = stated[1]
        .split(' — ')[0]
        .split(',')
        .map((r) => r.trim());
      if (guard === 'any') {
        if (roles.join() !== 'any authenticated user')
          offenders.push(`${op.key}: any user may call it, summary says ${stated[1]}`);
      } else if (guard === 'public') {
        offenders.push(`${op.key}: public, summary says roles ${stated[1]}`);
      } else {
        // "author, admin": the guard admits the staff, the service narrows it to the note's author.
        const named = roles.filter((r) => r !== 'author');
        const extra = named.filter((r) => !guard.includes(r as never));
        const missing = roles.includes('author') ? [] : guard.filter((r) => !named.includes(r));
        if (extra.length || missing.length)
          offenders.push(`${op.key}: summary roles ${stated[1]} ≠ @Roles ${guard.join(', ')}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('every operation documents its error answers as problem+json', () => {
    const offenders: string[] = [];
    for (const op of operationsOf(document)) {
      const o: OpenApiOperation = op.operation;
      const statuses = Object.keys(o.responses);
      const want = (status: string, why: string) => {
        if (!statuses.includes(status)) offenders.push(`${op.key}: no ${status} (${why})`);
      };
      if (
        !statuses.some((s) => s.startsWith('4')) &&
        !op.path.startsWith('/health') &&
        op.path !== '/metrics'
      )
        offenders.push(`${op.key}: no 4xx at all`);
      const isProtected = rolesOf(o) !== 'public';
      if (isProtected) {
        want('401', 'protected');
        want('403', 'protected');
      }
      if (!op.path.startsWith('/health') && op.path !== '/metrics') want('429', 'rate limited');
      const params = o.parameters ?? [];
      if (params.some((p) => p.in === 'path')) {
        want('400', 'path id validated');
        want('404', 'path id looked up');
      }
      if (params.some((p) => p.in === 'query') || o.requestBody) want('400', 'input validated');
      if (params.some((p) => p.name === 'Idempotency-Key')) want('422', 'Idempotency-Key');
      if (o.requestBody) {
        want('413', 'body size');
        want('415', 'JSON only');
      }
      want('500', 'anything may fail');
      for (const [status, response] of Object.entries(o.responses)) {
        const content = (response as { content?: Record<string, unknown> }).content ?? {};
        if (/^[45]/.test(status) && !('application/problem+json' in content))
          offenders.push(`${op.key}: ${status} is not documented as application/problem+json`);
        if (/^2/.test(status) && status !== '204' && Object.keys(content).length === 0)
          offenders.push(`${op.key}: ${status} has no content schema`);
      }
      const tooMany = o.responses['429'] as { headers?: Record<string, unknown> } | undefined;
      if (tooMany && !tooMany.headers?.['Retry-After']) offenders.push(`${op.key}: 429 without Retry-After`);
    }
    expect(offenders).toEqual([]);
  });

  it('no parameter carries an example Swagger UI would fill in and send', () => {
    // Swagger UI prefills a parameter from its example (or its schema's) and sends it on Execute: a
    // fixed Idempotency-Key made every second create a 422, example filters emptied every list.
    const offenders: string[] = [];
    for (const op of operationsOf(document)) {
      for (const parameter of op.operation.parameters ?? []) {
        const p = parameter as unknown as {
          name: string;
          example?: unknown;
          examples?: unknown;
          schema?: { example?: unknown; default?: unknown; items?: { example?: unknown } };
        };
        const prefilled = [p.example, p.examples, p.schema?.example, p.schema?.items?.example].some(
          (value) => value !== undefined,
        );
        if (prefilled) offenders.push(`${op.key} ${p.name}`);
        // Page sizes may show their defaults: sent as they are, they filter nothing out.
        if (p.schema?.default !== undefined && !['page', 'pageSize', 'limit'].includes(p.name)) {
          offenders.push(`${op.key} ${p.name} default`);
        }
      }
    }
    expect(offenders).toEqual([]);
    const key = document.paths['/api/v1/orders'].post.parameters?.find(
      (p) => p.name === 'Idempotency-Key',
    ) as { description: string } | undefined;
    expect(key?.description).toMatch(/new key for every create/);
  });

  it('each error status has its own schema and examples of its own status, with the members clients rely on', () => {
    const offenders: string[] = [];
    const expected: Record<string, string> = {
      '400': 'ValidationProblem',
      '409': 'ConflictProblem',
      '429': 'RateLimitedProblem',
      '503': 'UnavailableProblem',
    };
    for (const op of operationsOf(document)) {
      for (const [status, response] of Object.entries(op.operation.responses)) {
        if (!/^[45]/.test(status)) continue;
        const media = (
          response as {
            content?: Record<
              string,
              { schema?: { $ref?: string }; examples?: Record<string, { value: Schema }> }
            >;
          }
        ).content?.['application/problem+json'];
        const schemaName = media?.schema?.$ref?.split('/').pop();
        if (schemaName !== (expected[status] ?? 'ProblemResponse')) {
          offenders.push(`${op.key} ${status}: schema ${schemaName}`);
        }
        const examples = Object.values(media?.examples ?? {});
        if (examples.length === 0) offenders.push(`${op.key} ${status}: no example`);
        for (const { value } of examples) {
          if (String(value.status) !== status)
            offenders.push(`${op.key} ${status}: example of ${value.status}`);
        }
      }
    }
    expect(offenders).toEqual([]);

    const examplesOf = (path: string, method: string, status: string) =>
      (
        document.paths[path][method].responses[status] as {
          content: Record<string, { examples: Record<string, { value: Schema }> }>;
        }
      ).content['application/problem+json'].examples;
    const confirm = examplesOf('/api/v1/orders/{id}/confirm', 'post', '409');
    expect(confirm.INVALID_TRANSITION.value).toMatchObject({
      code: 'INVALID_TRANSITION',
      allowed: expect.any(Array),
      allowedFrom: expect.any(Array),
    });
    expect(confirm.INSUFFICIENT_STOCK.value).toMatchObject({
      code: 'INSUFFICIENT_STOCK',
      shortages: [expect.objectContaining({ requested: expect.any(Number), available: expect.any(Number) })],
    });
    expect(examplesOf('/api/v1/orders', 'get', '401').UNAUTHORIZED.value).toMatchObject({ status: 401 });
    expect(examplesOf('/api/v1/orders', 'post', '422').IDEMPOTENCY_KEY_REUSED.value).toMatchObject({
      status: 422,
    });
    expect(examplesOf('/api/v1/orders', 'get', '429').RATE_LIMITED.value).toMatchObject({ retryAfter: 17 });

    const members = (name: string) => {
      const schema = document.components.schemas[name] as { allOf?: Schema[] };
      return Object.keys((schema.allOf?.[1]?.properties as Schema | undefined) ?? {});
    };
    expect(members('ConflictProblem')).toEqual(
      expect.arrayContaining([
        'from',
        'to',
        'allowed',
        'allowedFrom',
        'shortages',
        'refundable',
        'retryAfter',
      ]),
    );
    expect(members('ValidationProblem')).toEqual(['errors']);
    expect(members('RateLimitedProblem')).toEqual(['retryAfter']);
  });

  it('the order actions that refuse a pending order with INVALID_TRANSITION show that code among their 409 examples', async () => {
    const [admin, customer] = await Promise.all([
      createUser(app, UserRole.ADMIN),
      createUser(app, UserRole.CUSTOMER),
    ]);
    const { variant } = await createVariantWithStock(app, 5);
    const order = await placeOrder(app, admin, customer.user, [{ variant, quantity: 1 }]);
    const bodies: Record<string, object | undefined> = {
      refunds: { amount: '1.00', reason: 'Goodwill' },
      returns: { items: [{ orderItemId: order.items[0].id, quantity: 1, restock: true }] },
      deliver: undefined,
      'return-request': { reason: 'Too small', items: [{ orderItemId: order.items[0].id, quantity: 1 }] },
    };
    for (const [action, body] of Object.entries(bodies)) {
      const res = await http(app).post(`/api/v1/orders/${order.id}/${action}`).set(admin.auth).send(body);
      expect({ action, status: res.status, code: res.body.code }).toEqual({
        action,
        status: 409,
        code: 'INVALID_TRANSITION',
      });
      const documented = (
        document.paths[`/api/v1/orders/{id}/${action}`].post.responses['409'] as {
          content: Record<string, { examples: Record<string, { value: Schema }> }>;
        }
      ).content['application/problem+json'].examples;
      expect({ action, codes: Object.values(documented).map(({ value }) => value.code) }).toEqual({
        action,
        codes: expect.arrayContaining(['INVALID_TRANSITION']),
      });
    }
  });

  it('every request body property has an example', () => {
    const offenders: string[] = [];
    for (const op of operationsOf(document)) {
      const schema = op.operation.requestBody?.content['application/json']?.schema;
      if (schema) propertiesWithoutExample(document, schema, op.key, offenders);
    }
    expect(offenders).toEqual([]);
  });
});
