import { randomUUID } from 'node:crypto';
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
    const next = await this.nextEntry(input);
    const order = typeof input.order === 'string' ? this.em.getReference(Order, input.order) : input.order;
    const entry = new OrderHistory(order, next.sequence, input.action, next.description);
    entry.id = next.id;
    entry.oldStatus = next.oldStatus;
    entry.newStatus = next.newStatus;
    entry.additionalData = next.additionalData;
    entry.performedBy = next.performedById ? this.em.getReference(User, next.performedById) : null;
    entry.ipAddress = next.ipAddress;
    entry.userAgent = next.userAgent;
    entry.createdAt = new Date(next.createdAt);
    entry.previousHash = next.previousHash;
    entry.hash = next.hash;
    this.em.persist(entry);
    return entry;
  }

  /**
   * The same entry as record() makes, written at once by one INSERT instead of as an entity at
   * flush (no entity is created): for hot paths that need nothing of the entry afterwards.
   */
  async insert(input: RecordHistoryInput): Promise<void> {
    const next = await this.nextEntry(input);
    await this.em.execute(
      `insert into order_history (id, order_id, sequence, action, old_status, new_status, description,
                                  performed_by_id, additional_data, ip_address, user_agent, created_at,
                                  previous_hash, hash)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        next.id,
        next.orderId,
        next.sequence,
        next.action,
        next.oldStatus,
        next.newStatus,
        next.description,
        next.performedById,
        next.additionalData === null ? null : JSON.stringify(next.additionalData),
        next.ipAddress,
        next.userAgent,
        next.createdAt,
        next.previousHash,
        next.hash,
      ],
    );
  }

  /** The order's next entry, hashed, as it will be stored; the chain head moves on to it. */
  private async nextEntry(input: RecordHistoryInput): Promise<HashedContent & { hash: string }> {
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
    // Normalised to exactly what PostgreSQL stores, so that the hash can be recomputed from the row.
    // Strictly increasing created_at per order, so that created_at order and chain order agree.
    const createdAt = Math.max(Date.now(), head.createdAt + 1);
    const content: HashedContent = {
      id: randomUUID(),
      orderId,
      sequence: head.sequence + 1,
      action: input.action,
      oldStatus: input.oldStatus == null ? null : cleanText(input.oldStatus),
      newStatus: input.newStatus == null ? null : cleanText(input.newStatus),
      description: cleanText(input.description),
      performedById: context?.actorId ? context.actorId : null,
      additionalData: normalizeJson(input.additionalData),
      ipAddress: context?.ip ? cleanTextUpTo(context.ip, 45) : null,
      userAgent: context?.userAgent ? cleanTextUpTo(context.userAgent, 512) : null,
      createdAt: new Date(createdAt).toISOString(),
      previousHash: head.hash,
    };
    const hash = hashEntry(content);
    heads.set(orderId, { sequence: content.sequence, hash, createdAt });
    return { ...content, hash };
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
