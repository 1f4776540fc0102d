import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { AppConfig } from '../config/app-config';
import { createOrmConfig } from './mikro-orm.config';

@Module({
  imports: [
    MikroOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        ...createOrmConfig({
          databaseUrl: config.get('DATABASE_URL'),
          poolMax: config.get('DB_POOL_MAX'),
          statementTimeoutMs: config.get('DB_STATEMENT_TIMEOUT_MS'),
          lockTimeoutMs: config.get('DB_LOCK_TIMEOUT_MS'),
        }),
        // The request context is opened by our own Fastify hook (see bootstrap.ts).
        registerRequestContext: false,
      }),
      driver: PostgreSqlDriver,
    }),
  ],
})
export class DatabaseModule {}
