import { performance } from 'node:perf_hooks';
import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { AuthState, UsersRepository } from './users.repository';

/** Users whose auth state one instance keeps; the least recently seen are dropped beyond it. */
export const AUTH_CACHE_MAX_USERS = 10000;

/**
 * Each user's active flag, role, email and token version, per instance, so that an authenticated
 * request costs no database query (docs/architecture.md §2a). Entries are dropped when the user changes:
 * on this instance when the change commits (AuthChangeSubscriber), on every instance when
 * PostgreSQL's notification of it arrives (AuthChangeListener).
 *
 * The cache is only used while the listener vouches for it (`trustUntil`): before the listener
 * has started to LISTEN, after its connection is lost, and when its last heartbeat is too old,
 * every lookup asks the database, and nothing is cached.
 */
@Injectable()
export class AuthStateCache {
  private readonly entries = new LRUCache<string, AuthState>({ max: AUTH_CACHE_MAX_USERS });
  /** Raised by every invalidation: a lookup that started before one must not store what it read. */
  private generation = 0;
  /** performance.now() until which notifications are known to arrive; 0 = not listening. */
  private trustedUntil = 0;

  constructor(private readonly users: UsersRepository) {}

  async get(id: string): Promise<AuthState | null> {
    if (!this.isTrusted()) return this.users.findAuthState(id);
    const cached = this.entries.get(id);
    if (cached) return cached;
    const generation = this.generation;
    const state = await this.users.findAuthState(id);
    // An invalidation while the row was on its way may be of a change the row predates: the
    // invalidation found no entry to drop, so storing the row now would keep it stale.
    if (state && generation === this.generation && this.isTrusted()) this.entries.set(id, state);
    return state;
  }

  invalidate(id: string): void {
    this.generation++;
    this.entries.delete(id);
  }

  invalidateAll(): void {
    this.generation++;
    this.entries.clear();
  }

  /** Called by the listener: every change committed up to now will be announced until `until`. */
  trustUntil(until: number): void {
    this.trustedUntil = Math.max(this.trustedUntil, until);
  }

  /** Called by the listener when it cannot vouch for the cache any more: back to asking each time. */
  distrust(): void {
    this.trustedUntil = 0;
    this.invalidateAll();
  }

  isTrusted(): boolean {
    return performance.now() < this.trustedUntil;
  }

  get size(): number {
    return this.entries.size;
  }
}
