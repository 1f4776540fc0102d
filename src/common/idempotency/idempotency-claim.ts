import type { EntityManager } from '@mikro-orm/postgresql';
import { LockWaitTimeoutException } from '@mikro-orm/core';
import { DomainError } from '../errors';

/** Set on the request by the idempotency interceptor when it carries a valid Idempotency-Key. */
export const IDEMPOTENCY_REQUEST = Symbol('oms:idempotencyRequest');

export interface IdempotencyRequest {
  /** The caller's user id, or `anonymous`: keys are scoped per caller. */
  userId: string;
  key: string;
  method: string;
  path: string;
  /** SHA-256 of method, path and canonical body. */
  fingerprint: string;
  /** The status the creating route answers with (201 unless @HttpCode says otherwise). */
  status: number;
  ttlHours: number;
}

export type ClaimOutcome =
  { kind: 'claimed'; id: string } | { kind: 'replay'; status: number; body: unknown };

export function idempotencyRequestOf(request: object): IdempotencyRequest | undefined {
  return (request as { [IDEMPOTENCY_REQUEST]?: IdempotencyRequest })[IDEMPOTENCY_REQUEST];
}

export function setIdempotencyRequest(request: object, idempotency: IdempotencyRequest): void {
  (request as { [IDEMPOTENCY_REQUEST]?: IdempotencyRequest })[IDEMPOTENCY_REQUEST] = idempotency;
}

interface StoredKey {
  fingerprint: string;
  response_status: number | null;
  response_body: unknown;
}

const PG_LOCK_NOT_AVAILABLE = '55P03';

/**
 * Claims the key as the first statement of the request's own transaction, so the claim commits or
 * rolls back with everything the request does: a request that fails, or whose connection or
 * database dies, leaves nothing behind and its retry runs afresh at once.
 *
 * A concurrent request with the same key blocks on the unique index (user_id, key) until the
 * first one's transaction ends: committed, its row (with the response, stored in the same
 * transaction) is replayed; rolled back, the insert goes through and this request runs. Two
 * requests can never both create. An expired row, or one without a response (left by a version
 * that committed the claim on its own), is taken over.
 */
export async function claimIdempotencyKey(em: EntityManager, req: IdempotencyRequest): Promise<ClaimOutcome> {
  for (;;) {
    const claimed = await insertClaim(em, req);
    if (claimed) return { kind: 'claimed', id: claimed };
    // The conflicting row is committed, live and has its response (otherwise it was taken over).
    const [stored] = await em.execute<StoredKey[]>(
      'select fingerprint, response_status, response_body from idempotency_keys where user_id = ? and key = ?',
      [req.userId, req.key],
    );
    if (!stored) continue; // purged in between: claim again
    if (stored.fingerprint !== req.fingerprint) {
      throw new DomainError(
        422,
        'IDEMPOTENCY_KEY_REUSED',
        'This Idempotency-Key was already used with a different request',
      );
    }
    return { kind: 'replay', status: stored.response_status!, body: stored.response_body };
  }
}

async function insertClaim(em: EntityManager, req: IdempotencyRequest): Promise<string | undefined> {
  try {
    const rows = await em.execute<{ id: string }[]>(
      `insert into idempotency_keys as k (id, user_id, key, method, path, fingerprint, expires_at)
       values (gen_random_uuid(), ?, ?, ?, ?, ?, now() + make_interval(hours => ?))
       on conflict (user_id, key) do update
         set method = excluded.method, path = excluded.path, fingerprint = excluded.fingerprint,
             response_status = null, response_body = null, created_at = now(),
             expires_at = excluded.expires_at
         where k.expires_at < now() or k.response_status is null
       returning k.id`,
      [req.userId, req.key, req.method, req.path, req.fingerprint, req.ttlHours],
    );
    return rows[0]?.id;
  } catch (error) {
    // The first request is still running after the lock timeout (DB_LOCK_TIMEOUT_MS).
    const code = (error as { code?: string }).code;
    if (error instanceof LockWaitTimeoutException || code === PG_LOCK_NOT_AVAILABLE) {
      throw new DomainError(
        409,
        'IDEMPOTENCY_KEY_IN_USE',
        'A request with this Idempotency-Key is still running',
        { retryAfter: 1 },
      );
    }
    throw error;
  }
}

/**
 * Stores the first response of a claimed key, in the request's transaction: the response is kept
 * exactly when the resource it describes is committed.
 */
export async function storeIdempotentResponse(
  em: EntityManager,
  id: string,
  status: number,
  body: unknown,
): Promise<void> {
  await em.execute('update idempotency_keys set response_status = ?, response_body = ? where id = ?', [
    status,
    JSON.stringify(body ?? null),
    id,
  ]);
}
