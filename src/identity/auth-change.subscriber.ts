import { Injectable, OnModuleInit } from '@nestjs/common';
import { EventArgs, EventSubscriber, MikroORM, TransactionEventArgs } from '@mikro-orm/core';
import { AuthStateCache } from './auth-state.cache';
import { User } from './user.entity';

/** What AuthStateCache holds of a user (the trigger of Migration20261205010000 watches the same). */
/** The transaction's entity manager, as the ORM's events hand it over (a key, no statement is sent). */
type TransactionKey = TransactionEventArgs['em'];

const AUTH_PROPERTIES = ['isActive', 'role', 'tokenVersion', 'email'] as const;

/**
 * Makes a change to a user's auth state take effect on this instance the moment it commits,
 * before the answer to the request that made it leaves (the notification PostgreSQL sends to every
 * instance, this one included, may arrive a moment later). The entry is also dropped at the flush,
 * so that requests in between read the database; reads of the old row that finish before the
 * commit are dropped again at the commit.
 */
@Injectable()
export class AuthChangeSubscriber implements EventSubscriber<User>, OnModuleInit {
  /** Users changed by each transaction in flight, keyed by the transaction's entity manager. */
  private readonly pending = new WeakMap<TransactionKey, Set<string>>();

  constructor(
    private readonly orm: MikroORM,
    private readonly cache: AuthStateCache,
  ) {}

  onModuleInit(): void {
    this.orm.em.getEventManager().registerSubscriber(this);
  }

  getSubscribedEntities() {
    return [User];
  }

  afterUpdate(args: EventArgs<User>): void {
    const payload = (args.changeSet?.payload ?? {}) as Record<string, unknown>;
    if (AUTH_PROPERTIES.some((property) => property in payload)) this.changed(args.em, args.entity.id);
  }

  afterDelete(args: EventArgs<User>): void {
    this.changed(args.em, args.entity.id);
  }

  afterTransactionCommit(args: TransactionEventArgs): void {
    const ids = this.pending.get(args.em);
    if (!ids) return;
    this.pending.delete(args.em);
    for (const id of ids) this.cache.invalidate(id);
  }

  afterTransactionRollback(args: TransactionEventArgs): void {
    this.pending.delete(args.em);
  }

  private changed(em: TransactionKey, id: string): void {
    this.cache.invalidate(id);
    if (!em.isInTransaction()) return;
    const ids = this.pending.get(em) ?? new Set<string>();
    ids.add(id);
    this.pending.set(em, ids);
  }
}
