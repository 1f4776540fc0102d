import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard as PassportAuthGuard } from '@nestjs/passport';
import { Actor, IS_PUBLIC_KEY, ROLES_KEY } from './decorators';
import { DomainError, ForbiddenError } from './errors';
import { RequestContext } from './request-context';
import { OmsThrottlerGuard } from './throttling';
import { UserRole } from '../identity/user-role.enum';

export class UnauthorizedError extends DomainError {
  constructor(message = 'A valid bearer token is required') {
    super(401, 'UNAUTHORIZED', message);
  }
}

/**
 * The one global guard: every route needs a valid JWT unless @Public(); @Roles(...) metadata is
 * checked here too. Missing/invalid/expired/forged/revoked token → 401, wrong role → 403.
 *
 * It runs before the rate limiter, so a request it refuses is counted here, against the same
 * budget the rate limiter would use (per IP for a 401, per user for a 403): token guessing and
 * floods of bad tokens get 429 like everything else once over THROTTLE_LIMIT.
 */
@Injectable()
export class AuthGuard extends PassportAuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    private readonly throttler: OmsThrottlerGuard,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets)) return true;
    try {
      return await this.authenticate(context);
    } catch (error) {
      // Over the budget: 429 instead of the refusal (the rate limiter throws it).
      if (error instanceof UnauthorizedError || error instanceof ForbiddenError) {
        await this.throttler.canActivate(context);
      }
      throw error;
    }
  }

  private async authenticate(context: ExecutionContext): Promise<boolean> {
    await super.canActivate(context);
    const actor = context.switchToHttp().getRequest<{ user: Actor }>().user;
    RequestContext.setActor(actor.id, actor.role);
    const roles =
      this.reflector.getAllAndOverride<UserRole[] | undefined>(ROLES_KEY, [
        context.getHandler(),
        context.getClass(),
      ]) ?? [];
    if (roles.length > 0 && !roles.includes(actor.role)) {
      throw new ForbiddenError(`This needs one of the roles: ${roles.join(', ')}`);
    }
    return true;
  }

  /**
   * passport-jwt reports a bad token (missing, malformed, forged, wrong algorithm, expired) as
   * `info` with no user; `error` is something that broke while checking it (e.g. the database
   * could not be asked about the user), which must not pass for a bad token.
   */
  override handleRequest<T>(error: unknown, user: T, info: unknown): T {
    if (error) throw error;
    if (!user) {
      const expired = (info as { name?: string } | undefined)?.name === 'TokenExpiredError';
      throw new UnauthorizedError(expired ? 'The token has expired' : 'A valid bearer token is required');
    }
    return user;
  }
}
