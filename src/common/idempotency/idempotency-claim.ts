import type { EntityManager } from '@mikro-orm/postgresql';

/** Set on the request by the idempotency interceptor when it claimed the Idempotency-Key. */
export const IDEMPOTENCY_CLAIM = Symbol('oms:idempotencyClaim');

export interface IdempotencyClaim {
  id: string;
  /** The status the creating route answers with (201 unless @HttpCode says otherwise). */
  status: number;
}

export function claimOf(request: object): IdempotencyClaim | undefined {
  return (request as { [IDEMPOTENCY_CLAIM]?: IdempotencyClaim })[IDEMPOTENCY_CLAIM];
}

export function setClaim(request: object, claim: IdempotencyClaim): void {
  (request as { [IDEMPOTENCY_CLAIM]?: IdempotencyClaim })[IDEMPOTENCY_CLAIM] = claim;
}

/**
 * Stores the first response of a claimed key. Called inside the request's transaction, so the
 * response is kept exactly when the resource it describes is committed.
 */
export async function storeIdempotentResponse(em: EntityManager, claim: IdempotencyClaim, body: unknown) {
  await em.execute('update idempotency_keys set response_status = ?, response_body = ? where id = ?', [
    claim.status,
    JSON.stringify(body ?? null),
    claim.id,
  ]);
}
