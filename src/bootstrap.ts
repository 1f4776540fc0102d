import { randomUUID } from 'node:crypto';
import { Module, ModuleMetadata, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, OpenAPIObject } from '@nestjs/swagger';
import { MikroORM, RequestContext as OrmRequestContext } from '@mikro-orm/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppModule } from './app.module';
import { EnvironmentVariables } from './config/env.validation';
import { RequestContext } from './common/request-context';
import { AppLogger, PINO, registerRequestLogging } from './common/logging';
import { createValidationPipe } from './common/validation';
import { guardRequestInput } from './common/input-guard';
import { registerSecurityHeaders } from './common/security-headers';
import { answerClientError, answerFrameworkError } from './common/framework-errors';
import { applyOpenApiConventions } from './common/openapi-conventions';
import { UserRole } from './identity/user-role.enum';
import { ReplicaRouter } from './database/replica-router';
import { rememberWritePositions } from './database/write-positions';

export const API_PREFIX = 'api/v1';
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The input rules of every operation (src/common/field-decorators.ts, input-guard.ts, instant.ts). */
const API_CONVENTIONS = [
  '**Conventions of every operation**',
  '- **Ids** are UUIDs in any letter case; they are stored and answered in lowercase.',
  '- **Absent and `null`**: an optional field may be left out. `null` is taken only where the schema says ' +
    '`nullable` (it clears the value, or means "never" for `expiresAt`); anywhere else `null` is a 400 ' +
    'naming the field, never read as "absent".',
  '- **Text** must be valid Unicode without NUL (`\\u0000`) or unpaired surrogates (`\\ud800`), at any ' +
    'depth of a body or in a query: otherwise a 400 naming the field. Text fields are single-line (names, ' +
    'emails, codes, SKUs, references, reasons, filters: a tab, line break or other control character is a ' +
    '400) except the multi-line `note`, `notes`, `pickingNotes` and `packingNotes`, which keep tabs and line ' +
    'breaks and refuse other control characters.',
  '- **List filters** take several values repeated (`status=a&status=b`) or comma-separated (`status=a,b`).',
  '- **Time filters** are ISO-8601; without a zone they are UTC. Lower bounds (`from`, `createdFrom`) include ' +
    'their instant, a date alone from its start. Upper bounds (`to`, `createdTo`) include their instant (the ' +
    "analytics' `to`, where bucket ranges end, excludes it), and a date alone includes that whole day. " +
    '`…Before` bounds (`expiresBefore`) are strict: before the instant, a ' +
    'date alone before that day starts.',
].join('\n');

export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('OMS — Order Management Service')
    .setDescription(
      'Everything that happens to an order after it is placed: the audit trail, staff and customer notes, ' +
        'warehouse fulfillment and inventory reservations. Log in with `POST /api/v1/auth/login`, then press ' +
        '**Authorize** and paste the `accessToken`. Errors are `application/problem+json` (RFC 9457).\n\n' +
        API_CONVENTIONS,
    )
    .setVersion('1.0.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .addServer('/')
    .build();
  return applyOpenApiConventions(
    SwaggerModule.createDocument(app, config, {
      operationIdFactory: (controllerKey: string, methodKey: string) =>
        `${controllerKey.replace(/Controller$/, '')}_${methodKey}`,
    }),
  );
}

export interface CreateAppOptions {
  /** Extra modules beside AppModule (tests add their own controllers this way). */
  imports?: NonNullable<ModuleMetadata['imports']>;
}

/** Creates the Nest application with every cross-cutting concern wired; does not listen. */
export async function createApp(
  env: EnvironmentVariables,
  options: CreateAppOptions = {},
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: env.BODY_LIMIT_BYTES,
    trustProxy: env.TRUST_PROXY,
    requestIdHeader: false,
    genReqId: (request: { headers: Record<string, string | string[] | undefined> }) => {
      const header = request.headers['x-request-id'];
      return typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
    },
    logger: false,
    // The router's and Node's HTTP parser's own rejections (414, 400, 431) as problem+json too.
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
  });
  const root = options.imports?.length ? rootModuleWith(options.imports) : AppModule;
  const app = await NestFactory.create<NestFastifyApplication>(root, adapter, {
    bufferLogs: true,
    abortOnError: false,
    logger: env.LOG_LEVEL === 'silent' ? false : undefined,
  });
  app.useLogger(app.get(AppLogger));
  // No app.enableShutdownHooks(): main.ts owns SIGTERM/SIGINT (close, stop the embedded database,
  // exit 0); Nest's handler would re-raise the signal after closing (exit 143) and race that.
  app.setGlobalPrefix(API_PREFIX, { exclude: ['health/live', 'health/ready', 'metrics'] });
  app.useGlobalPipes(createValidationPipe());

  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  const orm = app.get(MikroORM);
  // Runs after body parsing and right before Nest's handler (guards, interceptors, controller), so
  // everything below sees the request context and its own fork of the entity manager.
  fastify.addHook(
    'preHandler',
    (request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) => {
      const userAgent = request.headers['user-agent'];
      OrmRequestContext.create(orm.em, () =>
        RequestContext.run(
          {
            requestId: request.id,
            ip: request.ip,
            userAgent: typeof userAgent === 'string' ? userAgent : undefined,
          },
          () => done(),
        ),
      );
    },
  );
  // Graceful shutdown: once the server is closing, answers of the requests still in flight carry
  // `Connection: close`, so keep-alive clients let go and close() completes; otherwise it waits for
  // every such connection's keep-alive timeout (72 s) and the orchestrator kills the process.
  let closing = false;
  fastify.addHook('preClose', (done: () => void) => {
    closing = true;
    done();
  });
  fastify.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload: unknown, done) => {
    reply.header('X-Request-Id', request.id);
    if (closing && request.raw.httpVersionMajor < 2) reply.header('Connection', 'close');
    done(null, payload);
  });
  // The API speaks JSON: drop Fastify's built-in text/plain parser so that other media types get
  // 415. Errors Fastify raises itself (413, 415, malformed JSON) and unknown routes need no
  // handler of ours: Nest installs its exception layer as Fastify's error and not-found handler,
  // and it runs the global ProblemFilter.
  // With read replicas: each user's write position, recorded before the answer leaves.
  rememberWritePositions(fastify, app.get(ReplicaRouter));
  registerRequestLogging(fastify, app.get(PINO));
  fastify.removeContentTypeParser('text/plain');
  guardRequestInput(fastify);
  registerSecurityHeaders(fastify);

  if (env.DOCS_ENABLED) {
    // A factory: Swagger builds the document on the first request for it (and keeps it), not at
    // start, where it cost ~5 % of a cold start.
    SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
      jsonDocumentUrl: 'docs-json',
      customSiteTitle: 'OMS API',
      swaggerOptions: { persistAuthorization: true, displayRequestDuration: true, tryItOutEnabled: true },
    });
  }
  return app;
}

function rootModuleWith(imports: NonNullable<ModuleMetadata['imports']>): Type<unknown> {
  class AppWithExtrasModule {}
  Module({ imports: [AppModule, ...imports] })(AppWithExtrasModule);
  return AppWithExtrasModule;
}

export const DEMO_ROLES = [UserRole.ADMIN, UserRole.SUPPORT, UserRole.WAREHOUSE, UserRole.CUSTOMER];
