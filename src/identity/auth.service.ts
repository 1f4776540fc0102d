import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { DomainError } from '../common/errors';
import { PasswordHasher } from './password-hasher';
import { UsersService } from './users.service';
import { LoginDto, LoginResponse } from './dto/auth.dto';

export interface JwtPayload {
  sub: string;
  role: string;
  email: string;
  /** The user's token version when it was issued; a token without one counts as version 0. */
  ver?: number;
}

export class InvalidCredentialsError extends DomainError {
  constructor() {
    super(401, 'INVALID_CREDENTIALS', 'Email or password is wrong');
  }
}

/** Parses `3600`, `15m`, `1h`, `1d` into seconds. */
export function durationToSeconds(value: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(value.trim());
  if (!match) throw new Error(`Not a duration: ${value}`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly jwt: JwtService,
  ) {}

  /** Unknown email, wrong password and disabled user all get the same answer in similar time. */
  async login(dto: LoginDto, expiresInSeconds: number): Promise<LoginResponse> {
    const user = await this.users.findByEmail(dto.email);
    const valid = await this.hasher.verify(user?.passwordHash, dto.password);
    if (!user || !valid || !user.isActive) throw new InvalidCredentialsError();
    const payload: JwtPayload = { sub: user.id, role: user.role, email: user.email, ver: user.tokenVersion };
    const accessToken = await this.jwt.signAsync(payload, { expiresIn: expiresInSeconds });
    return {
      accessToken,
      tokenType: 'Bearer',
      expiresIn: expiresInSeconds,
      user: { id: user.id, email: user.email, fullName: user.fullName, role: user.role },
    };
  }
}
