import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BadRequestError, FieldError } from './errors';

/** No request body of this API nests deeper than a few levels; 32 leaves room and stops abuse. */
export const MAX_JSON_DEPTH = 32;

const NUL = '\u0000';

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

/** The paths (`items.0.name`) of the strings in `value` that hold a NUL character (iteratively). */
export function pathsWithNul(value: unknown, root = ''): string[] {
  const found: string[] = [];
  const stack: Array<[unknown, string]> = [[value, root]];
  while (stack.length > 0) {
    const [current, path] = stack.pop() as [unknown, string];
    if (typeof current === 'string') {
      if (current.includes(NUL)) found.push(path || 'body');
    } else if (current !== null && typeof current === 'object') {
      for (const [key, child] of Object.entries(current)) {
        const childPath = path ? `${path}.${key}` : key;
        if (key.includes(NUL)) found.push(childPath);
        else stack.push([child, childPath]);
      }
    }
  }
  return found.sort();
}

function refuse(message: string, errors: FieldError[]): BadRequestError {
  return new BadRequestError(message, errors);
}

/**
 * Checks every request's parsed input before anything else reads it (guards, interceptors, pipes):
 * - a body nested deeper than `maxDepth` is a 400: class-transformer, canonical JSON for idempotency
 *   keys and the validators all recurse, and a body of 10,000 levels overflowed the stack (a 500);
 * - a NUL character in a body string or a query parameter is a 400 naming the field: PostgreSQL
 *   cannot store or compare text holding one, and such a filter was a 500.
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
      const fields = [...pathsWithNul(request.query), ...pathsWithNul(body)];
      if (fields.length > 0) {
        done(
          refuse(
            `The request holds a NUL character in ${fields.join(', ')}`,
            fields.map((field) => ({ field, message: 'must not contain NUL characters (\\u0000)' })),
          ),
        );
        return;
      }
      done();
    },
  );
}
