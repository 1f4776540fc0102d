import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BadRequestError } from './errors';

/** No request body of this API nests deeper than a few levels; 32 leaves room and stops abuse. */
export const MAX_JSON_DEPTH = 32;

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
 * Refuses (400) a parsed body nested deeper than `limit`, before anything else reads it: class-
 * transformer, canonical JSON for idempotency keys and the validators all recurse, and a body of
 * 10,000 nested levels overflowed the stack there (a 500 for every route).
 */
export function limitJsonDepth(fastify: FastifyInstance, limit = MAX_JSON_DEPTH): void {
  fastify.addHook(
    'preValidation',
    (request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) => {
      if (
        request.body !== null &&
        typeof request.body === 'object' &&
        jsonDepthExceeds(request.body, limit)
      ) {
        done(
          new BadRequestError(`The request body nests deeper than ${limit} levels`, [
            { field: 'body', message: `must not nest objects or arrays deeper than ${limit} levels` },
          ]),
        );
        return;
      }
      done();
    },
  );
}
