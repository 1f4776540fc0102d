/**
 * The problem+json answers of the OpenAPI document, per status: each status gets a schema naming
 * the members its problems carry beyond the RFC 9457 ones (`errors`, `allowed`, `shortages`,
 * `refundable`, `retryAfter`, …; see src/common/errors.ts and the services that throw them) and
 * examples of what OMS really answers. Applied by openapi-conventions.ts.
 */

type Json = Record<string, unknown>;

const UUID_EXAMPLE = '3f1c2b7e-8d7a-4c59-9a43-0b6f5d2e8c11';
const REQUEST_ID = '0b7c5f4e-9f51-4bb5-b0d6-2f4a3c1d9e11';
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const string = (description: string, example?: string): Json => ({
  type: 'string',
  description,
  ...(example === undefined ? {} : { example }),
});
const strings = (description: string): Json => ({ type: 'array', description, items: { type: 'string' } });
const money = (description: string): Json => ({
  type: 'string',
  pattern: '^-?\\d+\\.\\d{2}$',
  description,
  example: '12.50',
});
const count = (description: string): Json => ({ type: 'integer', format: 'int32', description });

const extension = (base: string, extra: Json): Json => ({ allOf: [ref(base), { type: 'object', ...extra }] });

/** Component schemas added beside ProblemResponse (the members every problem has). */
export const PROBLEM_SCHEMAS: Record<string, Json> = {
  StockShortageResponse: {
    type: 'object',
    required: ['productVariantId', 'requested', 'available'],
    properties: {
      productVariantId: { type: 'string', format: 'uuid' },
      stockLocationId: { type: 'string', format: 'uuid' },
      orderItemId: { type: 'string', format: 'uuid' },
      sku: { type: 'string', example: 'TSHIRT-BLK-M' },
      requested: count('Units asked for'),
      available: count('Units that could be had (on hand − reserved)'),
    },
  },
  ValidationProblem: extension('ProblemResponse', {
    description: '400 VALIDATION_FAILED: `errors` names each bad field (body, query, path or header).',
    required: ['errors'],
    properties: { errors: { type: 'array', items: ref('FieldErrorResponse') } },
  }),
  ConflictProblem: extension('ProblemResponse', {
    description:
      '409: the request conflicts with the current state. `code` says which kind, and the members beside ' +
      'the standard ones say why:\n' +
      '- `INVALID_TRANSITION`: `from` (current status), `to` or `action` (what was asked), `allowed` ' +
      '(statuses or actions allowed now), `allowedFrom` (statuses the action is allowed in);\n' +
      '- `INSUFFICIENT_STOCK`: `shortages`, one per line that cannot be covered;\n' +
      '- `IDEMPOTENCY_KEY_IN_USE`: a request with the same key is still running; retry after `retryAfter` s;\n' +
      '- `CONFLICT`: a duplicate unique value (`constraint`, `email`), money that does not add up ' +
      '(`amountPaid`, `amountRefunded`, `refundable`, `outstanding`, `totalAmount`), a state that forbids the ' +
      'change (`orderStatus`, `fulfillmentStatus`, `currentStatus`, `releaseReason`), quantities that do not fit ' +
      '(`shortfalls`, `items`, `quantityOnHand`, `quantityReserved`, `unreserved`, `requested`; shipping from a ' +
      'location where the units are not held: `stockLocationCode` and per item where they are held), or rows still ' +
      'in use (`activeReservations`, `orderItemIds`, `shippedQuantities`). Further members may be added.',
    properties: {
      from: string('INVALID_TRANSITION: the current status', 'pending'),
      to: string('INVALID_TRANSITION: the status asked for', 'shipped'),
      action: string('INVALID_TRANSITION on an order action: the action asked for', 'refund'),
      allowed: strings('INVALID_TRANSITION: what is allowed from the current status (statuses or actions)'),
      allowedFrom: strings('INVALID_TRANSITION on an order action: the statuses the action is allowed in'),
      shortages: {
        type: 'array',
        description: 'INSUFFICIENT_STOCK: the lines that cannot be covered',
        items: ref('StockShortageResponse'),
      },
      retryAfter: count('IDEMPOTENCY_KEY_IN_USE: seconds to wait before retrying'),
      constraint: string('CONFLICT on a unique value: the constraint violated'),
      orderStatus: string('CONFLICT: the order status that forbids the change', 'shipped'),
      fulfillmentStatus: string('CONFLICT: the fulfillment status that forbids the change'),
      currentStatus: string('CONFLICT: the current status of the resource'),
      amountPaid: money('CONFLICT on money: what was paid'),
      amountRefunded: money('CONFLICT on a refund: what was refunded already'),
      refundable: money('CONFLICT on a refund: what can still be refunded'),
      outstanding: { description: 'CONFLICT: what is still open (money, or units of a reservation)' },
      totalAmount: money("CONFLICT on a payment: the order's total"),
      shortfalls: { type: 'array', description: 'CONFLICT: quantities above what is still open', items: {} },
      items: { type: 'array', description: 'CONFLICT: the lines concerned', items: {} },
      stockLocationCode: string(
        'CONFLICT on shipping: the location the parcel ships from, where the units are not held',
        'WH-A',
      ),
      requested: count('CONFLICT on quantities: the units asked for'),
      currentExpiresAt: {
        type: 'string',
        format: 'date-time',
        nullable: true,
        description: 'CONFLICT on extending a reservation: when it expires now (null: never)',
      },
    },
  }),
  RateLimitedProblem: extension('ProblemResponse', {
    description:
      '429 RATE_LIMITED: the budget of this caller is used up; `Retry-After` says when to come back.',
    required: ['retryAfter'],
    properties: { retryAfter: count('Seconds to wait, as in the Retry-After header') },
  }),
  UnavailableProblem: extension('ProblemResponse', {
    description:
      '503, with `Retry-After`: `SERVICE_UNAVAILABLE` (the database cannot be reached or the connection was ' +
      'lost), `LOCK_TIMEOUT` (a row stayed locked by another request), `DATABASE_TIMEOUT` (a statement ran too ' +
      'long), `RATE_LIMITER_UNAVAILABLE` (Redis down). Nothing was written, except when the connection was lost ' +
      'while committing: then the request may have taken effect. Retry a create with the same ' +
      'Idempotency-Key, or read the resource back (docs/operations.md §8).',
    properties: {
      retryAfter: count('Seconds to wait, where the problem names it'),
      checks: { type: 'object', description: 'GET /health/ready: the state of each dependency' },
    },
  }),
};

