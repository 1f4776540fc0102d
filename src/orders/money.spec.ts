import { validateSync } from 'class-validator';
import { formatMoney, fromCents, IsMoney, MAX_CENTS, parseMoney, toCents } from './money';

describe('money', () => {
  it('parses decimal strings and numbers with at most two decimals into cents', () => {
    expect(parseMoney('19.99')).toBe(1999);
    expect(parseMoney('0.1')).toBe(10);
    expect(parseMoney('7')).toBe(700);
    expect(parseMoney(19.99)).toBe(1999);
    expect(parseMoney(0.1)).toBe(10);
    expect(parseMoney(0)).toBe(0);
    expect(parseMoney(' 5.00 ')).toBe(500);
    expect(parseMoney('9999999999.99')).toBe(MAX_CENTS);
  });

  it('refuses anything else', () => {
    for (const value of [
      '1.999',
      '-1',
      '1e3',
      '1,50',
      '',
      '.5',
      '5.',
      'abc',
      '10000000000.00',
      null,
      undefined,
      {},
      [],
      NaN,
      Infinity,
      -0.5,
      1e21,
      0.001,
    ]) {
      expect([value, parseMoney(value)]).toEqual([value, null]);
    }
  });

  it('formats cents as decimal strings, exactly', () => {
    expect(fromCents(0)).toBe('0.00');
    expect(fromCents(5)).toBe('0.05');
    expect(fromCents(2519)).toBe('25.19');
    expect(fromCents(-150)).toBe('-1.50');
    expect(formatMoney('7.5')).toBe('7.50');
    // 3 × 0.10 + 19.99 + 7 × 0.70 in floating point is 25.189999…; in cents it is exact.
    expect(fromCents(3 * toCents('0.10') + toCents('19.99') + 7 * toCents('0.70'))).toBe('25.19');
    expect(() => toCents('x')).toThrow('Not a money amount');
  });

  it('validates DTO fields, positive when asked', () => {
    class Dto {
      @IsMoney()
      price: unknown;

      @IsMoney({ positive: true })
      amount: unknown;
    }
    const check = (price: unknown, amount: unknown) =>
      validateSync(Object.assign(new Dto(), { price, amount })).map((e) => e.property);
    expect(check('0', '0.01')).toEqual([]);
    expect(check('0.00', 0)).toEqual(['amount']);
    expect(check('-1', '1')).toEqual(['price']);
  });
});
