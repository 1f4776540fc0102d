import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { RequestContext } from '../common/request-context';
import { BadRequestError } from '../common/errors';
import { Order } from '../orders/order.entity';
import { User } from '../identity/user.entity';
import { OrderHistory } from './order-history.entity';
import { OrderHistoryAction } from './order-history-action.enum';
import { HashedContent, hashEntry } from './history-hash';
import { cleanText, cleanTextUpTo, normalizeJson } from './history-content';

export interface RecordHistoryInput {
  /** The order, or its id. */
  order: Order | string;
  action: OrderHistoryAction;
  oldStatus?: string | null;
  newStatus?: string | null;
  description: string;
  additionalData?: Record<string, unknown> | null;
}

interface ChainHead {
  sequence: number;
  hash: string | null;
  createdAt: number;
}

const ACTIONS = new Set<string>(Object.values(OrderHistoryAction));

/**
 * The only way anything writes to order_history. An entry joins the caller's transaction (it
 * commits or rolls back with the change it records), takes performer, IP and user agent from the
 * request context (none for jobs: the system), and extends its order's hash chain. Entries of one
 * order are serialised by a transaction-scoped advisory lock on the order.
 */
@Injectable()
export class OrderHistoryService {
  /** Chain heads per transaction: entries not yet flushed are invisible to SQL. */
  private readonly heads = new WeakMap<object, Map<string, ChainHead>>();

  constructor(private readonly em: EntityManager) {}

  async record(input: RecordHistoryInput): Promise<OrderHistory> {
    if (!ACTIONS.has(input.action)) {
      throw new BadRequestError(`Unknown history action: ${String(input.action)}`, [
        { field: 'action', message: `must be one of ${[...ACTIONS].join(', ')}` },
      ]);
    }
    const transaction = this.em.getTransactionContext();
    if (!transaction) throw new Error('OrderHistoryService.record must run inside the unit of work');
    const orderId = typeof input.order === 'string' ? input.order : input.order.id;

    let heads = this.heads.get(transaction);
    if (!heads) {
      heads = new Map();
      this.heads.set(transaction, heads);
    }
    let head = heads.get(orderId);
    if (!head) {
      await this.em.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [
        `order_history:${orderId}`,
      ]);
      const [last] = await this.em.execute<{ sequence: number; hash: string; created_at: Date }[]>(
        'select sequence, hash, created_at from order_history where order_id = ? order by sequence desc limit 1',
        [orderId],
      );
      head = last
        ? { sequence: last.sequence, hash: last.hash, createdAt: new Date(last.created_at).getTime() }
        : { sequence: 0, hash: null, createdAt: 0 };
      heads.set(orderId, head);
    }

    const context = RequestContext.current();
    const order = typeof input.order === 'string' ? this.em.getReference(Order, input.order) : input.order;
    // Normalised to exactly what PostgreSQL stores, so that the hash can be recomputed from the row.
    const entry = new OrderHistory(order, head.sequence + 1, input.action, cleanText(input.description));
    entry.oldStatus = input.oldStatus == null ? null : cleanText(input.oldStatus);
    entry.newStatus = input.newStatus == null ? null : cleanText(input.newStatus);
    entry.additionalData = normalizeJson(input.additionalData);
    entry.performedBy = context?.actorId ? this.em.getReference(User, context.actorId) : null;
    entry.ipAddress = context?.ip ? cleanTextUpTo(context.ip, 45) : null;
    entry.userAgent = context?.userAgent ? cleanTextUpTo(context.userAgent, 512) : null;
    // Strictly increasing per order, so that created_at order and chain order agree.
    entry.createdAt = new Date(Math.max(Date.now(), head.createdAt + 1));
    entry.previousHash = head.hash;
    entry.hash = hashEntry(contentOf(entry, orderId));
    this.em.persist(entry);

    heads.set(orderId, { sequence: entry.sequence, hash: entry.hash, createdAt: entry.createdAt.getTime() });
    return entry;
  }
}

/** The hashed content of an entry (see history-content.ts for why it equals the stored row's). */
export function contentOf(entry: OrderHistory, orderId: string): HashedContent {
  return {
    id: entry.id,
    orderId,
    sequence: entry.sequence,
    action: entry.action,
    oldStatus: entry.oldStatus ?? null,
    newStatus: entry.newStatus ?? null,
    description: entry.description,
    performedById: entry.performedBy?.id ?? null,
    additionalData: entry.additionalData ?? null,
    ipAddress: entry.ipAddress ?? null,
    userAgent: entry.userAgent ?? null,
    createdAt: entry.createdAt.toISOString(),
    previousHash: entry.previousHash ?? null,
  };
}
