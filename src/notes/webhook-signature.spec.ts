import { createHmac } from 'node:crypto';
import { verifyWebhookSignature, webhookSignature } from './webhook-signature';

const secret = 'a-webhook-secret-0123456789';
const body = JSON.stringify({ id: 'n-1', data: { note: 'Hello' } });
const now = new Date('2026-01-01T12:00:00Z');
const timestamp = String(Math.floor(now.getTime() / 1000));

describe('webhook signature', () => {
  it('is the hex HMAC-SHA256 of "<timestamp>.<id>.<body>"', () => {
    const expected = createHmac('sha256', secret).update(`${timestamp}.n-1.${body}`).digest('hex');
    expect(webhookSignature(secret, timestamp, 'n-1', body)).toBe(`sha256=${expected}`);
  });

  it('verifies an intact request', () => {
    const signature = webhookSignature(secret, timestamp, 'n-1', body);
    expect(
      verifyWebhookSignature({ secret, signature, timestamp, notificationId: 'n-1', rawBody: body, now }),
    ).toBe(true);
  });

  it('rejects a changed body, id, timestamp or secret', () => {
    const signature = webhookSignature(secret, timestamp, 'n-1', body);
    const base = { secret, signature, timestamp, notificationId: 'n-1', rawBody: body, now };
    expect(verifyWebhookSignature({ ...base, rawBody: body.replace('Hello', 'Hellp') })).toBe(false);
    expect(verifyWebhookSignature({ ...base, notificationId: 'n-2' })).toBe(false);
    expect(verifyWebhookSignature({ ...base, timestamp: String(Number(timestamp) + 1) })).toBe(false);
    expect(verifyWebhookSignature({ ...base, secret: `${secret}x` })).toBe(false);
    expect(verifyWebhookSignature({ ...base, signature: undefined })).toBe(false);
  });

  it('rejects a stale timestamp (replay)', () => {
    const old = String(Number(timestamp) - 3600);
    const signature = webhookSignature(secret, old, 'n-1', body);
    expect(
      verifyWebhookSignature({
        secret,
        signature,
        timestamp: old,
        notificationId: 'n-1',
        rawBody: body,
        now,
      }),
    ).toBe(false);
  });
});
