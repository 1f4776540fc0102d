import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { ConflictError, NotFoundError } from '../common/errors';
import { Page, parseSort } from '../common/pagination';
import { User } from '../identity/user.entity';
import { CustomerNotification } from './customer-notification.entity';
import { OrderNote } from './order-note.entity';
import { NotificationsRepository } from './notifications.repository';
import { ListNotificationsQueryDto } from './dto/notification.dto';

export const NOTE_NOTIFICATION_TYPE = 'order.note';

const SORTABLE = { createdAt: 'createdAt', nextAttemptAt: 'nextAttemptAt', sentAt: 'sentAt' };

/**
 * The customer-notification outbox: rows are written in the transaction of the note they announce
 * and delivered later by NotificationDispatcherJob.
 */
@Injectable()
export class NotificationsService {
  constructor(
    private readonly repository: NotificationsRepository,
    private readonly config: AppConfig,
  ) {}

  /** The channel is fixed when the row is written: a webhook when one is configured, else the log. */
  channelForNewNotification(): string {
    return this.config.get('NOTIFY_WEBHOOK_URL') ? 'webhook' : 'log';
  }

  /** Queues the notification of a stored public note to the order's customer (same transaction). */
  async enqueueForNote(
    note: OrderNote,
    order: { id: string; orderNumber: string },
    customer: User,
  ): Promise<void> {
    await this.repository.insert({
      orderId: order.id,
      noteId: note.id,
      channel: this.channelForNewNotification(),
      payload: {
        type: NOTE_NOTIFICATION_TYPE,
        orderId: order.id,
        orderNumber: order.orderNumber,
        noteId: note.id,
        note: note.note,
        noteCreatedAt: note.createdAt.toISOString(),
        customer: { id: customer.id, email: customer.email, name: customer.fullName },
      },
    });
  }

  /**
   * Withdraws what has not reached the customer yet (the note was deleted, made internal or no
   * longer notifies). Delivered rows stay: they record what the customer was sent.
   */
  cancelUndelivered(noteId: string): Promise<number> {
    return this.repository.deleteUndelivered(noteId);
  }

  /** An edited note is announced with its current text if it has not gone out yet. */
  refreshUndelivered(noteId: string, text: string): Promise<void> {
    return this.repository.refreshUndelivered(noteId, text);
  }

  async get(id: string): Promise<CustomerNotification> {
    const notification = await this.repository.findById(id);
    if (!notification) throw new NotFoundError('Notification', id);
    return notification;
  }

  list(query: ListNotificationsQueryDto): Promise<Page<CustomerNotification>> {
    return this.repository.page(
      { status: query.status, orderId: query.orderId },
      parseSort(query.sort, SORTABLE, '-createdAt'),
      query,
    );
  }

  /** A failed notification back to pending, due now, with a fresh attempt budget; else 409. */
  async retry(id: string): Promise<CustomerNotification> {
    if (!(await this.repository.resetFailed(id))) {
      const current = await this.get(id);
      throw new ConflictError(
        `Notification ${id} is ${current.status}; only a failed notification can be retried`,
        { currentStatus: current.status },
      );
    }
    return this.get(id);
  }
}
