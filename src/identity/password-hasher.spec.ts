import { setTimeout as sleep } from 'node:timers/promises';
import { availableParallelism } from 'node:os';
import type { AppConfig } from '../config/app-config';

// The real argon2 takes ~15 ms and 19 MiB per call; a stand-in records how many run at once.
const running = { now: 0, most: 0 };
jest.mock('@node-rs/argon2', () => {
  const work = async <T>(result: T): Promise<T> => {
    running.now += 1;
    running.most = Math.max(running.most, running.now);
    await sleep(5);
    running.now -= 1;
    return result;
  };
  return {
    hash: (password: string) => work(`hashed:${password}`),
    verify: (hash: string, password: string) => work(hash === `hashed:${password}`),
  };
});

import { PasswordHasher } from './password-hasher';

const hasherWith = (concurrency?: number) =>
  new PasswordHasher({ get: () => concurrency } as unknown as AppConfig);

describe('PasswordHasher', () => {
  beforeEach(() => {
    running.now = 0;
    running.most = 0;
  });

  it('runs at most PASSWORD_HASH_CONCURRENCY hashes at once; the others wait and all complete', async () => {
    const hasher = hasherWith(2);
    const stored = await hasher.hash('right-password');
    running.most = 0;
    const results = await Promise.all(
      Array.from({ length: 9 }, (_, i) => hasher.verify(stored, i % 3 === 0 ? 'right-password' : 'wrong')),
    );
    expect(running.most).toBe(2);
    expect(results.filter(Boolean)).toHaveLength(3);
  });

  it('defaults to the number of cores', async () => {
    const hasher = hasherWith(undefined);
    await Promise.all(Array.from({ length: availableParallelism() + 3 }, (_, i) => hasher.hash(`p${i}`)));
    expect(running.most).toBe(availableParallelism());
  });

  it('an unknown user (no hash) still costs one verification, under the same limit, and fails', async () => {
    const hasher = hasherWith(1);
    const results = await Promise.all([hasher.verify(undefined, 'x'), hasher.verify(undefined, 'y')]);
    expect(results).toEqual([false, false]);
    expect(running.most).toBe(1);
  });
});
