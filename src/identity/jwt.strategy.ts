import { createSecretKey } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { LRUCache } from 'lru-cache';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig } from '../config/app-config';
import { Actor } from '../common/decorators';
import { AuthStateCache } from './auth-state.cache';
import type { JwtPayload } from './auth.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** How far a token's `iat` may lie ahead of this instance's clock (clocks of servers drift a little). */
export const MAX_CLOCK_SKEW_SECONDS = 5;

/** Verified tokens one instance remembers, and for how long at most (the least recently used go first). */
export const VERIFIED_TOKENS_MAX = 10000;
export const VERIFIED_TOKEN_TTL_MS = 60000;

type Claims = JwtPayload & { exp?: unknown; iat?: unknown; nbf?: unknown };

/** A payload whose signature has been verified, with the expiry that bounds its use. */
interface VerifiedToken {
  payload: Claims;
  exp: number;
}

type Request = Parameters<Strategy['authenticate']>[0];

const tokenFrom = ExtractJwt.fromAuthHeaderAsBearerToken();

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  /**
   * Tokens that passport-jwt (jsonwebtoken) has verified, by the exact token string, for up to
   * VERIFIED_TOKEN_TTL_MS: a client sends the same token with each request, and checking its HMAC
   * and parsing it again each time was a measurable share of a request's CPU (docs/BENCHMARKS.md).
   * Only what does not change with time is taken from here (the signature, algorithm and claims
   * of that exact string); the expiry is checked again on every use, as jsonwebtoken checks it,
   * and the user behind the token (active, token version, role) is checked on every request by
   * `validate` whether the token came from here or not. Tokens with `nbf` are not remembered.
   */
  private readonly verified = new LRUCache<string, VerifiedToken>({
    max: VERIFIED_TOKENS_MAX,
    ttl: VERIFIED_TOKEN_TTL_MS,
  });

  constructor(
    config: AppConfig,
    private readonly authStates: AuthStateCache,
  ) {
    super({
      jwtFromRequest: tokenFrom,
      // A KeyObject: given a string, jsonwebtoken re-derives the key on every verification (first
      // trying, and failing, to parse it as a public key), ~0.5-1 ms of CPU per request (docs/BENCHMARKS.md).
      secretOrKey: createSecretKey(Buffer.from(config.get('JWT_SECRET'), 'utf8')) as unknown as string,
      algorithms: ['HS256'],
      ignoreExpiration: false,
      passReqToCallback: true,
    });
  }

  /**
   * A token verified before and not expired since goes straight to the checks of the user, as
   * passport-jwt does with a token it has just verified (`validate`, then success or fail); any
   * other token, and every expired one, takes passport-jwt's whole way.
   */
  override authenticate(req: Request, options?: unknown): void {
    const token = tokenFrom(req);
    const known = token ? this.verified.get(token) : undefined;
    if (!known || !this.unexpired(token as string, known)) {
      super.authenticate(req, options);
      return;
    }
    this.actorFor(known.payload)
      .then(
        // fail() with no challenge and no status, as passport-jwt reports a refused user.
        (actor) => (actor ? this.success(actor) : this.fail(undefined as unknown as number)),
      )
      .catch((error: Error) => this.error(error));
  }

  /** Called by passport-jwt with a payload whose token it has just verified. */
  async validate(req: Request, payload: Claims): Promise<Actor | false> {
    const token = tokenFrom(req);
    if (
      token &&
      payload !== null &&
      typeof payload === 'object' &&
      typeof payload.exp === 'number' &&
      payload.nbf === undefined
    ) {
      this.verified.set(token, { payload, exp: payload.exp });
    }
    return this.actorFor(payload);
  }

  /** jsonwebtoken's own test: expired once the current second has reached `exp`. */
  private unexpired(token: string, known: VerifiedToken): boolean {
    if (Math.floor(Date.now() / 1000) < known.exp) return true;
    this.verified.delete(token);
    return false;
  }

  /**
   * The token is only as good as the user behind it: a disabled or deleted user is refused, and so
   * is a token older than the user's last password change or deactivation (its `ver` is behind).
   * The user's state comes from the per-instance cache (no query when it is there). The role is the
   * user's current one, never the token's claim.
   */
  private async actorFor(payload: Claims): Promise<Actor | false> {
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
