'use strict';
/* global Buffer */
// `--trace-sql`: the statements (round trips) of one request per scenario. The bench database gets
// log_statement = 'all'; one request per scenario goes to OMS, then the same to the minimal
// comparator, and the statements PostgreSQL logged for each are printed.
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
 * Statement text with every value replaced by `?` (MikroORM sends values inlined as literals, the
 * comparator passes them as $n parameters), on one line.
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

/** The statements as printed lines, numbered (each is one round trip). */
const listed = (statements) => statements.map((sql, i) => `  ${String(i + 1).padStart(2)} ${sql}`);

/**
 * One request per scenario to OMS, then the same request (from a twin instance of the scenarios)
 * to the minimal comparator; prints the statements PostgreSQL logged for each: every statement is
 * a round trip (begin and commit included).
 */
async function traceScenarios(trace, scenarios, twins, omsUrl, minimalUrl, adminClient) {
  for (const [index, first] of scenarios.entries()) {
    const runs = [['OMS', omsUrl, first]];
    if (first.minimal) runs.push(['minimal', minimalUrl, twins[index]]);
    for (const [name, baseUrl, scenario] of runs) {
      if (scenario.prepare) await scenario.prepare(adminClient);
      await sleep(200);
      const offset = trace.mark();
      const outcome = await availability(scenario, baseUrl);
      const statements = await trace.since(offset);
      console.log(
        `\n${first.id}: ${name} answered ${outcome.status} after ${statements.length} statement(s)`,
      );
      if (outcome.status >= 400) console.log(`  body: ${outcome.body}`);
      console.log(listed(statements).join('\n'));
    }
  }
}

module.exports = { SqlTrace, traceScenarios, DEFAULT_LOG };
