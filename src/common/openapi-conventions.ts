import type { OpenAPIObject } from '@nestjs/swagger';
import { PROBLEM_SCHEMAS, problemMedia } from './openapi-problems';

/**
 * What is true of every operation and is therefore written once here rather than on every route:
 * the rate-limit headers the throttler sends, Retry-After on 429 and 503, the problem+json media type,
 * schema and examples of each error status (openapi-problems.ts), 413/415 on bodies, 500 everywhere
 * and 503 on every API route, UUID bounds, no parameter examples (Swagger UI would send them),
 * explicit "no auth" on public routes,
 * the bearer scheme's token rules and the server's audience. Applied to the generated document
 * (docs/openapi.json, /docs-json); test/security/openapi.e2e-spec.ts checks the result.
 */

type Json = Record<string, unknown>;
interface Response {
  description?: string;
  headers?: Record<string, Json>;
  content?: Record<string, { schema?: Json }>;
}
interface Parameter {
  name: string;
  in: string;
  description?: string;
  example?: unknown;
  examples?: unknown;
  schema?: Json;
}
interface Operation {
  security?: Array<Record<string, string[]>>;
  parameters?: Parameter[];
  requestBody?: unknown;
  responses: Record<string, Response>;
}

const PROBLEM = { $ref: '#/components/schemas/ProblemResponse' };
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
/** Operations endpoints skip the rate limiter (common/throttling.ts NoThrottle). */
const UNTHROTTLED = /^\/(health|metrics)(\/|$)/;
const UUID_LENGTH = 36;
const UUID_EXAMPLE = '3f1c2b7e-8d7a-4c59-9a43-0b6f5d2e8c11';

const counter = (description: string): Json => ({
  description,
  schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 2147483647 },
});

/** Sent by the throttler on every answer of a request it counted (not on 401/403 from the guard). */
const RATE_LIMIT_HEADERS: Record<string, Json> = {
  'X-RateLimit-Limit': counter(
    'Requests allowed per window (THROTTLE_LIMIT per user, or per client address when anonymous). ' +
      'Absent when the request was refused before being counted (401, 403 from the role check). ' +
      'POST /auth/login also sends X-RateLimit-Limit-login, -Remaining-login and -Reset-login for its stricter ' +
      'per address + email budget (LOGIN_THROTTLE_LIMIT per minute).',
  ),
  'X-RateLimit-Remaining': counter('Requests left in the current window'),
  'X-RateLimit-Reset': counter('Seconds until the current window ends'),
};

const RETRY_AFTER: Json = {
  description: 'Seconds to wait before trying again',
  required: true,
  schema: { type: 'integer', format: 'int32', minimum: 1, maximum: 86400 },
};

const GENERIC_PROBLEMS: Record<string, string> = {
  '413': 'Request body larger than BODY_LIMIT_BYTES',
  '415': 'Request body is not application/json',
  '500': 'Unexpected error; the problem details say nothing about internals',
  '503':
    'The database (or Redis, for the rate limiter) is unavailable or busy; retry after Retry-After. A lost ' +
    'connection while committing may still have taken effect: retry a create with the same Idempotency-Key, ' +
    'or read the resource back',
};

const BEARER_DESCRIPTION =
  'An access token from POST /api/v1/auth/login: a JWS signed with HS256, handled as RFC8725 recommends ' +
  '(RFC 8725, JSON Web Token Best Current Practices): the algorithm is pinned to HS256 (alg "none" and every ' +
  'other algorithm are refused, keys offered in the header are ignored), the signature and the expiry (exp, ' +
  'required) are always verified, and the user behind the token must still exist and be active; the role ' +
  'is read from the database, not from the token.';

function problem(description: string): Response {
  return { description, content: { 'application/problem+json': { schema: PROBLEM } } };
}

/**
 * Swagger UI fills a parameter's input with its `example` (or its schema's) and sends it on
 * "Execute": a filter would narrow every list to nothing, a fixed Idempotency-Key would make every
 * second create a 422. So parameters carry no example; one that says something about the format
 * moves into the description. Defaults (page, pageSize) stay: they are what the server uses anyway.
 */
function dropParameterExamples(parameter: Parameter): void {
  const schema = parameter.schema ?? {};
  const items = schema.items as Json | undefined;
  const value = parameter.example ?? schema.example ?? items?.example;
  delete parameter.example;
  delete parameter.examples;
  delete schema.example;
  if (items) delete items.example;
  const shown = Array.isArray(value) ? value.join(',') : value;
  if (
    shown === undefined ||
    shown === UUID_EXAMPLE ||
    shown === schema.default ||
    schema.format === 'uuid' ||
    parameter.in === 'path'
  ) {
    return;
  }
  const hint = `Example: \`${String(shown)}\`.`;
  parameter.description = parameter.description
    ? `${parameter.description.replace(/\.?$/, '.')} ${hint}`
    : hint;
}

