'use strict';
/* global Buffer */
// `--trace-sql`: proves that the baseline issues the same SQL as OMS. The bench database gets
// log_statement = 'all'; one request per scenario goes to OMS, then the same to the baseline, and
// the statements PostgreSQL logged for each are compared.
const { openSync, readSync, closeSync, statSync, existsSync } = require('node:fs');
const { setTimeout: sleep } = require('node:timers/promises');
const { availability } = require('./measure');

const DEFAULT_LOG = '/var/log/postgresql/postgresql-15-main.log';
const RECORD_START = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ \[(\d+)\] /;
const STATEMENT = /(?:LOG|ERROR):\s+(?:statement|execute [^:]*):\s([\s\S]*)$/;

function readFrom(file, offset) {
  const size = statSync(file).size;
  if (size <= offset) return '';
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(size - offset);
    readSync(fd, buffer, 0, buffer.length, offset);
    return buffer.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Log records (a first line plus its tab-indented continuation lines). */
function records(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (RECORD_START.test(line)) out.push(line);
    else if (out.length > 0 && line.startsWith('\t')) out[out.length - 1] += `\n${line.slice(1)}`;
  }
  return out;
}

/**
 * Statement text with every value replaced by `?`: MikroORM sends values inlined as literals, the
 * baseline passes them as $n parameters; the statements must otherwise be the same text.
 */
const normalize = (sql) =>
  sql
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/;$/, '')
    .replace(/'(?:[^']|'')*'/g, '?')
    .replace(/\$\d+/g, '?')
    .replace(/\b(?:true|false|NULL)\b/g, '?')
    .replace(/(?<![\w."])-?\d+(?:\.\d+)?(?![\w"])/g, '?')
    .replace(/^(begin|commit|rollback)$/i, (m) => m.toLowerCase());

class SqlTrace {
  constructor(database, logFile = process.env.BENCH_PG_LOG || DEFAULT_LOG) {
    this.database = database;
    this.logFile = logFile;
  }

  available() {
    return existsSync(this.logFile);
  }

  mark() {
    return statSync(this.logFile).size;
  }

  /** The statements logged for this database since `offset`. */
  async since(offset) {
    await sleep(300); // the logger writes asynchronously
    return (
      records(readFrom(this.logFile, offset))
        .filter((r) => r.includes(`@${this.database} `))
        .map((r) => STATEMENT.exec(r))
        .filter(Boolean)
        .map((m) => normalize(m[1]))
        // Session setup of a new pooled connection, not part of the request.
        .filter((sql) => !sql.startsWith('set statement_timeout'))
    );
  }
}

/**
 * Compares the two statement lists; returns {same, lines} for printing. The same statements in
 * another order count as the same: findAndCount runs its page and count queries concurrently.
 */
function compare(oms, baseline) {
  const sorted = (list) => [...list].sort().join('\n');
  if (oms.length === baseline.length && sorted(oms) === sorted(baseline)) {
    return { same: true, lines: oms.map((sql, i) => `  = ${String(i + 1).padStart(2)} ${sql}`) };
  }
  const lines = [];
  const n = Math.max(oms.length, baseline.length);
  let same = oms.length === baseline.length;
  for (let i = 0; i < n; i++) {
    const a = oms[i] ?? '(none)';
    const b = baseline[i] ?? '(none)';
    const equal = a === b;
    if (!equal) same = false;
    lines.push(`  ${equal ? '=' : '≠'} ${String(i + 1).padStart(2)} OMS:  ${a}`);
    if (!equal) lines.push(`          base: ${b}`);
  }
  return { same, lines };
}

/**
 * One request per scenario to OMS, then the same request (from a twin instance of the scenarios)
 * to the baseline; prints the statements PostgreSQL logged for each and whether they match.
 */
async function traceScenarios(trace, scenarios, twins, omsUrl, baselineUrl, adminClient) {
  let allSame = true;
  for (const [index, first] of scenarios.entries()) {
    const statements = {};
    for (const [name, baseUrl, scenario] of [
      ['oms', omsUrl, first],
      ['baseline', baselineUrl, twins[index]],
    ]) {
      if (scenario.prepare) await scenario.prepare(adminClient);
      await sleep(200);
      const offset = trace.mark();
      const outcome = await availability(scenario, baseUrl);
      statements[name] = await trace.since(offset);
      statements[`${name}Status`] = outcome.status;
      if (outcome.status >= 400) statements[`${name}Body`] = outcome.body;
    }
    const { same, lines } = compare(statements.oms, statements.baseline);
    allSame &&= same;
    console.log(
      `\n${first.id}: OMS ${statements.omsStatus}, baseline ${statements.baselineStatus} — ${same ? 'same SQL' : 'SQL DIFFERS'}`,
    );
    if (statements.omsBody) console.log(`  OMS body: ${statements.omsBody}`);
    if (statements.baselineBody) console.log(`  baseline body: ${statements.baselineBody}`);
    console.log(lines.join('\n'));
  }
  console.log(
    `\n${allSame ? 'The baseline issued the same statements as OMS in every scenario.' : 'Some scenarios differ (see ≠ above).'}`,
  );
}

module.exports = { SqlTrace, compare, traceScenarios, DEFAULT_LOG };
