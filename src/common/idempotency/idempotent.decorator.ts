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
        'Repeat a create safely: the same key and body return the first response; the same key with another body is a 422',
      schema: { type: 'string', maxLength: 255, example: '5f0c6a3e-3b1e-4f55-9d8a-1d2c3b4a5e6f' },
    }),
    ApiResponse({
      status: 422,
      description: 'Idempotency-Key reused with a different request',
      type: ProblemResponse,
    }),
  );
}
