import { DeadlockException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ConflictError } from './errors';
import { isRetryableTransactionError, MAX_TRANSACTION_ATTEMPTS, runInTransaction } from './unit-of-work';

/** An EntityManager whose transactional() just runs the callback with itself, counting calls. */
function fakeEm() {
  const em = {
    transactions: 0,
    async transactional<T>(work: (em: unknown) => Promise<T>): Promise<T> {
      em.transactions++;
      return work(em);
    },
  };
  return em;
}

const pgError = (code: string) => Object.assign(new Error(`sqlstate ${code}`), { code });

describe('isRetryableTransactionError', () => {
  it('retries serialization failures and deadlocks only', () => {
    expect(isRetryableTransactionError(pgError('40001'))).toBe(true);
    expect(isRetryableTransactionError(pgError('40P01'))).toBe(true);
    expect(isRetryableTransactionError(new DeadlockException(pgError('40P01')))).toBe(true);
    expect(isRetryableTransactionError(pgError('23505'))).toBe(false);
    expect(isRetryableTransactionError(new ConflictError('no'))).toBe(false);
    expect(isRetryableTransactionError(undefined)).toBe(false);
  });
});

describe('runInTransaction', () => {
  it('hands the work the transaction’s EntityManager', async () => {
    const em = fakeEm();
    const seen = await runInTransaction(em as unknown as EntityManager, async (tx) => tx);
    expect(seen).toBe(em);
  });

  it('retries a retryable failure and returns the first success', async () => {
    const em = fakeEm();
    let calls = 0;
    const result = await runInTransaction(em as unknown as EntityManager, async () => {
      calls++;
      if (calls === 1) throw pgError('40001');
      return 'done';
    });
    expect(result).toBe('done');
    expect(calls).toBe(2);
    expect(em.transactions).toBe(2);
  });

  it(`gives up after ${MAX_TRANSACTION_ATTEMPTS} attempts with the last error`, async () => {
    const em = fakeEm();
    let calls = 0;
    await expect(
      runInTransaction(em as unknown as EntityManager, async () => {
        calls++;
        throw pgError('40P01');
      }),
    ).rejects.toMatchObject({ code: '40P01' });
    expect(calls).toBe(MAX_TRANSACTION_ATTEMPTS);
  });

  it('does not retry other errors', async () => {
    const em = fakeEm();
    let calls = 0;
    await expect(
      runInTransaction(em as unknown as EntityManager, async () => {
        calls++;
        throw new ConflictError('business rule');
      }),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(calls).toBe(1);
  });
});
