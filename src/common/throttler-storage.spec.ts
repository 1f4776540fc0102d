import { InMemoryThrottlerStorage, THROTTLER_SWEEP_INTERVAL_MS } from './throttler-storage';

const SECOND = 1000;

describe('InMemoryThrottlerStorage', () => {
  let storage: InMemoryThrottlerStorage;

  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2026-12-05T00:00:00Z') });
    storage = new InMemoryThrottlerStorage();
  });

  afterEach(() => {
    storage.onApplicationShutdown();
    jest.useRealTimers();
  });

  const later = (ms: number) => jest.advanceTimersByTime(ms);

  describe('with a block duration', () => {
    // limit 3 per 10 s, blocked for 30 s once over it
    const hit = (key = 'k', name = 'default') => storage.increment(key, 10 * SECOND, 3, 30 * SECOND, name);

    it('counts hits up to the limit, then blocks the key for the block duration', async () => {
      for (let n = 1; n <= 3; n++) {
        const record = await hit();
        expect(record).toMatchObject({ totalHits: n, isBlocked: false, timeToExpire: 10 });
      }
      const over = await hit();
      expect(over).toMatchObject({ totalHits: 4, isBlocked: true, timeToBlockExpire: 30 });
    });

    it('refuses and does not count hits while blocked, even after the counted hits expired', async () => {
      for (let n = 0; n < 4; n++) await hit();
      later(5 * SECOND);
      expect(await hit()).toMatchObject({ totalHits: 4, isBlocked: true, timeToBlockExpire: 25 });
      later(15 * SECOND); // t = 20 s: every counted hit has expired, the block has not
      expect(await hit()).toMatchObject({ totalHits: 0, isBlocked: true, timeToBlockExpire: 10 });
      later(9 * SECOND + 999);
      expect(await hit()).toMatchObject({ isBlocked: true, timeToBlockExpire: 1 });
    });

    it('starts a fresh count with the first hit once the block is over', async () => {
      for (let n = 0; n < 4; n++) await hit();
      later(30 * SECOND);
      expect(await hit()).toMatchObject({ totalHits: 1, isBlocked: false });
      expect(await hit()).toMatchObject({ totalHits: 2, isBlocked: false });
      expect(await hit()).toMatchObject({ totalHits: 3, isBlocked: false });
      expect(await hit()).toMatchObject({ totalHits: 4, isBlocked: true, timeToBlockExpire: 30 });
    });

    it('slides the window: each hit stops counting ttl after it was made', async () => {
      await hit(); // t = 0, expires at 10 s
      later(4 * SECOND);
      await hit(); // expires at 14 s
      later(4 * SECOND);
      expect(await hit()).toMatchObject({ totalHits: 3, isBlocked: false }); // expires at 18 s
      later(2 * SECOND - 1); // t = 9.999 s: all three still count
      expect((await storage.increment('probe', 10 * SECOND, 3, 30 * SECOND, 'default')).totalHits).toBe(1);
      later(1); // t = 10 s: the first hit expires exactly now
      expect(await hit()).toMatchObject({ totalHits: 3, isBlocked: false });
      later(4 * SECOND); // t = 14 s: the second one too
      expect(await hit()).toMatchObject({ totalHits: 3, isBlocked: false });
      expect(await hit()).toMatchObject({ totalHits: 4, isBlocked: true });
    });

    it('reports the time to the end of the key window, and opens a new window after it', async () => {
      expect((await hit()).timeToExpire).toBe(10);
      later(2500);
      expect((await hit()).timeToExpire).toBe(8); // 7.5 s, rounded up
      later(7500);
      const next = await storage.increment('k', 10 * SECOND, 100, 30 * SECOND, 'default');
      expect(next.timeToExpire).toBe(10);
      expect(next.totalHits).toBe(2); // the hit made at 2.5 s still counts
    });

    it('rounds the remaining block up to whole seconds', async () => {
      const hitShortBlock = () => storage.increment('short', 10 * SECOND, 1, 1500, 'default');
      await hitShortBlock();
      expect(await hitShortBlock()).toMatchObject({ isBlocked: true, timeToBlockExpire: 2 });
      later(600);
      expect(await hitShortBlock()).toMatchObject({ isBlocked: true, timeToBlockExpire: 1 });
      later(900);
      expect(await hitShortBlock()).toMatchObject({ isBlocked: false, totalHits: 1 });
    });

    it('counts keys separately', async () => {
      for (let n = 0; n < 4; n++) await hit('alice');
      expect((await hit('alice')).isBlocked).toBe(true);
      expect(await hit('bob')).toMatchObject({ totalHits: 1, isBlocked: false });
    });

    it('counts each throttler of a key separately', async () => {
      for (let n = 0; n < 3; n++) await hit('k', 'default');
      expect(await hit('k', 'login')).toMatchObject({ totalHits: 1, isBlocked: false });
      expect(await hit('k', 'default')).toMatchObject({ totalHits: 4, isBlocked: true });
    });
  });

  describe('without a block duration', () => {
    // limit 3 per 10 s; a hit at the limit is refused until the oldest counted hit expires
    const hit = (key = 'k') => storage.increment(key, 10 * SECOND, 3, 0, 'default');

    it('refuses hits at the limit without counting them, until the oldest hit expires', async () => {
      await hit(); // expires at 10 s
      later(3 * SECOND);
      await hit(); // expires at 13 s
      await hit();
      later(1 * SECOND); // t = 4 s
      expect(await hit()).toMatchObject({ totalHits: 4, isBlocked: true, timeToBlockExpire: 6 });
      expect(await hit()).toMatchObject({ totalHits: 4, isBlocked: true, timeToBlockExpire: 6 });
      later(6 * SECOND); // t = 10 s: the oldest hit has expired
      expect(await hit()).toMatchObject({ totalHits: 3, isBlocked: false, timeToBlockExpire: 0 });
      expect(await hit()).toMatchObject({ totalHits: 4, isBlocked: true, timeToBlockExpire: 3 });
    });

    it('with a limit of 0, refuses every hit until the end of the key window', async () => {
      expect(await storage.increment('none', 10 * SECOND, 0, 0, 'default')).toEqual({
        totalHits: 1,
        timeToExpire: 10,
        isBlocked: true,
        timeToBlockExpire: 10,
      });
    });

    it('counts every hit of a window holding hundreds of thousands of them', async () => {
      const limit = 150000;
      for (let n = 0; n < limit; n++) await storage.increment('busy', 60 * SECOND, limit, 0, 'default');
      const refused = await storage.increment('busy', 60 * SECOND, limit, 0, 'default');
      expect(refused).toMatchObject({ totalHits: limit + 1, isBlocked: true, timeToBlockExpire: 60 });
      later(60 * SECOND);
      expect(await storage.increment('busy', 60 * SECOND, limit, 0, 'default')).toMatchObject({
        totalHits: 1,
        isBlocked: false,
      });
    });
  });

  it('lets each hit expire after its own ttl when the ttl of a throttler changes', async () => {
    await storage.increment('k', 10 * SECOND, 10, 0, 'default'); // expires at 10 s
    later(1 * SECOND);
    await storage.increment('k', 2 * SECOND, 10, 0, 'default'); // expires at 3 s
    await storage.increment('k', 2 * SECOND, 10, 0, 'default'); // expires at 3 s
    later(2 * SECOND); // t = 3 s
    expect((await storage.increment('k', 20 * SECOND, 10, 0, 'default')).totalHits).toBe(2);
    later(7 * SECOND); // t = 10 s
    expect((await storage.increment('k', 20 * SECOND, 10, 0, 'default')).totalHits).toBe(2);
  });

  describe('eviction of idle keys', () => {
    it('drops keys whose hits and window have expired at the next sweep', async () => {
      for (let n = 0; n < 1000; n++)
        await storage.increment(`ip:${n}`, 10 * SECOND, 5, 10 * SECOND, 'default');
      expect(storage.size).toBe(1000);
      later(THROTTLER_SWEEP_INTERVAL_MS);
      expect(storage.size).toBe(0);
    });

    it('keeps a key while one of its hits still counts, and forgets it after', async () => {
      later(THROTTLER_SWEEP_INTERVAL_MS - 5 * SECOND);
      await storage.increment('recent', 10 * SECOND, 5, 10 * SECOND, 'default');
      later(5 * SECOND); // first sweep: the hit has 5 s to go
      expect(storage.size).toBe(1);
      expect((await storage.increment('recent', 10 * SECOND, 5, 10 * SECOND, 'default')).totalHits).toBe(2);
      later(THROTTLER_SWEEP_INTERVAL_MS);
      expect(storage.size).toBe(0);
      expect((await storage.increment('recent', 10 * SECOND, 5, 10 * SECOND, 'default')).totalHits).toBe(1);
    });

    it('keeps a blocked key until its block is over', async () => {
      later(THROTTLER_SWEEP_INTERVAL_MS - 5 * SECOND);
      for (let n = 0; n < 2; n++) await storage.increment('blocked', 1 * SECOND, 1, 120 * SECOND, 'default');
      later(5 * SECOND); // first sweep: the hits expired, the block has 115 s to go
      expect(storage.size).toBe(1);
      expect((await storage.increment('blocked', 1 * SECOND, 1, 120 * SECOND, 'default')).isBlocked).toBe(
        true,
      );
      later(2 * THROTTLER_SWEEP_INTERVAL_MS);
      expect(storage.size).toBe(0);
    });

    it('stops sweeping on shutdown', () => {
      storage.onApplicationShutdown();
      expect(jest.getTimerCount()).toBe(0);
    });
  });
});
