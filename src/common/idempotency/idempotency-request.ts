import { createHash } from 'node:crypto';
import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AppConfig } from '../../config/app-config';
import { Actor } from '../decorators';
import { BadRequestError } from '../errors';
import { canonicalJson } from './canonical-json';
import { IDEMPOTENT_KEY } from './idempotent.decorator';
import { IdempotencyRequest } from './idempotency-claim';

// Nest's @HttpCode() metadata key; creating POSTs without it answer 201.
const HTTP_CODE_METADATA = '__httpCode__';
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * Idempotency-Key for creating POSTs: checks the key and fingerprints the request (method, path,
 * canonical body). The unit of work (unit-of-work.interceptor.ts) asks for it first, before anything
 * else, and then claims the key inside the request's own transaction (idempotency-claim.ts): the
 * first request runs and stores its response with what it creates; a repeat with the same body gets
 * that response again, a repeat with another body a 422; a duplicate arriving while the first still
 * runs waits for it. A request that fails, for whatever reason, rolls its claim back with
 * everything else.
 */
@Injectable()
export class IdempotencyRequests {
  private readonly ttlHours: number;

  constructor(
    private readonly reflector: Reflector,
    config: AppConfig,
  ) {
    this.ttlHours = config.get('IDEMPOTENCY_TTL_HOURS');
  }

  /**
   * The request's Idempotency-Key and fingerprint, when the route is @Idempotent() and the request
   * carries the header; a malformed key is a 400.
   */
  of(context: ExecutionContext): IdempotencyRequest | undefined {
    if (!this.reflector.get<boolean>(IDEMPOTENT_KEY, context.getHandler())) return undefined;
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: Actor }>();
    const header = request.headers['idempotency-key'];
    if (header === undefined) return undefined;
    const key = Array.isArray(header) ? header[0] : header;
    if (!KEY_PATTERN.test(key)) {
      throw new BadRequestError('Idempotency-Key must be 1 to 255 visible ASCII characters', [
        { field: 'Idempotency-Key', message: 'must be 1 to 255 visible ASCII characters' },
      ]);
    }
    const path = request.url.split('?')[0];
    return {
      userId: request.user?.id ?? 'anonymous',
      key,
      method: request.method,
      path,
      fingerprint: createHash('sha256')
        .update(`${request.method} ${path}\n${canonicalJson(request.body ?? null)}`)
        .digest('hex'),
      status: this.reflector.get<number>(HTTP_CODE_METADATA, context.getHandler()) ?? 201,
      ttlHours: this.ttlHours,
    };
  }
}
