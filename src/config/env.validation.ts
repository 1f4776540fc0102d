import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';

const toBool = ({ value }: { value: unknown }) =>
  value === undefined || value === ''
    ? undefined
    : ['1', 'true', 'yes', 'on'].includes(String(value).toLowerCase());
const toInt = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : Number(value);

/** Every setting OMS reads. `.env.example` documents each one. */
export class EnvironmentVariables {
  @IsOptional()
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: string = 'development';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT: number = 3000;

  @IsString()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// connection URL' })
  DATABASE_URL: string;

  /**
   * Where the auth cache LISTENs for user changes (a direct connection); unset: DATABASE_URL. Set it
   * when DATABASE_URL goes through a transaction-mode pooler (PgBouncer), which does not carry LISTEN.
   */
  @IsOptional()
  @IsString()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_LISTEN_URL must be a postgres:// connection URL' })
  DATABASE_LISTEN_URL?: string;

  @IsString()
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters long' })
  JWT_SECRET: string;

  @IsString()
  @Matches(/^\d+[smhd]?$/, { message: 'JWT_EXPIRES_IN must be seconds or a duration like 15m, 1h, 1d' })
  JWT_EXPIRES_IN: string = '1h';

  @IsOptional()
  @IsEmail({}, { message: 'ADMIN_EMAIL must be an email address' })
  ADMIN_EMAIL?: string;

  @IsOptional()
  @IsString()
  @MinLength(12, { message: 'ADMIN_PASSWORD must be at least 12 characters long' })
  ADMIN_PASSWORD?: string;

  @IsOptional()
  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must be a redis:// URL' })
  REDIS_URL?: string;

  @Transform(toBool)
  @IsBoolean()
  DB_MIGRATE_ON_START: boolean = true;

  @Transform(toBool)
  @IsBoolean()
  SEED_DEMO_DATA: boolean = false;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: string = 'info';

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(200)
  DB_POOL_MAX: number = 10;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  DB_STATEMENT_TIMEOUT_MS: number = 15000;

  /** Streaming replicas for reads that may be slightly stale (comma-separated postgres:// URLs). */
  @IsOptional()
  @IsString()
  @Matches(/^\s*postgres(ql)?:\/\/[^,\s]+(\s*,\s*postgres(ql)?:\/\/[^,\s]+)*\s*$/, {
    message: 'DATABASE_REPLICA_URLS must be postgres:// connection URLs separated by commas',
  })
  DATABASE_REPLICA_URLS?: string;

  /** A replica further behind the primary than this serves no read (the primary answers). */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(3600000)
  DB_REPLICA_MAX_LAG_MS: number = 1000;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  DB_LOCK_TIMEOUT_MS: number = 5000;

  @Transform(toBool)
  @IsBoolean()
  DOCS_ENABLED: boolean = true;

  @Transform(toInt)
  @IsInt()
  @Min(1000)
  THROTTLE_TTL_MS: number = 60000;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  THROTTLE_LIMIT: number = 300;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  LOGIN_THROTTLE_LIMIT: number = 5;

  @Transform(toInt)
  @IsInt()
  @Min(1024)
  BODY_LIMIT_BYTES: number = 1048576;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  IDEMPOTENCY_TTL_HOURS: number = 24;

  /** argon2 hashes/verifications running at once; unset: the number of cores. */
  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(1)
  PASSWORD_HASH_CONCURRENCY?: number;

  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(1)
  RESERVATION_TTL_MINUTES?: number;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  RESERVATION_SWEEP_INTERVAL_MS: number = 30000;

  @Transform(toBool)
  @IsBoolean()
  JOBS_ENABLED: boolean = true;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  NOTIFY_DISPATCH_INTERVAL_MS: number = 5000;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  NOTIFY_MAX_ATTEMPTS: number = 5;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  NOTIFY_TIMEOUT_MS: number = 5000;

  /** First retry delay of a failed delivery; doubles per attempt (capped at one hour). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  NOTIFY_BACKOFF_BASE_MS: number = 30000;

  @IsOptional()
  @IsUrl(
    { require_tld: false, protocols: ['http', 'https'] },
    { message: 'NOTIFY_WEBHOOK_URL must be an http(s) URL' },
  )
  NOTIFY_WEBHOOK_URL?: string;

  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'NOTIFY_WEBHOOK_SECRET must be at least 16 characters long' })
  NOTIFY_WEBHOOK_SECRET?: string;

  @Transform(toBool)
  @IsBoolean()
  TRUST_PROXY: boolean = false;

  /** How often the webhook dispatcher turns new history entries into deliveries and sends due ones. */
  @Transform(toInt)
  @IsInt()
  @Min(50)
  WEBHOOK_DISPATCH_INTERVAL_MS: number = 1000;

  /** Longest wait for a receiver's answer (connect, send, answer). */
  @Transform(toInt)
  @IsInt()
  @Min(50)
  WEBHOOK_TIMEOUT_MS: number = 5000;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  WEBHOOK_MAX_ATTEMPTS: number = 8;

  /** First retry delay of a failed delivery; doubles per attempt (capped at one hour). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  WEBHOOK_BACKOFF_BASE_MS: number = 30000;

  /** Lets subscriptions call loopback, private and link-local addresses (local development only). */
  @Transform(toBool)
  @IsBoolean()
  WEBHOOK_ALLOW_PRIVATE_URLS: boolean = false;

  /** AES-256-GCM key for subscription secrets at rest: 32 bytes as 64 hex digits or base64. */
  @IsOptional()
  @Matches(/^([0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$/, {
    message: 'WEBHOOK_SECRET_KEY must be 32 bytes: 64 hex digits or 44 base64 characters',
  })
  WEBHOOK_SECRET_KEY?: string;
}

export class ConfigurationError extends Error {}

/** Validates process.env; throws one readable line naming every bad setting. */
export function validateEnvironment(config: Record<string, unknown>): EnvironmentVariables {
  // An empty value (`ADMIN_EMAIL=` in a .env file) means unset.
  const present = Object.fromEntries(Object.entries(config).filter(([, value]) => value !== ''));
  const env = plainToInstance(EnvironmentVariables, present, { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false, whitelist: false });
  const problems = errors.flatMap((error) =>
    Object.values(error.constraints ?? {}).map((message) =>
      message.startsWith(error.property) ? message : `${error.property}: ${message}`,
    ),
  );
  if (env.NOTIFY_WEBHOOK_URL && !env.NOTIFY_WEBHOOK_SECRET) {
    problems.push('NOTIFY_WEBHOOK_SECRET is required when NOTIFY_WEBHOOK_URL is set');
  }
  if ((env.ADMIN_EMAIL && !env.ADMIN_PASSWORD) || (!env.ADMIN_EMAIL && env.ADMIN_PASSWORD)) {
    problems.push('ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
  }
  if (problems.length > 0) {
    throw new ConfigurationError(`Invalid configuration: ${problems.join('; ')}`);
  }
  return env;
}
