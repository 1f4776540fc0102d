import { jsonDepthExceeds, pathsWithNul } from './input-guard';

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

describe('pathsWithNul', () => {
  it('names every string holding a NUL, nested paths dotted, array elements by index', () => {
    expect(
      pathsWithNul({
        note: 'a\u0000b',
        ok: 'fine',
        items: [{ name: 'x' }, { name: '\u0000' }],
        address: { city: 'Berlin\u0000' },
      }),
    ).toEqual(['address.city', 'items.1.name', 'note']);
  });

  it('query values (strings and repeated parameters), keys, and a bare string body', () => {
    expect(pathsWithNul({ q: 'x', status: ['pending', 'a\u0000'] })).toEqual(['status.1']);
    expect(pathsWithNul({ 'a\u0000': 1 })).toEqual(['a\u0000']);
    expect(pathsWithNul('\u0000')).toEqual(['body']);
    expect(pathsWithNul(undefined)).toEqual([]);
    expect(pathsWithNul({ n: 1, b: true, z: null })).toEqual([]);
  });
});
