'use strict';
/* global setTimeout */
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

/** The value below which `fraction` of the sorted values lie (nearest rank). */
function percentile(sorted, fraction) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)];
}

/**
 * Latency at a fixed rate, with arrivals spread evenly over each second. autocannon's
 * `overallRate` alone gives every connection its quota at the start of each second, all at once
 * (a burst of `overallRate` requests every second, so p99 is the time to drain that burst), and
 * then "corrects" every latency for coordinated omission with an expected interval of
 * ceil(1000 / rate) = 1 ms (many synthetic samples per slow answer). Here `overallRate`
 * single-connection autocannon runs at 1 request per second each start 1000 / overallRate ms apart:
 * one request every 1000 / overallRate ms, each timed as it is. Each connection's interval (1 s)
 * is far above the latencies measured, so no request waits for its connection's previous answer
 * (`delayed` counts those that took longer than 1 s and would have).
 */
async function runFixedRate({
  baseUrl,
  requests,
  overallRate,
  durationSec,
  expected = [200],
  timeoutSec = 10,
}) {
  const statusCodes = {};
  const latencies = [];
  const gapMs = 1000 / overallRate;
  const one = (index) =>
    new Promise((resolve, reject) => {
      setTimeout(() => {
        const instance = autocannon(
          {
            url: baseUrl,
            connections: 1,
            pipelining: 1,
            duration: durationSec,
            timeout: timeoutSec,
            connectionRate: 1,
            ignoreCoordinatedOmission: true,
            requests: [{ method: 'GET', path: '/health/live' }],
            setupClient: (client) => client.setRequests(requests()),
          },
          (error) => (error ? reject(error) : resolve()),
        );
        instance.on('response', (_client, statusCode, _bytes, responseTime) => {
          statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
          latencies.push(responseTime);
        });
      }, index * gapMs);
    });
  await Promise.all(Array.from({ length: overallRate }, (_, i) => one(i)));
  latencies.sort((a, b) => a - b);
  const completed = latencies.length;
  const ok = Object.entries(statusCodes)
    .filter(([code]) => expected.includes(Number(code)))
    .reduce((a, [, n]) => a + n, 0);
  return {
    rps: round(ok / durationSec),
    allRps: round(completed / durationSec),
    requests: completed,
    unexpected: completed - ok,
    statusCodes,
    delayed: latencies.filter((ms) => ms > 1000).length,
    latency: {
      p50: percentile(latencies, 0.5),
      p90: percentile(latencies, 0.9),
      p99: percentile(latencies, 0.99),
      max: latencies[completed - 1] ?? null,
      mean: completed ? round(latencies.reduce((a, b) => a + b, 0) / completed) : null,
    },
    durationSec,
    spacing: `one request every ${round(gapMs)} ms (${overallRate} connections at 1 request/s, staggered)`,
  };
}

module.exports = { run, runFixedRate };
