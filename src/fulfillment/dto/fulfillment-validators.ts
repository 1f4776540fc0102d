import {
  isUUID,
  registerDecorator,
  ValidationArguments,
  ValidationOptions,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';

export const MAX_FULFILLMENT_LINES = 200;
export const MAX_LINE_QUANTITY = 1_000_000;

/** What is wrong with an `{orderItemId: quantity}` map, or null when it is valid. */
export function quantityMapProblem(value: unknown): string | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return 'must be an object mapping order item ids to quantities';
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return 'must name at least one order item';
  if (entries.length > MAX_FULFILLMENT_LINES) return `must not name more than ${MAX_FULFILLMENT_LINES} items`;
  const badKeys = entries.filter(([key]) => !isUUID(key)).map(([key]) => key);
  if (badKeys.length) return `keys must be order item UUIDs (not: ${badKeys.slice(0, 5).join(', ')})`;
  const lowered = new Set(entries.map(([key]) => key.toLowerCase()));
  if (lowered.size !== entries.length) return 'must not name an order item twice';
  const badValues = entries
    .filter(([, q]) => typeof q !== 'number' || !Number.isInteger(q) || q < 1 || q > MAX_LINE_QUANTITY)
    .map(([key]) => key);
  if (badValues.length) {
    return `quantities must be integers from 1 to ${MAX_LINE_QUANTITY} (not for: ${badValues.slice(0, 5).join(', ')})`;
  }
  return null;
}

@ValidatorConstraint({ name: 'isQuantityMap', async: false })
export class IsQuantityMapConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return quantityMapProblem(value) === null;
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} ${quantityMapProblem(args.value) ?? 'is not valid'}`;
  }
}

/** `{ "<order item uuid>": <positive integer>, ... }`, not empty. */
export function IsQuantityMap(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      target: object.constructor,
      propertyName,
      options,
      constraints: [],
      validator: IsQuantityMapConstraint,
    });
}

const WEIGHT_STRING = /^\d{1,7}(\.\d{1,3})?$/;
const MAX_WEIGHT_GRAMS = 9_999_999_999;

/** A weight (kg) as grams, from a decimal string or a number with at most 3 decimals; null if invalid. */
export function weightToGrams(value: unknown): number | null {
  if (typeof value === 'string') {
    if (!WEIGHT_STRING.test(value)) return null;
    const [whole, fraction = ''] = value.split('.');
    return Number(whole) * 1000 + Number(fraction.padEnd(3, '0'));
  }
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) {
    const grams = Math.round(value * 1000);
    if (Math.abs(grams - value * 1000) > 1e-6 || grams > MAX_WEIGHT_GRAMS) return null;
    return grams;
  }
  return null;
}

/** Grams as the decimal string stored in `weight` (numeric(10,3)). */
export function gramsToWeight(grams: number): string {
  return `${Math.floor(grams / 1000)}.${String(grams % 1000).padStart(3, '0')}`;
}

@ValidatorConstraint({ name: 'isWeight', async: false })
export class IsWeightConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return weightToGrams(value) !== null;
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be a number or decimal string ≥ 0 with at most 3 decimals and 7 whole digits (kg)`;
  }
}

/** A weight in kilograms: `1.25` or `"1.250"`, ≥ 0, at most 3 decimals. */
export function IsWeight(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      target: object.constructor,
      propertyName,
      options,
      constraints: [],
      validator: IsWeightConstraint,
    });
}
