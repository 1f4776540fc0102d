import { BadRequestError } from './errors';

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
/** A date, `T` or a space, then a time: `2026-01-31T12:00`, `2026-01-31 12:00:00.5+05:30`. */
const DATE_TIME = /^([^T ]+)[T ](.+)$/i;
/** The offset that ends a time: `+05`, `+0530` or `+05:30`. */
const OFFSET = /([+-])(\d{2}):?(\d{2})?$/;
const DAY_MS = 24 * 60 * 60 * 1000;

/** `2026-01-31`: a calendar date without a time. */
export function isDateOnly(value: string): boolean {
  return DATE_ONLY.test(value);
}

/**
 * An ISO-8601 date or date-time from a query or body; without a zone it is UTC, never the server's
 * local time (`new Date('2026-01-31T12:00:00')` would be local). A date alone is its start (00:00
 * UTC). Unparseable input is a 400 naming the field.
 */
export function parseInstant(value: string, field: string): Date {
  const date = new Date(normalize(value));
  if (Number.isNaN(date.getTime())) {
    throw new BadRequestError(`${field} is not a date`, [
      { field, message: 'must be an ISO-8601 date or date-time, e.g. 2026-01-31 or 2026-01-31T12:00:00Z' },
    ]);
  }
  return date;
}

/**
 * The exclusive end of an inclusive `to`: a date alone includes that whole day (the next day's
 * start, UTC), an instant stays itself (compare with `<=`, see `inclusive`).
 */
export function parseInclusiveEnd(value: string, field: string): { at: Date; inclusive: boolean } {
  const at = parseInstant(value, field);
  return isDateOnly(value)
    ? { at: new Date(at.getTime() + DAY_MS), inclusive: false }
    : { at, inclusive: true };
}

/**
 * Every `to`-style upper bound of a filter (`to`, `createdTo`) is inclusive: `{ $lte: instant }`,
 * or for a date alone `{ $lt: next day's start }` (the whole day, UTC). `…Before` bounds are not
 * upper bounds of this kind: they are strict (`parseInstant`, `$lt`).
 */
export function inclusiveEndCondition(value: string, field: string): { $lt: Date } | { $lte: Date } {
  const end = parseInclusiveEnd(value, field);
  return end.inclusive ? { $lte: end.at } : { $lt: end.at };
}

/** The same bound for hand-written SQL: `column <= ?` or `column < ?`, and its parameter. */
export function inclusiveEndSql(column: string, value: string, field: string): [string, Date] {
  const end = parseInclusiveEnd(value, field);
  return [`${column} ${end.inclusive ? '<=' : '<'} ?`, end.at];
}

/** `date T time zone`, the zone spelled `Z` or `±HH:MM` (what Date parses); a date alone as it is. */
function normalize(value: string): string {
  const match = DATE_TIME.exec(value);
  if (!match) return value;
  const [, date, time] = match;
  if (/z$/i.test(time)) return `${date}T${time.slice(0, -1)}Z`;
  const offset = OFFSET.exec(time);
  if (!offset) return `${date}T${time}Z`;
  const [suffix, sign, hours, minutes = '00'] = offset;
  return `${date}T${time.slice(0, -suffix.length)}${sign}${hours}:${minutes}`;
}
