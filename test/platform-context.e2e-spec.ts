import { randomUUID } from 'node:crypto';
import { Controller, Get, Global, Logger, Module, Post } from '@nestjs/common';
import { Public, Roles } from '../src/common/decorators';
import { LOG_DESTINATION } from '../src/common/logging';
import { RequestContext } from '../src/common/request-context';
import { UserRole } from '../src/identity/user-role.enum';
import { createTestApp, createUser, http, TestApp, TestUser } from './utils/app';

// Settings are read when the modules load: debug logs, client IP from X-Forwarded-For.
const SETTINGS = { LOG_LEVEL: 'debug', TRUST_PROXY: 'true' };

interface LogLine {
  level: number;
  msg: string;
  context?: string;
  requestId?: string;
  req?: { id: string; method: string; url: string; headers?: unknown };
  err?: { message: string };
  [key: string]: unknown;
}

/** Collects the app's JSON log lines instead of printing them. */
const lines: LogLine[] = [];
const destination = { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) };

@Global()
@Module({ providers: [{ provide: LOG_DESTINATION, useValue: destination }], exports: [LOG_DESTINATION] })
class CapturedLogsModule {}

@Controller('context-test')
class ContextTestController {
  private readonly logger = new Logger('ContextTest');

  @Get('echo')
  @Roles()
  echo() {
    return RequestContext.current();
  }

  @Post('echo')
  @Roles()
  async echoAfterAwait() {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return RequestContext.current();
  }

  @Get('public')
  @Public()
  anonymous() {
    return RequestContext.current();
  }

  @Get('log')
  @Roles()
  log() {
    this.logger.log('hello from the handler');
    return { ok: true };
  }

  @Get('fail')
  @Roles()
  fail(): never {
    throw new Error('handler exploded');
  }
}

@Module({ controllers: [ContextTestController] })
class ContextTestModule {}

describe('request context and structured logs', () => {
  let app: TestApp;
  let admin: TestUser;

  beforeAll(async () => {
    app = await createTestApp(SETTINGS, { imports: [CapturedLogsModule, ContextTestModule] });
    admin = await createUser(app, UserRole.ADMIN);
  });

  afterAll(async () => {
    await app.close();
  });

  it('carries request id, actor, client IP and user agent', async () => {
    const res = await http(app)
      .get('/api/v1/context-test/echo')
      .set(admin.auth)
      .set('X-Request-Id', 'ctx-1')
      .set('X-Forwarded-For', '203.0.113.50')
      .set('User-Agent', 'context-test/1.0')
      .expect(200);
    expect(res.body).toEqual({
      requestId: 'ctx-1',
      actorId: admin.user.id,
      actorRole: 'admin',
      ip: '203.0.113.50',
      userAgent: 'context-test/1.0',
    });
  });

  it('has no actor on a public route', async () => {
    const res = await http(app).get('/api/v1/context-test/public').set('X-Request-Id', 'ctx-2').expect(200);
    expect(res.body.requestId).toBe('ctx-2');
    expect(res.body.actorId).toBeUndefined();
  });

  it('keeps concurrent requests apart, across awaits and inside the unit of work', async () => {
    const users = await Promise.all(
      [UserRole.SUPPORT, UserRole.WAREHOUSE, UserRole.CUSTOMER].map((role) => createUser(app, role)),
    );
    const calls = Array.from({ length: 24 }, (_, i) => ({
      user: users[i % 3],
      id: `ctx-par-${i}`,
      ip: `192.0.2.${i + 1}`,
    }));
    const results = await Promise.all(
      calls.map((call, i) => {
        const path = '/api/v1/context-test/echo';
        const req = i % 2 ? http(app).get(path) : http(app).post(path);
        return req.set(call.user.auth).set('X-Request-Id', call.id).set('X-Forwarded-For', call.ip);
      }),
    );
    results.forEach((res, i) => {
      expect(res.status).toBe(i % 2 ? 200 : 201);
      expect(res.body).toMatchObject({
        requestId: calls[i].id,
        actorId: calls[i].user.user.id,
        actorRole: calls[i].user.user.role,
        ip: calls[i].ip,
      });
    });
  });

  it('every log line of a request carries its requestId', async () => {
    const requestId = `ctx-log-${randomUUID()}`;
    await http(app)
      .get('/api/v1/context-test/log')
      .set(admin.auth)
      .set('X-Request-Id', requestId)
      .expect(200);
    const mine = lines.filter((line) => line.requestId === requestId);
    const handlerLine = mine.find((line) => line.msg === 'hello from the handler');
    expect(handlerLine).toMatchObject({ level: 30, context: 'ContextTest', requestId });
    // At debug level the request itself is logged once its answer is out, with the same id.
    expect(mine.filter((line) => line.msg === 'request completed')).toEqual([
      expect.objectContaining({
        level: 20,
        requestId,
        req: { id: requestId, method: 'GET', url: '/api/v1/context-test/log' },
        res: { statusCode: 200 },
        responseTime: expect.any(Number),
      }),
    ]);
    // No credentials in the logs.
    expect(JSON.stringify(lines)).not.toContain(admin.token);
  });

  it('an unexpected error is logged once, at error level, with the requestId; the client gets no details', async () => {
    const requestId = `ctx-fail-${randomUUID()}`;
    const res = await http(app)
      .get('/api/v1/context-test/fail')
      .set(admin.auth)
      .set('X-Request-Id', requestId);
    expect(res.status).toBe(500);
    expect(res.text).not.toContain('exploded');
    const errors = lines.filter((line) => line.level === 50 && line.requestId === requestId);
    expect(errors).toHaveLength(1);
    expect(errors[0].err?.message).toBe('handler exploded');
  });

  it('Nest’s start-up lines (modules, routes) are debug, not info', () => {
    const startup = lines.filter((line) =>
      ['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory'].includes(line.context ?? ''),
    );
    expect(startup.length).toBeGreaterThan(10);
    expect(startup.every((line) => line.level === 20)).toBe(true);
  });
});
