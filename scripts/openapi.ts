/**
 * `npm run openapi`: writes docs/openapi.json, the OpenAPI document of the app, without a database.
 * `npm run openapi -- --check`: exits 1 when docs/openapi.json differs from what the code documents.
 *
 * The app is created as in production (every module, every controller) with fixed settings, so
 * the document does not depend on the machine's environment; MikroORM is told not to connect,
 * which nothing needs for building the document (no request is served).
 */
import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OpenAPIObject } from '@nestjs/swagger';

export const OPENAPI_FILE = join(__dirname, '..', 'docs', 'openapi.json');

/** Settings the document is built with: the defaults, and no optional integration. */
const DOCUMENT_ENV: Record<string, string> = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://openapi@127.0.0.1:5432/openapi-not-connected',
  JWT_SECRET: 'openapi-document-build-only-secret-0123456789',
  LOG_LEVEL: 'silent',
  DOCS_ENABLED: 'true',
  JOBS_ENABLED: 'false',
  DB_MIGRATE_ON_START: 'false',
  SEED_DEMO_DATA: 'false',
};

/** The document as stored: two-space JSON and a final newline. */
export function serializeOpenApi(document: OpenAPIObject): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

async function buildDocument(): Promise<OpenAPIObject> {
  for (const key of Object.keys(process.env)) {
    if (/^(OMS_|REDIS_|NOTIFY_|THROTTLE_|LOGIN_|BODY_|DB_|ADMIN_|RESERVATION_|IDEMPOTENCY_|TRUST_)/.test(key))
      delete process.env[key];
  }
  Object.assign(process.env, DOCUMENT_ENV);
  // Loaded only now: modules read their settings when they load.
  const core = require('@mikro-orm/core') as typeof import('@mikro-orm/core');
  const init = core.MikroORM.init.bind(core.MikroORM);
  core.MikroORM.init = ((options: Parameters<typeof init>[0]) =>
    init({ ...options, connect: false })) as typeof core.MikroORM.init;
  const { validateEnvironment } =
    require('../src/config/env.validation') as typeof import('../src/config/env.validation');
  const { createApp, buildOpenApiDocument } =
    require('../src/bootstrap') as typeof import('../src/bootstrap');
  const app = await createApp(validateEnvironment(process.env));
  try {
    return buildOpenApiDocument(app);
  } finally {
    await app.close();
  }
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const text = serializeOpenApi(await buildDocument());
  if (!check) {
    writeFileSync(OPENAPI_FILE, text);
    console.log(`wrote ${OPENAPI_FILE}`);
    return;
  }
  let stored = '';
  try {
    stored = readFileSync(OPENAPI_FILE, 'utf8');
  } catch {
    // missing: reported as drift below
  }
  if (stored !== text) {
    console.error('docs/openapi.json is out of date: run `npm run openapi` and commit the result');
    process.exit(1);
  }
  console.log('docs/openapi.json is up to date');
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`openapi: ${(error as Error)?.stack ?? error}`);
    process.exit(1);
  });
}
