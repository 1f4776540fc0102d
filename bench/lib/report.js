'use strict';
// Targets, the printed table and bench/results/latest.json.
const { mkdirSync, writeFileSync } = require('node:fs');
const { dirname } = require('node:path');

/** Ratio targets per scenario kind (issue 9). */
const RATIO_TARGETS = {
  reservation: { min: 0.6, why: 'reservations ≥ 0.6× baseline rps' },
  write: { min: 0.6, why: 'writes held to the reservation target, 0.6×' },
  read: { min: 0.7, why: 'reads ≥ 0.7× baseline rps' },
};
const FIXED_RATE_P99_MAX_RATIO = 1.5;
const COLD_START_MAX_MS = 2000;
const RSS_MAX_MB = 250;

const fmt = (n, digits = 0) => (n === null || n === undefined ? '—' : Number(n).toFixed(digits));
const ratioOf = (a, b) => (a && b ? Math.round((a / b) * 100) / 100 : null);

/** Adds ratio, target and pass to a measured scenario. */
function judgeScenario(row) {
  if (!row.available) return { ...row, ratio: null, target: null, pass: null };
  const target = RATIO_TARGETS[row.kind];
  const ratio = ratioOf(row.oms.rps, row.baseline?.rps);
  return {
    ...row,
    ratio,
    target: target ? { minRatio: target.min, rule: target.why } : null,
    pass: target && ratio !== null ? ratio >= target.min : null,
  };
}

function judgeFixedRate(fixed) {
  if (!fixed) return null;
  const p99Ratio = ratioOf(fixed.oms.latency.p99, fixed.baseline.latency.p99);
  return {
    ...fixed,
    p99Ratio,
    target: { maxP99Ratio: FIXED_RATE_P99_MAX_RATIO },
    pass: p99Ratio !== null ? p99Ratio <= FIXED_RATE_P99_MAX_RATIO : null,
  };
}

function targetsSummary(result) {
  const list = [];
  for (const s of result.scenarios) {
    if (s.available && s.target)
      list.push({ target: `${s.id}: ${s.target.rule}`, value: s.ratio, pass: s.pass });
    else if (!s.available) list.push({ target: `${s.id}: not available`, value: null, pass: null });
  }
  if (result.fixedRate)
    list.push({
      target: `fixed-rate p99 ≤ ${FIXED_RATE_P99_MAX_RATIO}× baseline p99`,
      value: result.fixedRate.p99Ratio,
      pass: result.fixedRate.pass,
    });
  list.push({
    target: `cold start ≤ ${COLD_START_MAX_MS} ms`,
    value: result.coldStart.medianMs,
    pass: result.coldStart.medianMs <= COLD_START_MAX_MS,
  });
  list.push({
    target: `RSS under load ≤ ${RSS_MAX_MB} MB`,
    value: result.rss.maxMb,
    pass: result.rss.maxMb !== null ? result.rss.maxMb <= RSS_MAX_MB : null,
  });
  return list;
}

function pad(cells, widths) {
  return cells
    .map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i])))
    .join('  ');
}

/** The plain-text table printed at the end (and pasted into docs/BENCHMARKS.md). */
function formatTable(result) {
  const header = [
    'scenario',
    'OMS rps',
    'base rps',
    'ratio',
    'target',
    'OMS p50/p99 ms',
    'base p50/p99 ms',
    'CPU ms/req OMS/base',
    'non-2xx OMS/base',
    'pass',
  ];
  const rows = result.scenarios.map((s) => {
    if (!s.available) return [s.id, 'not available', '', '', '', '', '', '', '', '—'];
    const non2xx = (r) =>
      Object.entries(r.statusCodes)
        .filter(([code]) => !code.startsWith('2'))
        .map(([code, n]) => `${n}×${code}`)
        .join(' ') || '0';
    return [
      s.id,
      fmt(s.oms.rps),
      fmt(s.baseline.rps),
      fmt(s.ratio, 2),
      s.target ? `≥ ${s.target.minRatio}` : '—',
      `${fmt(s.oms.latency.p50)} / ${fmt(s.oms.latency.p99)}`,
      `${fmt(s.baseline.latency.p50)} / ${fmt(s.baseline.latency.p99)}`,
      `${fmt(s.oms.cpuMsPerRequest, 2)} / ${fmt(s.baseline.cpuMsPerRequest, 2)}`,
      `${non2xx(s.oms)} / ${non2xx(s.baseline)}`,
      s.pass === null ? '—' : s.pass ? 'PASS' : 'FAIL',
    ];
  });
  if (result.fixedRate) {
    const f = result.fixedRate;
    rows.push([
      `${f.scenario} @ ${f.rate} rps`,
      fmt(f.oms.rps),
      fmt(f.baseline.rps),
      `p99 ${fmt(f.p99Ratio, 2)}`,
      `≤ ${f.target.maxP99Ratio}`,
      `${fmt(f.oms.latency.p50)} / ${fmt(f.oms.latency.p99)}`,
      `${fmt(f.baseline.latency.p50)} / ${fmt(f.baseline.latency.p99)}`,
      `${fmt(f.oms.cpuMsPerRequest, 2)} / ${fmt(f.baseline.cpuMsPerRequest, 2)}`,
      '',
      f.pass === null ? '—' : f.pass ? 'PASS' : 'FAIL',
    ]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const lines = [
    pad(header, widths),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map((r) => pad(r, widths)),
  ];
  lines.push('');
  lines.push(
    `cold start (spawn → /health/ready 200): ${result.coldStart.runsMs.map((ms) => fmt(ms)).join(', ')} ms, median ${fmt(result.coldStart.medianMs)} ms (target ≤ ${COLD_START_MAX_MS}); CPU used until ready ${result.coldStart.cpuMs.map((ms) => fmt(ms)).join(', ')} ms`,
  );
  lines.push(
    `RSS of OMS under load: max ${fmt(result.rss.maxMb)} MB, mean ${fmt(result.rss.avgMb)} MB (target ≤ ${RSS_MAX_MB}); baseline max ${fmt(result.rss.baselineMaxMb)} MB`,
  );
  return lines.join('\n');
}

function writeJson(file, result) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
}

module.exports = {
  judgeScenario,
  judgeFixedRate,
  targetsSummary,
  formatTable,
  writeJson,
  COLD_START_MAX_MS,
  RSS_MAX_MB,
  FIXED_RATE_P99_MAX_RATIO,
};
