import { BadRequestError } from './errors';
import { isDateOnly, parseInclusiveEnd, parseInstant } from './instant';

describe('parseInstant', () => {
  it('reads a date-time without a zone as UTC, not as server local time', () => {
    // `new Date('2026-01-31T12:00:00')` would be 12:00 in the server's zone.
    expect(parseInstant('2026-01-31T12:00:00', 'from').toISOString()).toBe('2026-01-31T12:00:00.000Z');
    expect(parseInstant('2026-01-31T12:00', 'from').toISOString()).toBe('2026-01-31T12:00:00.000Z');
    expect(parseInstant('2026-01-31 12:00:00.5', 'from').toISOString()).toBe('2026-01-31T12:00:00.500Z');
  });

  it('keeps an explicit zone or offset', () => {
    expect(parseInstant('2026-01-31T12:00:00Z', 'to').toISOString()).toBe('2026-01-31T12:00:00.000Z');
    expect(parseInstant('2026-01-31T12:00:00+05:30', 'to').toISOString()).toBe('2026-01-31T06:30:00.000Z');
    expect(parseInstant('2026-01-31T12:00:00-0200', 'to').toISOString()).toBe('2026-01-31T14:00:00.000Z');
    expect(parseInstant('2026-01-31 12:00:00+01', 'to').toISOString()).toBe('2026-01-31T11:00:00.000Z');
  });

  it('reads a date alone as its start, UTC', () => {
    expect(parseInstant('2026-01-31', 'from').toISOString()).toBe('2026-01-31T00:00:00.000Z');
    expect(isDateOnly('2026-01-31')).toBe(true);
    expect(isDateOnly('2026-01-31T00:00:00Z')).toBe(false);
  });

  it('refuses what it cannot read with a 400 naming the field', () => {
    expect.assertions(3);
    try {
      parseInstant('2026-W05', 'createdFrom');
    } catch (error) {
      expect(error).toBeInstanceOf(BadRequestError);
      expect((error as BadRequestError).message).toBe('createdFrom is not a date');
      expect((error as BadRequestError).extra).toMatchObject({ errors: [{ field: 'createdFrom' }] });
    }
  });
});

describe('parseInclusiveEnd', () => {
  it('makes a date alone include that whole day: the next day start, exclusive', () => {
    expect(parseInclusiveEnd('2026-01-31', 'to')).toEqual({
      at: new Date('2026-02-01T00:00:00.000Z'),
      inclusive: false,
    });
  });

  it('keeps an instant as an inclusive end', () => {
    expect(parseInclusiveEnd('2026-01-31T10:00:00', 'to')).toEqual({
      at: new Date('2026-01-31T10:00:00.000Z'),
      inclusive: true,
    });
  });
});
