import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
  Optional,
} from '@nestjs/common';
import {
  CheckConstraintViolationException,
  DeadlockException,
  ForeignKeyConstraintViolationException,
  LockWaitTimeoutException,
  NotFoundError as OrmNotFoundError,
  NotNullConstraintViolationException,
  OptimisticLockError,
  UniqueConstraintViolationException,
} from '@mikro-orm/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isConnectionFailure } from './connection-failure';
import { DomainError } from './errors';
import { RequestContext } from './request-context';
import { MetricsService } from '../metrics/metrics.service';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  requestId?: string;
  [extra: string]: unknown;
}

const CODE_BY_STATUS: Record<number, string> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  412: 'PRECONDITION_FAILED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_ENTITY',
  429: 'RATE_LIMITED',
  500: 'INTERNAL_ERROR',
  503: 'SERVICE_UNAVAILABLE',
};

const TITLE_BY_STATUS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const PG_QUERY_CANCELED = '57014';
const PG_LOCK_NOT_AVAILABLE = '55P03';

export function problem(
  status: number,
  detail: string,
  code?: string,
  extra: Record<string, unknown> = {},
): Problem {
  const resolvedCode = code ?? CODE_BY_STATUS[status] ?? 'ERROR';
  // Extra members first: they may add to the problem, never overwrite its fixed fields.
  return {
    ...extra,
    type: `urn:oms:problem:${resolvedCode.toLowerCase().replace(/_/g, '-')}`,
    title: TITLE_BY_STATUS[status] ?? 'Error',
    status,
    detail,
    code: resolvedCode,
  };
}

/** What Fastify says about a request it could not parse, in our words. */
const FASTIFY_DETAILS: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'The request body is too large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Unsupported content type; send application/json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'The JSON body is empty; send an object or no content type',
  FST_ERR_CTP_INVALID_JSON_BODY: 'The request body is not valid JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'The Content-Length does not match the body',
};

/**
 * Nest's own HttpExceptions: from its not-found handler, from built-in pipes, and Fastify's 4xx
 * errors (body too large, bad JSON, unsupported media type), which Nest wraps with the Fastify
 * error as `cause`.
 */
function fromHttpException(exception: HttpException): Problem {
  const status = exception.getStatus();
  const response = exception.getResponse();
  const fastifyCode = (exception.cause as { code?: string } | undefined)?.code;
  const message = (response as { message?: unknown }).message;
  const detail =
    (fastifyCode && FASTIFY_DETAILS[fastifyCode]) ??
    (typeof response === 'string'
      ? response
      : Array.isArray(message)
        ? message.join('; ')
        : String(message ?? exception.message));
  if (status !== 400) return problem(status, detail);
  const field = fastifyCode?.startsWith('FST_ERR_CTP') ? 'body' : 'request';
  return problem(status, detail, 'VALIDATION_FAILED', { errors: [{ field, message: detail }] });
}

/** Maps any thrown value to an RFC 9457 problem. */
export function toProblem(exception: unknown): { problem: Problem; headers?: Record<string, string> } {
  if (exception instanceof DomainError) {
    const headers: Record<string, string> = {};
    if (typeof exception.extra.retryAfter === 'number') {
      headers['Retry-After'] = String(exception.extra.retryAfter);
    }
    return {
      problem: problem(exception.status, exception.message, exception.code, exception.extra),
      headers,
    };
  }
  if (exception instanceof HttpException) {
    return { problem: fromHttpException(exception) };
  }
  if (exception instanceof OrmNotFoundError) {
    return { problem: problem(404, 'The requested resource was not found', 'NOT_FOUND') };
  }
  if (exception instanceof OptimisticLockError) {
    return {
      problem: problem(409, 'The resource was changed by someone else; reload it and try again', 'CONFLICT'),
    };
  }
  if (exception instanceof UniqueConstraintViolationException) {
    const constraint = (exception as unknown as { constraint?: string }).constraint;
    return {
      problem: problem(409, 'A resource with the same unique value already exists', 'CONFLICT', {
        ...(constraint ? { constraint } : {}),
      }),
    };
  }
  if (exception instanceof ForeignKeyConstraintViolationException) {
    return {
      problem: problem(
        409,
        'The request refers to a resource that does not exist or is still in use',
        'CONFLICT',
      ),
    };
  }
  if (
    exception instanceof CheckConstraintViolationException ||
    exception instanceof NotNullConstraintViolationException
  ) {
    return { problem: problem(400, 'The request violates a data rule', 'VALIDATION_FAILED') };
  }
  const sqlState = (exception as { code?: string })?.code;
  // A deadlock or serialization failure that the unit of work's retries did not get past; raw
  // driver errors (named prepared statements) carry only the SQLSTATE.
  if (exception instanceof DeadlockException || sqlState === '40P01' || sqlState === '40001') {
    return {
      problem: problem(409, 'The request conflicted with a concurrent change; try again', 'CONFLICT'),
    };
  }
  const code = (exception as { code?: string })?.code;
  if (exception instanceof LockWaitTimeoutException || code === PG_LOCK_NOT_AVAILABLE) {
    return {
      problem: problem(503, 'The resource is busy; try again shortly', 'LOCK_TIMEOUT'),
      headers: { 'Retry-After': '1' },
    };
  }
  if (code === PG_QUERY_CANCELED) {
    return {
      problem: problem(503, 'The database took too long to answer; try again shortly', 'DATABASE_TIMEOUT'),
      headers: { 'Retry-After': '1' },
    };
  }
  if (isConnectionFailure(exception)) {
    return {
      problem: problem(503, 'The database is unavailable; try again shortly', 'SERVICE_UNAVAILABLE'),
      headers: { 'Retry-After': '5' },
    };
  }
  return { problem: problem(500, 'An unexpected error occurred', 'INTERNAL_ERROR') };
}

export function sendProblem(
  reply: FastifyReply,
  request: FastifyRequest,
  result: { problem: Problem; headers?: Record<string, string> },
): void {
  const requestId = RequestContext.current()?.requestId ?? (request.id as string);
  const body: Problem = { ...result.problem, instance: request.url.split('?')[0], requestId };
  for (const [name, value] of Object.entries(result.headers ?? {})) reply.header(name, value);
  reply.header('X-Request-Id', requestId);
  reply.status(body.status).type('application/problem+json').send(body);
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(@Optional() private readonly metrics?: MetricsService) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    if (reply.sent) return; // nothing more can be said once the response is out
    const result = toProblem(exception);
    if (result.problem.status >= 500) {
      this.logger.error(
        { err: exception, requestId: RequestContext.current()?.requestId },
        `${request.method} ${request.url} failed: ${(exception as Error)?.message ?? exception}`,
      );
    }
    this.metrics?.recordProblem(result.problem.status, result.problem.code, request.routeOptions?.url);
    if (result.problem.status === HttpStatus.TOO_MANY_REQUESTS && !reply.getHeader('Retry-After')) {
      reply.header('Retry-After', '60');
    }
    sendProblem(reply, request, result);
  }
}
