'use strict';
/* global setTimeout, clearTimeout, setInterval, clearInterval */
// Child processes of the bench (the app, the minimal comparator): spawn, wait until ready, sample RSS, stop.
const { spawn } = require('node:child_process');
const { readFileSync } = require('node:fs');
const { setTimeout: sleep } = require('node:timers/promises');
const http = require('node:http');

/** GET url → status code (0 when nothing answers). */
function probe(url, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/**
 * Spawns `node args` with `env`; resolves when GET readyUrl answers 200, with the child and the
 * milliseconds from spawn to that first 200 (polled every 10 ms).
 */
async function startProcess({ name, args, env, cwd, readyUrl, timeoutMs = 60000, output }) {
  // Something else answering on the port (another bench run) would pass for this process.
  if ((await probe(readyUrl, 500)) !== 0) {
    throw new Error(
      `${name}: ${readyUrl} already answers; another server holds the port (BENCH_OMS_PORT, BENCH_MINIMAL_PORT)`,
    );
  }
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (chunk) => {
    log = (log + chunk.toString()).slice(-20000);
    if (output) output(chunk.toString());
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = null;
  child.once('exit', (code, signal) => (exited = { code, signal }));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`${name} exited during start (${JSON.stringify(exited)}):\n${log}`);
    if ((await probe(readyUrl, 500)) === 200) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} was not ready within ${timeoutMs} ms:\n${log}`);
    }
    await sleep(10);
  }
  const readyMs = Number(process.hrtime.bigint() - started) / 1e6;
  return { name, child, readyMs, readyCpuMs: cpuMs(child.pid), log: () => log };
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the child has exited. */
async function stopProcess(handle, graceMs = 5000) {
  const child = handle?.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

function rssMb(pid) {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** CPU time (user + system) the process has used so far, in ms (null when it is gone). */
function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** Samples VmRSS of `pid` every `everyMs` while running; stop() → {maxMb, avgMb, samples}. */
function rssSampler(pid, everyMs = 200) {
  const samples = [];
  const take = () => {
    const mb = rssMb(pid);
    if (mb !== null) samples.push(mb);
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      if (samples.length === 0) return { maxMb: null, avgMb: null, samples: 0 };
      const max = Math.max(...samples);
      const avg = samples.reduce((a, b) => a + b, 0) / samples.length;
      return { maxMb: round(max), avgMb: round(avg), samples: samples.length };
    },
  };
}

const round = (n, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

module.exports = { probe, startProcess, stopProcess, rssMb, rssSampler, cpuMs, round };
