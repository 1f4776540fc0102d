import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiHeader, ApiResponse } from '@nestjs/swagger';
import { ProblemResponse } from '../openapi';

export const IDEMPOTENT_KEY = 'oms:idempotent';

/** A creating POST that honours the Idempotency-Key header (docs/api-conventions.md, "Idempotency"). */
export function Idempotent() {
  return applyDecorators(
    SetMetadata(IDEMPOTENT_KEY, true),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description:
        'Makes retrying this create safe. Pick a **new key for every create you intend** (a fresh UUID, e.g. ' +
        '`crypto.randomUUID()` or `uuidgen`) and send the same key again **only to retry that same create** ' +
        '(after a timeout or a 503): the retry returns the first response (`Idempotent-Replayed: true`) and ' +
        'creates nothing new, or creates it if the first attempt did not commit. The same key with a different ' +
        'body is a 422 for 24 h (IDEMPOTENCY_TTL_HOURS). Keys are per user, 1 to 255 visible ASCII characters. ' +
        'In Swagger UI leave it empty, or paste a new UUID each time.',
      schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' },
    }),
    ApiResponse({
      status: 422,
      description: 'Idempotency-Key reused with a different request',
      type: ProblemResponse,
    }),
  );
}
