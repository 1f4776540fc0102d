'use strict';
/* global fetch */
// `npm run bench`: OMS measured against the minimal comparator (bench/minimal.js: node:http + pg,
// one round trip per request, every guarantee kept) on the same machine, same run.
// Builds, creates and migrates a fresh bench database, generates data in bulk, starts OMS in
// production mode and the comparator, drives both with autocannon over loopback, checks the
// inventory invariants and the audit chains, prints a table, writes bench/results/latest.json,
// drops the database.
// Options: --duration=10 --warmup=2 --only=id,id --connections=N --skip-build --keep-db --db=NAME --trace-sql
//          --profile=<scenario id> (writes a --cpu-prof of OMS for that scenario) --cold-starts=3
//          --replica: instead, the read scenarios with one streaming replica vs none (bench/replica.js)
const { execSync } = require('node:child_process');
const { existsSync, readFileSync } = require('node:fs');
const { randomBytes } = require('node:crypto');
const os = require('node:os');
const { join } = require('node:path');
const { Client } = require('pg');
const db = require('./lib/db');
const { generate } = require('./lib/generate');
const { startProcess, stopProcess, round } = require('./lib/processes');
const { scenarios: buildScenarios, API } = require('./lib/scenarios');
const report = require('./lib/report');
const { SqlTrace, traceScenarios } = require('./lib/sql-trace');
const { availability, measure } = require('./lib/measure');
const { correctness } = require('./lib/correctness');
const webhooks = require('./lib/webhooks');

const ROOT = db.ROOT;
const OMS_PORT = Number(process.env.BENCH_OMS_PORT ?? 3901);
const MINIMAL_PORT = Number(process.env.BENCH_MINIMAL_PORT ?? 3903);
const POOL_MAX = Number(process.env.BENCH_POOL_MAX ?? 10); // the app's DB_POOL_MAX default
// What production sets in NODE_OPTIONS (Dockerfile, docker-compose.yml; docs/operations.md).
const PRODUCTION_NODE_ARGS = ['--max-old-space-size=256'];

function parseArgs(argv) {
  const args = { duration: 10, warmup: 2, coldStarts: 3, only: null, skipBuild: false, keepDb: false };
  for (const arg of argv) {
    const [key, value] = arg.replace(/^--/, '').split('=');
    if (key === 'duration') args.duration = Number(value);
    else if (key === 'warmup') args.warmup = Number(value);
    else if (key === 'cold-starts') args.coldStarts = Math.max(1, Number(value));
    else if (key === 'only') args.only = value.split(',');
    else if (key === 'skip-build') args.skipBuild = true;
    else if (key === 'keep-db') args.keepDb = true;
    else if (key === 'db') args.reuseDb = value;
    else if (key === 'connections') args.connections = Number(value);
    else if (key === 'trace-sql') args.traceSql = true;
    else if (key === 'profile') args.profile = value;
    else if (key === 'webhooks') {
      args.webhooks = value === undefined ? 3 : Number(value);
      if (!Number.isInteger(args.webhooks) || args.webhooks < 1)
        throw new Error(`--webhooks takes a whole number of subscriptions (${arg})`);
    } else throw new Error(`Unknown option ${arg}`);
  }
  return args;
}

const log = (message) => console.log(`[bench] ${message}`);
const loadavg = () =>
  os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');

// Everything started is stopped, and the database dropped, on success, failure and ctrl-c.
const cleanups = [];
let cleaning = null;
let interrupted = false;
function cleanup() {
  cleaning ??= (async () => {
    for (const fn of cleanups.reverse())
      await fn().catch((e) => console.error(`[bench] cleanup: ${e.message}`));
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    interrupted = true;
    log(`${signal}: stopping and dropping the bench database`);
    cleanup().finally(() => process.exit(130));
  });
}

const LOAD_AT_START = os.loadavg().map((n) => round(n, 2));

function machineInfo(pg) {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGb: round(os.totalmem() / 1024 ** 3),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres: pg.version.split(' on ')[0],
    postgresSettings: {
      shared_buffers: pg.shared_buffers,
      max_connections: pg.max_connections,
      synchronous_commit: pg.synchronous_commit,
    },
  };
}

