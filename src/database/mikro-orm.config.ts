import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { defineConfig } from '@mikro-orm/postgresql';
import { ENTITIES } from './entities';

export interface OrmConfigOptions {
  databaseUrl?: string;
  poolMax?: number;
  statementTimeoutMs?: number;
  lockTimeoutMs?: number;
  debug?: boolean;
}

const knexLogger = new Logger('Database');

/** One MikroORM configuration for the app, the CLI, tests and benchmarks. */
export function createOrmConfig(options: OrmConfigOptions = {}) {
  const statementTimeout = options.statementTimeoutMs ?? Number(process.env.DB_STATEMENT_TIMEOUT_MS ?? 15000);
  const lockTimeout = options.lockTimeoutMs ?? Number(process.env.DB_LOCK_TIMEOUT_MS ?? 5000);
  return defineConfig({
    clientUrl: options.databaseUrl ?? process.env.DATABASE_URL,
    entities: ENTITIES,
    // No `extensions: [Migrator]`: MikroORM loads @mikro-orm/migrations when the migrator is first
    // used (migrate.ts, the CLI), so a start with nothing to apply does not load it.
    forceUtcTimezone: true,
    // No file cache of entity metadata: discovery is fast, and a cache written by one process
    // (the Jest global setup) breaks in another realm.
    metadataCache: { enabled: false },
    debug: options.debug ?? false,
    allowGlobalContext: false,
    implicitTransactions: false,
    // A database that accepts TCP but never answers (a network partition) fails a new connection
    // after 5 s instead of the pool's 30 s create timeout, so requests get their 503 quickly.
    driverOptions: {
      connection: { connectionTimeoutMillis: 5000, keepAlive: true },
      // knex's own messages (e.g. "Connection Error: ..." when a connection breaks) go through the
      // app's logger (JSON lines) instead of bare console.log lines.
      log: {
        warn: (message: unknown) => knexLogger.warn(String(message)),
        error: (message: unknown) => knexLogger.error(String(message)),
        deprecate: (message: unknown) => knexLogger.warn(String(message)),
        debug: (message: unknown) => knexLogger.debug(String(message)),
      },
    },
    pool: {
      min: 0,
      max: options.poolMax ?? Number(process.env.DB_POOL_MAX ?? 10),
      afterCreate: (
        connection: { query: (sql: string, cb: (err: Error | null) => void) => void },
        done: (err: Error | null, conn: unknown) => void,
      ) => {
        connection.query(
          `set statement_timeout = ${Math.trunc(statementTimeout)}; set lock_timeout = ${Math.trunc(lockTimeout)}; set idle_in_transaction_session_timeout = 60000`,
          (err) => done(err, connection),
        );
      },
    },
    migrations: {
      tableName: 'mikro_orm_migrations',
      path: join(__dirname, 'migrations'),
      pathTs: join(__dirname, '..', '..', 'src', 'database', 'migrations'),
      glob: '!(*.d).{js,ts}',
      transactional: true,
      silent: true,
      allOrNothing: true,
      snapshot: false,
      emit: 'ts',
    },
  });
}

export default createOrmConfig();
