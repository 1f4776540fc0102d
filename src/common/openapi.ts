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

/**
 * RFC 9457 problem details, as every error is answered: the members every problem has. Each status
 * has its own schema extending this one, with its further members, and its own examples
 * (openapi-problems.ts, applied to the document by openapi-conventions.ts).
 */
@ApiExtraModels(FieldErrorResponse)
export class ProblemResponse {
  @ApiProperty({
    example: 'urn:oms:problem:not-found',
    description: 'urn:oms:problem: followed by the code in lower case with dashes',
  })
  type: string;

  @ApiProperty({ example: 'Not Found', description: "The status's reason phrase" })
  title: string;

  @ApiProperty({ example: 404 })
  status: number;

  @ApiProperty({
    example: 'Order 3f1c2b7e-8d7a-4c59-9a43-0b6f5d2e8c11 was not found',
    description: 'For people; never contains internals',
  })
  detail: string;

  @ApiProperty({
    example: 'NOT_FOUND',
    description: 'For programs: what went wrong (VALIDATION_FAILED, NOT_FOUND, INVALID_TRANSITION, …)',
  })
  code: string;

  @ApiPropertyOptional({ example: '/api/v1/orders/3f1c2b7e-8d7a-4c59-9a43-0b6f5d2e8c11' })
  instance?: string;

  @ApiPropertyOptional({
    example: '0b7c5f4e-9f51-4bb5-b0d6-2f4a3c1d9e11',
    description: 'As in the X-Request-Id header; quote it when reporting a problem',
  })
  requestId?: string;
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
