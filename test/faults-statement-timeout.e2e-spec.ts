import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import { createUser, http, TestApp, TestUser } from './utils/app';
import { startProxiedApp, stopProxiedApp, whileUserRowLocked } from './utils/proxied-app';
import { UserRole } from '../src/identity/user-role.enum';
import type { TcpProxy } from './system/support/tcp-proxy';
import { expectCleanProblem } from './system/support/problems';

const STATEMENT_TIMEOUT_MS = 300;

/**
 * statement_timeout (300 ms here, lock_timeout above it) ends a statement that runs too long on the
 * server, e.g. one stuck behind a lock held by a long maintenance transaction: a clean 503
 * DATABASE_TIMEOUT. It counts server time only: a slow network (150 ms each way) does not trip it.
 */
describe('faults: statement_timeout', () => {
  let proxy: TcpProxy;
  let app: TestApp;
  let admin: TestUser;
  let session: Client;

  beforeAll(async () => {
    ({ proxy, app, admin, session } = await startProxiedApp(`oms-stmt-${randomUUID().slice(0, 8)}`, {
      DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
      DB_LOCK_TIMEOUT_MS: '10000',
    }));
  });

  afterAll(() => stopProxiedApp({ proxy, app, session }));

  it('a statement running past statement_timeout: 503 DATABASE_TIMEOUT with Retry-After, nothing written', async () => {
    const target = await createUser(app, UserRole.SUPPORT, { fullName: 'Before' });
    await whileUserRowLocked(target.user.id, async () => {
      const res = await http(app)
        .patch(`/api/v1/users/${target.user.id}`)
        .set(admin.auth)
        .send({ fullName: 'After' });
      expectCleanProblem(res, 503, 'DATABASE_TIMEOUT');
      expect(res.headers['retry-after']).toBe('1');
    });
    const { rows } = await session.query('select full_name from users where id = $1', [target.user.id]);
    expect(rows[0].full_name).toBe('Before');
    // The connection that timed out is still good: the next requests succeed.
    await http(app)
      .patch(`/api/v1/users/${target.user.id}`)
      .set(admin.auth)
      .send({ fullName: 'After' })
      .expect(200);
  });

  it('network latency longer than statement_timeout per round trip does not trip it', async () => {
    proxy.latencyMs = 150; // 300 ms per round trip, the whole statement_timeout
    try {
      for (let i = 0; i < 3; i++) {
        await http(app).get(`/api/v1/users/${admin.user.id}`).set(admin.auth).expect(200);
      }
      await http(app)
        .patch(`/api/v1/users/${admin.user.id}`)
        .set(admin.auth)
        .send({ fullName: 'Far Away' })
        .expect(200);
    } finally {
      proxy.latencyMs = 0;
    }
  });
});
