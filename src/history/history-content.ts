import { HashedContent } from './history-hash';

/**
 * What an entry's hash covers must be exactly what PostgreSQL stores and gives back, or a later
 * verification fails on an untouched row. Values are normalised here, before hashing, so that the
 * write and the read agree:
 * - text: PostgreSQL refuses NUL and the driver silently turns a lone UTF-16 surrogate into U+FFFD,
 *   so both are settled first; a length limit counts characters (code points), as varchar does;
 * - jsonb: the stored document is the JSON text of the value (toJSON applied, undefined dropped,
 *   NaN/Infinity as null), with key order irrelevant because the hash sorts keys;
 * - timestamps: JavaScript milliseconds, which timestamptz (microseconds) keeps exactly.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function cleanText(value: string): string {
  return value.replaceAll('\u0000', '').replace(LONE_SURROGATE, '\uFFFD');
}

/** Cleans `value` and keeps at most `maxLength` characters (code points, as varchar counts them). */
export function cleanTextUpTo(value: string, maxLength: number): string {
  const clean = cleanText(value);
  if (clean.length <= maxLength) return clean;
  return Array.from(clean).slice(0, maxLength).join('');
}

/** The value as jsonb will store and return it (see above), or null. */
export function normalizeJson(
  value: Record<string, unknown> | null | undefined,
): Record<string, unknown> | null {
  if (value === null || value === undefined) return null;
  const text = JSON.stringify(value);
  if (text === undefined) return null;
  return cleanJson(JSON.parse(text)) as Record<string, unknown> | null;
}

function cleanJson(value: unknown): unknown {
  if (typeof value === 'string') return cleanText(value);
  if (Array.isArray(value)) return value.map(cleanJson);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([key, item]) => [
        cleanText(key),
        cleanJson(item),
      ]),
    );
  }
  return value;
}

/** An order_history row as raw SQL returns it (snake_case, jsonb parsed, timestamptz as Date). */
export interface HistoryRow {
  id: string;
  order_id: string;
  sequence: number;
  action: string;
  old_status: string | null;
  new_status: string | null;
  description: string;
  performed_by_id: string | null;
  additional_data: Record<string, unknown> | null;
  ip_address: string | null;
  user_agent: string | null;
  created_at: Date;
  previous_hash: string | null;
  hash: string;
}

export const HISTORY_ROW_COLUMNS =
  'h.id, h.order_id, h.sequence, h.action, h.old_status, h.new_status, h.description, h.performed_by_id, ' +
  'h.additional_data, h.ip_address, h.user_agent, h.created_at, h.previous_hash, h.hash';

/** The hashed content of a stored row, for recomputing its hash. */
export function contentOfRow(row: HistoryRow): HashedContent {
  return {
    id: row.id,
    orderId: row.order_id,
    sequence: row.sequence,
    action: row.action,
    oldStatus: row.old_status,
    newStatus: row.new_status,
    description: row.description,
    performedById: row.performed_by_id,
    additionalData: row.additional_data,
    ipAddress: row.ip_address,
    userAgent: row.user_agent,
    createdAt: new Date(row.created_at).toISOString(),
    previousHash: row.previous_hash,
  };
}
