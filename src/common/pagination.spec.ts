import { BadRequestError } from './errors';
import { offsetOf, parseSort, toPage } from './pagination';

const ALLOWED = { createdAt: 'createdAt', email: 'email', name: 'fullName' };

describe('parseSort', () => {
  it('maps API fields to entity properties, `-` meaning descending, in the given order', () => {
    expect(parseSort('-createdAt,name', ALLOWED, 'email')).toEqual([
      { createdAt: 'desc' },
      { fullName: 'asc' },
    ]);
  });

  it('uses the fallback when sort is absent', () => {
    expect(parseSort(undefined, ALLOWED, '-createdAt')).toEqual([{ createdAt: 'desc' }]);
  });

  it('refuses fields outside the whitelist with a 400 naming sort and the allowed fields', () => {
    let error: unknown;
    try {
      parseSort('email,passwordHash', ALLOWED, 'email');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).status).toBe(400);
    expect((error as BadRequestError).message).toBe('Cannot sort by passwordHash');
    expect((error as BadRequestError).extra).toEqual({
      errors: [{ field: 'sort', message: 'allowed fields: createdAt, email, name' }],
    });
  });

  it('does not accept entity property names that are not API fields', () => {
    expect(() => parseSort('fullName', ALLOWED, 'email')).toThrow(BadRequestError);
  });
});

describe('toPage and offsetOf', () => {
  it('computes totalPages, zero for an empty list', () => {
    expect(toPage(['a', 'b'], 41, { page: 2, pageSize: 20 }).meta).toEqual({
      page: 2,
      pageSize: 20,
      total: 41,
      totalPages: 3,
    });
    expect(toPage([], 0, { page: 1, pageSize: 20 }).meta.totalPages).toBe(0);
  });

  it('offsets by whole pages', () => {
    expect(offsetOf({ page: 1, pageSize: 20 })).toBe(0);
    expect(offsetOf({ page: 3, pageSize: 25 })).toBe(50);
  });
});
