import { BadRequestError } from '../common/errors';
import { resolveRange } from './analytics.service';
import { AnalyticsInterval, AnalyticsQueryDto } from './dto/dashboard.dto';
import { countsByStatus } from './dashboard.service';

const query = (values: Partial<AnalyticsQueryDto>) => Object.assign(new AnalyticsQueryDto(), values);
const DAY = 86_400_000;

describe('analytics ranges', () => {
  const now = new Date('2026-11-26T12:00:00.000Z');

  it('defaults to the 30 days before now, by day', () => {
    expect(resolveRange(query({}), now)).toEqual({
      from: new Date(now.getTime() - 30 * DAY),
      to: now,
      interval: AnalyticsInterval.DAY,
    });
    expect(resolveRange(query({ to: '2026-01-31T00:00:00Z' }), now).from.toISOString()).toBe(
      '2026-01-01T00:00:00.000Z',
    );
  });

  it('refuses from after to, naming from', () => {
    expect(() =>
      resolveRange(query({ from: '2026-02-02T00:00:00Z', to: '2026-02-01T00:00:00Z' }), now),
    ).toThrow(BadRequestError);
    expect(
      resolveRange(query({ from: '2026-02-01T00:00:00Z', to: '2026-02-01T00:00:00Z' }), now).from,
    ).toEqual(new Date('2026-02-01T00:00:00Z'));
  });

  it('allows at most 366 buckets', () => {
    const from = '2025-01-01T00:00:00Z';
    const dayLimit = new Date(Date.parse(from) + 366 * DAY).toISOString();
    expect(() => resolveRange(query({ from, to: dayLimit }), now)).not.toThrow();
    const over = new Date(Date.parse(from) + 366 * DAY + 1).toISOString();
    try {
      resolveRange(query({ from, to: over }), now);
      throw new Error('expected a refusal');
    } catch (error) {
      expect((error as BadRequestError).extra).toEqual({
        errors: [{ field: 'to', message: 'must be at most 366 days after from' }],
      });
    }
    expect(() =>
      resolveRange(query({ from, to: over, interval: AnalyticsInterval.WEEK }), now),
    ).not.toThrow();
  });
});

describe('countsByStatus', () => {
  it('lists every status, zeros included', () => {
    expect(countsByStatus(['a', 'b', 'c'], { b: 2 })).toEqual({ a: 0, b: 2, c: 0 });
    expect(countsByStatus(['a'], null)).toEqual({ a: 0 });
  });
});
