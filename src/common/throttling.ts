import { createHash } from 'node:crypto';
import {
  applyDecorators,
  ExecutionContext,
  Injectable,
  Logger,
  OnApplicationShutdown,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  SkipThrottle,
  ThrottlerGuard,
  ThrottlerLimitDetail,
  ThrottlerModuleOptions,
  ThrottlerRequest,
  ThrottlerStorage,
} from '@nestjs/throttler';
import type { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import { AppConfig } from '../config/app-config';
import { DomainError } from './errors';
import { Actor } from './decorators';
import { InMemoryThrottlerStorage } from './throttler-storage';

export const LOGIN_THROTTLE_KEY = 'oms:loginThrottle';
const LOGIN_WINDOW_MS = 60000;

/** The strict per IP+email limit of the login route (LOGIN_THROTTLE_LIMIT per minute). */
export const LoginThrottle = () => SetMetadata(LOGIN_THROTTLE_KEY, true);

/** Operations endpoints (health, metrics) are not rate limited. */
export const NoThrottle = () => applyDecorators(SkipThrottle({ default: true, login: true }));

export class RateLimitedError extends DomainError {
  constructor(retryAfterSeconds: number) {
    super(429, 'RATE_LIMITED', `Too many requests; retry after ${retryAfterSeconds} s`, {
      retryAfter: retryAfterSeconds,
    });
  }
}

/** The counters cannot be read (Redis down): refuse rather than let requests through unlimited. */
export class RateLimiterUnavailableError extends DomainError {
  constructor() {
    super(503, 'RATE_LIMITER_UNAVAILABLE', 'Rate limiting is unavailable; try again shortly', {
      retryAfter: 5,
    });
  }
}

function isLoginRoute(context: ExecutionContext): boolean {
  return Reflect.getMetadata(LOGIN_THROTTLE_KEY, context.getHandler()) === true;
}

/** Tracker of the login throttler: the client IP plus the email being tried. */
export function loginTracker(req: Record<string, unknown>): string {
  const request = req as unknown as FastifyRequest<{ Body: { email?: unknown } }>;
  const email =
    typeof request.body?.email === 'string' ? request.body.email.trim().toLowerCase().slice(0, 254) : '';
  return `${request.ip}:${email}`;
}

/**
 * Two throttlers: `default` (THROTTLE_LIMIT per THROTTLE_TTL_MS) per user, per IP when anonymous,
 * across all routes; `login` (LOGIN_THROTTLE_LIMIT per minute) per IP+email on the login route
 * only. With REDIS_URL the counters live in Redis, so the limits hold across instances; without it,
 * in this process (InMemoryThrottlerStorage, amortised O(1) per request).
 */
export function createThrottlerOptions(config: AppConfig): ThrottlerModuleOptions {
  const redisUrl = config.get('REDIS_URL');
  let storage: ThrottlerStorage;
  if (redisUrl) {
    // Loaded only when configured: it brings ioredis, which an instance without Redis never needs.
    const { ThrottlerStorageRedisService: RedisStorage } =
      require('@nest-lab/throttler-storage-redis') as typeof import('@nest-lab/throttler-storage-redis');
    const redisStorage: ThrottlerStorageRedisService = new RedisStorage(redisUrl, {
      // Fail a counter update within a reconnect attempt instead of queueing requests behind a
      // Redis that is down (ioredis would otherwise retry each command 20 times).
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
    });
    const logger = new Logger('RateLimits');
    let lastWarning = 0;
    redisStorage.redis.on('error', (error: Error) => {
      if (Date.now() - lastWarning < 30000) return;
      lastWarning = Date.now();
      logger.warn(`Redis for rate limits is unreachable: ${error.message}`);
    });
    storage = redisStorage;
  } else {
    storage = new InMemoryThrottlerStorage();
  }
  return {
    throttlers: [
      { name: 'default', ttl: config.get('THROTTLE_TTL_MS'), limit: config.get('THROTTLE_LIMIT') },
      {
        name: 'login',
        ttl: LOGIN_WINDOW_MS,
        limit: config.get('LOGIN_THROTTLE_LIMIT'),
        getTracker: loginTracker,
        skipIf: (context) => !isLoginRoute(context),
      },
    ],
    storage,
  };
}

@Injectable()
export class OmsThrottlerGuard extends ThrottlerGuard implements OnApplicationShutdown {
  private readonly log = new Logger('RateLimits');
  /** Keys of the trackers seen lately: a caller sends many requests, and hashing costs more than a lookup. */
  private readonly keys = new LRUCache<string, string>({ max: 10000 });

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
  ) {
    super(options, storage, reflector);
  }

  /**
   * The Redis storage is created in the options factory, and Nest runs no lifecycle hooks on it:
   * its connection is closed here (else it keeps reconnecting after the app is closed). The
   * in-memory storage's sweep timer is stopped here too (stopping it twice is harmless).
   */
  onApplicationShutdown(): void {
    const storage = this.storageService;
    if (storage instanceof InMemoryThrottlerStorage) {
      storage.onApplicationShutdown();
      return;
    }
    const redis = storage as Partial<ThrottlerStorageRedisService>;
    if (typeof redis.onModuleDestroy === 'function') redis.onModuleDestroy();
  }

  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const request = req as unknown as FastifyRequest & { user?: Actor };
    return request.user ? `user:${request.user.id}` : `ip:${request.ip}`;
  }

  /**
   * One counter per throttler and tracker, whatever the route (Nest's default counts per route),
   * so that THROTTLE_LIMIT is a budget per user. Trackers are hashed: no emails or IPs as keys.
   */
  protected override generateKey(_context: ExecutionContext, tracker: string, throttlerName: string): string {
    const seen = `${throttlerName}\n${tracker}`;
    let key = this.keys.get(seen);
    if (key === undefined) {
      const digest = createHash('sha256').update(tracker).digest('hex').slice(0, 40);
      key = `oms:throttle:${throttlerName}:${digest}`;
      this.keys.set(seen, key);
    }
    return key;
  }

  protected override async handleRequest(request: ThrottlerRequest): Promise<boolean> {
    try {
      return await super.handleRequest(request);
    } catch (error) {
      if (error instanceof DomainError) throw error;
      this.log.error(`Rate-limit counters unavailable: ${(error as Error)?.message ?? error}`);
      throw new RateLimiterUnavailableError();
    }
  }

  protected override async throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    throw new RateLimitedError(Math.max(1, Math.ceil(detail.timeToBlockExpire)));
  }
}
