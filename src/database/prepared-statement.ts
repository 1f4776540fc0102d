import type { Knex } from '@mikro-orm/knex';
import { EntityManager } from '@mikro-orm/postgresql';

/**
 * Runs a repository's budgeted write statement as a named prepared statement, in the caller's
 * transaction. `em.execute` sends every statement as new text with the values inlined, so
 * PostgreSQL parses and plans it each time: for the large one-statement write commands (the
 * reservation statement, the history entry statement) planning costs more than executing. A
 * named statement is parsed once per connection and, after a few executions, runs on its cached
 * generic plan; the values travel as parameters (`?` placeholders, as in em.execute).
 *
 * `name` must identify `sql` exactly (one text per name and process).
 */
export async function executePrepared<T>(
  em: EntityManager,
  name: string,
  sql: string,
  params: readonly unknown[],
): Promise<T[]> {
  const knex = (em.getTransactionContext<Knex.Transaction>() ?? em.getKnex()) as Knex;
  const result = (await knex.raw(sql, params as Knex.RawBinding[]).options({ name })) as { rows: T[] };
  return result.rows;
}
