import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { from, lastValueFrom, Observable } from 'rxjs';
import type { FastifyRequest } from 'fastify';
import { NO_TRANSACTION_KEY } from './decorators';
import { runInTransaction } from './unit-of-work';
import { claimOf, storeIdempotentResponse } from './idempotency/idempotency-claim';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * docs/architecture.md §2: a mutating request runs in one transaction, flushed once and committed when the
 * handler returns, rolled back when anything throws; deadlocks and serialization failures are
 * retried. Reads, and mutating routes marked @NoTransaction() (they write nothing), run on the
 * request's own EntityManager fork without a transaction.
 */
@Injectable()
export class UnitOfWorkInterceptor implements NestInterceptor {
  constructor(
    private readonly em: EntityManager,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (!MUTATING.has(request.method)) return next.handle();
    if (this.reflector.get<boolean>(NO_TRANSACTION_KEY, context.getHandler())) return next.handle();
    return from(
      runInTransaction(this.em, async () => {
        const body = await lastValueFrom(next.handle(), { defaultValue: undefined });
        // A claimed Idempotency-Key keeps its response in the same transaction as the creation.
        const claim = claimOf(request);
        if (claim) await storeIdempotentResponse(this.em, claim, body);
        return body;
      }),
    );
  }
}
