import { randomUUID } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { Actor } from '../common/decorators';
import { AppConfig } from '../config/app-config';
import { AuthStateCache } from './auth-state.cache';
import { JwtStrategy, VERIFIED_TOKEN_TTL_MS } from './jwt.strategy';
import { AuthState } from './users.repository';
import { UserRole } from './user-role.enum';

const SECRET = 'a-secret-for-the-jwt-strategy-spec-0123456789';
const START = new Date('2026-12-05T10:00:00.000Z').getTime();
const seconds = (ms: number) => Math.floor(ms / 1000);

interface Outcome {
  actor?: Actor;
  failed?: { info: unknown };
  error?: unknown;
}

/** One authentication attempt the way passport makes it: a per-request copy of the strategy. */
function attempt(strategy: JwtStrategy, token?: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const request = Object.create(strategy) as JwtStrategy & Record<string, unknown>;
    request.success = (actor: Actor) => resolve({ actor });
    request.fail = (info: unknown) => resolve({ failed: { info } });
    request.error = (error: unknown) => resolve({ error });
    request.authenticate({ headers: token ? { authorization: `Bearer ${token}` } : {} } as never);
  });
}

describe('JwtStrategy', () => {
  const signer = new JwtService({ secret: SECRET, signOptions: { algorithm: 'HS256' } });
  let users: Map<string, AuthState>;
  let lookups: number;
  let failLookups: boolean;
  let strategy: JwtStrategy;
  let user: AuthState;

  const token = (claims: Record<string, unknown> = {}, secret = SECRET) =>
    signer.sign(
      { sub: user.id, role: user.role, email: user.email, ver: user.tokenVersion, ...claims },
      { secret },
    );
  const fresh = (lifetimeSeconds = 3600) =>
    token({ iat: seconds(Date.now()), exp: seconds(Date.now()) + lifetimeSeconds });

  beforeEach(() => {
    jest.useFakeTimers({ now: START });
    users = new Map();
    lookups = 0;
    failLookups = false;
    user = {
      id: randomUUID(),
      email: 'w@test.local',
      role: UserRole.WAREHOUSE,
      isActive: true,
      tokenVersion: 2,
    };
    users.set(user.id, user);
    const authStates = {
      async get(id: string) {
        lookups++;
        if (failLookups) throw new Error('database unavailable');
        const state = users.get(id);
        return state ? { ...state } : null;
      },
    } as unknown as AuthStateCache;
    const config = { get: () => SECRET } as unknown as AppConfig;
    strategy = new JwtStrategy(config, authStates);
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('accepts a valid token on every request, checking the user each time', async () => {
    const jwt = fresh();
    for (let n = 1; n <= 3; n++) {
      expect(await attempt(strategy, jwt)).toEqual({
        actor: { id: user.id, email: user.email, role: 'warehouse' },
      });
      expect(lookups).toBe(n);
    }
  });

  it('answers with the role the user has now, not the one of an earlier request', async () => {
    const jwt = fresh();
    expect((await attempt(strategy, jwt)).actor?.role).toBe('warehouse');
    users.set(user.id, { ...user, role: UserRole.SUPPORT });
    expect((await attempt(strategy, jwt)).actor?.role).toBe('support');
  });

  it('refuses a token accepted before at once when the user is deactivated or its version is revoked', async () => {
    const jwt = fresh();
    await attempt(strategy, jwt);
    await attempt(strategy, jwt);
    users.set(user.id, { ...user, isActive: false });
    expect((await attempt(strategy, jwt)).failed).toBeDefined();
    users.set(user.id, { ...user, tokenVersion: 3 });
    expect((await attempt(strategy, jwt)).failed).toBeDefined();
    users.delete(user.id);
    expect((await attempt(strategy, jwt)).failed).toBeDefined();
  });

  it('refuses a token accepted before from the second its expiry is reached, as an expired token', async () => {
    const jwt = fresh(30);
    expect((await attempt(strategy, jwt)).actor).toBeDefined();
    jest.advanceTimersByTime(29999);
    expect((await attempt(strategy, jwt)).actor).toBeDefined();
    jest.advanceTimersByTime(1);
    const expired = await attempt(strategy, jwt);
    expect(expired.actor).toBeUndefined();
    expect((expired.failed?.info as Error | undefined)?.name).toBe('TokenExpiredError');
    expect((await attempt(strategy, jwt)).failed).toBeDefined();
  });

  it('keeps accepting a long-lived token after the time it was remembered for', async () => {
    const jwt = fresh();
    await attempt(strategy, jwt);
    jest.advanceTimersByTime(VERIFIED_TOKEN_TTL_MS * 3);
    expect((await attempt(strategy, jwt)).actor).toBeDefined();
  });

  it('refuses a token that differs from an accepted one, whatever the difference', async () => {
    const jwt = fresh();
    await attempt(strategy, jwt);
    const [header, payload, signature] = jwt.split('.');
    const flipped = signature[10] === 'A' ? 'B' : 'A';
    const tampered = `${header}.${payload}.${signature.slice(0, 10)}${flipped}${signature.slice(11)}`;
    expect((await attempt(strategy, tampered)).failed).toBeDefined();
    const otherSecret = token(
      { iat: seconds(Date.now()), exp: seconds(Date.now()) + 3600 },
      `${SECRET}-other`,
    );
    expect((await attempt(strategy, otherSecret)).failed).toBeDefined();
    expect((await attempt(strategy)).failed).toBeDefined();
  });

  it('refuses on every request a well-signed token the rules refuse (issued in the future, no expiry)', async () => {
    const future = token({ iat: seconds(Date.now()) + 60, exp: seconds(Date.now()) + 3600 });
    expect((await attempt(strategy, future)).failed).toBeDefined();
    expect((await attempt(strategy, future)).failed).toBeDefined();
    const endless = token({ iat: seconds(Date.now()) });
    expect((await attempt(strategy, endless)).failed).toBeDefined();
    expect((await attempt(strategy, endless)).failed).toBeDefined();
  });

  it('honours not-before on every request', async () => {
    const later = token({
      iat: seconds(Date.now()),
      nbf: seconds(Date.now()) + 10,
      exp: seconds(Date.now()) + 60,
    });
    const early = await attempt(strategy, later);
    expect((early.failed?.info as Error | undefined)?.name).toBe('NotBeforeError');
    jest.advanceTimersByTime(10000);
    expect((await attempt(strategy, later)).actor).toBeDefined();
    jest.advanceTimersByTime(50000);
    expect(((await attempt(strategy, later)).failed?.info as Error | undefined)?.name).toBe(
      'TokenExpiredError',
    );
  });

  it('reports a failure to check the user as an error, not as a bad token', async () => {
    const jwt = fresh();
    await attempt(strategy, jwt);
    failLookups = true;
    expect((await attempt(strategy, jwt)).error).toBeInstanceOf(Error);
  });
});