/** The schema of each status; statuses not listed use ProblemResponse. */
const SCHEMA_BY_STATUS: Record<string, string> = {
  '400': 'ValidationProblem',
  '409': 'ConflictProblem',
  '429': 'RateLimitedProblem',
  '503': 'UnavailableProblem',
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

interface ExampleContext {
  /** The operation's path with its parameters filled in. */
  instance: string;
  path: string;
  method: string;
  idempotent: boolean;
  /** Its only 409 is IDEMPOTENCY_KEY_IN_USE. */
  keyInUseOnly?: boolean;
}

function example(
  status: number,
  code: string,
  detail: string,
  context: ExampleContext,
  extra: Json = {},
): Json {
  return {
    value: {
      type: `urn:oms:problem:${code.toLowerCase().replace(/_/g, '-')}`,
      title: TITLES[status],
      status,
      detail,
      code,
      ...extra,
      instance: context.instance,
      requestId: REQUEST_ID,
    },
  };
}

const keyInUse = (c: ExampleContext) =>
  example(409, 'IDEMPOTENCY_KEY_IN_USE', 'A request with this Idempotency-Key is still running', c, {
    retryAfter: 1,
  });

/** Operations that move an order, a fulfillment or a reservation from one status to another. */
const TRANSITIONS =
  /\/(confirm|cancel|ship|deliver|returns?|refunds?|payments|status|release|fulfil|extend)\b|\/\{[^}]+\}$/;
/** Operations that take stock. */
const TAKES_STOCK = /\/(confirm|reservations|fulfillments|ship|stock-levels)\b/;

