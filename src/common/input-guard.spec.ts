import { jsonDepthExceeds } from './json-depth';

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
