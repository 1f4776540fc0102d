'use strict';
/* global fetch */
// Running one scenario against one server: the availability probe, warm-up + measured run with
// RSS and CPU sampling, and the drain between runs.
const { setTimeout: sleep } = require('node:timers/promises');
const { rssSampler, cpuMs, round } = require('./processes');
const { run, runFixedRate } = require('./load');

/**
 * After a run, requests still in flight (OMS's p99 can be seconds on a busy box) must finish
 * before the next run reads the database state: waits until no other session of the bench
 * database is active or in a transaction, three checks in a row.
 */
async function drain(db) {
  const deadline = Date.now() + 30000;
  for (let quiet = 0; quiet < 3 && Date.now() < deadline;) {
    await sleep(100);
    const { rows } = await db.query(
      `select count(*)::int as busy from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid() and state <> 'idle'`,
    );
    quiet = rows[0].busy === 0 ? quiet + 1 : 0;
  }
}

/** One request of the scenario against OMS: a 404 from the router means the endpoint does not exist yet. */
async function availability(scenario, baseUrl) {
  const [request] = scenario.requests();
  const context = {};
  const built = request.setupRequest({ ...request }, context);
  const response = await fetch(`${baseUrl}${built.path}`, {
    method: request.method,
    headers: request.headers,
    body: built.body,
  });
  const text = await response.text();
  request.onResponse?.(response.status, text, context);
  return { status: response.status, body: text.slice(0, 300) };
}

async function measure(scenario, target, args, extra = {}) {
  if (args.warmup > 0) {
    if (scenario.prepare) await scenario.prepare(target.db);
    await run({
      ...target.load,
      requests: scenario.requests,
      connections: scenario.connections,
      durationSec: args.warmup,
      expected: scenario.expected,
      ...extra,
    });
    await drain(target.db);
  }
  if (scenario.prepare) await scenario.prepare(target.db);
  const sampler = rssSampler(target.pid);
  const cpuBefore = cpuMs(target.pid);
  // A fixed rate (extra.overallRate) is measured with evenly spaced arrivals (load.js).
  const result = await (extra.overallRate ? runFixedRate : run)({
    ...target.load,
    requests: scenario.requests,
    connections: scenario.connections,
    durationSec: args.duration,
    expected: scenario.expected,
    ...extra,
  });
  const cpuAfter = cpuMs(target.pid);
  const rss = sampler.stop();
  await drain(target.db);
  // CPU time of the server process per response: unlike rps, hardly moved by other load on the box.
  const cpuMsPerRequest = result.requests > 0 ? round((cpuAfter - cpuBefore) / result.requests, 2) : null;
  return { ...result, cpuMsPerRequest, rssMaxMb: rss.maxMb };
}

module.exports = { drain, availability, measure };
