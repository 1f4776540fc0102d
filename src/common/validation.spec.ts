import type { ValidationError } from '@nestjs/common';
import { flattenValidationErrors, validationFailed } from './validation';

const error = (property: string, constraints?: Record<string, string>, children: ValidationError[] = []) =>
  ({ property, constraints, children }) as ValidationError;

describe('validation errors', () => {
  const errors = [
    error('extra', { whitelistValidation: 'property extra should not exist' }),
    error('items', undefined, [
      error('1', undefined, [error('quantity', { min: 'quantity must not be less than 1' })]),
    ]),
  ];

  it('flattens nested errors into field paths and words unknown fields plainly', () => {
    expect(flattenValidationErrors(errors)).toEqual([
      { field: 'extra', message: 'is not an allowed field' },
      { field: 'items.1.quantity', message: 'quantity must not be less than 1' },
    ]);
  });

  it('summarises every field in the detail, by its path', () => {
    const failure = validationFailed(flattenValidationErrors(errors));
    expect(failure.status).toBe(400);
    expect(failure.code).toBe('VALIDATION_FAILED');
    expect(failure.message).toBe(
      'The request is not valid: extra is not an allowed field; items.1.quantity must not be less than 1',
    );
  });
});
