import { availableParallelism } from 'node:os';
import { Injectable } from '@nestjs/common';
import { hash, verify } from '@node-rs/argon2';
import pLimit from 'p-limit';
import { AppConfig } from '../config/app-config';

// argon2id with OWASP's minimum recommended cost (19 MiB, 2 passes).
const OPTIONS = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

/**
 * Password hashing. Each argon2id hash or verify allocates 19 MiB outside the JavaScript heap and
 * keeps a core busy for ~15 ms, on libuv's thread pool (4 threads by default). At most
 * PASSWORD_HASH_CONCURRENCY of them run at once (default: the number of cores); the rest wait
 * their turn: a burst of logins cannot take more cores than the machine has, nor more memory
 * than that many hashes need, and it leaves pool threads to DNS and file work.
 */
@Injectable()
export class PasswordHasher {
  private dummyHash?: Promise<string>;
  private readonly limit: ReturnType<typeof pLimit>;

  constructor(config: AppConfig) {
    this.limit = pLimit(config.get('PASSWORD_HASH_CONCURRENCY') ?? availableParallelism());
  }

  hash(password: string): Promise<string> {
    return this.limit(() => hash(password, OPTIONS));
  }

  async verify(passwordHash: string | undefined, password: string): Promise<boolean> {
    if (!passwordHash) {
      // Unknown email: spend the same time as a real check, so timing does not tell who exists.
      this.dummyHash ??= this.hash('not-a-real-password-just-for-timing');
      const dummy = await this.dummyHash;
      await this.limit(() => verify(dummy, password)).catch(() => false);
      return false;
    }
    return this.limit(() => verify(passwordHash, password)).catch(() => false);
  }
}
