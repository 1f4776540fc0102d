import { MikroORM } from '@mikro-orm/core';
import type { PostgreSqlConnection } from '@mikro-orm/postgresql';

/**
 * The statements about the database server itself rather than a module's tables: WAL positions for
 * the read-replica routing (replica-router.ts), the start-up lock and the applied migrations
 * (migrate.ts). Kept in a repository file like every module's SQL (docs/architecture.md §2a).
 */

/** The primary's WAL insert position (`16/B374D848`): covers every commit that has returned. */
export async function walInsertPosition(primary: PostgreSqlConnection): Promise<string | null> {
  const [row] = await primary.execute<{ lsn: string }[]>('select pg_current_wal_insert_lsn()::text as lsn');
  return row?.lsn ?? null;
}

/** The primary's WAL write position: what a streaming replica can have received. */
export async function walWritePosition(primary: PostgreSqlConnection): Promise<string | null> {
  const [row] = await primary.execute<{ lsn: string }[]>('select pg_current_wal_lsn()::text as lsn');
  return row?.lsn ?? null;
}

/** How far a replica has replayed; null when the server is not in recovery (not a replica). */
export async function replayPosition(replica: PostgreSqlConnection): Promise<string | null> {
  const [row] = await replica.execute<{ lsn: string | null }[]>(
    'select pg_last_wal_replay_lsn()::text as lsn',
  );
  return row?.lsn ?? null;
}

interface RawPgConnection {
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}
interface KnexPgClient {
  acquireRawConnection(): Promise<RawPgConnection>;
  destroyRawConnection(connection: RawPgConnection): Promise<void>;
}

/**
 * Runs `work` holding the advisory lock `key` on a connection of its own, outside the pool (no pool
 * size can starve it, no statement timeout cuts the wait); `onWait` is called when another session
 * holds it. Ending that connection releases the lock, also when its holder crashed.
 */
export async function withAdvisoryLock<T>(
  orm: MikroORM,
  key: string,
  work: () => Promise<T>,
  onWait?: () => void,
): Promise<T> {
  const connection = orm.em.getConnection() as unknown as { getKnex(): { client: KnexPgClient } };
  const client = connection.getKnex().client;
  const session = await client.acquireRawConnection();
  try {
    const { rows } = await session.query('select pg_try_advisory_lock($1::bigint) as locked', [key]);
    if (!rows[0].locked) {
      onWait?.();
      await session.query('select pg_advisory_lock($1::bigint)', [key]);
    }
    return await work();
  } finally {
    await client.destroyRawConnection(session).catch(() => undefined);
  }
}

/** Names in the migrations table `table` (throws when it does not exist yet). */
export async function appliedMigrations(orm: MikroORM, table: string): Promise<string[]> {
  // At start, before any request: no unit of work to join.
  const rows = await orm.em.getConnection().execute<{ name: string }[]>(`select name from "${table}"`);
  return rows.map((row: { name: string }) => row.name);
}
