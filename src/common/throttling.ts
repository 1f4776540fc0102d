import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  SkipThrottle,
  ThrottlerGuard,
  ThrottlerLimitDetail,
  ThrottlerModuleOptions,
  ThrottlerStorage,
} from '@nestjs/throttler';
import { applyDecorators, SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { DomainError } from './errors';
import { Actor } from './decorators';

export const LOGIN_THROTTLE_KEY = 'oms:loginThrottle';

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

export function isLoginRoute(reflector: Reflector, context: ExecutionContext): boolean {
  return (
    reflector.getAllAndOverride<boolean>(LOGIN_THROTTLE_KEY, [context.getHandler(), context.getClass()]) ===
    true
  );
}

/**
 * Two throttlers: `default` per user (per IP when anonymous) on every route; `login` per IP+email
 * on the login route only. Counters live in Redis when REDIS_URL is set, so limits hold across
 * instances.
 */
@Injectable()
export class OmsThrottlerGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
  ) {
    super(options, storage, reflector);
  }

  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const request = req as unknown as FastifyRequest & { user?: Actor };
    return request.user ? `user:${request.user.id}` : `ip:${request.ip}`;
  }

  protected override async throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    throw new RateLimitedError(Math.max(1, Math.ceil(detail.timeToBlockExpire)));
  }
}

/** Tracker of the login throttler: the client IP plus the email being tried. */
export function loginTracker(req: Record<string, unknown>): string {
  const request = req as unknown as FastifyRequest<{ Body: { email?: unknown } }>;
  const email =
    typeof request.body?.email === 'string' ? request.body.email.trim().toLowerCase().slice(0, 254) : '';
  return `login:${request.ip}:${email}`;
}
