import { registerDecorator, ValidationOptions } from 'class-validator';

/** numeric(12,2): the largest amount a money column holds, in cents. */
export const MAX_CENTS = 999_999_999_999;

const DECIMAL = /^(\d{1,10})(?:\.(\d{1,2}))?$/;

/**
 * Money arrives as a decimal string ("19.99") or a JSON number (19.99) with at most two decimals;
 * it is computed in integer cents and stored and answered as a decimal string.
 */
export function parseMoney(value: unknown): number | null {
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value;
  if (typeof text !== 'string') return null;
  const match = DECIMAL.exec(text.trim());
  if (!match) return null;
  const cents = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  return cents <= MAX_CENTS ? cents : null;
}

/** Cents of a value that is known to be valid money (a stored column, a validated DTO field). */
export function toCents(value: string | number): number {
  const cents = parseMoney(value);
  if (cents === null) throw new Error(`Not a money amount: ${String(value)}`);
  return cents;
}

export function fromCents(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** Normalises stored numeric values ("7.5", "7.50") to two decimals. */
export function formatMoney(value: string | number): string {
  return fromCents(toCents(value));
}

/** A decimal string or number with at most two decimals, ≥ 0 (or > 0 with `positive`). */
export function IsMoney(options: { positive?: boolean } = {}, validationOptions?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isMoney',
      target: object.constructor,
      propertyName,
      options: validationOptions,
      validator: {
        validate: (value: unknown) => {
          const cents = parseMoney(value);
          return cents !== null && (!options.positive || cents > 0);
        },
        defaultMessage: () =>
          `must be a decimal amount with at most 2 decimals${options.positive ? ', above 0' : ', 0 or more'}, up to 9999999999.99`,
      },
    });
}
