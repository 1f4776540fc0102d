import { connect } from 'node:net';
import { AddressInfo } from 'node:net';
import { createTestApp, TestApp } from './utils/app';

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends `head` (request line and headers, as written) over a plain TCP socket and reads the answer
 * until the server closes: supertest and fetch refuse to send most of these malformed requests.
 */
function rawRequest(port: number, head: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // The server destroys the socket right after writing a socket-level error answer.
      if (error.code !== 'ECONNRESET' || chunks.length === 0) reject(error);
    });
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [headText, ...rest] = text.split('\r\n\r\n');
      const [statusLine, ...headerLines] = headText.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
    socket.write(head);
  });
}

function get(path: string, extraHeaders = ''): string {
  return `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${extraHeaders}Connection: close\r\n\r\n`;
}

/**
 * Errors that Fastify or Node's HTTP parser raise before the request reaches Nest answer
 * application/problem+json like every other error (docs/api-conventions.md, "Errors").
 */
describe('errors raised before Nest', () => {
  let app: TestApp;
  let port: number;

  beforeAll(async () => {
    app = await createTestApp();
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.getHttpServer().address() as AddressInfo).port;
  });

  afterAll(async () => {
    await app?.close();
  });

  function expectProblem(answer: RawAnswer, status: number, code: string): Record<string, unknown> {
    expect(answer.status).toBe(status);
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = JSON.parse(answer.body) as Record<string, unknown>;
    expect(body).toMatchObject({
      status,
      code,
      type: `urn:oms:problem:${code.toLowerCase().replace(/_/g, '-')}`,
    });
    expect(typeof body.title).toBe('string');
    expect(typeof body.detail).toBe('string');
    return body;
  }

  it('a path parameter longer than the router allows is a 414 problem', async () => {
    const answer = await rawRequest(port, get(`/api/v1/orders/${'a'.repeat(500)}`));
    const body = expectProblem(answer, 414, 'URI_TOO_LONG');
    expect(body.requestId).toBe(answer.headers['x-request-id']);
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
  });

  it('a malformed percent escape in the path is a 400 problem', async () => {
    const answer = await rawRequest(port, get('/api/v1/orders/%E0%A4%A'));
    const body = expectProblem(answer, 400, 'VALIDATION_FAILED');
    expect(body.errors).toEqual([{ field: 'path', message: expect.any(String) }]);
  });

  it('headers larger than the server accepts are a 431 problem', async () => {
    const answer = await rawRequest(port, get('/health/live', `X-Big: ${'b'.repeat(32 * 1024)}\r\n`));
    expectProblem(answer, 431, 'HEADERS_TOO_LARGE');
  });

  it('a CR inside a header value is a 400 problem', async () => {
    const answer = await rawRequest(port, get('/health/live', 'X-Bad: a\rb\r\n'));
    const body = expectProblem(answer, 400, 'VALIDATION_FAILED');
    expect(body.errors).toEqual([{ field: 'headers', message: expect.any(String) }]);
  });

  it('a request line that is not HTTP is a 400 problem', async () => {
    const answer = await rawRequest(port, 'NOT HTTP AT ALL\r\n\r\n');
    const body = expectProblem(answer, 400, 'VALIDATION_FAILED');
    expect(body.errors).toEqual([{ field: 'request', message: expect.any(String) }]);
  });
});
