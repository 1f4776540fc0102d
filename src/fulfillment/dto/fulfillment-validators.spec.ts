import { randomUUID } from 'node:crypto';
import { gramsToWeight, quantityMapProblem, weightToGrams } from './fulfillment-validators';

describe('quantityMapProblem', () => {
  const id = randomUUID();

  it('accepts UUID keys with positive integer quantities', () => {
    expect(quantityMapProblem({ [id]: 1, [randomUUID()]: 250 })).toBeNull();
  });

  it.each([
    ['null', null, 'must be an object'],
    ['an array', [1], 'must be an object'],
    ['a string', 'x', 'must be an object'],
    ['an empty map', {}, 'at least one'],
    ['a non-UUID key', { abc: 1 }, 'keys must be order item UUIDs (not: abc)'],
    ['zero', { [id]: 0 }, 'quantities must be integers'],
    ['a fraction', { [id]: 0.5 }, 'quantities must be integers'],
    ['a numeric string', { [id]: '2' }, 'quantities must be integers'],
    ['too much', { [id]: 1_000_001 }, 'quantities must be integers'],
    ['the same item twice', { [id]: 1, [id.toUpperCase()]: 1 }, 'twice'],
  ])('refuses %s', (_, value, message) => {
    expect(quantityMapProblem(value)).toContain(message);
  });
});

describe('weight', () => {
  it.each([
    [0, 0],
    ['0', 0],
    [1.25, 1250],
    ['1.25', 1250],
    ['1.250', 1250],
    [0.1 + 0.2, 300],
    [1.0005, null],
    [1.1, 1100],
    ['9999999.999', 9_999_999_999],
    [-1, null],
    ['-1', null],
    ['1.2345', null],
    ['1e3', null],
    ['', null],
    [Number.NaN, null],
    [Number.POSITIVE_INFINITY, null],
    [10_000_000, null],
    [true, null],
  ])('%p → %p grams', (input, grams) => {
    expect(weightToGrams(input)).toBe(grams);
  });

  it('formats grams as numeric(10,3) text', () => {
    expect(gramsToWeight(0)).toBe('0.000');
    expect(gramsToWeight(1250)).toBe('1.250');
    expect(gramsToWeight(9_999_999_999)).toBe('9999999.999');
  });
});
