import { Inject, Injectable, LoggerService, Module } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import pino, { DestinationStream, Level, Logger as Pino } from 'pino';
import { AppConfig } from '../config/app-config';
import { RequestContext } from './request-context';

/**
 * Where the JSON log lines go. Unset (production): stdout. Tests provide a stream here (through a
 * global module) to read what the app logged.
 */
export const LOG_DESTINATION = Symbol('LOG_DESTINATION');
export const PINO = Symbol('PINO');

/** Nest's own start-up chatter (one line per module and route): useful when debugging only. */
const STARTUP_CONTEXTS = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestFactory',
  'NestApplication',
]);

/**
 * The root pino logger: JSON lines; a line written while a request is in flight carries its
 * `requestId`, read from the request context when the line is written (no per-request child
 * logger, no logging middleware: nothing is spent per request unless a line is written).
 */
export function createPino(level: string, destination?: DestinationStream): Pino {
  const options = {
    level,
    mixin: () => {
      const requestId = RequestContext.current()?.requestId;
      return requestId ? { requestId } : {};
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * The application logger behind Nest's `Logger`: `logger.log(message, context)`,
 * `logger.error(message | error | fields, ...)`, the context as `context`, an Error as `err`.
 * Nest's start-up lines (InstanceLoader, RouterExplorer, ...) go to debug so that a normal start
 * prints only what matters. Warnings and errors are untouched.
 */
@Injectable()
export class AppLogger implements LoggerService {
  constructor(@Inject(PINO) private readonly pino: Pino) {}

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  log(message: unknown, ...params: unknown[]): void {
    const context = params[params.length - 1];
    const startup = typeof context === 'string' && STARTUP_CONTEXTS.has(context);
    this.write(startup ? 'debug' : 'info', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  /** Nest passes the context (the logger's name) last; what comes before it are message arguments. */
  private write(level: Level, message: unknown, params: unknown[]): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = {};
    let rest = params;
    if (params.length > 0) {
      fields.context = params[params.length - 1];
      rest = params.slice(0, -1);
    }
    if (message instanceof Error) {
      fields.err = message;
      this.pino[level](fields, ...(rest as []));
    } else if (typeof message === 'object' && message !== null) {
      this.pino[level]({ ...fields, ...message }, ...(rest as []));
    } else if (level === 'error' && rest.length === 1 && isStack(rest[0])) {
      // Nest's own exception handlers call error(message, stack, context).
      const err = new Error(String(message));
      err.stack = rest[0];
      this.pino[level]({ ...fields, err });
    } else {
      this.pino[level](fields, String(message), ...(rest as []));
    }
  }
}

const isStack = (value: unknown): value is string => typeof value === 'string' && /\n\s*at /.test(value);

/**
 * At debug and trace: one line per request when its answer has gone out (method, URL, status,
 * time). At info and above nothing is registered, so requests pay nothing for it.
 */
export function registerRequestLogging(fastify: FastifyInstance, logger: Pino): void {
  if (!logger.isLevelEnabled('debug')) return;
  fastify.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    logger.debug(
      {
        requestId: request.id,
        req: { id: request.id, method: request.method, url: request.url },
        res: { statusCode: reply.statusCode },
        responseTime: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request completed',
    );
    done();
  });
}

/** The logger, configured from LOG_LEVEL (and a test's LOG_DESTINATION). */
@Module({
  providers: [
    {
      provide: PINO,
      inject: [AppConfig, { token: LOG_DESTINATION, optional: true }],
      useFactory: (config: AppConfig, destination?: DestinationStream) =>
        createPino(config.get('LOG_LEVEL'), destination),
    },
    AppLogger,
  ],
  exports: [PINO, AppLogger],
})
export class LoggingModule {}
