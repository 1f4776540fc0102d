import { Client } from 'pg';

/** A PostgreSQL session of the test itself (not the app's), e.g. to hold a lock the app will wait on. */
export async function openSession(url: string, applicationName = 'oms-test-holder'): Promise<Client> {
  const client = new Client({ connectionString: url, application_name: applicationName });
  await client.connect();
  return client;
}

/** Waits until some backend is blocked by `holder` (a lock wait on it); returns that backend's pid. */
export async function waitForBlockedBackend(
  holder: Client,
  options: { applicationName?: string; timeoutMs?: number } = {},
): Promise<number> {
  const holderPid = (await holder.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0].pid;
  const deadline = Date.now() + (options.timeoutMs ?? 10000);
  for (;;) {
    const { rows } = await holder.query<{ pid: number }>(
      `select pid from pg_stat_activity
        where $1 = any(pg_blocking_pids(pid)) and ($2::text is null or application_name = $2)`,
      [holderPid, options.applicationName ?? null],
    );
    if (rows.length > 0) return rows[0].pid;
    if (Date.now() > deadline) throw new Error('no backend got blocked by the test session in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Terminates every backend of `applicationName` (the app's connections, never the test's). */
export async function terminateBackends(session: Client, applicationName: string): Promise<number> {
  const { rows } = await session.query<{ terminated: boolean }>(
    `select pg_terminate_backend(pid) as terminated from pg_stat_activity
      where application_name = $1 and pid <> pg_backend_pid()`,
    [applicationName],
  );
  return rows.filter((row) => row.terminated).length;
}

/** The number of backends of `applicationName`. */
export async function countBackends(session: Client, applicationName: string): Promise<number> {
  const { rows } = await session.query<{ n: number }>(
    'select count(*)::int as n from pg_stat_activity where application_name = $1',
    [applicationName],
  );
  return rows[0].n;
}
