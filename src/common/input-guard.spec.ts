import { invalidText, jsonDepthExceeds } from './input-guard';

const fields = (value: unknown) => invalidText(value).map((error) => error.field);

describe('jsonDepthExceeds', () => {
  const nested = (depth: number) => JSON.parse(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);

  it('counts objects and arrays as levels, scalars not', () => {
    expect(jsonDepthExceeds(1, 0)).toBe(false);
    expect(jsonDepthExceeds({}, 0)).toBe(true);
    expect(jsonDepthExceeds({}, 1)).toBe(false);
    expect(jsonDepthExceeds({ a: [{ b: 1 }] }, 2)).toBe(true);
    expect(jsonDepthExceeds({ a: [{ b: 1 }] }, 3)).toBe(false);
  });

  it('finds the deep branch among shallow ones', () => {
    expect(jsonDepthExceeds({ x: 1, y: [1, 2], z: nested(5) }, 5)).toBe(true);
    expect(jsonDepthExceeds({ x: 1, y: [1, 2], z: nested(5) }, 6)).toBe(false);
  });

  it('handles 100,000 levels without recursion', () => {
    expect(jsonDepthExceeds(nested(100000), 32)).toBe(true);
    expect(jsonDepthExceeds(JSON.parse(`${'['.repeat(100000)}${']'.repeat(100000)}`), 32)).toBe(true);
  });
});

describe('invalidText', () => {
  it('names every string holding a NUL, nested paths dotted, array elements by index', () => {
    expect(
      fields({
        note: 'a\u0000b',
        ok: 'fine',
        items: [{ name: 'x' }, { name: '\u0000' }],
        address: { city: 'Berlin\u0000' },
      }),
    ).toEqual(['address.city', 'items.1.name', 'note']);
  });

  it('query values (strings and repeated parameters), keys, and a bare string body', () => {
    expect(fields({ q: 'x', status: ['pending', 'a\u0000'] })).toEqual(['status.1']);
    expect(fields({ 'a\u0000': 1 })).toEqual(['a\u0000']);
    expect(fields('\u0000')).toEqual(['body']);
    expect(fields(undefined)).toEqual([]);
    expect(fields({ n: 1, b: true, z: null })).toEqual([]);
  });

  it('names lone surrogates (high or low, anywhere in the string), keeps paired ones', () => {
    expect(
      invalidText({
        email: '\ud800@example.com',
        shippingAddress: { line2: 'Flat \udc00' },
        packingMaterials: ['ok', 'x\ud83d'],
        emoji: 'parcel \ud83d\udce6 sent',
      }),
    ).toEqual([
      { field: 'email', message: expect.stringContaining('unpaired surrogate') },
      { field: 'packingMaterials.1', message: expect.stringContaining('unpaired surrogate') },
      { field: 'shippingAddress.line2', message: expect.stringContaining('unpaired surrogate') },
    ]);
    expect(fields({ '\ud800': 'x' })).toEqual(['\ud800']);
  });
});
