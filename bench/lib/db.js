'use strict';
/* global URL */
// Bench database lifecycle: create a fresh database on DATABASE_URL's server, migrate it with the
// app's own migrator (a child process on dist/), drop it at the end.
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');
const { Client } = require('pg');

const ROOT = join(__dirname, '..', '..');

function serverUrl() {
  return process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
}

/** The same server URL pointing at another database. */
function withDatabase(url, database) {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function withClient(url, fn) {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function createDatabase(name) {
  await withClient(serverUrl(), (c) => c.query(`create database "${name}"`));
  return withDatabase(serverUrl(), name);
}

async function dropDatabase(name) {
  await withClient(serverUrl(), (c) => c.query(`drop database if exists "${name}" with (force)`));
}

/** Applies the app's migrations (dist/) to `url` in a child process, like DB_MIGRATE_ON_START does. */
function migrate(url) {
  const script = `
    require('reflect-metadata');
    const { MikroORM } = require('@mikro-orm/postgresql');
    const { createOrmConfig } = require('./dist/database/mikro-orm.config');
    (async () => {
      const orm = await MikroORM.init(createOrmConfig({ databaseUrl: process.env.BENCH_DB_URL }));
      const applied = await orm.getMigrator().up();
      console.log(applied.map((m) => m.name).join(', '));
      await orm.close(true);
    })().catch((e) => { console.error(e); process.exit(1); });`;
  return execFileSync(process.execPath, ['-e', script], {
    cwd: ROOT,
    env: { ...process.env, BENCH_DB_URL: url },
    encoding: 'utf8',
  }).trim();
}

async function serverInfo(url) {
  return withClient(url, async (c) => {
    const { rows } = await c.query(
      `select version() as version, current_setting('shared_buffers') as shared_buffers,
              current_setting('max_connections') as max_connections,
              current_setting('synchronous_commit') as synchronous_commit`,
    );
    return rows[0];
  });
}

module.exports = {
  ROOT,
  serverUrl,
  withDatabase,
  withClient,
  createDatabase,
  dropDatabase,
  migrate,
  serverInfo,
};
