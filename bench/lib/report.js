'use strict';
// Targets, the printed table and bench/results/latest.json.
const { existsSync, mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const { dirname, join } = require('node:path');

/**
 * OMS's rps per scenario in the last complete run committed (bench/results/latest.json), for the
 * "no route slower than before" column; null when there is none.
 */
function previousRps() {
  const file = join(__dirname, '..', 'results', 'latest.json');
  if (!existsSync(file)) return {};
  try {
    const previous = JSON.parse(readFileSync(file, 'utf8'));
    return Object.fromEntries(
      (previous.scenarios ?? []).filter((s) => s.available).map((s) => [s.id, s.oms.rps]),
    );
  } catch {
    return {};
  }
}
const FIXED_RATE_P99_MAX_RATIO = 1.5;
const COLD_START_MAX_MS = 2000;
const RSS_MAX_MB = 250;

const fmt = (n, digits = 0) => (n === null || n === undefined ? '—' : Number(n).toFixed(digits));
const ratioOf = (a, b) => (a && b ? Math.round((a / b) * 100) / 100 : null);

/** Adds the ratio OMS ÷ minimal comparator, its target and pass, and OMS's rps of the last run. */
function judgeScenario(row, before = previousRps()) {
  if (!row.available) return { ...row, ratio: null, target: null, pass: null };
  const minRatio = row.targetRatio ?? null;
  const ratio = row.minimal ? ratioOf(row.oms.rps, row.minimal.rps) : null;
  return {
    ...row,
    ratio,
    previousOmsRps: before[row.id] ?? null,
    target: minRatio !== null ? { minRatio, rule: `OMS ≥ ${minRatio}× the minimal comparator's rps` } : null,
    pass: minRatio !== null && ratio !== null ? ratio >= minRatio : null,
  };
}

function judgeFixedRate(fixed) {
  if (!fixed) return null;
  const p99Ratio = ratioOf(fixed.oms.latency.p99, fixed.minimal.latency.p99);
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
      target: `fixed-rate p99 ≤ ${FIXED_RATE_P99_MAX_RATIO}× the minimal comparator's p99`,
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
    'OMS rps before',
    'minimal rps',
    'OMS ÷ minimal',
    'target',
    'OMS p50/p99 ms',
    'minimal p50/p99 ms',
    'CPU ms/req OMS/minimal',
    'non-2xx OMS/minimal',
    'pass',
  ];
  const rows = result.scenarios.map((s) => {
    if (!s.available) return [s.id, 'not available', '', '', '', '', '', '', '', '', '—'];
    const non2xx = (r) =>
      Object.entries(r.statusCodes)
        .filter(([code]) => !code.startsWith('2'))
        .map(([code, n]) => `${n}×${code}`)
        .join(' ') || '0';
    const m = s.minimal;
    return [
      s.id,
      fmt(s.oms.rps),
      fmt(s.previousOmsRps),
      m ? fmt(m.rps) : '—',
      fmt(s.ratio, 2),
      s.target ? `≥ ${s.target.minRatio}` : '—',
      `${fmt(s.oms.latency.p50)} / ${fmt(s.oms.latency.p99)}`,
      m ? `${fmt(m.latency.p50)} / ${fmt(m.latency.p99)}` : '—',
      `${fmt(s.oms.cpuMsPerRequest, 2)} / ${m ? fmt(m.cpuMsPerRequest, 2) : '—'}`,
      `${non2xx(s.oms)} / ${m ? non2xx(m) : '—'}`,
      s.pass === null ? '—' : s.pass ? 'PASS' : 'FAIL',
    ];
  });
  if (result.fixedRate) {
    const f = result.fixedRate;
    rows.push([
      `${f.scenario} @ ${f.rate} rps`,
      fmt(f.oms.rps),
      '',
      fmt(f.minimal.rps),
      `p99 ${fmt(f.p99Ratio, 2)}`,
      `≤ ${f.target.maxP99Ratio}`,
      `${fmt(f.oms.latency.p50)} / ${fmt(f.oms.latency.p99)}`,
      `${fmt(f.minimal.latency.p50)} / ${fmt(f.minimal.latency.p99)}`,
      `${fmt(f.oms.cpuMsPerRequest, 2)} / ${fmt(f.minimal.cpuMsPerRequest, 2)}`,
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
    `RSS of OMS under load: max ${fmt(result.rss.maxMb)} MB, mean ${fmt(result.rss.avgMb)} MB (target ≤ ${RSS_MAX_MB}); minimal comparator max ${fmt(result.rss.minimalMaxMb)} MB`,
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