/** Bounds UUID strings (a UUID is 36 characters) anywhere in a schema tree, with an example. */
function boundUuids(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(boundUuids);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const schema = node as Json;
  if (schema.type === 'string' && schema.format === 'uuid' && schema.maxLength === undefined) {
    schema.minLength = UUID_LENGTH;
    schema.maxLength = UUID_LENGTH;
  }
  if (schema.type === 'string' && schema.format === 'uuid' && schema.example === undefined) {
    schema.example = UUID_EXAMPLE;
  }
  Object.values(schema).forEach(boundUuids);
}

function applyToOperation(path: string, method: string, operation: Operation): void {
  // Explicitly anonymous: an empty security requirement, not an absent one.
  if (!operation.security?.length) operation.security = [{}];

  // Every path parameter of this API is a UUID (ParseIdPipe on every :id).
  for (const parameter of operation.parameters ?? []) {
    if (parameter.in === 'path' && parameter.schema?.type === 'string' && !parameter.schema.format) {
      parameter.schema.format = 'uuid';
    }
  }

  const idempotent = (operation.parameters ?? []).some(
    (p) => p.in === 'header' && p.name === 'Idempotency-Key',
  );
  const responses = operation.responses;
  const statuses = [
    '500',
    ...(path.startsWith('/api/') ? ['503'] : []),
    ...(operation.requestBody ? ['413', '415'] : []),
  ];
  for (const status of statuses) responses[status] ??= problem(GENERIC_PROBLEMS[status]);
  // A duplicate of a create still running past the lock timeout (idempotency-claim.ts).
  const keyInUseOnly = idempotent && !responses['409'];
  if (keyInUseOnly) responses['409'] = problem('A request with the same Idempotency-Key is still running');

  for (const [status, response] of Object.entries(responses)) {
    // Errors are problem+json whatever the success media type (e.g. @ApiProduces('text/csv')).
    const isProblem = Object.values(response.content ?? {}).some(
      (media) => media.schema?.$ref === PROBLEM.$ref,
    );
    if (/^[45]/.test(status) && isProblem) {
      response.content = {
        'application/problem+json': problemMedia(status, {
          path,
          method,
          instance: path.replace(/\{[^}]+\}/g, UUID_EXAMPLE),
          idempotent,
          keyInUseOnly,
        }),
      };
    }
    if (!response.description) {
      response.description = { '200': 'OK', '201': 'Created', '204': 'No Content' }[status] ?? 'Answer';
    }
    if (status === '429' || status === '503') {
      response.headers = { ...response.headers, 'Retry-After': RETRY_AFTER };
    } else if (/^[24]/.test(status) && !UNTHROTTLED.test(path)) {
      response.headers = { ...response.headers, ...RATE_LIMIT_HEADERS };
    }
  }
}

export function applyOpenApiConventions(document: OpenAPIObject): OpenAPIObject {
  const schemes = document.components?.securitySchemes ?? {};
  for (const scheme of Object.values(schemes) as unknown as Json[]) {
    if (scheme.type === 'http' && scheme.scheme === 'bearer') scheme.description = BEARER_DESCRIPTION;
  }
  document.servers = (document.servers ?? []).map((server) => ({
    ...server,
    description:
      server.description ??
      'This instance (local, staging or production alike: each instance serves the document of itself)',
    // Customers' order pages call the /me routes: the API is not internal-only.
    'x-internal': false,
  }));
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = (item as Record<string, Operation | undefined>)[method];
      if (operation) applyToOperation(path, method, operation);
    }
  }
  // Every tag an operation uses is declared, in order of first use.
  const used = Object.values(document.paths).flatMap((item) =>
    METHODS.flatMap((method) => (item as Record<string, { tags?: string[] }>)[method]?.tags ?? []),
  );
  const declared = new Set((document.tags ?? []).map((tag) => tag.name));
  document.tags = [
    ...(document.tags ?? []),
    ...[...new Set(used)].filter((name) => !declared.has(name)).map((name) => ({ name })),
  ];
  document.components = {
    ...document.components,
    schemas: {
      ...document.components?.schemas,
      ...(structuredClone(PROBLEM_SCHEMAS) as Record<string, never>),
    },
  };
  boundUuids(document.paths);
  boundUuids(document.components?.schemas);
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = (item as Record<string, Operation | undefined>)[method];
      operation?.parameters?.forEach(dropParameterExamples);
    }
  }
  return document;
}
