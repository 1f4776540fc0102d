import { createHash } from 'node:crypto';
import { canonicalJson } from '../common/idempotency/canonical-json';

/** The content of an entry that its hash covers; the chain links it to the entry before. */
export interface HashedContent {
  id: string;
  orderId: string;
  sequence: number;
  action: string;
  oldStatus: string | null;
  newStatus: string | null;
  description: string;
  performedById: string | null;
  additionalData: Record<string, unknown> | null;
  ipAddress: string | null;
  userAgent: string | null;
  createdAt: string;
  previousHash: string | null;
}

export function hashEntry(content: HashedContent): string {
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}
