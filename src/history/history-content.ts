/**
 * An entry's content is normalised before it is written, to what PostgreSQL can store and gives
 * back unchanged (the hash is computed in the database over the stored columns, so the two always
 * agree; normalising keeps the values storable and the entry equal to what the caller recorded):
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
