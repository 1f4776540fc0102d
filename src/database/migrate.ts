import { readdir } from 'node:fs/promises';
import { MikroORM, Utils } from '@mikro-orm/core';

const MIGRATION_FILE = /\.(js|ts)$/;

/**
 * Applies pending migrations; returns the names applied. When the database already has every
 * migration (every start but the first after a deploy), this is one SELECT: the migrator and
 * what it brings (umzug and its CLI) are loaded only when there is something to apply.
 */
export async function migrate(orm: MikroORM): Promise<string[]> {
  if (await upToDate(orm)) return [];
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
