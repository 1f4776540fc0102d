import { ConnectionException } from '@mikro-orm/core';

/**
 * PostgreSQL SQLSTATEs that mean the session is gone or could not be had: the whole class 08
 * (connection exception), 57P01 admin_shutdown (pg_terminate_backend, a fast shutdown), 57P02
 * crash_shutdown, 57P03 cannot_connect_now (starting up, recovering), 53300 too_many_connections.
 */
const PG_CONNECTION_CLASS = '08';
const PG_CONNECTION_CODES = new Set(['57P01', '57P02', '57P03', '53300']);

/** Node's errno codes for a socket that could not be opened or broke. */
const NODE_CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Errors node-postgres and knex raise without any code. These are the drivers' own fixed texts
 * (node_modules/pg/lib/client.js, node_modules/knex/lib/execution/transaction.js), matched whole
 * (knex puts the SQL in front: "COMMIT; - Client has encountered …"):
 * - a query on a client whose socket broke or was closed;
 * - the socket ending while a query or the connect was under way, or the connect timing out;
 * - a query on a knex transaction that already ended: in a request's transaction that happens when
 *   its connection broke and knex gave up the transaction while other statements were queued.
 */
const DRIVER_CONNECTION_MESSAGES = [
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'Connection terminated unexpectedly',
  'Connection terminated due to connection timeout',
  'Connection terminated',
  'timeout expired',
  'Transaction query already complete, run with DEBUG=knex:tx for more info',
];

/** knex's pool had no connection to give within its acquire timeout (all broken or all busy). */
const KNEX_TIMEOUT = 'KnexTimeoutError';

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
}

function endsWithDriverMessage(message: string): boolean {
  return DRIVER_CONNECTION_MESSAGES.some((text) => message === text || message.endsWith(` - ${text}`));
}

function isConnectionFailureItself(error: ErrorLike): boolean {
  if (error instanceof ConnectionException) return true;
  if (error.name === KNEX_TIMEOUT) return true;
  const code = typeof error.code === 'string' ? error.code : undefined;
  if (code) {
    // Node's codes first: EPIPE looks like a SQLSTATE.
    if (NODE_CONNECTION_CODES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code)) {
      return code.startsWith(PG_CONNECTION_CLASS) || PG_CONNECTION_CODES.has(code);
    }
  }
  return typeof error.message === 'string' && endsWithDriverMessage(error.message);
}

/**
 * Whether `error` (or an error it wraps as `cause`) says the database connection was lost or could
 * not be made: the request did not get its work done through no fault of its own, and may be
 * retried (503). Recognised by the drivers' error classes and codes; see the lists above.
 */
export function isConnectionFailure(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    if (isConnectionFailureItself(current as ErrorLike)) return true;
    current = (current as ErrorLike).cause;
  }
  return false;
}
