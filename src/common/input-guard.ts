import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BadRequestError, FieldError } from './errors';

/** No request body of this API nests deeper than a few levels; 32 leaves room and stops abuse. */
export const MAX_JSON_DEPTH = 32;

const NUL = '\u0000';
/** A UTF-16 surrogate that is not half of a pair: no character at all (`"\ud800"` in JSON). */
const LONE_SURROGATE = /\p{Cs}/u;

/** Why a string cannot be taken as text, or null when it can. */
export function textProblem(value: string): string | null {
  if (value.includes(NUL)) return 'must not contain NUL characters (\\u0000)';
  if (LONE_SURROGATE.test(value)) return 'must be valid Unicode text (no unpaired surrogate such as \\ud800)';
  return null;
}

/**
 * How deep `value` nests objects and arrays, counted without recursion (a 10,000-level body must
 * not overflow the stack here), stopping as soon as `limit` is passed.
 */
export function jsonDepthExceeds(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (current === null || typeof current !== 'object') continue;
    if (depth + 1 > limit) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/**
 * Every string (and object key) in `value` that is not storable text, by path (`items.0.name`),
 * found iteratively: a NUL character, which PostgreSQL cannot store or compare in text, or a lone
 * surrogate, which jsonb refuses (a 500) and text columns would silently store as U+FFFD.
 */
export function invalidText(value: unknown, root = ''): FieldError[] {
  const found: FieldError[] = [];
  const stack: Array<[unknown, string]> = [[value, root]];
  while (stack.length > 0) {
    const [current, path] = stack.pop() as [unknown, string];
    if (typeof current === 'string') {
      const message = textProblem(current);
      if (message) found.push({ field: path || 'body', message });
    } else if (current !== null && typeof current === 'object') {
      for (const [key, child] of Object.entries(current)) {
        const childPath = path ? `${path}.${key}` : key;
        const message = textProblem(key);
        if (message) found.push({ field: childPath, message: `name ${message}` });
        else stack.push([child, childPath]);
      }
    }
  }
  return found.sort((a, b) => (a.field < b.field ? -1 : a.field > b.field ? 1 : 0));
}

function refuse(message: string, errors: FieldError[]): BadRequestError {
  return new BadRequestError(message, errors);
}

/**
 * Checks every request's parsed input before anything else reads it (guards, interceptors, pipes):
 * - a body nested deeper than `maxDepth` is a 400: class-transformer, canonical JSON for idempotency
 *   keys and the validators all recurse, and a body of 10,000 levels overflowed the stack (a 500);
 * - a string of the body or the query (at any depth, keys too) that is not storable text is a 400
 *   naming the field: a NUL character (PostgreSQL cannot store or compare text holding one, and such
 *   a filter was a 500) or a lone surrogate (`"\ud800"`: a 500 in jsonb columns, elsewhere stored as
 *   U+FFFD while the answer echoed the surrogate). Per-field rules (control characters in single-line
 *   fields, see field-decorators.ts) come later, in the validation pipe.
 */
export function guardRequestInput(fastify: FastifyInstance, maxDepth = MAX_JSON_DEPTH): void {
  fastify.addHook(
    'preValidation',
    (request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) => {
      const body = request.body;
      if (body !== null && typeof body === 'object' && jsonDepthExceeds(body, maxDepth)) {
        done(
          refuse(`The request body nests deeper than ${maxDepth} levels`, [
            { field: 'body', message: `must not nest objects or arrays deeper than ${maxDepth} levels` },
          ]),
        );
        return;
      }
      const errors = [...invalidText(request.query), ...invalidText(body)];
      if (errors.length > 0) {
        done(
          refuse(
            `The request holds text that is not valid in ${errors.map((e) => e.field).join(', ')}`,
            errors,
          ),
        );
        return;
      }
      done();
    },
  );
}
