import { ArgumentMetadata, Injectable, ValidationError, ValidationPipe } from '@nestjs/common';
import { BadRequestError, FieldError } from './errors';
import { NOT_NULL } from './field-decorators';

/** The longest ISO-8601 instant we accept: `2026-01-31T23:59:59.123456789+05:30` (35 characters). */
export const MAX_TIMESTAMP_LENGTH = 35;

/**
 * Every failed constraint as `{field, message}`, nested fields by their path (`items.0.quantity`).
 * A `null` where none is taken says only that (not also "must be a string", "must be longer…"),
 * and so does a required field that is missing ("is required"; an optional field's constraints
 * are not checked when it is absent, so a failed one on an absent value means a required field).
 * The values themselves are never part of the answer.
 */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const constraints = error.constraints ?? {};
    const missing =
      Object.hasOwn(error, 'value') && error.value === undefined && Object.keys(constraints).length > 0;
    const messages =
      NOT_NULL in constraints
        ? [constraints[NOT_NULL]]
        : missing
          ? ['is required']
          : Object.values(constraints);
    const own = messages.map((message) => ({
      field,
      message: /^property \S+ should not exist$/.test(message) ? 'is not an allowed field' : message,
    }));
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

/** `items.0.quantity must not be less than 1`: the message with its property name replaced by the path. */
function describe(error: FieldError): string {
  const property = error.field.split('.').pop() ?? error.field;
  return error.message.startsWith(`${property} `)
    ? `${error.field}${error.message.slice(property.length)}`
    : `${error.field} ${error.message}`;
}

export function validationFailed(errors: FieldError[]): BadRequestError {
  return new BadRequestError(`The request is not valid: ${errors.map(describe).join('; ')}`, errors);
}

const BODY_MUST_BE_OBJECT = [{ field: 'body', message: 'must be a JSON object' }];

/** Whitelist, refuse unknown fields, transform; a 400 naming every bad field. */
@Injectable()
export class AppValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      transformOptions: { enableImplicitConversion: false },
      // The value only tells a missing field from a wrong one (flattenValidationErrors); it is not answered.
      validationError: { target: false, value: true },
      exceptionFactory: (errors) => validationFailed(flattenValidationErrors(errors)),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // A DTO body must be an object: `[]`, `null`, `"text"` or `42` would otherwise be reported
    // as every field missing (or `0 is not an allowed field`). No body at all stays allowed: a
    // DTO whose fields are all optional accepts it.
    if (
      metadata.type === 'body' &&
      this.toValidate(metadata) &&
      value !== undefined &&
      (value === null || typeof value !== 'object' || Array.isArray(value))
    ) {
      throw new BadRequestError('The request body must be a JSON object', BODY_MUST_BE_OBJECT);
    }
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new AppValidationPipe();
}
