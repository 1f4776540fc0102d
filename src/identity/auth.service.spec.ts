import { durationToSeconds } from './auth.service';

describe('durationToSeconds', () => {
  it.each([
    ['3600', 3600],
    ['45s', 45],
    ['15m', 900],
    ['1h', 3600],
    ['2d', 172800],
  ])('%s → %i seconds', (value, seconds) => {
    expect(durationToSeconds(value)).toBe(seconds);
  });

  it('refuses anything else', () => {
    expect(() => durationToSeconds('1w')).toThrow('Not a duration: 1w');
    expect(() => durationToSeconds('-5m')).toThrow();
  });
});
