import type { Response } from 'supertest';

/**
 * The answer is a clean RFC 9457 problem: the status and code expected, problem+json, and nothing
 * of the server's insides (no stack, no SQL, no file paths, no driver messages).
 */
export function expectCleanProblem(
  res: Pick<Response, 'status' | 'headers' | 'body' | 'text'>,
  status: number,
  code?: string,
): void {
  expect({ status: res.status, code: res.body?.code }).toEqual({ status, code: code ?? res.body?.code });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, title: expect.any(String), detail: expect.any(String) });
  expect(res.body.stack).toBeUndefined();
  const text = res.text ?? JSON.stringify(res.body);
  expect(text).not.toMatch(/\bat [\w.<>]+ \(|node_modules|\.ts:\d+|\.js:\d+/);
  expect(text).not.toMatch(/\b(select|insert into|update \w+ set|delete from)\b/i);
  expect(text).not.toMatch(/terminating connection|Connection terminated|ECONNREFUSED|ECONNRESET|pg_/i);
}
