import { applyDecorators, Type } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiOkResponse,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { MAX_PAGE_SIZE } from './pagination';

export class FieldErrorResponse {
  @ApiProperty({ example: 'quantity' })
  field: string;

  @ApiProperty({ example: 'quantity must not be less than 1' })
  message: string;
}

/** RFC 9457 problem details, as every error is answered. */
export class ProblemResponse {
  @ApiProperty({ example: 'urn:oms:problem:validation-failed' })
  type: string;

  @ApiProperty({ example: 'Bad Request' })
  title: string;

  @ApiProperty({ example: 400 })
  status: number;

  @ApiProperty({ example: 'The request is not valid: quantity must not be less than 1' })
  detail: string;

  @ApiProperty({ example: 'VALIDATION_FAILED' })
  code: string;

  @ApiPropertyOptional({ example: '/api/v1/reservations' })
  instance?: string;

  @ApiPropertyOptional({ example: '0b7c5f4e-9f51-4bb5-b0d6-2f4a3c1d9e11' })
  requestId?: string;

  @ApiPropertyOptional({ type: [FieldErrorResponse] })
  errors?: FieldErrorResponse[];
}

export class PageMetaResponse {
  @ApiProperty({ example: 1 })
  page: number;

  @ApiProperty({ example: 20 })
  pageSize: number;

  @ApiProperty({ example: 57 })
  total: number;

  @ApiProperty({ example: 3 })
  totalPages: number;
}

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input; `errors` names each bad field',
  404: 'Not found (or not yours)',
  409: 'Conflict with the current state',
  413: 'Request body too large',
  422: 'Idempotency-Key reused with a different request',
  503: 'Database unavailable or busy',
};

/** Documents the problem+json answers an operation can give, beyond 401/403/429. */
export function ApiProblems(...statuses: number[]) {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({ status, description: PROBLEM_DESCRIPTIONS[status] ?? 'Error', type: ProblemResponse }),
    ),
  );
}

/** Documents the `{data, meta}` list envelope around `model`. */
export function ApiPageResponse(model: Type<unknown>) {
  return applyDecorators(
    ApiExtraModels(model, PageMetaResponse),
    ApiOkResponse({
      schema: {
        type: 'object',
        required: ['data', 'meta'],
        properties: {
          data: { type: 'array', maxItems: MAX_PAGE_SIZE, items: { $ref: getSchemaPath(model) } },
          meta: { $ref: getSchemaPath(PageMetaResponse) },
        },
      },
    }),
  );
}
