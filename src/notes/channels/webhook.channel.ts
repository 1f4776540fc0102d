import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import {
  NOTIFICATION_ID_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  webhookSignature,
} from '../webhook-signature';
import { NotificationChannel, OutgoingNotification } from './notification-channel';

/** Why a request failed, in one line for `last_error`. */
function describeFailure(error: unknown, timeoutMs: number): string {
  const err = error as Error & { cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') {
    return `webhook timed out after ${timeoutMs} ms`;
  }
  const cause = err?.cause?.code ?? err?.cause?.message;
  return `webhook request failed: ${err?.message ?? String(error)}${cause ? ` (${cause})` : ''}`;
}

/**
 * JSON POST to NOTIFY_WEBHOOK_URL, signed as described in webhook-signature.ts. Anything but a
 * 2xx answer within NOTIFY_TIMEOUT_MS (redirects included) is a failed attempt.
 */
@Injectable()
export class WebhookChannel implements NotificationChannel {
  readonly name = 'webhook';

  constructor(private readonly config: AppConfig) {}

  async deliver(notification: OutgoingNotification): Promise<void> {
    const url = this.config.get('NOTIFY_WEBHOOK_URL');
    const secret = this.config.get('NOTIFY_WEBHOOK_SECRET');
    if (!url || !secret) {
      throw new Error('webhook channel is not configured (NOTIFY_WEBHOOK_URL, NOTIFY_WEBHOOK_SECRET)');
    }
    const timeoutMs = this.config.get('NOTIFY_TIMEOUT_MS');
    const body = JSON.stringify({
      id: notification.id,
      type: notification.payload.type ?? 'notification',
      attempt: notification.attempt,
      createdAt: notification.createdAt.toISOString(),
      data: notification.payload,
    });
    const timestamp = String(Math.floor(Date.now() / 1000));

    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'OMS-Notifier/1',
          [NOTIFICATION_ID_HEADER]: notification.id,
          [TIMESTAMP_HEADER]: timestamp,
          [SIGNATURE_HEADER]: webhookSignature(secret, timestamp, notification.id, body),
        },
        body,
      });
    } catch (error) {
      throw new Error(describeFailure(error, timeoutMs));
    }
    // The answer's body is not used; release the connection.
    await response.body?.cancel().catch(() => undefined);
    if (!response.ok) {
      throw new Error(`webhook answered HTTP ${response.status}`);
    }
  }
}
