import { readdir } from 'node:fs/promises';
import { MikroORM, Utils } from '@mikro-orm/core';
import { appliedMigrations, withAdvisoryLock } from './database-server.repository';

const MIGRATION_FILE = /\.(js|ts)$/;

/** pg_advisory_lock key of the start-up work (any constant; this one is OMS's alone). */
export const STARTUP_LOCK_KEY = '4717281190350624001';

/**
 * Runs `work` (migrations, the first admin, demo data) while holding a PostgreSQL advisory lock, so
 * that instances started at the same time against one database do it one after the other: the
 * first applies the migrations, the others find them applied. The lock lives on a connection of
 * its own, outside the pool (no pool size can starve it, no statement timeout cuts the wait), and
 * goes with that connection: a crashed holder's lock is released by PostgreSQL.
 */
export function withStartupLock<T>(orm: MikroORM, work: () => Promise<T>, onWait?: () => void): Promise<T> {
  return withAdvisoryLock(orm, STARTUP_LOCK_KEY, work, onWait);
}

/**
 * Applies pending migrations; returns the names applied. When the database already has every
 * migration (every start but the first after a deploy), this is one SELECT: the migrator and
 * what it brings (umzug and its CLI) are loaded only when there is something to apply.
 */
export async function migrate(orm: MikroORM): Promise<string[]> {
  if (await upToDate(orm)) return [];
  // Registered here, from our own node_modules: MikroORM's lookup of the package starts at the
  // working directory, and fails when its name looks like a file (`/tmp/tmp.Ab12`, `~/oms.v2`).
  const { Migrator } = require('@mikro-orm/migrations') as typeof import('@mikro-orm/migrations');
  Migrator.register(orm);
  const applied = await orm.getMigrator().up();
  return applied.map((m) => m.name);
}

/** True when every migration file has a row in the migrations table (false if it does not exist yet). */
async function upToDate(orm: MikroORM): Promise<boolean> {
  const options = orm.config.get('migrations');
  // The folder the Migrator itself reads: TypeScript sources under ts-node, the build otherwise.
  const folder =
    orm.config.get('preferTs', Utils.detectTsNode()) && options.pathTs ? options.pathTs : options.path;
  try {
    const files = (await readdir(folder as string)).filter(
      (file) => MIGRATION_FILE.test(file) && !file.endsWith('.d.ts'),
    );
    const names = await appliedMigrations(orm, options.tableName ?? 'mikro_orm_migrations');
    const applied = new Set(names.map((name) => name.replace(MIGRATION_FILE, '')));
    return files.every((file) => applied.has(file.replace(MIGRATION_FILE, '')));
  } catch {
    return false;
  }
}
