import { AppConfig } from '../config/app-config';
import { DomainError } from '../common/errors';
import { WebhookSecretBox } from './webhook-secret-box';

const KEY = '7f3c1e9a5b2d4f6081a3c5e7092b4d6f8a1c3e5072b4d6f8091a2b3c4d5e6f70';
const box = (key: string | undefined) => new WebhookSecretBox({ get: () => key } as unknown as AppConfig);

describe('WebhookSecretBox', () => {
  const secret = 'receiver-secret-0123456789-abcdefghijklmnop';

  it('seals so that the stored text does not contain the secret, and opens it again', () => {
    const sealed = box(KEY).seal(secret, 'sub-1');
    expect(sealed).not.toContain(secret);
    expect(sealed).not.toBe(box(KEY).seal(secret, 'sub-1'));
    expect(box(KEY).open(sealed, 'sub-1')).toBe(secret);
    expect(box(Buffer.from(KEY, 'hex').toString('base64')).open(sealed, 'sub-1')).toBe(secret);
  });

  it('does not open with another key, for another subscription, or when tampered with', () => {
    const sealed = box(KEY).seal(secret, 'sub-1');
    expect(() => box('0'.repeat(64)).open(sealed, 'sub-1')).toThrow(/does not decrypt/);
    expect(() => box(KEY).open(sealed, 'sub-2')).toThrow(/does not decrypt/);
    const tampered = `${sealed.slice(0, -4)}${sealed.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    expect(() => box(KEY).open(tampered, 'sub-1')).toThrow();
  });

  it('refuses to store a secret without WEBHOOK_SECRET_KEY (503)', () => {
    expect(() => box(undefined).seal(secret, 'sub-1')).toThrow(DomainError);
  });
});
