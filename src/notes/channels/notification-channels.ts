import { Injectable } from '@nestjs/common';
import { LogChannel } from './log.channel';
import { NotificationChannel } from './notification-channel';
import { WebhookChannel } from './webhook.channel';

/** The channels by the name stored in customer_notifications.channel. */
@Injectable()
export class NotificationChannels {
  private readonly byName: Map<string, NotificationChannel>;

  constructor(log: LogChannel, webhook: WebhookChannel) {
    this.byName = new Map<string, NotificationChannel>([
      [log.name, log],
      [webhook.name, webhook],
    ]);
  }

  get(name: string): NotificationChannel | undefined {
    return this.byName.get(name);
  }
}
