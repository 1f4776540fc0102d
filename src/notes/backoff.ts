/** Longest wait between two delivery attempts. */
export const MAX_BACKOFF_MS = 60 * 60 * 1000;

/**
 * Delay before the next attempt after `attempts` failed ones: base, 2·base, 4·base, … capped at
 * an hour.
 */
export function backoffDelayMs(attempts: number, baseMs: number, maxMs = MAX_BACKOFF_MS): number {
  const exponent = Math.max(0, attempts - 1);
  // 2^31 ms is already far beyond any cap; avoid Infinity for absurd attempt counts.
  return Math.min(maxMs, baseMs * 2 ** Math.min(exponent, 31));
}
