import { createHash, randomUUID } from 'node:crypto';
import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { MikroORM } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, mergeMap, Observable, of } from 'rxjs';
import { AppConfig } from '../../config/app-config';
import { Actor } from '../decorators';
import { BadRequestError, DomainError } from '../errors';
import { canonicalJson } from './canonical-json';
import { IDEMPOTENT_KEY } from './idempotent.decorator';
import { setClaim } from './idempotency-claim';

// Nest's @HttpCode() metadata key; creating POSTs without it answer 201.
const HTTP_CODE_METADATA = '__httpCode__';
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
const WAIT_FOR_FIRST_MS = 10000;
/** Longer than any request can run (statement timeout, retries): its process is gone. */
const ABANDONED_AFTER_SECONDS = 120;
const POLL_MS = 50;

interface StoredKey {
  id: string;
  fingerprint: string;
  response_status: number | null;
  response_body: unknown;
  expired: boolean;
}

/**
 * Idempotency-Key for creating POSTs. The first request claims the key (committed at once, so a
 * concurrent duplicate sees it), runs, and stores its response in the transaction that creates the
 * resource (so a crash can never leave a creation without its replayable response); a repeat with the same body gets
 * that response again, a repeat with another body a 422. A duplicate arriving while the first is
 * still running waits for it, then replays. A failed first request frees the key.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly ttlHours: number;

  constructor(
    private readonly reflector: Reflector,
    private readonly orm: MikroORM,
    config: AppConfig,
  ) {
    this.ttlHours = config.get('IDEMPOTENCY_TTL_HOURS');
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (!this.reflector.get<boolean>(IDEMPOTENT_KEY, context.getHandler())) return next.handle();
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: Actor }>();
    const header = request.headers['idempotency-key'];
    if (header === undefined) return next.handle();
    const key = Array.isArray(header) ? header[0] : header;
    if (!KEY_PATTERN.test(key)) {
      throw new BadRequestError('Idempotency-Key must be 1 to 255 visible ASCII characters', [
        { field: 'Idempotency-Key', message: 'must be 1 to 255 visible ASCII characters' },
      ]);
    }
    const userId = request.user?.id ?? 'anonymous';
    const path = request.url.split('?')[0];
    const fingerprint = createHash('sha256')
      .update(`${request.method} ${path}\n${canonicalJson(request.body ?? null)}`)
      .digest('hex');
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const successStatus = this.reflector.get<number>(HTTP_CODE_METADATA, context.getHandler()) ?? 201;

    return from(this.claim(userId, key, request.method, path, fingerprint)).pipe(
      mergeMap((outcome) => {
        if (outcome.kind === 'replay') {
          reply.status(outcome.status);
          reply.header('Idempotent-Replayed', 'true');
          return of(outcome.body);
        }
        // The unit of work stores the response in the creating transaction (idempotency-claim.ts).
        setClaim(request, { id: outcome.id, status: successStatus });
        return next.handle().pipe(
          (source) =>
            new Observable((subscriber) =>
              source.subscribe({
                next: (value) => subscriber.next(value),
                complete: () => subscriber.complete(),
                error: (error) => {
                  void this.release(outcome.id).finally(() => subscriber.error(error));
                },
              }),
            ),
        );
      }),
    );
  }

  private em(): EntityManager {
    return this.orm.em.fork() as EntityManager;
  }

  private async claim(
    userId: string,
    key: string,
    method: string,
    path: string,
    fingerprint: string,
  ): Promise<{ kind: 'claimed'; id: string } | { kind: 'replay'; status: number; body: unknown }> {
    const em = this.em();
    const deadline = Date.now() + WAIT_FOR_FIRST_MS;
    for (;;) {
      const id = randomUUID();
      const inserted = await em.execute<{ id: string }[]>(
        `insert into idempotency_keys (id, user_id, key, method, path, fingerprint, expires_at)
         values (?, ?, ?, ?, ?, ?, now() + make_interval(hours => ?))
         on conflict (user_id, key) do nothing returning id`,
        [id, userId, key, method, path, fingerprint, this.ttlHours],
      );
      if (inserted.length === 1) return { kind: 'claimed', id };

      const [stored] = await em.execute<StoredKey[]>(
        // A claim without a response after ABANDONED_AFTER belongs to a request whose process died
        // before it committed: nothing was created, so the key is free again, like an expired one.
        `select id, fingerprint, response_status, response_body,
                expires_at < now() or (response_status is null and created_at < now() - make_interval(secs => ?)) as expired
         from idempotency_keys where user_id = ? and key = ?`,
        [ABANDONED_AFTER_SECONDS, userId, key],
      );
      if (!stored) continue; // released meanwhile: try to claim again
      if (stored.expired) {
        await em.execute(
          'delete from idempotency_keys where id = ? and fingerprint = ? and (response_status is null or expires_at < now())',
          [stored.id, stored.fingerprint],
        );
        continue;
      }
      if (stored.fingerprint !== fingerprint) {
        throw new DomainError(
          422,
          'IDEMPOTENCY_KEY_REUSED',
          'This Idempotency-Key was already used with a different request',
        );
      }
      if (stored.response_status !== null) {
        return { kind: 'replay', status: stored.response_status, body: stored.response_body };
      }
      if (Date.now() > deadline) {
        throw new DomainError(
          409,
          'IDEMPOTENCY_KEY_IN_USE',
          'A request with this Idempotency-Key is still running',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  private async release(id: string): Promise<void> {
    await this.em()
      .execute('delete from idempotency_keys where id = ?', [id])
      .catch(() => undefined);
  }
}
