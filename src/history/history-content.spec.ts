import { cleanText, cleanTextUpTo, normalizeJson } from './history-content';

describe('history content normalisation', () => {
  it('removes NUL and replaces lone surrogates, keeping real pairs', () => {
    expect(cleanText('a\u0000b')).toBe('ab');
    expect(cleanText('x\uD83Dy')).toBe('x\uFFFDy');
    expect(cleanText('x\uDE00y')).toBe('x\uFFFDy');
    expect(cleanText('ok 😀 é')).toBe('ok 😀 é');
  });

  it('cuts at a number of characters (code points), never inside a surrogate pair', () => {
    expect(cleanTextUpTo('abc', 5)).toBe('abc');
    expect(cleanTextUpTo('😀😀😀', 2)).toBe('😀😀');
    expect(cleanTextUpTo('a😀', 1)).toBe('a');
  });

  it('gives jsonb what it will store: toJSON applied, undefined dropped, non-finite as null', () => {
    const date = new Date('2026-01-02T03:04:05.678Z');
    expect(
      normalizeJson({
        b: 1,
        a: { when: date, gone: undefined, nan: Number.NaN, list: [undefined, 1, 'x\u0000'] },
        'k\u0000': 'v',
      }),
    ).toEqual({ b: 1, a: { when: '2026-01-02T03:04:05.678Z', nan: null, list: [null, 1, 'x'] }, k: 'v' });
    expect(normalizeJson(undefined)).toBeNull();
    expect(normalizeJson(null)).toBeNull();
    expect(normalizeJson({})).toEqual({});
  });
});
