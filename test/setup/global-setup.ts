import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/postgresql';
import { createOrmConfig } from '../../src/database/mikro-orm.config';
import { EmbeddedPostgresError, startEmbeddedPostgres } from '../../src/database/embedded-postgres';
import { migrate } from '../../src/database/migrate';
import { createTestDatabase, embeddedDataDir, uniqueDatabaseName } from './test-database';

export const STATE_FILE = join(tmpdir(), `oms-test-state-${process.pid}.json`);

export default async function globalSetup(): Promise<void> {
  const name = uniqueDatabaseName();
  let serverUrl = process.env.DATABASE_URL;
  let embeddedDir: string | undefined;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!serverUrl) {
    embeddedDir = embeddedDataDir();
    const embedded = await startEmbeddedPostgres({
      dataDir: embeddedDir,
      database: 'postgres',
      persistent: false,
    }).catch((error: unknown) => {
      // One line saying why and what to do, not Jest's stack trace of the global setup.
      if (!(error instanceof EmbeddedPostgresError)) throw error;
      console.error(`\n${error.message}`);
      process.exit(1);
    });
    serverUrl = embedded.url;
    stopEmbedded = embedded.stop;
  }
  const url = await createTestDatabase(serverUrl, name);
  const orm = await MikroORM.init(createOrmConfig({ databaseUrl: url, poolMax: 2 }));
  try {
    await migrate(orm);
  } finally {
    await orm.close(true);
  }
  process.env.TEST_DATABASE_URL = url;
  process.env.TEST_SERVER_URL = serverUrl;
  process.env.TEST_STATE_FILE = STATE_FILE;
  writeFileSync(STATE_FILE, JSON.stringify({ name, serverUrl, embeddedDir }));
  (globalThis as Record<string, unknown>).__OMS_STOP_EMBEDDED__ = stopEmbedded;
}
