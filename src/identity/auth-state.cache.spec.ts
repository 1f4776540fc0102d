import { performance } from 'node:perf_hooks';
import { AUTH_CACHE_MAX_USERS, AuthStateCache } from './auth-state.cache';
import { AuthState, UsersRepository } from './users.repository';
import { UserRole } from './user-role.enum';

const state = (id: string, overrides: Partial<AuthState> = {}): AuthState => ({
  id,
  email: `${id}@test.local`,
  role: UserRole.SUPPORT,
  isActive: true,
  tokenVersion: 0,
  ...overrides,
});

/** A repository whose reads are counted, and can be held back to race an invalidation. */
function repository() {
  const rows = new Map<string, AuthState>();
  let reads = 0;
  let gate: Promise<void> | undefined;
  const repo = {
    async findAuthState(id: string) {
      reads++;
      const row = rows.get(id) ?? null;
      if (gate) await gate;
      return row;
    },
  } as unknown as UsersRepository;
  return {
    repo,
    rows,
    reads: () => reads,
    hold() {
      let release!: () => void;
      gate = new Promise((resolve) => (release = resolve));
      return () => {
        gate = undefined;
        release();
      };
    },
  };
}

describe('AuthStateCache', () => {
  const trusted = (cache: AuthStateCache) => cache.trustUntil(performance.now() + 60000);

  it('answers from memory once read, while trusted', async () => {
    const db = repository();
    db.rows.set('u1', state('u1'));
    const cache = new AuthStateCache(db.repo);
    trusted(cache);
    expect(await cache.get('u1')).toEqual(state('u1'));
    expect(await cache.get('u1')).toEqual(state('u1'));
    expect(db.reads()).toBe(1);
  });

  it('asks the database every time, and keeps nothing, while not trusted (listener not listening)', async () => {
    const db = repository();
    db.rows.set('u1', state('u1'));
    const cache = new AuthStateCache(db.repo);
    await cache.get('u1');
    await cache.get('u1');
    expect(db.reads()).toBe(2);
    expect(cache.size).toBe(0);
    trusted(cache);
    await cache.get('u1');
    cache.distrust();
    db.rows.set('u1', state('u1', { isActive: false }));
    expect((await cache.get('u1'))?.isActive).toBe(false);
  });

  it('does not keep a row read before an invalidation that happened while it was read', async () => {
    const db = repository();
    db.rows.set('u1', state('u1'));
    const cache = new AuthStateCache(db.repo);
    trusted(cache);
    const release = db.hold();
    const inFlight = cache.get('u1');
    // The user is deactivated and announced while the (old) row is on its way.
    db.rows.set('u1', state('u1', { isActive: false }));
    cache.invalidate('u1');
    release();
    expect((await inFlight)?.isActive).toBe(true);
    expect((await cache.get('u1'))?.isActive).toBe(false);
  });

  it('is bounded: beyond AUTH_CACHE_MAX_USERS the least recently used users are dropped', async () => {
    const db = repository();
    const cache = new AuthStateCache(db.repo);
    trusted(cache);
    const total = AUTH_CACHE_MAX_USERS + 50;
    for (let i = 0; i < total; i++) db.rows.set(`u${i}`, state(`u${i}`));
    for (let i = 0; i < total; i++) await cache.get(`u${i}`);
    expect(cache.size).toBe(AUTH_CACHE_MAX_USERS);
    const reads = db.reads();
    await cache.get(`u${total - 1}`);
    expect(db.reads()).toBe(reads);
    await cache.get('u0');
    expect(db.reads()).toBe(reads + 1);
  });
});
