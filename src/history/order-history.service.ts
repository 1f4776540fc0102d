import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { RequestContext } from '../common/request-context';
import { BadRequestError, NotFoundError } from '../common/errors';
import type { ShippingAddress } from '../orders/order.entity';
import { OrderHistoryAction } from './order-history-action.enum';
import { cleanText, cleanTextUpTo, normalizeJson } from './history-content';
import { NewHistoryEntry, OrderHistoryRepository } from './order-history.repository';

export interface RecordHistoryInput {
  /** The order, or its id. */
  order: { id: string } | string;
  action: OrderHistoryAction;
  oldStatus?: string | null;
  newStatus?: string | null;
  description: string;
  additionalData?: Record<string, unknown> | null;
}

/** New values of an order's columns that a change sets (decimal strings for amounts). */
export interface OrderColumnsChange {
  totalAmount?: string;
  amountPaid?: string;
  amountRefunded?: string;
  shippingAddress?: ShippingAddress;
}

/** An entry as written: its place in the chain, its time and its hash. */
export interface RecordedEntry {
  id: string;
  orderId: string;
  sequence: number;
  createdAt: Date;
  hash: string;
}

const ACTIONS = new Set<string>(Object.values(OrderHistoryAction));

/**
 * The only way anything writes to order_history. Entries are written at once, by one statement
 * (OrderHistoryRepository.append) that takes the order lock, extends the order's hash chain and
 * inserts them: they join the caller's transaction (commit or roll back with the change they
 * record) and take performer, IP and user agent from the request context (none for jobs: the
 * system). Several entries recorded together (recordMany) cost one statement.
 */
@Injectable()
export class OrderHistoryService {
  constructor(private readonly repository: OrderHistoryRepository) {}

  async record(input: RecordHistoryInput): Promise<RecordedEntry> {
    const [entry] = await this.recordMany([input]);
    return entry;
  }

  /** The entries in one statement, each order's in the given order. */
  async recordMany(inputs: readonly RecordHistoryInput[]): Promise<RecordedEntry[]> {
    if (inputs.length === 0) return [];
    const entries = inputs.map((input) => this.entryOf(input));
    if (!this.repository.inTransaction()) {
      throw new Error('OrderHistoryService.record must run inside the unit of work');
    }
    const rows = await this.repository.append(entries);
    const byId = new Map(rows.map((row) => [row.id, row]));
    return entries.map((entry) => {
      const row = byId.get(entry.id);
      if (!row) throw new NotFoundError('Order', entry.orderId);
      return {
        id: row.id,
        orderId: row.order_id,
        sequence: row.sequence,
        createdAt: new Date(row.created_at),
        hash: row.hash,
      };
    });
  }

  /**
   * A change of an order and the entry recording it (oldStatus → newStatus, both required; equal
   * when the status stays) in ONE statement: the order row is locked, still `oldStatus` checked,
   * then the entry appended and the order's status and `columns` set, with updated_at and version,
   * as its history head moves. The one way an order's columns change after placement.
   */
  async recordOrderChange(
    input: RecordHistoryInput & { oldStatus: string; newStatus: string; columns?: OrderColumnsChange },
  ): Promise<RecordedEntry> {
    if (!this.repository.inTransaction()) {
      throw new Error('OrderHistoryService.recordOrderChange must run inside the unit of work');
    }
    const entry = this.entryOf(input);
    const [row] = await this.repository.appendWithOrderChanges(
      [entry],
      [
        {
          orderId: entry.orderId,
          from: input.oldStatus,
          to: input.newStatus === input.oldStatus ? undefined : input.newStatus,
          ...input.columns,
        },
      ],
    );
    if (!row) {
      throw new Error(`Order ${entry.orderId} was not ${input.oldStatus} (or is gone) when it was changed`);
    }
    return {
      id: row.id,
      orderId: row.order_id,
      sequence: row.sequence,
      createdAt: new Date(row.created_at),
      hash: row.hash,
    };
  }

  /** The entry's content as it will be stored (text PostgreSQL can store; see history-content.ts). */
  private entryOf(input: RecordHistoryInput): NewHistoryEntry {
    if (!ACTIONS.has(input.action)) {
      throw new BadRequestError(`Unknown history action: ${String(input.action)}`, [
        { field: 'action', message: `must be one of ${[...ACTIONS].join(', ')}` },
      ]);
    }
    const context = RequestContext.current();
    return {
      id: randomUUID(),
      orderId: typeof input.order === 'string' ? input.order : input.order.id,
      action: input.action,
      oldStatus: input.oldStatus == null ? null : cleanText(input.oldStatus),
      newStatus: input.newStatus == null ? null : cleanText(input.newStatus),
      description: cleanText(input.description),
      performedById: context?.actorId ? context.actorId : null,
      additionalData: normalizeJson(input.additionalData),
      ipAddress: context?.ip ? cleanTextUpTo(context.ip, 45) : null,
      userAgent: context?.userAgent ? cleanTextUpTo(context.userAgent, 512) : null,
    };
  }

  /** The entry's fields from the request context, for a write statement that appends it itself. */
  newEntry(input: RecordHistoryInput): NewHistoryEntry {
    return this.entryOf(input);
  }
}
