import { createSecretKey } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig } from '../config/app-config';
import { Actor } from '../common/decorators';
import { AuthStateCache } from './auth-state.cache';
import type { JwtPayload } from './auth.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** How far a token's `iat` may lie ahead of this instance's clock (clocks of servers drift a little). */
export const MAX_CLOCK_SKEW_SECONDS = 5;

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    config: AppConfig,
    private readonly authStates: AuthStateCache,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // A KeyObject: given a string, jsonwebtoken re-derives the key on every verification (first
      // trying, and failing, to parse it as a public key), ~0.5-1 ms of CPU per request (docs/BENCHMARKS.md).
      secretOrKey: createSecretKey(Buffer.from(config.get('JWT_SECRET'), 'utf8')) as unknown as string,
      algorithms: ['HS256'],
      ignoreExpiration: false,
    });
  }

  /**
   * The token is only as good as the user behind it: a disabled or deleted user is refused, and so
   * is a token older than the user's last password change or deactivation (its `ver` is behind).
   * The user's state comes from the per-instance cache (no query when it is there). The role is the
   * user's current one, never the token's claim.
   */
  async validate(payload: JwtPayload & { exp?: unknown; iat?: unknown }): Promise<Actor | false> {
    if (typeof payload?.sub !== 'string' || !UUID.test(payload.sub)) return false;
    // jsonwebtoken checks exp only when present: a well-signed token without one would never expire.
    if (typeof payload.exp !== 'number') return false;
    // Nor does it look at iat: a token "issued" in the future was not issued by us.
    if (typeof payload.iat !== 'number' || payload.iat > Date.now() / 1000 + MAX_CLOCK_SKEW_SECONDS)
      return false;
    const version = payload.ver ?? 0;
    if (!Number.isInteger(version)) return false;
    const user = await this.authStates.get(payload.sub);
    if (!user || !user.isActive || user.tokenVersion !== version) return false;
    return { id: user.id, email: user.email, role: user.role };
  }
}
