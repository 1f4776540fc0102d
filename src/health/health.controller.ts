import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, MikroOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../common/decorators';
import { DomainError } from '../common/errors';
import { ProblemResponse } from '../common/openapi';
import { NoThrottle } from '../common/throttling';
import { RedisHealthIndicator } from './redis.health';
import { ReplicaRouter } from '../database/replica-router';

@ApiTags('operations')
@Controller('health')
@Public()
@NoThrottle()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: MikroOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly replicas: ReplicaRouter,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'The process is up (public)' })
  // Replaces @HealthCheck()'s 503 schema: the answer is problem+json (ProblemFilter).
  @ApiResponse({
    status: 503,
    description: 'Shutting down',
    schema: { $ref: getSchemaPath(ProblemResponse) },
  })
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @ApiOperation({
    summary: 'The database (and Redis when configured) answer; 503 otherwise (public)',
    description:
      'With read replicas (DATABASE_REPLICA_URLS), `replicas` lists each one as `up`, `lagging` (beyond ' +
      'DB_REPLICA_MAX_LAG_MS) or `down`, and its own status is `degraded` when any is not up: still 200, ' +
      'since the primary then answers every read.',
  })
  @ApiResponse({
    status: 503,
    description: 'Not ready: `checks` names each dependency and its status',
    schema: { $ref: getSchemaPath(ProblemResponse) },
  })
  @HealthCheck()
  async ready() {
    try {
      const result = await this.health.check([
        () => this.db.pingCheck('database', { timeout: 2000 }),
        () => this.redis.check('redis'),
      ]);
      if (!this.replicas.enabled) return result;
      // Reported, never failing the probe: without replicas the primary serves every read.
      const states = this.replicas.status();
      const replicas = {
        status: states.every((replica) => replica.state === 'up') ? 'up' : 'degraded',
        replicas: Object.fromEntries(
          states.map(({ name, state, lagMs }) => [name, lagMs === undefined ? { state } : { state, lagMs }]),
        ),
      };
      return { ...result, info: { ...result.info, replicas }, details: { ...result.details, replicas } };
    } catch (error) {
      throw notReady(error);
    }
  }
}

/**
 * The 503 names which dependency is down (statuses only: the driver's messages stay in the log),
 * so that an operator reading the probe sees `database: down` rather than a bare 503.
 */
function notReady(error: unknown): unknown {
  if (!(error instanceof ServiceUnavailableException)) return error;
  const details = (error.getResponse() as { details?: Record<string, { status?: string }> }).details ?? {};
  const checks = Object.fromEntries(Object.entries(details).map(([name, result]) => [name, result.status]));
  const down = Object.keys(checks).filter((name) => checks[name] !== 'up');
  return new DomainError(503, 'SERVICE_UNAVAILABLE', `Not ready: ${down.join(', ') || 'a check'} down`, {
    checks,
    retryAfter: 5,
  });
}
