import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signing scheme of every webhook OMS sends: customer notifications (README.md, "Customer
 * notifications") and order events for integrators (src/integrations/webhook-sender.ts, with the
 * event id in X-OMS-Event-Id and the subscription's secret):
 *
 *   X-OMS-Notification-Id: <notification uuid>   (also `id` in the body; receivers dedupe on it)
 *   X-OMS-Timestamp:       <unix seconds when the request was signed>
 *   X-OMS-Signature:       sha256=<hex HMAC-SHA256(NOTIFY_WEBHOOK_SECRET, "<timestamp>.<id>.<raw body>")>
 *
 * The receiver recomputes the HMAC over the raw bytes it received, compares in constant time, and
 * rejects timestamps too far from its clock (replays).
 */
export const SIGNATURE_HEADER = 'X-OMS-Signature';
export const TIMESTAMP_HEADER = 'X-OMS-Timestamp';
export const NOTIFICATION_ID_HEADER = 'X-OMS-Notification-Id';

export function signedMaterial(timestamp: string, messageId: string, rawBody: string): string {
  return `${timestamp}.${messageId}.${rawBody}`;
}

export function webhookSignature(
  secret: string,
  timestamp: string,
  messageId: string,
  rawBody: string,
): string {
  const hex = createHmac('sha256', secret)
    .update(signedMaterial(timestamp, messageId, rawBody))
    .digest('hex');
  return `sha256=${hex}`;
}

export interface WebhookVerification {
  secret: string;
  signature: string | undefined;
  timestamp: string | undefined;
  notificationId: string | undefined;
  rawBody: string;
  /** Accepted clock difference in seconds; default five minutes. */
  toleranceSeconds?: number;
  now?: Date;
}

/** What a receiver does: true only for an intact, fresh, correctly signed request. */
export function verifyWebhookSignature(input: WebhookVerification): boolean {
  const { signature, timestamp, notificationId } = input;
  if (!signature || !timestamp || !notificationId || !/^\d+$/.test(timestamp)) return false;
  const now = Math.floor((input.now ?? new Date()).getTime() / 1000);
  if (Math.abs(now - Number(timestamp)) > (input.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(webhookSignature(input.secret, timestamp, notificationId, input.rawBody));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
