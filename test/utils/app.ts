import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { JwtService } from '@nestjs/jwt';
import { MikroORM } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import request from 'supertest';
import { validateEnvironment } from '../../src/config/env.validation';
import { UnitOfWork } from '../../src/common/unit-of-work';
import { UsersService } from '../../src/identity/users.service';
import { User } from '../../src/identity/user.entity';
import { UserRole } from '../../src/identity/user-role.enum';

export type TestApp = NestFastifyApplication;

/**
 * The real application on the run's test database. `overrides` are settings for this test file
 * (the app reads settings when its modules load, so pass them on the file's first call).
 * `options.imports` adds modules beside AppModule, e.g. a test-only controller.
 */
export async function createTestApp(
  overrides: Record<string, string> = {},
  options: import('../../src/bootstrap').CreateAppOptions = {},
): Promise<TestApp> {
  Object.assign(process.env, overrides);
  const env = validateEnvironment(process.env);
  const { createApp } = require('../../src/bootstrap') as typeof import('../../src/bootstrap');
  const app = await createApp(env, options);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

export function http(app: TestApp) {
  return request(app.getHttpServer());
}

export interface TestUser {
  user: User;
  token: string;
  password: string;
  auth: { Authorization: string };
}

/** A user of `role` with a signed token; email unique per call. */
export async function createUser(
  app: TestApp,
  role: UserRole,
  options: { email?: string; password?: string; fullName?: string } = {},
): Promise<TestUser> {
  const password = options.password ?? 'test-password-123';
  const email = options.email ?? `${role}-${randomUUID()}@test.local`;
  const user = await app
    .get(UnitOfWork)
    .run('test-user', () =>
      app.get(UsersService).create({ email, password, fullName: options.fullName ?? `Test ${role}`, role }),
    );
  const token = await app
    .get(JwtService)
    .signAsync({ sub: user.id, role: user.role, email: user.email }, { expiresIn: '1h' });
  return { user, token, password, auth: { Authorization: `Bearer ${token}` } };
}

export interface UsersOfEveryRole {
  admin: TestUser;
  support: TestUser;
  warehouse: TestUser;
  customer: TestUser;
}

/** One new user of each role (admin, support, warehouse, customer), created at once. */
export async function createUsersOfEveryRole(app: TestApp): Promise<UsersOfEveryRole> {
  const [admin, support, warehouse, customer] = await Promise.all([
    createUser(app, UserRole.ADMIN),
    createUser(app, UserRole.SUPPORT),
    createUser(app, UserRole.WAREHOUSE),
    createUser(app, UserRole.CUSTOMER),
  ]);
  return { admin, support, warehouse, customer };
}

/** A fresh EntityManager on the test database, for assertions straight from the tables. */
export function freshEm(app: TestApp): EntityManager {
  return app.get(MikroORM).em.fork() as EntityManager;
}

/** Raw SQL against the test database (outside any request). */
export async function sql<T = Record<string, unknown>>(
  app: TestApp,
  query: string,
  params: unknown[] = [],
): Promise<T[]> {
  return freshEm(app).execute<T[]>(query, params);
}

/** A 400 problem+json whose `errors` name `field` (bad input is refused naming what was wrong). */
export function expectFieldError(res: request.Response, field: string): void {
  expect({ status: res.status, type: res.headers['content-type'] }).toEqual({
    status: 400,
    type: expect.stringMatching(/^application\/problem\+json/),
  });
  expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
}
