import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Problem, problem, sendProblem } from './problem.filter';
import { setSecurityHeaders } from './security-headers';

/**
 * Errors raised before a request reaches Nest, answered as application/problem+json like every
 * other error (docs/api-conventions.md, "Errors raised before the application"):
 * - by Fastify's router (`frameworkErrors`): a path parameter longer than `maxParamLength` (414)
 *   and a malformed percent-escape in the path (400);
 * - by Node's HTTP parser (`clientErrorHandler`, on the socket, before there is a request):
 *   headers larger than `--max-http-header-size` (431), a request timeout (408), anything else
 *   that is not valid HTTP/1.1 such as a CR or LF inside a header (400). The connection closes.
 */

const FRAMEWORK_PROBLEMS: Record<string, () => Problem> = {
  FST_ERR_MAX_PARAM_LENGTH: () =>
    problem(414, 'A path segment is longer than the API accepts (100 characters)', 'URI_TOO_LONG'),
  FST_ERR_BAD_URL: () => badRequest('path', 'The path holds a malformed percent-escape'),
};

function badRequest(field: string, message: string): Problem {
  return problem(400, message, 'VALIDATION_FAILED', { errors: [{ field, message }] });
}

/** Fastify's `frameworkErrors` option: the router's own rejections. */
export function answerFrameworkError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const make = FRAMEWORK_PROBLEMS[error.code];
  // Fastify sends these without running the onSend hooks.
  setSecurityHeaders(request, reply);
  sendProblem(reply, request, {
    problem: make ? make() : problem(500, 'An unexpected error occurred', 'INTERNAL_ERROR'),
  });
}

/** The answer to a request Node could not parse (there is no request object to reply through). */
export function clientErrorProblem(error: NodeJS.ErrnoException): Problem {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return problem(431, 'The request headers are larger than the server accepts', 'HEADERS_TOO_LARGE');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return problem(408, 'The request was not received in time', 'REQUEST_TIMEOUT');
    case 'HPE_INVALID_HEADER_TOKEN':
    case 'HPE_LF_EXPECTED':
    case 'HPE_CR_EXPECTED':
    case 'HPE_INVALID_CONSTANT':
      return badRequest('headers', 'The request headers are malformed (e.g. a CR or LF inside a header)');
    default:
      return badRequest('request', 'The request is not valid HTTP/1.1');
  }
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

/** Fastify's `clientErrorHandler` option: writes the problem on the raw socket, then closes it. */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  // A reset connection has nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const answer = clientErrorProblem(error);
    const body = JSON.stringify(answer);
    socket.write(
      `HTTP/1.1 ${answer.status} ${REASONS[answer.status] ?? 'Bad Request'}\r\n` +
        'Content-Type: application/problem+json\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'X-Content-Type-Options: nosniff\r\n' +
        'Cache-Control: no-store\r\n' +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy(error);
}
