import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort } from '../../../src/database/embedded-postgres';

const run = promisify(execFile);

/** PostgreSQL 15 server binaries (Debian/Ubuntu layout; PG15_BIN overrides). */
export const PG_BIN = process.env.PG15_BIN ?? '/usr/lib/postgresql/15/bin';

export interface ReplicatedPostgres {
  primaryUrl: string;
  replicaUrl: string;
  /** A session of the test on the replica (not the app's), e.g. to pause replay. */
  replicaSession(): Promise<Client>;
  stopReplica(): Promise<void>;
  startReplica(): Promise<void>;
  /** Stops both servers and removes their data. */
  destroy(): Promise<void>;
}

/**
 * A PostgreSQL 15 primary and one streaming replica of its own (initdb + pg_basebackup -R), in a
 * temporary folder, on free ports, never touching the machine's own server. PostgreSQL refuses to
 * run as root, so as root the servers run as the `postgres` OS user (runuser).
 */
export async function startReplicatedPostgres(database = 'oms'): Promise<ReplicatedPostgres> {
  if (!existsSync(join(PG_BIN, 'initdb'))) {
    throw new Error(`PostgreSQL 15 server binaries not found in ${PG_BIN} (set PG15_BIN)`);
  }
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const root = await mkdtemp(join(tmpdir(), 'oms-replicated-'));
  const primaryDir = join(root, 'primary');
  const replicaDir = join(root, 'replica');
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(root, Number(stdout.trim()), Number(gid.trim()));
  }
  const pg = (binary: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', join(PG_BIN, binary), ...args], { cwd: root })
      : run(join(PG_BIN, binary), args, { cwd: root });
  const [primaryPort, replicaPort] = [await freePort(), await freePort()];
  const common = [
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = '${root}'`,
    // A throwaway cluster: durability is not the point, speed is.
    'fsync = off',
    'synchronous_commit = on',
    'full_page_writes = off',
    'wal_level = replica',
    'max_wal_senders = 5',
    'hot_standby = on',
    // The test observes on the replica which statements it served.
    "shared_preload_libraries = 'pg_stat_statements'",
    'max_connections = 100',
  ];
  let started: string[] = [];
  const destroy = async () => {
    for (const dir of started)
      await pg('pg_ctl', ['-D', dir, '-m', 'immediate', 'stop']).catch(() => undefined);
    started = [];
    await rm(root, { recursive: true, force: true });
  };
  try {
    await pg('initdb', ['-D', primaryDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    // initdb's pg_hba.conf already lets local TCP connect and replicate with trust.
    await appendFile(
      join(primaryDir, 'postgresql.conf'),
      [...common, `port = ${primaryPort}`, ''].join('\n'),
    );
    await pg('pg_ctl', ['-D', primaryDir, '-l', join(root, 'primary.log'), '-w', 'start']);
    started.push(primaryDir);
    const admin = new Client({ connectionString: `postgres://postgres@127.0.0.1:${primaryPort}/postgres` });
    await admin.connect();
    await admin.query(`create database ${database}`);
    await admin.end();
    const db = new Client({ connectionString: `postgres://postgres@127.0.0.1:${primaryPort}/${database}` });
    await db.connect();
    await db.query('create extension pg_stat_statements');
    await db.end();

    await pg('pg_basebackup', [
      '-h',
      '127.0.0.1',
      '-p',
      String(primaryPort),
      '-U',
      'postgres',
      '-D',
      replicaDir,
      '-R',
      '-X',
      'stream',
      // An immediate checkpoint to start from, instead of waiting for a spread one (minutes).
      '--checkpoint=fast',
      '--no-sync',
    ]);
    // postgresql.auto.conf is read after postgresql.conf: the replica's own port wins.
    await appendFile(join(replicaDir, 'postgresql.auto.conf'), `port = ${replicaPort}\n`);
    await pg('pg_ctl', ['-D', replicaDir, '-l', join(root, 'replica.log'), '-w', 'start']);
    started.push(replicaDir);
  } catch (error) {
    await destroy();
    throw error;
  }

  const replicaUrl = `postgres://postgres@127.0.0.1:${replicaPort}/${database}`;
  return {
    primaryUrl: `postgres://postgres@127.0.0.1:${primaryPort}/${database}`,
    replicaUrl,
    replicaSession: async () => {
      const client = new Client({ connectionString: replicaUrl, application_name: 'oms-test-replica' });
      await client.connect();
      return client;
    },
    stopReplica: async () => {
      await pg('pg_ctl', ['-D', replicaDir, '-m', 'fast', '-w', 'stop']);
      started = started.filter((dir) => dir !== replicaDir);
    },
    startReplica: async () => {
      await pg('pg_ctl', ['-D', replicaDir, '-l', join(root, 'replica.log'), '-w', 'start']);
      started.push(replicaDir);
    },
    destroy,
  };
}
