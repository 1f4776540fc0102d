import type { ValidationError } from '@nestjs/common';
import { IsInt, IsString, Length, Min } from 'class-validator';
import { BadRequestError } from './errors';
import { Optional } from './field-decorators';
import { AppValidationPipe, flattenValidationErrors, validationFailed } from './validation';

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

class NoteBody {
  @IsString()
  @Length(1, 200)
  title!: string;

  @Optional()
  @IsInt()
  @Min(1)
  priority?: number;
}

async function fieldErrorsOf(body: unknown) {
  try {
    await new AppValidationPipe().transform(body, { type: 'body', metatype: NoteBody });
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestError);
    return { detail: (error as BadRequestError).message, errors: (error as BadRequestError).extra };
  }
  return null;
}

describe('the validation pipe', () => {
  it('says a missing required field is required, not every rule it would have had to meet', async () => {
    const refused = await fieldErrorsOf({});
    expect(refused?.detail).toBe('The request is not valid: title is required');
  });

  it('keeps the rules broken by a value that is there, and never echoes the value', async () => {
    const refused = await fieldErrorsOf({ title: 42, priority: 0 });
    expect(refused?.detail).toContain('title must be a string');
    expect(refused?.detail).toContain('priority must not be less than 1');
    expect(JSON.stringify(refused)).not.toContain('42');
  });

  it('says a null where none is taken is not allowed, and lets an absent optional field pass', async () => {
    expect((await fieldErrorsOf({ title: 'x', priority: null }))?.detail).toBe(
      'The request is not valid: priority must not be null',
    );
    expect(await fieldErrorsOf({ title: 'x' })).toBeNull();
  });
});
