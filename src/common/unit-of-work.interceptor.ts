import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { from, lastValueFrom, Observable } from 'rxjs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { NO_TRANSACTION_KEY } from './decorators';
import { runInTransaction } from './unit-of-work';
import { claimIdempotencyKey } from './idempotency/idempotency-claim';
import { IdempotencyKeysRepository } from './idempotency/idempotency-keys.repository';
import { IdempotencyRequests } from './idempotency/idempotency-request';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * docs/architecture.md §2: a mutating request runs in one transaction, flushed once and committed when the
 * handler returns, rolled back when anything throws; deadlocks and serialization failures are
 * retried. Reads, and mutating routes marked @NoTransaction() (they write nothing), run on the
 * request's own fork of the entity manager without a transaction.
 *
 * A request with an Idempotency-Key claims it as the first statement of its transaction and stores
 * its response in it (idempotency-claim.ts): key, resource and response commit or roll back together.
 * The key is checked and the request fingerprinted first of all (IdempotencyRequests), in this one
 * interceptor: each global interceptor wraps every request in another layer of Nest's RxJS pipeline.
 */
@Injectable()
export class UnitOfWorkInterceptor implements NestInterceptor {
  constructor(
    private readonly em: EntityManager,
    private readonly reflector: Reflector,
    private readonly keys: IdempotencyKeysRepository,
    private readonly idempotencyRequests: IdempotencyRequests,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const idempotency = this.idempotencyRequests.of(context);
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (!MUTATING.has(request.method)) return next.handle();
    if (!idempotency && this.reflector.get<boolean>(NO_TRANSACTION_KEY, context.getHandler())) {
      return next.handle();
    }
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return from(
      runInTransaction(this.em, async () => {
        if (!idempotency) return lastValueFrom(next.handle(), { defaultValue: undefined });
        const claim = await claimIdempotencyKey(this.keys, idempotency);
        if (claim.kind === 'replay') {
          reply.status(claim.status);
          reply.header('Idempotent-Replayed', 'true');
          return claim.body;
        }
        const body = await lastValueFrom(next.handle(), { defaultValue: undefined });
        // The response is kept exactly when the resource it describes is committed.
        await this.keys.storeResponse(claim.id, idempotency.status, body);
        return body;
      }),
    );
  }
}
