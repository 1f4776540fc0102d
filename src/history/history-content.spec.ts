import { cleanText, cleanTextUpTo, contentOfRow, HistoryRow, normalizeJson } from './history-content';
import { hashEntry } from './history-hash';

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

  it('hashes the same content to the same hash whatever the key order (jsonb reorders keys)', () => {
    const row: HistoryRow = {
      id: '5f0c1d1e-0000-4000-8000-000000000001',
      order_id: '5f0c1d1e-0000-4000-8000-000000000002',
      sequence: 2,
      action: 'edited',
      old_status: null,
      new_status: null,
      description: 'Changed',
      performed_by_id: null,
      additional_data: { z: 1, a: [{ y: 2, b: 3 }] },
      ip_address: null,
      user_agent: null,
      created_at: new Date('2026-01-01T00:00:00.001Z'),
      previous_hash: 'a'.repeat(64),
      hash: '',
    };
    const reordered = { ...row, additional_data: { a: [{ b: 3, y: 2 }], z: 1 } };
    expect(hashEntry(contentOfRow(row))).toBe(hashEntry(contentOfRow(reordered)));
    expect(hashEntry(contentOfRow(row))).toMatch(/^[0-9a-f]{64}$/);
    expect(hashEntry(contentOfRow({ ...row, description: 'Changed!' }))).not.toBe(
      hashEntry(contentOfRow(row)),
    );
    expect(hashEntry(contentOfRow({ ...row, previous_hash: null }))).not.toBe(hashEntry(contentOfRow(row)));
  });
});
