import { backoffDelayMs, MAX_BACKOFF_MS } from './backoff';

describe('backoffDelayMs', () => {
  it('doubles from the base with every failed attempt', () => {
    expect([1, 2, 3, 4, 5].map((attempts) => backoffDelayMs(attempts, 1000))).toEqual([
      1000, 2000, 4000, 8000, 16000,
    ]);
  });

  it('is capped', () => {
    expect(backoffDelayMs(30, 30_000)).toBe(MAX_BACKOFF_MS);
    expect(backoffDelayMs(10_000, 30_000)).toBe(MAX_BACKOFF_MS);
    expect(backoffDelayMs(4, 1000, 5000)).toBe(5000);
  });

  it('treats zero attempts like the first', () => {
    expect(backoffDelayMs(0, 500)).toBe(500);
  });
});
