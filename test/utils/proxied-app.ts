import type { Client } from 'pg';
import { UserRole } from '../../src/identity/user-role.enum';
import { openSession } from '../system/support/pg';
import { hostPort, TcpProxy } from '../system/support/tcp-proxy';
import { createTestApp, createUser, TestApp, TestUser } from './app';

export interface ProxiedApp {
  /** Between the app and PostgreSQL: cut(), blackhole(), latencyMs, restore(). */
  proxy: TcpProxy;
  app: TestApp;
  admin: TestUser;
  /** A direct connection (not through the proxy), application_name `${appName}-test`, to check what was written. */
  session: Client;
}

/**
 * The real app on the run's test database, reached through a TcpProxy the test can break or slow
 * down, under its own application_name `appName` (PGAPPNAME) so that only its backends are
 * watched or terminated; `settings` are further overrides for createTestApp.
 */
export async function startProxiedApp(
  appName: string,
  settings: Record<string, string> = {},
): Promise<ProxiedApp> {
  const databaseUrl = process.env.TEST_DATABASE_URL!;
  const proxy = await TcpProxy.start(hostPort(databaseUrl));
  let app: TestApp | undefined;
  try {
    app = await createTestApp({ DATABASE_URL: proxy.urlFor(databaseUrl), PGAPPNAME: appName, ...settings });
    const admin = await createUser(app, UserRole.ADMIN);
    const session = await openSession(databaseUrl, `${appName}-test`);
    return { proxy, app, admin, session };
  } catch (error) {
    await app?.close();
    await proxy.close();
    throw error;
  }
}

/** For afterAll: whatever of startProxiedApp's result is there (the proxy's latency is dropped first). */
export async function stopProxiedApp(parts: Partial<ProxiedApp>): Promise<void> {
  if (parts.proxy) parts.proxy.latencyMs = 0;
  await parts.app?.close();
  await parts.session?.end();
  await parts.proxy?.close();
}

/**
 * Runs `fn` while another session (direct, not through the proxy, the `holder`) has run `lockSql`
 * in a transaction it keeps open, so that it holds what that statement locked; the transaction is
 * rolled back after.
 */
export async function whileHolding<T>(
  lockSql: string,
  params: unknown[],
  fn: (holder: Client) => Promise<T>,
): Promise<T> {
  const holder = await openSession(process.env.TEST_DATABASE_URL!);
  try {
    await holder.query('begin');
    await holder.query(lockSql, params);
    return await fn(holder);
  } finally {
    await holder.query('rollback');
    await holder.end();
  }
}

/** whileHolding user `userId`'s row lock (select … for update). */
export function whileUserRowLocked<T>(userId: string, fn: (holder: Client) => Promise<T>): Promise<T> {
  return whileHolding('select id from users where id = $1 for update', [userId], fn);
}

/**
 * whileHolding order `orderId`'s lock (its row, FOR UPDATE), which is also its history chain
 * head: a request that writes the order's history stops there. The reservation statement locks
 * the order first (then the items, the stock levels last), so it stops before it locks anything.
 */
export function whileOrderLocked<T>(orderId: string, fn: (holder: Client) => Promise<T>): Promise<T> {
  return whileHolding('select id from orders where id = $1 for update', [orderId], fn);
}

/**
 * whileHolding user `userId`'s row lock so that the first history entry performed by that user
 * waits at the end of its statement (the performed_by_id foreign key check takes a KEY SHARE lock
 * on the user), with everything else that statement did (e.g. stock rows updated) done.
 */
export function whileHistoryOfUserBlocked<T>(userId: string, fn: (holder: Client) => Promise<T>): Promise<T> {
  return whileUserRowLocked(userId, fn);
}
