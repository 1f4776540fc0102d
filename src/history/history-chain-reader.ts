import { EntityManager } from '@mikro-orm/postgresql';
import { HISTORY_ROW_COLUMNS, HistoryRow } from './history-content';

export interface ChainRow extends HistoryRow {
  /** created_at has digits below the millisecond that record() never writes (and JS cannot see). */
  created_at_sub_ms: boolean;
  performer_full_name?: string | null;
  performer_role?: string | null;
}

export const CHAIN_BATCH_SIZE = 1000;

/**
 * An order's entries in chain order, batch by batch, keyset-paginated on the unique
 * (order_id, sequence) index, so that an order with a million entries never sits in memory at once.
 * It uses the connection pool directly (no EntityManager context, no identity map), so it can run
 * after the request handler has returned, while a response streams.
 */
export async function* readChain(
  em: EntityManager,
  orderId: string,
  options: { withPerformer?: boolean; batchSize?: number } = {},
): AsyncGenerator<ChainRow[]> {
  const connection = em.getConnection();
  const batchSize = options.batchSize ?? CHAIN_BATCH_SIZE;
  const columns = `${HISTORY_ROW_COLUMNS}, h.created_at <> date_trunc('milliseconds', h.created_at) as created_at_sub_ms`;
  const query = options.withPerformer
    ? `select ${columns}, u.full_name as performer_full_name, u.role as performer_role
       from order_history h left join users u on u.id = h.performed_by_id
       where h.order_id = ? and h.sequence > cast(? as bigint) order by h.sequence limit ?`
    : `select ${columns} from order_history h
       where h.order_id = ? and h.sequence > cast(? as bigint) order by h.sequence limit ?`;
  // Below any sequence: a tampered row with sequence 0 or less is read too, and fails the check.
  let after = Number.MIN_SAFE_INTEGER;
  for (;;) {
    const rows = await connection.execute<ChainRow[]>(query, [orderId, after, batchSize]);
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < batchSize) return;
    after = rows[rows.length - 1].sequence;
  }
}
