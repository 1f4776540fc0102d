'use strict';
// One autocannon run (programmatic API) → the numbers the report needs.
const autocannon = require('autocannon');

/**
 * Runs `requests()` (a fresh autocannon requests array per connection) against `baseUrl` for `durationSec` with `connections` connections
 * (optionally at a fixed `overallRate`). Returns rps (responses with an `expected` status per
 * second), latency percentiles (of every response) and the count per status code.
 */
function run({ baseUrl, requests, connections, durationSec, overallRate, expected, timeoutSec = 10 }) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: baseUrl,
        connections,
        duration: durationSec,
        pipelining: 1,
        timeout: timeoutSec,
        overallRate,
        // autocannon shares one requests array between its connections and keeps each built
        // request on that shared object, so connections built together would send the same first
        // request. Each connection gets its own requests instead; the placeholder is never sent.
        requests: [{ method: 'GET', path: '/health/live' }],
        setupClient: (client) => client.setRequests(requests()),
      },
      (error, result) => (error ? reject(error) : resolve(summarize(result, expected))),
    );
  });
}

/** `expected`: the status codes that are a served request (e.g. 201 and 409 for a reservation). */
function summarize(result, expected = [200]) {
  const statusCodes = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {}))
    statusCodes[code] = Number(count);
  const completed = Object.values(statusCodes).reduce((a, b) => a + b, 0);
  const ok = Object.entries(statusCodes)
    .filter(([code]) => expected.includes(Number(code)))
    .reduce((a, [, n]) => a + n, 0);
  const seconds = result.duration || 1;
  return {
    rps: round(ok / seconds),
    allRps: round(completed / seconds),
    requests: completed,
    unexpected: completed - ok,
    statusCodes,
    errors: result.errors,
    timeouts: result.timeouts,
    latency: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: round(result.latency.average),
    },
    durationSec: round(seconds),
  };
}

const round = (n, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

module.exports = { run };
