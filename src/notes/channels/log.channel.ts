import { Injectable, Logger } from '@nestjs/common';
import { NotificationChannel, OutgoingNotification } from './notification-channel';

/** The default channel: the notification goes to the application log (development, demos). */
@Injectable()
export class LogChannel implements NotificationChannel {
  readonly name = 'log';
  private readonly logger = new Logger('CustomerNotification');

  deliver(notification: OutgoingNotification): Promise<void> {
    const { orderNumber, noteId, customer } = notification.payload as {
      orderNumber?: string;
      noteId?: string;
      customer?: { id?: string };
    };
    this.logger.log(
      `Notification ${notification.id} (attempt ${notification.attempt}): note ${noteId ?? '-'} ` +
        `on order ${orderNumber ?? '-'} for customer ${customer?.id ?? '-'}`,
    );
    return Promise.resolve();
  }
}