function appEnv(url, secret) {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    PORT: String(OMS_PORT),
    DATABASE_URL: url,
    JWT_SECRET: secret,
    DB_POOL_MAX: String(POOL_MAX),
    DB_MIGRATE_ON_START: 'true',
    LOG_LEVEL: 'warn',
    JOBS_ENABLED: 'false',
    THROTTLE_LIMIT: '100000000',
    LOGIN_THROTTLE_LIMIT: '100000000',
    SEED_DEMO_DATA: 'false',
  };
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

async function main() {
  if (process.argv.includes('--replica')) return require('./replica').main();
  const args = parseArgs(process.argv.slice(2));
  const startedAt = new Date();
  log(`load average at start: ${loadavg()} (${os.cpus().length} cores)`);
  if (!args.skipBuild) {
    log('npm run build');
    try {
      execSync('npm run build', { cwd: ROOT, stdio: 'inherit' });
    } catch (error) {
      // tsc still emits on type errors (someone else's file mid-edit); go on if there is an app.
      if (!existsSync(join(ROOT, 'dist', 'main.js'))) throw error;
      log('the build reported errors; benchmarking what it emitted');
    }
  }

  // --db=NAME reuses a database kept by an earlier --keep-db run (for working on the bench itself).
  const dbName = args.reuseDb ?? `oms_bench_${Date.now()}`;
  const fixturesFile = join(__dirname, 'results', `fixtures-${dbName}.json`);
  let url;
  if (args.reuseDb) {
    url = db.withDatabase(db.serverUrl(), dbName);
  } else {
    url = await db.createDatabase(dbName);
    if (!args.keepDb) cleanups.push(() => db.dropDatabase(dbName).then(() => log(`dropped ${dbName}`)));
    log(`created ${dbName}; migrating: ${db.migrate(url).split('\n').pop()}`);
  }

  const adminClient = new Client({ connectionString: url });
  await adminClient.connect();
  cleanups.push(() => adminClient.end());
  const genStarted = Date.now();
  const fx = args.reuseDb
    ? JSON.parse(readFileSync(fixturesFile, 'utf8'))
    : await generate(adminClient, (m) => log(`  ${m}`));
  const generateSec = round((Date.now() - genStarted) / 1000);
  log(`data generated in ${generateSec} s: ${JSON.stringify(fx.counts)}`);
  if (args.keepDb) {
    report.writeJson(fixturesFile, fx);
    log(`kept ${dbName}; reuse it with --db=${dbName}`);
  }

  const trace = args.traceSql ? new SqlTrace(dbName) : null;
  if (trace) {
    if (!trace.available())
      throw new Error(`--trace-sql needs the PostgreSQL log at ${trace.logFile} (BENCH_PG_LOG)`);
    await adminClient.query(`alter database "${dbName}" set log_statement = 'all'`);
    cleanups.push(() => adminClient.query(`alter database "${dbName}" reset log_statement`));
  }

  const secret = randomBytes(32).toString('hex');
  const env = { ...appEnv(url, secret), ...(args.webhooks ? webhooks.webhookEnv() : {}) };
  const receiver = args.webhooks ? await webhooks.startReceiver() : null;
  if (receiver) cleanups.push(() => receiver.close());
  const omsUrl = `http://127.0.0.1:${OMS_PORT}`;
  const minimalUrl = `http://127.0.0.1:${MINIMAL_PORT}`;

  // Cold start: spawn → first 200 from /health/ready, on the migrated database, N times; the last
  // instance stays up for the runs.
  const coldStartRuns = [];
  const coldStartCpu = [];
  let oms;
  // OMS runs with the V8 flags production gives it (NODE_OPTIONS in the Dockerfile and compose),
  // then BENCH_OMS_NODE_ARGS: extra node flags, e.g. "--max-old-space-size=128" (the last one wins;
  // see docs/BENCHMARKS.md).
  const omsNodeArgs = [
    ...PRODUCTION_NODE_ARGS,
    ...(process.env.BENCH_OMS_NODE_ARGS ?? '').split(' ').filter(Boolean),
  ];
  const startOms = (nodeArgs = []) =>
    startProcess({
      name: 'OMS',
      args: [...omsNodeArgs, ...nodeArgs, join(ROOT, 'dist', 'main.js')],
      env,
      cwd: ROOT,
      readyUrl: `${omsUrl}/health/ready`,
    });
  cleanups.push(() => stopProcess(oms));
  for (let i = 0; i < args.coldStarts; i++) {
    if (oms) await stopProcess(oms);
    oms = await startOms();
    coldStartRuns.push(round(oms.readyMs));
    coldStartCpu.push(oms.readyCpuMs);
    log(`OMS cold start ${i + 1}: ${round(oms.readyMs)} ms (${oms.readyCpuMs} ms of CPU)`);
  }
  const minimal = await startProcess({
    name: 'minimal',
    args: [join(__dirname, 'minimal.js')],
    env: { ...env, PORT: String(MINIMAL_PORT) },
    cwd: ROOT,
    readyUrl: `${minimalUrl}/health/ready`,
  });
  cleanups.push(() => stopProcess(minimal));

  const tokens = {};
  for (const role of ['admin', 'support', 'warehouse']) {
    tokens[role] = await login(omsUrl, fx.users[role].email, fx.users[role].password);
  }
  if (receiver) {
    // The dispatcher's first run moves past the generated history while nobody subscribes;
    // subscriptions made before it would have it read the million generated entries first.
    await webhooks.untilFannedOut(adminClient);
    // A kept database (--keep-db, --db) must not keep them, also after a failed or interrupted
    // run: a later run would deliver to a receiver that is gone.
    cleanups.push(() => webhooks.unsubscribe(adminClient, receiver.url));
    await webhooks.subscribe(omsUrl, API, tokens.admin, receiver.url, args.webhooks);
    log(`${args.webhooks} webhook subscriptions to every event, delivered to ${receiver.url}`);
  }
  const all = buildScenarios(fx, tokens);
  const selected = args.only ? all.filter((s) => args.only.includes(s.id)) : all;
  if (args.connections) for (const s of selected) s.connections = args.connections;

  const omsTarget = (handle) => ({ load: { baseUrl: omsUrl }, db: adminClient, pid: handle.child.pid });
  const minimalTarget = { load: { baseUrl: minimalUrl }, db: adminClient, pid: minimal.child.pid };

  if (trace) {
    // Two independent instances of the scenarios, so that OMS and the comparator get the same request.
    const twin = buildScenarios(fx, tokens).filter((s) => selected.some((x) => x.id === s.id));
    await traceScenarios(trace, selected, twin, omsUrl, minimalUrl, adminClient);
    return;
  }

  const rows = [];
  for (const scenario of selected) {
    if (scenario.prepare) await scenario.prepare(adminClient);
    const probeResult = await availability(scenario, omsUrl);
    if (probeResult.status === 404) {
      log(`${scenario.id}: not available (OMS answers 404: ${probeResult.body})`);
      rows.push({
        id: scenario.id,
        title: scenario.title,
        kind: scenario.kind,
        available: false,
        probe: probeResult,
      });
      continue;
    }
    if (args.profile === scenario.id) {
      await stopProcess(oms);
      oms = await startOms(['--cpu-prof', '--cpu-prof-dir', join(__dirname, 'results', 'profiles')]);
      log(`OMS restarted with --cpu-prof for ${scenario.id}`);
    }
    log(`${scenario.id}: load ${loadavg()}; OMS...`);
    const omsResult = await measure(scenario, omsTarget(oms), args);
    log(
      `${scenario.id}: OMS ${omsResult.rps} rps p99 ${omsResult.latency.p99} ms ${JSON.stringify(omsResult.statusCodes)}`,
    );
    let minimalResult = null;
    if (scenario.minimal) {
      minimalResult = await measure(scenario, minimalTarget, args);
      log(
        `${scenario.id}: minimal ${minimalResult.rps} rps p99 ${minimalResult.latency.p99} ms ${JSON.stringify(minimalResult.statusCodes)}`,
      );
    }
    if (args.profile === scenario.id) {
      await stopProcess(oms, 15000);
      log(`CPU profile written to bench/results/profiles/`);
      oms = await startOms();
    }
    rows.push(
      report.judgeScenario({
        id: scenario.id,
        title: scenario.title,
        kind: scenario.kind,
        connections: scenario.connections,
        available: true,
        targetRatio: scenario.minimal?.minRatio ?? null,
        oms: omsResult,
        minimal: minimalResult,
      }),
    );
  }

  // Latency at a fixed rate: the spread reservation scenario at half of what OMS sustained.
  let fixedRate = null;
  const spread = rows.find((r) => r.id === 'reservations-spread' && r.available);
  if (spread) {
    const scenario = selected.find((s) => s.id === 'reservations-spread');
    const rate = Math.max(10, Math.round(spread.oms.rps / 2 / 10) * 10);
    log(`fixed rate: reservations-spread at ${rate} rps on both`);
    const omsFixed = await measure(scenario, omsTarget(oms), args, { overallRate: rate });
    const minimalFixed = await measure(scenario, minimalTarget, args, { overallRate: rate });
    fixedRate = report.judgeFixedRate({
      scenario: 'reservations-spread',
      rate,
      connections: scenario.connections,
      oms: omsFixed,
      minimal: minimalFixed,
    });
  }

  // RSS over all OMS runs; the sampler ran during every measured OMS run.
  const omsRss = rows.filter((r) => r.available).map((r) => r.oms.rssMaxMb);
  if (fixedRate) omsRss.push(fixedRate.oms.rssMaxMb);
  const minimalRss = rows.filter((r) => r.available && r.minimal).map((r) => r.minimal.rssMaxMb);
  const rss = {
    maxMb: omsRss.length ? Math.max(...omsRss) : null,
    avgMb: omsRss.length ? round(omsRss.reduce((a, b) => a + b, 0) / omsRss.length) : null,
    minimalMaxMb: minimalRss.length ? Math.max(...minimalRss) : null,
    perScenarioMaxMb: Object.fromEntries(rows.filter((r) => r.available).map((r) => [r.id, r.oms.rssMaxMb])),
  };

  const checks = await correctness(adminClient, omsUrl, tokens.admin, fx.writtenOrderIds);
  log(
    `correctness after the write scenarios: GET /inventory/consistency → ${JSON.stringify(checks.consistencyEndpoint).slice(0, 200)}; ` +
      `stock levels with reserved > on hand: ${checks.reservedOverOnHand}; counter drift (SQL): ${checks.counterDriftSql}; ` +
      `order items reserved over their quantity: ${checks.itemsOverReserved}; ` +
      `audit chains verified: ${checks.chainsVerified}, broken: ${checks.chainsBroken} → ${checks.ok ? 'OK' : 'BROKEN'}`,
  );

  if (receiver) log(`webhook deliveries received during the run: ${receiver.received()}`);
  const sorted = [...coldStartRuns].sort((a, b) => a - b);
  const result = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: machineInfo(await db.serverInfo(url)),
    loadAverageAtStart: LOAD_AT_START,
    loadAverageAtEnd: os.loadavg().map((n) => round(n, 2)),
    settings: {
      durationSec: args.duration,
      warmupSec: args.warmup,
      dbPoolMax: POOL_MAX,
      omsEnv: {
        NODE_ENV: env.NODE_ENV,
        LOG_LEVEL: env.LOG_LEVEL,
        JOBS_ENABLED: env.JOBS_ENABLED,
        DB_POOL_MAX: env.DB_POOL_MAX,
      },
      omsNodeArgs,
      webhooks: receiver ? { subscriptions: args.webhooks, deliveriesReceived: receiver.received() } : null,
    },
    data: { ...fx.counts, historyOrderEntries: fx.historyOrder.entries, generateSec },
    scenarios: rows,
    fixedRate,
    coldStart: {
      runsMs: coldStartRuns,
      medianMs: sorted[Math.floor((sorted.length - 1) / 2)],
      cpuMs: coldStartCpu,
    },
    rss,
    correctness: checks,
  };
  result.targets = report.targetsSummary(result);

  console.log(`\n${report.formatTable(result)}\n`);
  for (const t of result.targets)
    console.log(`  ${t.pass === null ? '—   ' : t.pass ? 'PASS' : 'FAIL'}  ${t.target}: ${t.value ?? '—'}`);
  console.log(`  ${checks.ok ? 'PASS' : 'FAIL'}  inventory consistent after the write scenarios`);
  // Only a complete run on freshly generated data is the latest result.
  const file = join(__dirname, 'results', args.only || args.reuseDb ? 'partial.json' : 'latest.json');
  report.writeJson(file, result);
  log(`written ${file.replace(`${ROOT}/`, '')}`);
}

main()
  .then(() => cleanup())
  .catch(async (error) => {
    if (interrupted) return; // the signal handler cleans up and exits
    console.error(`[bench] failed: ${error.stack ?? error}`);
    await cleanup();
    process.exit(1);
  });
