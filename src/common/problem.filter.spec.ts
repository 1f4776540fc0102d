import { HttpException, NotFoundException } from '@nestjs/common';
import {
  CheckConstraintViolationException,
  DeadlockException,
  ForeignKeyConstraintViolationException,
  LockWaitTimeoutException,
  NotFoundError as OrmNotFoundError,
  UniqueConstraintViolationException,
} from '@mikro-orm/core';
import { ConflictError, DomainError, InsufficientStockError, InvalidTransitionError } from './errors';
import { toProblem } from './problem.filter';
import { RateLimitedError } from './throttling';

const driverError = (code: string, message = 'driver says no') => Object.assign(new Error(message), { code });

describe('toProblem', () => {
  it('renders domain errors with their status, code and extra members', () => {
    expect(
      toProblem(new InvalidTransitionError('Fulfillment', 'pending', 'shipped', ['picking', 'cancelled'])),
    ).toEqual({
      problem: {
        type: 'urn:oms:problem:invalid-transition',
        title: 'Conflict',
        status: 409,
        detail: 'Fulfillment cannot go from pending to shipped; allowed: picking, cancelled',
        code: 'INVALID_TRANSITION',
        from: 'pending',
        to: 'shipped',
        allowed: ['picking', 'cancelled'],
      },
      headers: {},
    });
    const stock = toProblem(
      new InsufficientStockError([{ productVariantId: 'v', requested: 3, available: 1 }]),
    );
    expect(stock.problem).toMatchObject({
      status: 409,
      code: 'INSUFFICIENT_STOCK',
      shortages: [{ requested: 3 }],
    });
    expect(toProblem(new ConflictError('taken')).problem).toMatchObject({ status: 409, code: 'CONFLICT' });
  });

  it('sets Retry-After from a domain error’s retryAfter', () => {
    expect(toProblem(new RateLimitedError(17))).toMatchObject({
      problem: { status: 429, code: 'RATE_LIMITED', title: 'Too Many Requests', retryAfter: 17 },
      headers: { 'Retry-After': '17' },
    });
    expect(toProblem(new DomainError(503, 'BUSY', 'busy', { retryAfter: 2 })).headers).toEqual({
      'Retry-After': '2',
    });
  });

  it('maps MikroORM and PostgreSQL errors without leaking their messages', () => {
    const cases: Array<[unknown, number, string]> = [
      [new OrmNotFoundError('Order not found ({ id: 1 })'), 404, 'NOT_FOUND'],
      [
        new UniqueConstraintViolationException(driverError('23505', 'duplicate key users_email')),
        409,
        'CONFLICT',
      ],
      [new ForeignKeyConstraintViolationException(driverError('23503')), 409, 'CONFLICT'],
      [new CheckConstraintViolationException(driverError('23514')), 400, 'VALIDATION_FAILED'],
      [new DeadlockException(driverError('40P01')), 409, 'CONFLICT'],
      [new LockWaitTimeoutException(driverError('55P03')), 503, 'LOCK_TIMEOUT'],
      [driverError('57014', 'canceling statement due to statement timeout'), 503, 'DATABASE_TIMEOUT'],
      [driverError('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.5:5432'), 503, 'SERVICE_UNAVAILABLE'],
    ];
    for (const [error, status, code] of cases) {
      const { problem } = toProblem(error);
      expect(problem).toMatchObject({ status, code });
      expect(problem.detail).not.toMatch(/users_email|10\.0\.0\.5|\(\{ id/);
    }
  });

  it('renders Nest HttpExceptions, and Fastify 400s as a bad body', () => {
    expect(toProblem(new NotFoundException('Cannot GET /x')).problem).toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
      detail: 'Cannot GET /x',
    });
    const fastify = Object.assign(new Error('Unexpected end of JSON input'), {
      code: 'FST_ERR_CTP_INVALID_JSON_BODY',
      statusCode: 400,
    });
    expect(toProblem(new HttpException(fastify.message, 400, { cause: fastify })).problem).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      detail: 'The request body is not valid JSON',
      errors: [{ field: 'body', message: 'The request body is not valid JSON' }],
    });
  });

  it('turns anything else into a 500 that says nothing', () => {
    expect(toProblem(new TypeError("Cannot read properties of undefined (reading 'secret')"))).toEqual({
      problem: {
        type: 'urn:oms:problem:internal-error',
        title: 'Internal Server Error',
        status: 500,
        detail: 'An unexpected error occurred',
        code: 'INTERNAL_ERROR',
      },
    });
    expect(toProblem('a string').problem.status).toBe(500);
    expect(toProblem(undefined).problem.status).toBe(500);
  });
});
