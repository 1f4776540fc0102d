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
 * An order's entries in chain order, batch by batch, so that an order with a million entries never
 * sits in memory at once. Each batch is a window of sequence values read through the unique
 * (order_id, sequence) index: `sequence > last LIMIT n` looks the same but the planner, misjudging
 * how many rows lie above `last` for one order, may fetch and sort every remaining row each time.
 * After a window with gaps (only a tampered chain has them) the next existing sequence is looked up.
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
  const window = `h.order_id = ? and h.sequence >= cast(? as bigint) and h.sequence <= cast(? as bigint) order by h.sequence`;
  const query = options.withPerformer
    ? `select ${columns}, u.full_name as performer_full_name, u.role as performer_role
       from order_history h left join users u on u.id = h.performed_by_id where ${window}`
    : `select ${columns} from order_history h where ${window}`;
  const nextSequence = async (after: number): Promise<number | null> => {
    const [row] = await connection.execute<{ next: number | null }[]>(
      'select min(sequence) as next from order_history where order_id = ? and sequence > cast(? as bigint)',
      [orderId, after],
    );
    return row?.next ?? null;
  };
  // From below any sequence: a tampered row with sequence 0 or less is read too, and fails the check.
  let from = await nextSequence(Number.MIN_SAFE_INTEGER);
  while (from !== null) {
    const to = from + batchSize - 1;
    const rows = await connection.execute<ChainRow[]>(query, [orderId, from, to]);
    if (rows.length > 0) yield rows;
    from = rows.length === batchSize ? to + 1 : await nextSequence(to);
  }
}
