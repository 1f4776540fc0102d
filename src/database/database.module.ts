import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { AppConfig } from '../config/app-config';
import { createOrmConfig } from './mikro-orm.config';
import { replicaOrmOptions } from './read-replicas';
import { ReadReplicasModule } from './read-replicas.module';

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
        // Replicas only when DATABASE_REPLICA_URLS is set; reads reach them only when marked.
        ...replicaOrmOptions(config.get('DATABASE_REPLICA_URLS')),
        // The request context is opened by our own Fastify hook (see bootstrap.ts).
        registerRequestContext: false,
      }),
      driver: PostgreSqlDriver,
    }),
    ReadReplicasModule,
  ],
})
export class DatabaseModule {}
