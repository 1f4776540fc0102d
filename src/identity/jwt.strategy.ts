import { createSecretKey } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig } from '../config/app-config';
import { Actor } from '../common/decorators';
import { UsersService } from './users.service';
import type { JwtPayload } from './auth.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    config: AppConfig,
    private readonly users: UsersService,
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

  /** The token is only as good as the user behind it: a disabled or deleted user is refused. */
  async validate(payload: JwtPayload & { exp?: unknown }): Promise<Actor | false> {
    if (typeof payload?.sub !== 'string' || !UUID.test(payload.sub)) return false;
    // jsonwebtoken checks exp only when present: a well-signed token without one would never expire.
    if (typeof payload.exp !== 'number') return false;
    return (await this.users.findActiveActor(payload.sub)) ?? false;
  }
}
