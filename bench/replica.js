'use strict';
/* global fetch */
// `npm run bench -- --replica`: the read scenarios a replica serves (an order's history page, the
// order list, the fulfillment list) with one streaming replica vs none, on the same machine.
// Starts its own PostgreSQL 15 primary + streaming replica (test/system/support/replicated-
// postgres.ts: initdb + pg_basebackup -R, ports of their own), migrates and fills the primary,
// waits for the replica to replay it, then runs OMS twice on it: without DATABASE_REPLICA_URLS and
// with it. On one machine the replica shares the cores with the primary and OMS, so no gain in rps
// is expected: the run shows that the replica path works (reads counted on the replica) and what
// it costs per request (the routing, plus the WAL-position lookup per read).
// Options: --duration=10 --warmup=2 --connections=N --skip-build
const { execSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { join } = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const { Client } = require('pg');
const db = require('./lib/db');
const { generate } = require('./lib/generate');
const { startProcess, stopProcess, round } = require('./lib/processes');
const { scenarios: buildScenarios, API, dynamic, json } = require('./lib/scenarios');
const { measure } = require('./lib/measure');
const report = require('./lib/report');

const ROOT = db.ROOT;
const OMS_PORT = Number(process.env.BENCH_OMS_PORT ?? 3901);
const log = (message) => console.log(`[bench:replica] ${message}`);

function parseArgs(argv) {
  const args = { duration: 10, warmup: 2, skipBuild: false };
  for (const arg of argv) {
    const [key, value] = arg.replace(/^--/, '').split('=');
    if (key === 'replica') continue;
    else if (key === 'duration') args.duration = Number(value);
    else if (key === 'warmup') args.warmup = Number(value);
    else if (key === 'connections') args.connections = Number(value);
    else if (key === 'skip-build') args.skipBuild = true;
    else
      throw new Error(
        `Unknown option ${arg} (with --replica: --duration --warmup --connections --skip-build)`,
      );
  }
  return args;
}

async function login(baseUrl, email, password) {
  const response = await fetch(`${baseUrl}${API}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (response.status !== 200) throw new Error(`login ${email}: ${response.status} ${await response.text()}`);
  return (await response.json()).accessToken;
}

/** Sum of a Prometheus counter's samples with `label`. */
async function counter(baseUrl, name, label) {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && line.includes(label))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

async function waitForReplay(primary, replica) {
  const { rows } = await primary.query('select pg_current_wal_lsn()::text as lsn');
  for (;;) {
    const { rows: caught } = await replica.query('select pg_last_wal_replay_lsn() >= $1::pg_lsn as ok', [
      rows[0].lsn,
    ]);
    if (caught[0].ok) return;
    await sleep(200);
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (!args.skipBuild) execSync('npm run build', { cwd: ROOT, stdio: 'inherit' });
  require('ts-node').register({ transpileOnly: true });
  const { startReplicatedPostgres } = require('../test/system/support/replicated-postgres');
  const cleanups = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse())
      await fn().catch((e) => console.error(`[bench:replica] cleanup: ${e.message}`));
  };
  process.once('SIGINT', () => cleanup().finally(() => process.exit(130)));
  try {
    const cluster = await startReplicatedPostgres('oms_bench');
    cleanups.push(() => cluster.destroy());
    log(`primary ${cluster.primaryUrl}, replica ${cluster.replicaUrl}`);
    log(`migrating: ${db.migrate(cluster.primaryUrl).split('\n').pop()}`);
    const primary = new Client({ connectionString: cluster.primaryUrl });
    await primary.connect();
    cleanups.push(() => primary.end());
    const replica = await cluster.replicaSession();
    cleanups.push(() => replica.end());
    const fx = await generate(primary, (m) => log(`  ${m}`));
    await waitForReplay(primary, replica);
    log('the replica has replayed the generated data');

    const secret = randomBytes(32).toString('hex');
    const omsUrl = `http://127.0.0.1:${OMS_PORT}`;
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      PORT: String(OMS_PORT),
      DATABASE_URL: cluster.primaryUrl,
      JWT_SECRET: secret,
      DB_MIGRATE_ON_START: 'false',
      LOG_LEVEL: 'warn',
      JOBS_ENABLED: 'false',
      THROTTLE_LIMIT: '100000000',
      LOGIN_THROTTLE_LIMIT: '100000000',
    };
    const rows = [];
    for (const mode of ['no replica', 'one replica']) {
      const oms = await startProcess({
        name: 'OMS',
        args: ['--max-old-space-size=256', join(ROOT, 'dist', 'main.js')],
        env: mode === 'one replica' ? { ...env, DATABASE_REPLICA_URLS: cluster.replicaUrl } : env,
        cwd: ROOT,
        readyUrl: `${omsUrl}/health/ready`,
      });
      try {
        const support = await login(omsUrl, fx.users.support.email, fx.users.support.password);
        let listPage = 0;
        const selected = [
          ...buildScenarios(fx, { support }).filter((s) =>
            ['history-page', 'fulfillments-list'].includes(s.id),
          ),
          {
            id: 'orders-list',
            title: 'GET /orders, page of 20 (100,000 orders)',
            connections: 32,
            expected: [200],
            requests: () =>
              dynamic('GET', json(support), () => ({
                path: `${API}/orders?page=${1 + (listPage++ % 50)}&pageSize=20`,
              })),
          },
        ];
        if (mode === 'one replica') {
          // The replica is seen up after its first poll (150 ms).
          await sleep(1000);
        }
        for (const scenario of selected) {
          if (args.connections) scenario.connections = args.connections;
          const before = await counter(omsUrl, 'oms_db_reads_total', 'target="replica"');
          const result = await measure(
            scenario,
            { load: { baseUrl: omsUrl }, db: primary, pid: oms.child.pid },
            args,
          );
          const onReplica = (await counter(omsUrl, 'oms_db_reads_total', 'target="replica"')) - before;
          log(
            `${mode}: ${scenario.id} ${result.rps} rps, p99 ${result.latency.p99} ms, ${result.cpuMsPerRequest} ms CPU/request, ` +
              `${onReplica} reads on the replica, statuses ${JSON.stringify(result.statusCodes)}`,
          );
          rows.push({
            mode,
            id: scenario.id,
            rps: result.rps,
            p99: result.latency.p99,
            cpuMsPerRequest: result.cpuMsPerRequest,
            onReplica,
          });
        }
      } finally {
        await stopProcess(oms);
      }
    }
    console.log(
      '\nscenario            | no replica rps (p99, CPU ms/req) | one replica rps (p99, CPU ms/req) | rps change',
    );
    for (const id of [...new Set(rows.map((r) => r.id))]) {
      const none = rows.find((r) => r.id === id && r.mode === 'no replica');
      const one = rows.find((r) => r.id === id && r.mode === 'one replica');
      const change = none.rps ? `${round(((one.rps - none.rps) / none.rps) * 100, 1)} %` : 'n/a';
      console.log(
        `${id.padEnd(19)} | ${String(none.rps).padStart(6)} (${none.p99} ms, ${none.cpuMsPerRequest}) | ` +
          `${String(one.rps).padStart(6)} (${one.p99} ms, ${one.cpuMsPerRequest}) | ${change}`,
      );
    }
    report.writeJson(join(__dirname, 'results', 'replica-latest.json'), {
      at: new Date().toISOString(),
      args,
      rows,
    });
  } finally {
    await cleanup();
  }
}

module.exports = { main };
if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