function examplesFor(status: number, context: ExampleContext): Record<string, Json> {
  const c = context;
  switch (status) {
    case 400:
      return {
        VALIDATION_FAILED: example(
          400,
          'VALIDATION_FAILED',
          'The request is not valid: quantity must not be less than 1',
          c,
          {
            errors: [{ field: 'quantity', message: 'quantity must not be less than 1' }],
          },
        ),
      };
    case 401:
      return c.path.endsWith('/auth/login')
        ? { INVALID_CREDENTIALS: example(401, 'INVALID_CREDENTIALS', 'Email or password is wrong', c) }
        : { UNAUTHORIZED: example(401, 'UNAUTHORIZED', 'Missing or invalid bearer token', c) };
    case 403:
      return { FORBIDDEN: example(403, 'FORBIDDEN', 'You are not allowed to do this', c) };
    case 404:
      return { NOT_FOUND: example(404, 'NOT_FOUND', `Order ${UUID_EXAMPLE} was not found`, c) };
    case 409: {
      const examples: Record<string, Json> = {};
      if (c.keyInUseOnly) return { IDEMPOTENCY_KEY_IN_USE: keyInUse(c) };
      if (c.method !== 'post' || TRANSITIONS.test(c.path)) {
        examples.INVALID_TRANSITION = example(
          409,
          'INVALID_TRANSITION',
          'Order ORD-2026-0001 is shipped: cancel is not allowed; allowed actions: deliver',
          c,
          { from: 'shipped', action: 'cancel', allowed: ['deliver'], allowedFrom: ['pending', 'confirmed'] },
        );
      }
      if (TAKES_STOCK.test(c.path)) {
        examples.INSUFFICIENT_STOCK = example(409, 'INSUFFICIENT_STOCK', 'Not enough stock for 1 item', c, {
          shortages: [{ productVariantId: UUID_EXAMPLE, sku: 'TSHIRT-BLK-M', requested: 3, available: 1 }],
        });
      }
      if (/\/refunds?\b/.test(c.path)) {
        examples.REFUND_TOO_LARGE = example(
          409,
          'CONFLICT',
          'A refund of 50.00 exceeds what can be refunded: 39.98 paid, 0.00 refunded already',
          c,
          { amountPaid: '39.98', amountRefunded: '0.00', refundable: '39.98' },
        );
      }
      examples.CONFLICT = example(
        409,
        'CONFLICT',
        'The resource was changed by someone else; reload it and try again',
        c,
      );
      if (c.idempotent) examples.IDEMPOTENCY_KEY_IN_USE = keyInUse(c);
      return examples;
    }
    case 413:
      return { PAYLOAD_TOO_LARGE: example(413, 'PAYLOAD_TOO_LARGE', 'The request body is too large', c) };
    case 415:
      return {
        UNSUPPORTED_MEDIA_TYPE: example(
          415,
          'UNSUPPORTED_MEDIA_TYPE',
          'Unsupported content type; send application/json',
          c,
        ),
      };
    case 422:
      return {
        IDEMPOTENCY_KEY_REUSED: example(
          422,
          'IDEMPOTENCY_KEY_REUSED',
          'This Idempotency-Key was already used with a different request',
          c,
        ),
      };
    case 429:
      return {
        RATE_LIMITED: example(429, 'RATE_LIMITED', 'Too many requests; retry after 17 s', c, {
          retryAfter: 17,
        }),
      };
    case 500:
      return { INTERNAL_ERROR: example(500, 'INTERNAL_ERROR', 'An unexpected error occurred', c) };
    case 503:
      return {
        SERVICE_UNAVAILABLE: example(
          503,
          'SERVICE_UNAVAILABLE',
          'The database is unavailable; try again shortly',
          c,
        ),
        LOCK_TIMEOUT: example(503, 'LOCK_TIMEOUT', 'The resource is busy; try again shortly', c),
        DATABASE_TIMEOUT: example(
          503,
          'DATABASE_TIMEOUT',
          'The database took too long to answer; try again shortly',
          c,
        ),
      };
    default:
      return {};
  }
}

/** The media object of a problem answer of `status` for the operation of `context`. */
export function problemMedia(status: string, context: ExampleContext): Json {
  const examples = examplesFor(Number(status), context);
  return {
    schema: ref(SCHEMA_BY_STATUS[status] ?? 'ProblemResponse'),
    ...(Object.keys(examples).length ? { examples } : {}),
  };
}
