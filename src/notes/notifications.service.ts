import { Injectable } from '@nestjs/common';
import { FilterQuery } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { AppConfig } from '../config/app-config';
import { ConflictError, NotFoundError } from '../common/errors';
import { offsetOf, Page, parseSort, toPage } from '../common/pagination';
import { Order } from '../orders/order.entity';
import { User } from '../identity/user.entity';
import { CustomerNotification } from './customer-notification.entity';
import { NotificationStatus } from './notification-status.enum';
import { OrderNote } from './order-note.entity';
import { ListNotificationsQueryDto } from './dto/notification.dto';

export const NOTE_NOTIFICATION_TYPE = 'order.note';

const SORTABLE = { createdAt: 'createdAt', nextAttemptAt: 'nextAttemptAt', sentAt: 'sentAt' };
const UNDELIVERED = [NotificationStatus.PENDING, NotificationStatus.FAILED];

/**
 * The customer-notification outbox: rows are written in the transaction of the note they announce
 * and delivered later by NotificationDispatcherJob.
 */
@Injectable()
export class NotificationsService {
  constructor(
    private readonly em: EntityManager,
    private readonly config: AppConfig,
  ) {}

  /** The channel is fixed when the row is written: a webhook when one is configured, else the log. */
  channelForNewNotification(): string {
    return this.config.get('NOTIFY_WEBHOOK_URL') ? 'webhook' : 'log';
  }

  /** Queues the notification of a public note to the order's customer (same transaction). */
  enqueueForNote(note: OrderNote, order: Order, customer: User): CustomerNotification {
    const payload = {
      type: NOTE_NOTIFICATION_TYPE,
      orderId: order.id,
      orderNumber: order.orderNumber,
      noteId: note.id,
      note: note.note,
      noteCreatedAt: note.createdAt.toISOString(),
      customer: { id: customer.id, email: customer.email, name: customer.fullName },
    };
    const notification = new CustomerNotification(order, note, this.channelForNewNotification(), payload);
    this.em.persist(notification);
    return notification;
  }

  /**
   * Withdraws what has not reached the customer yet (the note was deleted, made internal or no
   * longer notifies). Delivered rows stay: they record what the customer was sent.
   */
  async cancelUndelivered(noteId: string): Promise<number> {
    return this.em.nativeDelete(CustomerNotification, { note: noteId, status: { $in: UNDELIVERED } });
  }

  /** An edited note is announced with its current text if it has not gone out yet. */
  async refreshUndelivered(noteId: string, text: string): Promise<void> {
    await this.em.execute(
      `update customer_notifications
          set payload = jsonb_set(payload, '{note}', to_jsonb(?::text)), updated_at = now()
        where note_id = ? and status in (?, ?)`,
      [text, noteId, ...UNDELIVERED],
    );
  }

  async get(id: string): Promise<CustomerNotification> {
    const notification = await this.em.findOne(CustomerNotification, { id });
    if (!notification) throw new NotFoundError('Notification', id);
    return notification;
  }

  async list(query: ListNotificationsQueryDto): Promise<Page<CustomerNotification>> {
    const where: FilterQuery<CustomerNotification> = {};
    if (query.status) where.status = query.status;
    if (query.orderId) where.order = query.orderId;
    const [rows, total] = await this.em.findAndCount(CustomerNotification, where, {
      orderBy: [...parseSort(query.sort, SORTABLE, '-createdAt'), { id: 'desc' }],
      limit: query.pageSize,
      offset: offsetOf(query),
    });
    return toPage(rows, total, query);
  }

  /** A failed notification back to pending, due now, with a fresh attempt budget; else 409. */
  async retry(id: string): Promise<CustomerNotification> {
    const reset = await this.em.execute<{ id: string }[]>(
      `update customer_notifications
          set status = ?, attempts = 0, next_attempt_at = now(), updated_at = now()
        where id = ? and status = ?
        returning id`,
      [NotificationStatus.PENDING, id, NotificationStatus.FAILED],
    );
    if (reset.length === 0) {
      const current = await this.get(id);
      throw new ConflictError(
        `Notification ${id} is ${current.status}; only a failed notification can be retried`,
        { currentStatus: current.status },
      );
    }
    const notification = await this.em.findOne(CustomerNotification, { id }, { refresh: true });
    if (!notification) throw new NotFoundError('Notification', id);
    return notification;
  }
}
