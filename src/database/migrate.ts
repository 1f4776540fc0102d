import { MikroORM } from '@mikro-orm/core';

/** Applies pending migrations; returns the names applied. */
export async function migrate(orm: MikroORM): Promise<string[]> {
  const migrator = orm.getMigrator();
  const applied = await migrator.up();
  return applied.map((m) => m.name);
}
