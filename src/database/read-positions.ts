import type Redis from 'ioredis';

/**
 * Each user's last write position (the primary's WAL position right after their write committed),
 * kept for `ttlMs`: a replica may serve that user only once it has replayed that far. In Redis when
 * configured, so every instance knows it; in this process's memory otherwise (then the guarantee
 * holds only for reads that reach the instance that took the write: docs/operations.md).
 */
export interface ReadPositions {
  remember(userId: string, lsn: bigint): Promise<void>;
  /** The position the user's reads must see; 0 when none is known; undefined when it cannot be known. */
  required(userId: string): Promise<bigint | undefined>;
  close(): Promise<void>;
}

const MAX_USERS_IN_MEMORY = 100_000;

/** The positions of the writes this instance took itself. */
export class MemoryReadPositions implements ReadPositions {
  private readonly positions = new Map<string, { lsn: bigint; expiresAt: number }>();

  constructor(private readonly ttlMs: number) {}

  remember(userId: string, lsn: bigint): Promise<void> {
    const now = Date.now();
    const current = this.positions.get(userId);
    if (!current && this.positions.size >= MAX_USERS_IN_MEMORY) this.evictExpired(now);
    const keep = current && current.expiresAt > now && current.lsn > lsn ? current.lsn : lsn;
    // Re-inserted so that the Map's order stays the order of expiry.
    this.positions.delete(userId);
    this.positions.set(userId, { lsn: keep, expiresAt: now + this.ttlMs });
    return Promise.resolve();
  }

  required(userId: string): Promise<bigint | undefined> {
    const entry = this.positions.get(userId);
    if (!entry || entry.expiresAt <= Date.now()) return Promise.resolve(0n);
    return Promise.resolve(entry.lsn);
  }

  close(): Promise<void> {
    this.positions.clear();
    return Promise.resolve();
  }

  private evictExpired(now: number): void {
    for (const [userId, entry] of this.positions) {
      if (entry.expiresAt > now) break;
      this.positions.delete(userId);
    }
    // Still full of live entries: drop the oldest (their reads go to the primary: never stale).
    if (this.positions.size >= MAX_USERS_IN_MEMORY) {
      const oldest = this.positions.keys().next().value;
      if (oldest !== undefined) this.positions.delete(oldest);
    }
  }
}

// Keeps the larger of the stored and the new position (two writes of one user may finish in either
// order) and renews the expiry. Positions are WAL byte offsets: exact as Lua numbers below 2^53.
const REMEMBER_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if (not current) or (tonumber(current) < tonumber(ARGV[1])) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1`;

/** Positions shared by every instance through Redis, plus this instance's own (no wait for Redis). */
export class RedisReadPositions implements ReadPositions {
  private readonly client: Redis;
  private readonly local: MemoryReadPositions;

  constructor(
    url: string,
    private readonly ttlMs: number,
    private readonly onError: (error: Error) => void,
  ) {
    // Loaded only when configured: an instance without Redis never needs ioredis.
    const { default: RedisClient } = require('ioredis') as typeof import('ioredis');
    this.client = new RedisClient(url, { maxRetriesPerRequest: 1, commandTimeout: 500, lazyConnect: false });
    this.client.on('error', () => undefined); // each failed command reports (and falls back) itself
    this.local = new MemoryReadPositions(ttlMs);
  }

  async remember(userId: string, lsn: bigint): Promise<void> {
    await this.local.remember(userId, lsn);
    try {
      await this.client.eval(REMEMBER_SCRIPT, 1, key(userId), lsn.toString(), String(this.ttlMs));
    } catch (error) {
      this.onError(error as Error);
    }
  }

  async required(userId: string): Promise<bigint | undefined> {
    const local = (await this.local.required(userId)) ?? 0n;
    try {
      const stored = await this.client.get(key(userId));
      const shared = stored ? BigInt(stored) : 0n;
      return shared > local ? shared : local;
    } catch (error) {
      // Another instance may have taken a write we cannot see: only the primary is safe.
      this.onError(error as Error);
      return undefined;
    }
  }

  async close(): Promise<void> {
    await this.local.close();
    if (this.client.status !== 'end') this.client.disconnect();
  }
}

const key = (userId: string) => `oms:read-position:${userId}`;
