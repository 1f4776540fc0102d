import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { IdempotencyKey } from './idempotency-key.entity';
import { IdempotencyPurgeJob } from './idempotency-purge.job';

@Module({
  imports: [MikroOrmModule.forFeature([IdempotencyKey])],
  providers: [IdempotencyPurgeJob],
})
export class IdempotencyModule {}
