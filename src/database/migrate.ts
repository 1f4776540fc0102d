import { readdir } from 'node:fs/promises';
import { MikroORM, Utils } from '@mikro-orm/core';

const MIGRATION_FILE = /\.(js|ts)$/;

/** pg_advisory_lock key of the start-up work (any constant; this one is OMS's alone). */
export const STARTUP_LOCK_KEY = '4717281190350624001';

interface RawPgConnection {
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}
interface KnexPgClient {
  acquireRawConnection(): Promise<RawPgConnection>;
  destroyRawConnection(connection: RawPgConnection): Promise<void>;
}

/**
 * Runs `work` (migrations, the first admin, demo data) while holding a PostgreSQL advisory lock, so
 * that instances started at the same time against one database do it one after the other: the
 * first applies the migrations, the others find them applied. The lock lives on a connection of
 * its own, outside the pool (no pool size can starve it, no statement timeout cuts the wait), and
 * goes with that connection: a crashed holder's lock is released by PostgreSQL.
 */
export async function withStartupLock<T>(
  orm: MikroORM,
  work: () => Promise<T>,
  onWait?: () => void,
): Promise<T> {
  const connection = orm.em.getConnection() as unknown as { getKnex(): { client: KnexPgClient } };
  const client = connection.getKnex().client;
  const session = await client.acquireRawConnection();
  try {
    const { rows } = await session.query('select pg_try_advisory_lock($1::bigint) as locked', [
      STARTUP_LOCK_KEY,
    ]);
    if (!rows[0].locked) {
      onWait?.();
      await session.query('select pg_advisory_lock($1::bigint)', [STARTUP_LOCK_KEY]);
    }
    return await work();
  } finally {
    // Ending the session releases the lock.
    await client.destroyRawConnection(session).catch(() => undefined);
  }
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
    // At start, before any request: no unit of work to join.
    const rows = await orm.em
      .getConnection()
      .execute<{ name: string }[]>(`select name from "${options.tableName ?? 'mikro_orm_migrations'}"`);
    const applied = new Set(rows.map((row: { name: string }) => row.name.replace(MIGRATION_FILE, '')));
    return files.every((file) => applied.has(file.replace(MIGRATION_FILE, '')));
  } catch {
    return false;
  }
}
