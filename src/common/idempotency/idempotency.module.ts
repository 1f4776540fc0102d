import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { IdempotencyKey } from './idempotency-key.entity';
import { IdempotencyPurgeJob } from './idempotency-purge.job';
import { IdempotencyKeysRepository } from './idempotency-keys.repository';
import { IdempotencyRequests } from './idempotency-request';

@Module({
  imports: [MikroOrmModule.forFeature([IdempotencyKey])],
  providers: [IdempotencyPurgeJob, IdempotencyKeysRepository, IdempotencyRequests],
  exports: [IdempotencyKeysRepository, IdempotencyRequests],
})
export class IdempotencyModule {}
