import { randomUUID } from 'node:crypto';
import { AddressInfo, createServer } from 'node:net';
import { MikroORM } from '@mikro-orm/postgresql';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Client } from 'pg';
import { DatabaseError } from 'pg-protocol';
import { createOrmConfig } from '../src/database/mikro-orm.config';
import { isConnectionFailure } from '../src/common/connection-failure';
import { toProblem } from '../src/common/problem.filter';
import { openSession, terminateBackends } from './system/support/pg';

/**
 * The connection-failure classifier (src/common/connection-failure.ts) on the errors MikroORM,
 * knex and node-postgres really raise when the database goes away under a transaction: made here
 * by terminating the ORM's backends (pg_terminate_backend) at each point of a transaction, by a
 * refused connection and by a role over its connection limit. Each must be a 503 with Retry-After,
 * and ordinary database errors must not.
 */
describe('connection failures are recognised by what the drivers raise', () => {
  const appName = `oms-connfail-${randomUUID().slice(0, 8)}`;
  const databaseUrl = process.env.TEST_DATABASE_URL!;
  let orm: MikroORM;
  let session: Client;

  beforeAll(async () => {
    process.env.PGAPPNAME = appName; // node-postgres names each new connection after it
    orm = await MikroORM.init({ ...createOrmConfig({ databaseUrl, poolMax: 3 }), connect: true });
    session = await openSession(databaseUrl, `${appName}-test`);
  });

  afterAll(async () => {
    delete process.env.PGAPPNAME;
    await orm.close(true);
    await session.end();
  });

  const kill = () => terminateBackends(session, appName);
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /** What `transaction` rejects with, on a fresh fork; fails the test when it resolves. */
  async function failureOf(transaction: (em: EntityManager) => Promise<unknown>): Promise<unknown> {
    const outcome = await orm.em
      .fork()
      .transactional((em) => transaction(em as EntityManager))
      .then(
        () => ({ failed: false as const }),
        (error: unknown) => ({ failed: true as const, error }),
      );
    expect(outcome.failed).toBe(true);
    return outcome.failed ? outcome.error : undefined;
  }

  function expectServiceUnavailable(error: unknown): void {
    expect(isConnectionFailure(error)).toBe(true);
    const { problem, headers } = toProblem(error);
    expect({ status: problem.status, code: problem.code }).toEqual({
      status: 503,
      code: 'SERVICE_UNAVAILABLE',
    });
    expect(headers?.['Retry-After']).toMatch(/^[1-9]\d*$/); // whole seconds
  }

  it('a backend terminated while its statement runs (57P01 admin_shutdown)', async () => {
    const error = await failureOf(async (em) => {
      const running = em.execute('select pg_sleep(5)');
      running.catch(() => undefined); // awaited below; it rejects before that
      await pause(200);
      expect(await kill()).toBeGreaterThanOrEqual(1);
      await running;
    });
    expect(error).toMatchObject({ code: '57P01' });
    expectServiceUnavailable(error);
  });

  it('a backend terminated between statements: the next one finds the client not queryable', async () => {
    const error = await failureOf(async (em) => {
      await em.execute('select 1');
      await kill();
      await pause(200); // the client notices the socket closing
      await em.execute('select 2');
    });
    expect(String((error as Error).message)).toMatch(/not queryable/);
    expect((error as { code?: string }).code).toBeUndefined();
    expectServiceUnavailable(error);
  });

  it('a backend terminated just before COMMIT: the COMMIT fails, by code or as not queryable', async () => {
    const immediate = await failureOf(async (em) => {
      await em.execute('select 1');
      await kill();
    });
    expect(String((immediate as Error).message)).toMatch(/^COMMIT/);
    expectServiceUnavailable(immediate);

    const noticed = await failureOf(async (em) => {
      await em.execute('select 1');
      await kill();
      await pause(200);
    });
    // Depending on when the client notices: the driver's "not queryable", or knex's own.
    expect(String((noticed as Error).message)).toMatch(
      /^COMMIT.*(not queryable|Connection terminated)|Transaction query already complete/,
    );
    expectServiceUnavailable(noticed);
  });

  it('a statement on a transaction knex has given up after its connection broke', async () => {
    let transactionEm: EntityManager | undefined;
    const lost = await failureOf(async (em) => {
      transactionEm = em;
      await em.execute('select 1');
      const running = em.execute('select pg_sleep(5)');
      running.catch(() => undefined); // awaited below; it rejects before that
      await pause(200);
      await kill();
      await running;
    });
    expectServiceUnavailable(lost);
    // What code still running in that request (a Promise.all branch) gets from then on.
    const after = await transactionEm!.execute('select 3').catch((e: unknown) => e);
    expect(String((after as Error).message)).toMatch(/Transaction query already complete/);
    expectServiceUnavailable(after);
  });

  it('the database refusing connections (ECONNREFUSED), also when a transaction begins', async () => {
    // A port nothing listens on any more.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const url = new URL(databaseUrl);
    url.hostname = '127.0.0.1';
    url.port = String(port);
    const refused = await MikroORM.init({
      ...createOrmConfig({ databaseUrl: url.toString(), poolMax: 1 }),
      connect: false,
    });
    try {
      const read = await refused.em
        .fork()
        .execute('select 1')
        .catch((e: unknown) => e);
      expect(read).toMatchObject({ code: 'ECONNREFUSED' });
      expectServiceUnavailable(read);
      const begin = await refused.em
        .fork()
        .transactional((em) => em.execute('select 1'))
        .catch((e: unknown) => e);
      expect(begin).toMatchObject({ code: 'ECONNREFUSED' });
      expectServiceUnavailable(begin);
    } finally {
      await refused.close(true);
    }
  });

  it('too many connections (53300)', async () => {
    const role = `oms_limited_${randomUUID().slice(0, 8)}`;
    // With a password: the embedded PostgreSQL of a run without DATABASE_URL checks passwords, and
    // the limit is only reached after authentication.
    const password = randomUUID();
    await session.query(`create role ${role} login connection limit 0 password '${password}'`);
    const url = new URL(databaseUrl);
    url.username = role;
    url.password = password;
    const limited = await MikroORM.init({
      ...createOrmConfig({ databaseUrl: url.toString(), poolMax: 1 }),
      connect: false,
    });
    try {
      const error = await limited.em
        .fork()
        .execute('select 1')
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: '53300' });
      expectServiceUnavailable(error);
    } finally {
      await limited.close(true);
      await session.query(`drop role ${role}`);
    }
  });

  it('the other codes of a lost server: crash, starting up, class 08, a broken pipe, wrapped as a cause', () => {
    for (const code of ['57P02', '57P03', '08006', '08003', '08001']) {
      expectServiceUnavailable(
        Object.assign(new DatabaseError('the server went away', 0, 'error'), { code }),
      );
    }
    expectServiceUnavailable(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    expectServiceUnavailable(Object.assign(new Error('read ETIMEDOUT'), { code: 'ETIMEDOUT' }));
    expectServiceUnavailable(
      new Error('saving failed', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) }),
    );
  });

  it('ordinary database errors, and a message merely mentioning a connection, are not connection failures', async () => {
    const em = orm.em.fork();
    const syntax = await em.execute('selec 1').catch((e: unknown) => e);
    const division = await em.execute('select 1/0 as connection_terminated').catch((e: unknown) => e);
    for (const error of [syntax, division]) {
      expect(isConnectionFailure(error)).toBe(false);
      expect(toProblem(error).problem.status).toBe(500);
    }
    const timeout = await em
      .transactional((tx) => tx.execute('set local statement_timeout = 50; select pg_sleep(1)'))
      .catch((e: unknown) => e);
    expect(timeout).toMatchObject({ code: '57014' });
    expect(isConnectionFailure(timeout)).toBe(false);
    expect(isConnectionFailure(new Error('Connection terminated unexpectedly? no: user typo'))).toBe(false);
    expect(isConnectionFailure(new TypeError("Cannot read properties of undefined (reading 'name')"))).toBe(
      false,
    );
  });
});
