import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { Client } from 'pg';

/**
 * Every test run gets its own database: on the server of DATABASE_URL when it is set (created and
 * dropped here), else on an embedded PostgreSQL started for the run in a temporary folder.
 */
export interface TestDatabase {
  url: string;
  adminUrl?: string;
  name: string;
  embeddedDir?: string;
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export async function createTestDatabase(serverUrl: string, name: string): Promise<string> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`create database "${name}"`);
  } finally {
    await client.end();
  }
  return withDatabase(serverUrl, name);
}

export async function dropTestDatabase(serverUrl: string, name: string): Promise<void> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`drop database if exists "${name}" with (force)`);
  } finally {
    await client.end();
  }
}

export function uniqueDatabaseName(prefix = 'oms_test'): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/** Where the run's embedded cluster lives: OMS_TEST_EMBEDDED_DIR/<random>, else the temp folder. */
export function embeddedDataDir(): string {
  return join(process.env.OMS_TEST_EMBEDDED_DIR ?? tmpdir(), `oms-test-pg-${randomBytes(4).toString('hex')}`);
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
