import { Inject, Injectable } from '@nestjs/common';
import type { DestinationStream } from 'pino';
import type { IncomingMessage } from 'node:http';
import { Logger, Params, PARAMS_PROVIDER_TOKEN, PinoLogger } from 'nestjs-pino';
import { AppConfig } from '../config/app-config';

/**
 * Where the JSON log lines go. Unset (production): stdout. Tests provide a stream here (through a
 * global module) to read what the app logged.
 */
export const LOG_DESTINATION = Symbol('LOG_DESTINATION');

/** Nest's own start-up chatter (one line per module and route): useful when debugging only. */
const STARTUP_CONTEXTS = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestFactory',
  'NestApplication',
]);

/** The request id Fastify gave the request (from X-Request-Id or generated); middie copies it to the raw request. */
function requestIdOf(request: IncomingMessage): string {
  return (request as IncomingMessage & { id?: string }).id ?? 'unknown';
}

/** nestjs-pino settings: JSON lines, each request's lines carry `requestId`; secrets redacted. */
export function createLoggerParams(config: AppConfig, destination?: DestinationStream): Params {
  const level = config.get('LOG_LEVEL');
  const options = {
    level,
    // One line per request is noise at info level; at debug and trace it helps.
    autoLogging: level === 'debug' || level === 'trace',
    genReqId: (request: IncomingMessage) => requestIdOf(request),
    customProps: (request: IncomingMessage) => ({ requestId: requestIdOf(request) }),
    redact: ['req.headers.authorization', 'req.headers.cookie'],
    serializers: {
      req: (req: { id: string; method: string; url: string }) => ({
        id: req.id,
        method: req.method,
        url: req.url,
      }),
    },
  };
  return { pinoHttp: destination ? [options, destination] : options };
}

/**
 * The application logger: nestjs-pino, with Nest's start-up lines (InstanceLoader, RouterExplorer,
 * ...) moved down to debug so that a normal start prints only what matters. Warnings and errors
 * are untouched.
 */
@Injectable()
export class AppLogger extends Logger {
  constructor(logger: PinoLogger, @Inject(PARAMS_PROVIDER_TOKEN) params: Params) {
    super(logger, params);
  }

  override log(message: unknown, ...optionalParams: unknown[]): void {
    const context = optionalParams[optionalParams.length - 1];
    if (typeof context === 'string' && STARTUP_CONTEXTS.has(context)) {
      super.debug(message, ...optionalParams);
      return;
    }
    super.log(message, ...optionalParams);
  }
}
