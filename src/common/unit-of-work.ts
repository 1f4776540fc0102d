import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { MikroORM, RequestContext as OrmRequestContext } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { RequestContext } from './request-context';

const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected
export const MAX_TRANSACTION_ATTEMPTS = 3;

export function isRetryableTransactionError(error: unknown): boolean {
  const err = error as { code?: string; name?: string };
  return (
    (err?.code !== undefined && RETRYABLE_SQLSTATES.has(err.code)) ||
    err?.name === 'DeadlockException' ||
    (error as { constructor?: { name?: string } })?.constructor?.name === 'DeadlockException'
  );
}

/**
 * Runs `work` in one transaction (flushed once at the end, rolled back on any error), retrying a
 * serialization failure or deadlock a bounded number of times. `work` must be safe to run again.
 * `work` gets the transaction's entity manager: statements sent through it run inside the
 * transaction (through the outer fork they would not: a fork does not follow the transaction
 * context). Repositories inject the global entity manager, which resolves to this one.
 */
export async function runInTransaction<T>(
  em: EntityManager,
  work: (transactionEm: EntityManager) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await em.transactional((transactionEm) => work(transactionEm as EntityManager));
    } catch (error) {
      if (attempt >= MAX_TRANSACTION_ATTEMPTS || !isRetryableTransactionError(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10 * attempt + Math.random() * 20));
    }
  }
}

/**
 * The unit of work for code that runs outside an HTTP request: jobs and CLI commands get the same
 * fork + transaction + retry as a request, and a request context with no actor (the system).
 */
@Injectable()
export class UnitOfWork {
  constructor(private readonly orm: MikroORM) {}

  run<T>(name: string, work: (em: EntityManager) => Promise<T>): Promise<T> {
    const em = this.orm.em.fork() as EntityManager;
    return RequestContext.run({ requestId: `${name}:${randomUUID()}` }, () =>
      OrmRequestContext.create(em, () => runInTransaction(em, work)),
    );
  }

  /**
   * Writes what the current unit of work has pending, inside its transaction, so that the
   * statements that follow see it (an action's answer is read after its changes, by the same
   * query a GET uses). The commit stays the unit of work's.
   */
  flush(): Promise<void> {
    return this.orm.em.flush();
  }

  /**
   * An entity of this unit of work that a statement has just changed is read again, so that what
   * the unit of work holds (and would flush) is the row as stored; nothing when it is not loaded.
   */
  async refreshIfLoaded(entityName: string, id: string): Promise<void> {
    const em = this.orm.em;
    const managed = em.getUnitOfWork().getById<object>(entityName, id);
    if (managed) await em.refresh(managed);
  }

  /** A fork and request context without a transaction, for read-only work. */
  read<T>(name: string, work: (em: EntityManager) => Promise<T>): Promise<T> {
    const em = this.orm.em.fork() as EntityManager;
    return RequestContext.run({ requestId: `${name}:${randomUUID()}` }, () =>
      OrmRequestContext.create(em, () => work(em)),
    );
  }
}
