import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { FilterQuery } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { offsetOf, Page, PageQueryDto, toPage } from '../common/pagination';
import { CustomerNotification } from './customer-notification.entity';
import { NotificationStatus } from './notification-status.enum';
import { MayReadFromReplica } from '../database/read-replicas';

const UNDELIVERED = [NotificationStatus.PENDING, NotificationStatus.FAILED];

export interface NewNotificationRow {
  orderId: string;
  noteId: string;
  channel: string;
  payload: Record<string, unknown>;
}

/** A notification as a dispatcher claimed it. */
export interface ClaimedNotificationRow {
  id: string;
  note_id: string | null;
  channel: string;
  payload: Record<string, unknown>;
  attempts: number;
  created_at: Date;
}

export interface NotificationFilter {
  status?: NotificationStatus;
  orderId?: string;
}

/**
 * customer_notifications, the outbox. Written only by these statements (never by an entity flush),
 * since the dispatcher's claims and settles must be single guarded statements; read as entities.
 */
@Injectable()
export class NotificationsRepository {
  constructor(private readonly em: EntityManager) {}

  /** Queues a row in the caller's transaction (the note it announces must be stored already). */
  async insert(row: NewNotificationRow): Promise<string> {
    const id = randomUUID();
    await this.em.execute(
      `insert into customer_notifications (id, created_at, updated_at, order_id, note_id, channel, payload, status,
                                           attempts, next_attempt_at)
       values (?, now(), now(), ?, ?, ?, ?, ?, 0, now())`,
      [id, row.orderId, row.noteId, row.channel, JSON.stringify(row.payload), NotificationStatus.PENDING],
    );
    return id;
  }

  /** Deletes the note's rows that have not reached the customer; delivered rows stay as the record. */
  async deleteUndelivered(noteId: string): Promise<number> {
    const deleted = await this.em.execute<{ id: string }[]>(
      'delete from customer_notifications where note_id = ? and status in (?, ?) returning id',
      [noteId, ...UNDELIVERED],
    );
    return deleted.length;
  }

  /** Puts the note's current text into its undelivered rows. */
  async refreshUndelivered(noteId: string, text: string): Promise<void> {
    await this.em.execute(
      `update customer_notifications
          set payload = jsonb_set(payload, '{note}', to_jsonb(?::text)), updated_at = now()
        where note_id = ? and status in (?, ?)`,
      [text, noteId, ...UNDELIVERED],
    );
  }

  /** A failed row back to pending, due now, with a fresh attempt budget; false when it is not failed. */
  async resetFailed(id: string): Promise<boolean> {
    const reset = await this.em.execute<{ id: string }[]>(
      `update customer_notifications
          set status = ?, attempts = 0, next_attempt_at = now(), updated_at = now()
        where id = ? and status = ?
        returning id`,
      [NotificationStatus.PENDING, id, NotificationStatus.FAILED],
    );
    return reset.length > 0;
  }

  /** The row as stored now (re-read: the statements above bypass the identity map). */
  findById(id: string): Promise<CustomerNotification | null> {
    return this.em.findOne(CustomerNotification, { id }, { refresh: true });
  }

  @MayReadFromReplica()
  async page(
    filter: NotificationFilter,
    orderBy: Record<string, 'asc' | 'desc'>[],
    query: Pick<PageQueryDto, 'page' | 'pageSize'>,
  ): Promise<Page<CustomerNotification>> {
    const where: FilterQuery<CustomerNotification> = {};
    if (filter.status) where.status = filter.status;
    if (filter.orderId) where.order = filter.orderId;
    const [rows, total] = await this.em.findAndCount(CustomerNotification, where, {
      orderBy: [...orderBy, { id: 'desc' }],
      limit: query.pageSize,
      offset: offsetOf(query),
    });
    return toPage(rows, total, query);
  }

  /**
   * Takes up to `limit` due rows (`pending`, `next_attempt_at <= now()`) that no other dispatcher
   * holds (FOR UPDATE SKIP LOCKED), counts the attempt and leases them for `leaseMs`.
   */
  claim(leaseMs: number, limit: number, orderIds?: string[]): Promise<ClaimedNotificationRow[]> {
    const byOrder = orderIds ? 'and order_id in (?)' : '';
    return this.em.execute<ClaimedNotificationRow[]>(
      `update customer_notifications n
          set attempts = n.attempts + 1,
              next_attempt_at = now() + (? * interval '1 millisecond'),
              updated_at = now()
        where n.id in (
              select id from customer_notifications
               where status = ? and next_attempt_at <= now() ${byOrder}
               order by next_attempt_at, id
               limit ?
                 for update skip locked)
    returning n.id, n.note_id, n.channel, n.payload, n.attempts, n.created_at`,
      [leaseMs, NotificationStatus.PENDING, ...(orderIds ? [orderIds] : []), limit],
    );
  }

  /**
   * Settles a claimed row as sent, only while it is still pending with the attempt count its
   * dispatcher claimed (a row re-claimed after a lease expiry is settled once). Undefined when
   * another dispatcher settled it; else the note it announced.
   */
  async settleSent(id: string, attempts: number): Promise<{ noteId: string | null } | undefined> {
    const [settled] = await this.em.execute<{ note_id: string | null }[]>(
      `update customer_notifications
          set status = ?, sent_at = now(), last_error = null, updated_at = now()
        where id = ? and status = ? and attempts = ?
    returning note_id`,
      [NotificationStatus.SENT, id, NotificationStatus.PENDING, attempts],
    );
    return settled ? { noteId: settled.note_id } : undefined;
  }

  /** The next attempt after `delayMs`, guarded like settleSent; false when it was settled elsewhere. */
  async scheduleRetry(id: string, attempts: number, delayMs: number, error: string): Promise<boolean> {
    const settled = await this.em.execute<{ id: string }[]>(
      `update customer_notifications
          set next_attempt_at = now() + (? * interval '1 millisecond'), last_error = ?, updated_at = now()
        where id = ? and status = ? and attempts = ?
    returning id`,
      [delayMs, error, id, NotificationStatus.PENDING, attempts],
    );
    return settled.length > 0;
  }

  /** Gives up on the row, guarded like settleSent; false when it was settled elsewhere. */
  async settleFailed(id: string, attempts: number, error: string): Promise<boolean> {
    const settled = await this.em.execute<{ id: string }[]>(
      `update customer_notifications
          set status = ?, last_error = ?, updated_at = now()
        where id = ? and status = ? and attempts = ?
    returning id`,
      [NotificationStatus.FAILED, error, id, NotificationStatus.PENDING, attempts],
    );
    return settled.length > 0;
  }
}
