import { randomUUID } from 'node:crypto';
import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';

/** A creating request seen with an Idempotency-Key, and the first response it got. */
// Written by repository statements only (docs/data-access.md): readonly, so no flush ever writes it.
@Entity({ tableName: 'idempotency_keys', readonly: true })
@Unique({ name: 'idempotency_keys_user_key_unique', properties: ['userId', 'key'] })
@Index({ name: 'idempotency_keys_expires_at_index', properties: ['expiresAt'] })
export class IdempotencyKey {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** The caller's user id, or `anonymous`. Keys are scoped per caller. */
  @Property({ type: 'varchar', length: 64 })
  userId: string;

  @Property({ type: 'varchar', length: 255 })
  key: string;

  @Property({ type: 'varchar', length: 10 })
  method: string;

  @Property({ type: 'varchar', length: 1024 })
  path: string;

  /** SHA-256 of method, path and canonical body. */
  @Property({ type: 'char', length: 64 })
  fingerprint: string;

  /** Null while the first request is still running. */
  @Property({ type: 'integer', nullable: true })
  responseStatus?: number | null;

  @Property({ type: 'jsonb', nullable: true })
  responseBody?: unknown;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz' })
  expiresAt: Date;

  constructor(
    userId: string,
    key: string,
    method: string,
    path: string,
    fingerprint: string,
    expiresAt: Date,
  ) {
    this.userId = userId;
    this.key = key;
    this.method = method;
    this.path = path;
    this.fingerprint = fingerprint;
    this.expiresAt = expiresAt;
  }
}
