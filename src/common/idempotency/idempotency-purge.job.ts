import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { AppConfig } from '../../config/app-config';
import { UnitOfWork } from '../unit-of-work';
import { IdempotencyKeysRepository } from './idempotency-keys.repository';

/** Deletes expired Idempotency-Key records, a batch at a time. */
@Injectable()
export class IdempotencyPurgeJob {
  private readonly logger = new Logger(IdempotencyPurgeJob.name);

  constructor(
    private readonly uow: UnitOfWork,
    private readonly config: AppConfig,
    private readonly keys: IdempotencyKeysRepository,
  ) {}

  @Interval('idempotency-purge', 10 * 60 * 1000)
  async tick(): Promise<void> {
    if (!this.config.get('JOBS_ENABLED')) return;
    try {
      const purged = await this.purge();
      if (purged > 0) this.logger.log(`Purged ${purged} expired idempotency keys`);
    } catch (error) {
      this.logger.warn(`Idempotency purge failed: ${(error as Error).message}`);
    }
  }

  purge(): Promise<number> {
    return this.uow.run('idempotency-purge', () => this.keys.purgeExpired(1000));
  }
}
