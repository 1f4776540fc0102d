import { request as httpRequest, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, webhookSignature } from '../notes/webhook-signature';
import { IntegrationEvent } from './integration-event';
import { pinnedLookup, UnsafeWebhookUrlError, WebhookAddressGuard } from './webhook-address-guard';

export const EVENT_ID_HEADER = 'X-OMS-Event-Id';
export const EVENT_TYPE_HEADER = 'X-OMS-Event-Type';

export interface SendResult {
  ok: boolean;
  /** The receiver's HTTP status, when it answered. */
  status: number | null;
  /** Why it failed, in one line. */
  error: string | null;
}

/**
 * One signed POST of an event to a subscription's URL: the address checked again and pinned (see
 * webhook-address-guard.ts), redirects not followed (a 3xx is a failed attempt), the whole
 * exchange bounded by WEBHOOK_TIMEOUT_MS so that a hanging receiver costs one timeout and nothing
 * else. Never throws.
 */
@Injectable()
export class WebhookSender {
  constructor(
    private readonly config: AppConfig,
    private readonly guard: WebhookAddressGuard,
  ) {}

  async send(target: { url: string; secret: string }, event: IntegrationEvent): Promise<SendResult> {
    const timeoutMs = this.config.get('WEBHOOK_TIMEOUT_MS');
    const body = JSON.stringify(event);
    const timestamp = String(Math.floor(Date.now() / 1000));
    try {
      const url = this.guard.parse(target.url);
      const address = await this.guard.checkedAddress(url);
      const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(
          url,
          {
            method: 'POST',
            lookup: pinnedLookup(address) as never,
            signal: AbortSignal.timeout(timeoutMs),
            headers: {
              'Content-Type': 'application/json',
              'Content-Length': Buffer.byteLength(body),
              'User-Agent': 'OMS-Webhooks/1',
              [EVENT_ID_HEADER]: event.id,
              [EVENT_TYPE_HEADER]: event.type,
              [TIMESTAMP_HEADER]: timestamp,
              [SIGNATURE_HEADER]: webhookSignature(target.secret, timestamp, event.id, body),
            },
          },
          (res: IncomingMessage) => {
            // The answer's body is not used; read it to the end so the exchange completes.
            res.on('data', () => undefined);
            res.on('end', () => resolve(res.statusCode ?? 0));
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
      if (status >= 200 && status < 300) return { ok: true, status, error: null };
      return { ok: false, status, error: `receiver answered HTTP ${status}` };
    } catch (error) {
      return { ok: false, status: null, error: describeFailure(error, timeoutMs) };
    }
  }
}

function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof UnsafeWebhookUrlError) return `refused: ${error.message}`;
  const err = error as NodeJS.ErrnoException;
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') {
    return `receiver did not answer within ${timeoutMs} ms`;
  }
  return `request failed: ${err?.message ?? String(error)}${err?.code ? ` (${err.code})` : ''}`;
}
