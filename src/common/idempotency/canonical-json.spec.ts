import { canonicalJson } from './canonical-json';

describe('canonicalJson', () => {
  it('is independent of key order at every depth', () => {
    const a = { b: 1, a: { y: [1, 2], x: null }, c: 'z' };
    const b = { c: 'z', a: { x: null, y: [1, 2] }, b: 1 };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe('{"a":{"x":null,"y":[1,2]},"b":1,"c":"z"}');
  });

  it('keeps array order and tells different values apart', () => {
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: '1' }));
    expect(canonicalJson({ items: [{ q: 1, v: 'x' }] })).not.toBe(
      canonicalJson({ items: [{ q: 2, v: 'x' }] }),
    );
  });

  it('writes dates as ISO strings and handles null bodies', () => {
    expect(canonicalJson({ at: new Date('2026-01-02T03:04:05.000Z') })).toBe(
      '{"at":"2026-01-02T03:04:05.000Z"}',
    );
    expect(canonicalJson(null)).toBe('null');
  });
});
