import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsEnum,
  IsUUID,
  registerDecorator,
  ValidateIf,
  ValidationArguments,
  ValidationOptions,
} from 'class-validator';

/*
 * The field rules every request DTO states with these decorators instead of their class-validator
 * counterparts (eslint.config.mjs refuses `IsOptional` and `IsUUID` outside this file):
 * - `null`: a field takes it only where it means something (`@Nullable()`: clear a value, never
 *   expire); everywhere else `null` is a 400 "must not be null" (`@Optional()`), never "absent"
 *   and never stored;
 * - ids are UUIDs in any case on input and lowercase from the edge on (`@IsId()`), like path ids
 *   (parse-id.pipe.ts), so that what is stored, compared and hashed into the history is canonical;
 * - text is single-line (`@SingleLine()`: no control character at all) or multi-line
 *   (`@MultiLine()`: tab, LF and CR only); NUL and lone surrogates are refused for every string
 *   before this (input-guard.ts).
 */

export const NOT_NULL = 'isNotNull';

function register(
  name: string,
  validate: (value: unknown) => boolean,
  message: string,
  options?: ValidationOptions,
): PropertyDecorator {
  return (object: object, propertyName: string | symbol) =>
    registerDecorator({
      name,
      target: object.constructor,
      propertyName: String(propertyName),
      options: { message: (args: ValidationArguments) => `${args.property} ${message}`, ...options },
      validator: { validate },
    });
}

/** May be absent; `null` is a 400 (one message, not every other rule's too; see validation.ts). */
export function Optional(): PropertyDecorator {
  return applyDecorators(
    ValidateIf((_, value) => value !== undefined),
    register(NOT_NULL, (value) => value !== null, 'must not be null'),
  );
}

/** May be absent or `null`; `null` has a documented meaning (clears the value, never expires, …). */
export function Nullable(): PropertyDecorator {
  return ValidateIf((_, value) => value !== undefined && value !== null);
}

/** Any control character (C0, DEL, C1) and the Unicode line and paragraph separators. */
const NOT_SINGLE_LINE = /[\p{Cc}\u2028\u2029]/u;
/** A control character other than tab, LF and CR. */
const NOT_MULTI_LINE = /(?![\t\n\r])\p{Cc}/u;

/**
 * Names, emails, codes, SKUs, references, reasons, filters: one line of text. Tab, CR, LF and every
 * other control character are a 400. Non-strings pass (their `IsString` reports them).
 */
export function SingleLine(options?: ValidationOptions): PropertyDecorator {
  return register(
    'isSingleLine',
    (value) => typeof value !== 'string' || !NOT_SINGLE_LINE.test(value),
    'must be a single line of text (no tab, line break or other control character)',
    options,
  );
}

/** Notes and descriptions: line breaks and tabs are kept; other control characters are a 400. */
export function MultiLine(options?: ValidationOptions): PropertyDecorator {
  return register(
    'isMultiLine',
    (value) => typeof value !== 'string' || !NOT_MULTI_LINE.test(value),
    'must not contain control characters other than tab and line breaks',
    options,
  );
}

/** A UUID in any letter case, as its canonical lowercase form. */
export function canonicalId(value: unknown): unknown {
  return typeof value === 'string' ? value.toLowerCase() : value;
}

/** A UUID of a body or query, case-insensitive on input, lowercase for everything after. */
export function IsId(options?: ValidationOptions): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }) => (Array.isArray(value) ? value.map(canonicalId) : canonicalId(value))),
    IsUUID(undefined, options),
  );
}

/**
 * An object keyed by ids (`{"<order item id>": 2}`) with its keys lowercase. Keys that differ only
 * in case are left as they are, for the field's validator to refuse as a duplicate.
 */
export function CanonicalIdKeys(): PropertyDecorator {
  return Transform(({ value }) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
    const entries = Object.entries(value as Record<string, unknown>).map(([key, v]) => [
      key.toLowerCase(),
      v,
    ]);
    return new Set(entries.map(([key]) => key)).size === entries.length ? Object.fromEntries(entries) : value;
  });
}

/** `a,b`, `x=a&x=b` and `x=a,b&x=c` all as one list: the one list syntax of every query filter. */
export function toList({ value }: { value: unknown }): unknown {
  if (value === undefined) return undefined;
  const values = Array.isArray(value) ? value : [value];
  return values.flatMap((item) => (typeof item === 'string' ? item.split(',') : [item]));
}

/** A query filter taking several values: repeated (`x=a&x=b`) or comma-separated (`x=a,b`). */
export function QueryList(): PropertyDecorator {
  return applyDecorators(Transform(toList), IsArray());
}

/**
 * An optional query filter taking any of an enum's values, in the one list syntax (QueryList):
 * `status=pending,picking` or `status=pending&status=picking`; one bad value is a 400 naming it.
 * `sample` names two values for the description.
 */
export function EnumListFilter(values: Record<string, string>, sample: [string, string]): PropertyDecorator {
  const max = Object.values(values).length;
  return (target, key) => {
    const name = String(key);
    applyDecorators(
      ApiPropertyOptional({
        // No enumName: Nest drops maxItems from a query array of a named enum; the values are inlined.
        enum: values,
        isArray: true,
        maxItems: max,
        description: `Repeat (\`${name}=${sample[0]}&${name}=${sample[1]}\`) or comma-separate (\`${name}=${sample[0]},${sample[1]}\`) for several`,
      }),
      Optional(),
      QueryList(),
      ArrayMaxSize(max),
      IsEnum(values, { each: true }),
    )(target, key);
  };
}
