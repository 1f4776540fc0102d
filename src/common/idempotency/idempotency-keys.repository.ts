import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';

/** A committed key as a repeat of its request finds it. */
export interface StoredKeyRow {
  fingerprint: string;
  response_status: number | null;
  response_body: unknown;
}

export interface NewClaim {
  userId: string;
  key: string;
  method: string;
  path: string;
  fingerprint: string;
  ttlHours: number;
  /** A row without a response older than this is an abandoned claim and is taken over. */
  abandonedAfterSeconds: number;
}

/**
 * idempotency_keys: written by statements only. The claim is an insert that waits on the unique
 * index for a concurrent request with the same key, and takes over expired or abandoned rows in the
 * same statement; an entity flush could do neither.
 */
@Injectable()
export class IdempotencyKeysRepository {
  constructor(private readonly em: EntityManager) {}

  /**
   * Inserts the claim, or takes over an expired or abandoned row with the same key: the claimed
   * row's id, or undefined when a live row holds the key (committed; a concurrent insert waits).
   */
  async claim(claim: NewClaim): Promise<string | undefined> {
    const rows = await this.em.execute<{ id: string }[]>(
      `insert into idempotency_keys as k (id, user_id, key, method, path, fingerprint, expires_at)
       values (gen_random_uuid(), ?, ?, ?, ?, ?, now() + make_interval(hours => ?))
       on conflict (user_id, key) do update
         set method = excluded.method, path = excluded.path, fingerprint = excluded.fingerprint,
             response_status = null, response_body = null, created_at = now(),
             expires_at = excluded.expires_at
         where k.expires_at < now()
            or (k.response_status is null and k.created_at < now() - make_interval(secs => ?))
       returning k.id`,
      [
        claim.userId,
        claim.key,
        claim.method,
        claim.path,
        claim.fingerprint,
        claim.ttlHours,
        claim.abandonedAfterSeconds,
      ],
    );
    return rows[0]?.id;
  }

  async find(userId: string, key: string): Promise<StoredKeyRow | undefined> {
    const [row] = await this.em.execute<StoredKeyRow[]>(
      'select fingerprint, response_status, response_body from idempotency_keys where user_id = ? and key = ?',
      [userId, key],
    );
    return row;
  }

  async storeResponse(id: string, status: number, body: unknown): Promise<void> {
    await this.em.execute('update idempotency_keys set response_status = ?, response_body = ? where id = ?', [
      status,
      JSON.stringify(body ?? null),
      id,
    ]);
  }

  /** Deletes up to `limit` expired keys (skipping rows locked by a request): how many it deleted. */
  async purgeExpired(limit: number): Promise<number> {
    const rows = await this.em.execute<{ id: string }[]>(
      `delete from idempotency_keys where id in (
         select id from idempotency_keys where expires_at < now() limit ? for update skip locked
       ) returning id`,
      [limit],
    );
    return rows.length;
  }
}
