import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, MaxLength } from 'class-validator';
import { Optional } from './field-decorators';
import { MAX_TIMESTAMP_LENGTH } from './validation';

export interface InstantQueryOptions {
  description: string;
  example?: string;
  /** Require the `T` between date and time (no space). */
  strictSeparator?: boolean;
}

/**
 * An optional ISO-8601 instant of a query (`from`, `to`, `createdFrom`, …): documented as a bounded
 * date-time, validated strictly; parse it with `parseInstant`.
 */
export function OptionalInstant(options: InstantQueryOptions): PropertyDecorator {
  const { strictSeparator, ...doc } = options;
  // Applied in the order stacked decorators would be (bottom first), so messages keep their order.
  return applyDecorators(
    MaxLength(MAX_TIMESTAMP_LENGTH),
    IsISO8601(strictSeparator ? { strict: true, strictSeparator: true } : { strict: true }),
    Optional(),
    ApiPropertyOptional({ format: 'date-time', maxLength: MAX_TIMESTAMP_LENGTH, ...doc }),
  );
}
