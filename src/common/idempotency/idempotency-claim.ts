import { LockWaitTimeoutException } from '@mikro-orm/core';
import { DomainError } from '../errors';
import type { IdempotencyKeysRepository } from './idempotency-keys.repository';

/** A request's valid Idempotency-Key and fingerprint (IdempotencyRequests). */
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

const PG_LOCK_NOT_AVAILABLE = '55P03';
/**
 * A row without a response is committed only by versions that committed the claim on its own,
 * before running the request (a rolling deploy may still run one): such a claim is its request's
 * for longer than any request can run, then it belongs to a process that died and is taken over.
 */
const LEGACY_CLAIM_ABANDONED_AFTER_SECONDS = 120;

const keyInUse = () =>
  new DomainError(409, 'IDEMPOTENCY_KEY_IN_USE', 'A request with this Idempotency-Key is still running', {
    retryAfter: 1,
  });

/**
 * Claims the key as the first statement of the request's own transaction, so the claim commits or
 * rolls back with everything the request does: a request that fails, or whose connection or
 * database dies, leaves nothing behind and its retry runs afresh at once.
 *
 * A concurrent request with the same key blocks on the unique index (user_id, key) until the
 * first one's transaction ends: committed, its row (with the response, stored in the same
 * transaction) is replayed; rolled back, the insert goes through and this request runs. Two
 * requests can never both create. An expired row is taken over, and so is an abandoned legacy claim
 * (see LEGACY_CLAIM_ABANDONED_AFTER_SECONDS). Waiting longer than the lock timeout is a 409
 * IDEMPOTENCY_KEY_IN_USE.
 */
export async function claimIdempotencyKey(
  keys: IdempotencyKeysRepository,
  req: IdempotencyRequest,
): Promise<ClaimOutcome> {
  for (;;) {
    const claimed = await insertClaim(keys, req);
    if (claimed) return { kind: 'claimed', id: claimed };
    // The conflicting row is committed and live (otherwise it was taken over).
    const stored = await keys.find(req.userId, req.key);
    if (!stored) continue; // purged in between: claim again
    if (stored.fingerprint !== req.fingerprint) {
      throw new DomainError(
        422,
        'IDEMPOTENCY_KEY_REUSED',
        'This Idempotency-Key was already used with a different request',
      );
    }
    if (stored.response_status === null) throw keyInUse(); // a legacy claim, still running
    return { kind: 'replay', status: stored.response_status, body: stored.response_body };
  }
}

async function insertClaim(
  keys: IdempotencyKeysRepository,
  req: IdempotencyRequest,
): Promise<string | undefined> {
  try {
    return await keys.claim({ ...req, abandonedAfterSeconds: LEGACY_CLAIM_ABANDONED_AFTER_SECONDS });
  } catch (error) {
    // The first request is still running after the lock timeout (DB_LOCK_TIMEOUT_MS).
    const code = (error as { code?: string }).code;
    if (error instanceof LockWaitTimeoutException || code === PG_LOCK_NOT_AVAILABLE) throw keyInUse();
    throw error;
  }
}
