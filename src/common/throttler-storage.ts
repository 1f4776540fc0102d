import { ThrottlerStorage } from '@nestjs/throttler';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** How often keys with nothing left to remember are dropped. */
export const THROTTLER_SWEEP_INTERVAL_MS = 60000;

/**
 * The expiry times of one key's hits for one throttler, earliest first. Hits of a throttler share
 * its ttl, so each new hit expires no earlier than the ones before it and is appended; expired hits
 * are dropped from the head. Each hit is added and dropped once: amortised O(1) per request, however
 * many hits the window holds. (A hit that would expire earlier than the newest one, after the ttl
 * was lowered or the clock was set back, is put in its place, so the order always holds.)
 */
class HitQueue {
  private times: number[] = [];
  private head = 0;

  get size(): number {
    return this.times.length - this.head;
  }

  /** Expiry of the oldest live hit (the queue must not be empty). */
  get earliest(): number {
    return this.times[this.head];
  }

  /** Expiry of the newest hit (the queue must not be empty). */
  get latest(): number {
    return this.times[this.times.length - 1];
  }

  /** Drops the hits that have expired at `now` (a hit expiring at `now` has expired). */
  dropExpired(now: number): void {
    const times = this.times;
    let head = this.head;
    while (head < times.length && times[head] <= now) head++;
    if (head === times.length) {
      times.length = 0;
      head = 0;
    } else if (head >= 64 && head * 2 >= times.length) {
      // The dropped half is given back once it outweighs the live hits.
      times.splice(0, head);
      head = 0;
    }
    this.head = head;
  }

  add(expiresAt: number): void {
    const times = this.times;
    if (this.size === 0 || expiresAt >= times[times.length - 1]) {
      times.push(expiresAt);
      return;
    }
    let low = this.head;
    let high = times.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (times[middle] <= expiresAt) low = middle + 1;
      else high = middle;
    }
    times.splice(low, 0, expiresAt);
  }

  clear(): void {
    this.times = [];
    this.head = 0;
  }
}

interface KeyRecord {
  /** Live hits per throttler name. */
  hits: Map<string, HitQueue>;
  /** End of the key's current window (`timeToExpire`); a new window starts once it has passed. */
  expiresAt: number;
  isBlocked: boolean;
  blockExpiresAt: number;
}

/**
 * The rate limiter's counters in this process's memory (used when REDIS_URL is not set), with the
 * semantics of @nestjs/throttler's in-memory storage: every hit counts for `ttl` ms after it was
 * made (a sliding window); with a `blockDuration` above 0, the hit that goes over `limit` blocks the
 * key for `blockDuration` ms, during which hits are refused and not counted, and the first hit after
 * the block starts a fresh count; with `blockDuration` ≤ 0, a hit at the limit is refused until the
 * oldest counted hit expires. The answer of each hit is what that storage answers: `totalHits` (the
 * live hits, including this one), `timeToExpire` (seconds to the end of the key's window),
 * `isBlocked` and `timeToBlockExpire` (seconds until the request may be retried).
 *
 * Each hit costs amortised O(1) (HitQueue), where the library's storage filters and scans every hit
 * of the window on every request. Keys that are neither blocked nor hold a live hit nor an open
 * window are dropped every THROTTLER_SWEEP_INTERVAL_MS, so memory follows the active keys.
 */
export class InMemoryThrottlerStorage implements ThrottlerStorage {
  private readonly records = new Map<string, KeyRecord>();
  private sweep?: NodeJS.Timeout;

  constructor() {
    this.sweep = setInterval(() => this.evictIdle(Date.now()), THROTTLER_SWEEP_INTERVAL_MS);
    this.sweep.unref?.();
  }

  /** Keys held now (those not yet swept). */
  get size(): number {
    return this.records.size;
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const now = Date.now();
    let record = this.records.get(key);
    if (!record) {
      record = { hits: new Map(), expiresAt: now + ttl, isBlocked: false, blockExpiresAt: 0 };
      this.records.set(key, record);
    }
    let hits = record.hits.get(throttlerName);
    if (!hits) {
      hits = new HitQueue();
      record.hits.set(throttlerName, hits);
    }
    hits.dropExpired(now);

    let timeToExpire = Math.ceil((record.expiresAt - now) / 1000);
    if (timeToExpire <= 0) {
      record.expiresAt = now + ttl;
      timeToExpire = Math.ceil((record.expiresAt - now) / 1000);
    }

    if (blockDuration <= 0) {
      // No block: a hit at the limit is refused (and not counted) until the oldest hit expires.
      const isBlocked = hits.size >= limit;
      if (!isBlocked) hits.add(now + ttl);
      const retryIn = hits.size > 0 ? Math.ceil((hits.earliest - now) / 1000) : timeToExpire;
      return {
        totalHits: hits.size + (isBlocked ? 1 : 0),
        timeToExpire,
        isBlocked,
        timeToBlockExpire: isBlocked ? retryIn : 0,
      };
    }

    if (!record.isBlocked) hits.add(now + ttl);
    if (hits.size > limit && !record.isBlocked) {
      record.isBlocked = true;
      record.blockExpiresAt = now + blockDuration;
    }
    const timeToBlockExpire = Math.ceil((record.blockExpiresAt - now) / 1000);
    if (timeToBlockExpire <= 0 && record.isBlocked) {
      // The block is over: the count starts again from this hit.
      record.isBlocked = false;
      hits.clear();
      hits.add(now + ttl);
    }
    return { totalHits: hits.size, timeToExpire, isBlocked: record.isBlocked, timeToBlockExpire };
  }

  /** Drops every key with nothing left to remember at `now`. */
  private evictIdle(now: number): void {
    for (const [key, record] of this.records) {
      if (record.isBlocked && record.blockExpiresAt > now) continue;
      if (record.expiresAt > now) continue;
      let live = false;
      for (const hits of record.hits.values()) {
        if (hits.size > 0 && hits.latest > now) {
          live = true;
          break;
        }
      }
      if (!live) this.records.delete(key);
    }
  }

  onApplicationShutdown(): void {
    if (this.sweep) clearInterval(this.sweep);
    this.sweep = undefined;
    this.records.clear();
  }
}
