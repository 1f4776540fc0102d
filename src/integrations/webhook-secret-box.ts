import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DomainError } from '../common/errors';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The 32-byte key of WEBHOOK_SECRET_KEY (64 hex digits or base64). */
export function parseSecretKey(value: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (key.length !== 32) throw new Error('WEBHOOK_SECRET_KEY must be 32 bytes (64 hex digits or base64)');
  return key;
}

/**
 * Subscription secrets at rest: AES-256-GCM with WEBHOOK_SECRET_KEY, a random IV per secret and the
 * subscription's id as additional data (a sealed secret copied to another row does not open).
 * Someone who can read the database but not the environment cannot sign as OMS.
 */
@Injectable()
export class WebhookSecretBox {
  private readonly key: Buffer | null;

  constructor(config: AppConfig) {
    const value = config.get('WEBHOOK_SECRET_KEY');
    this.key = value ? parseSecretKey(value) : null;
  }

  private requireKey(): Buffer {
    if (!this.key) {
      throw new DomainError(
        503,
        'NOT_CONFIGURED',
        'Webhook subscriptions need WEBHOOK_SECRET_KEY (the key their secrets are encrypted with)',
      );
    }
    return this.key;
  }

  seal(secret: string, subscriptionId: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.requireKey(), iv);
    cipher.setAAD(Buffer.from(subscriptionId, 'utf8'));
    const encrypted = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), encrypted]).toString('base64')}`;
  }

  open(sealed: string, subscriptionId: string): string {
    const [version, body] = sealed.split(':');
    if (version !== VERSION || !body) throw new Error('unknown sealed secret format');
    const raw = Buffer.from(body, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.requireKey(), raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(subscriptionId, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      throw new Error('the subscription secret does not decrypt (was WEBHOOK_SECRET_KEY changed?)');
    }
  }
}
