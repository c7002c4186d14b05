// The PostgreSQL compatibility suite: every test/compat/*.sql file runs statement by statement on a
// ChorusDB node and, where PostgreSQL is installed, on a real PostgreSQL, and each statement's outcome
// is compared: SQLSTATE when either fails (both must fail, with the same code), else the command tag
// (command + row count), the column names and the rows as text. Without PostgreSQL the ChorusDB side
// still runs and every statement must succeed (or fail as its `-- error:` directive says).
// A file whose header says `-- compat: chorus-only` (monitoring.sql: the seed's monitoring queries
// over replicate.*) runs on a multi-primary ChorusDB node without peers only.
//
// Directives: comment lines right before a statement.
//   -- error: <SQLSTATE>          both sides must fail with this code
//   -- chorus-only: <reason>      runs on ChorusDB only
//   -- skip-compare: <reason>     runs on both, both must succeed; results are not compared
//   -- chorus-error: <SQLSTATE> <reason>  a documented difference: ChorusDB fails with this code
//                                 (0A000 for what it does not support), PostgreSQL's result is ignored
//   -- columns: a, b, c           ChorusDB's column names must be exactly these
//
// Comparisons are exact: the same column names, the same column type OIDs (a user type's OID is
// each database's own: both sides must name a user type), the same text of every value (no normalization: numeric scale, booleans and jsonb's text must be PostgreSQL's).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { isTrivia, tokenize } from '../../src/sql/lexer.js';
import { firstUserOid } from '../../src/sql/namespaces.js';
import { NodeProcess, repoRoot } from '../support/launcher.js';
import { findPostgres, PostgresServer } from '../support/pg-server.js';

const compatDir = path.join(repoRoot, 'test/compat');
const files = readdirSync(compatDir)
  .filter((f) => f.endsWith('.sql'))
  .sort();

interface Statement {
  sql: string;
  line: number;
  error?: string;
  chorusOnly?: string;
  skipCompare?: string;
  chorusError?: { code: string; reason: string };
  columns?: string[];
}

interface ScriptFile {
  name: string;
  chorusOnly: boolean;
  multiPrimary: boolean;
  statements: Statement[];
}

/** Splits a script with the SQL lexer (strings, comments and dollar quotes respected) and reads the directives. */
function parseScript(name: string, text: string): ScriptFile {
  const header = /^-- compat:(.*)$/m.exec(text)?.[1] ?? '';
  const statements: Statement[] = [];
  let directives: string[] = [];
  let first: number | null = null;
  let lastEnd = 0;
  const lineOf = (offset: number): number => text.slice(0, offset).split('\n').length;
  const flush = (): void => {
    if (first === null) return;
    const s: Statement = { sql: text.slice(first, lastEnd), line: lineOf(first) };
    for (const d of directives) {
      const m = /^--\s*(error|chorus-only|skip-compare|chorus-error|columns):\s*(.*)$/.exec(d);
      if (!m) continue;
      const value = m[2]!.trim();
      if (m[1] === 'error') s.error = value;
      else if (m[1] === 'chorus-only') s.chorusOnly = value;
      else if (m[1] === 'skip-compare') s.skipCompare = value;
      else if (m[1] === 'columns') s.columns = value.split(/\s*,\s*/);
      else {
        const [code, ...reason] = value.split(/\s+/);
        s.chorusError = { code: code!, reason: reason.join(' ') };
      }
    }
    statements.push(s);
    first = null;
    directives = [];
  };
  for (const t of tokenize(text)) {
    if (t.kind === 'semi') flush();
    else if (t.kind === 'comment' && first === null) directives.push(t.text);
    else if (!isTrivia(t)) {
      if (first === null) first = t.start;
      lastEnd = t.start + t.text.length;
    }
  }
  flush();
  return {
    name,
    chorusOnly: /chorus-only/.test(header),
    multiPrimary: /multi-primary/.test(header),
    statements,
  };
}

type Outcome =
  | {
      ok: true;
      command: string;
      rowCount: number | null;
      columns: string[];
      types: number[];
      rows: unknown[][];
      /** CommandComplete messages the one statement produced (PostgreSQL: always 1). */
      results: number;
    }
  | { ok: false; code: string; message: string };

const rawText = { getTypeParser: () => (v: string) => v };

async function run(client: pg.Client, sql: string): Promise<Outcome> {
  try {
    // A statement that answers several CommandCompletes comes back as an array of results.
    const res = (await client.query({
      text: sql,
      rowMode: 'array',
      types: rawText,
    } as pg.QueryArrayConfig)) as pg.QueryArrayResult | pg.QueryArrayResult[];
    const all: pg.QueryArrayResult[] = Array.isArray(res) ? res : [res];
    const r = all[all.length - 1]!;
    return {
      results: all.length,
      ok: true,
      command: r.command,
      rowCount: r.rowCount,
      columns: r.fields.map((f) => f.name),
      types: r.fields.map((f) => f.dataTypeID),
      rows: r.rows,
    };
  } catch (err) {
    const e = err as { code?: string; message: string };
    return { ok: false, code: e.code ?? 'no SQLSTATE', message: e.message };
  }
}

function show(o: Outcome): string {
  if (!o.ok) return `ERROR ${o.code}: ${o.message}`;
  const rows = o.rows.length > 8 ? [...o.rows.slice(0, 8), ['...']] : o.rows;
  const many = o.results > 1 ? ` (${o.results} command tags, the last shown)` : '';
  return `${o.command} ${o.rowCount ?? ''}${many} [${o.columns.join(', ')}] ${JSON.stringify(rows)}`;
}

/** Values compare exactly: the text PostgreSQL sends, for the type PostgreSQL gives the column. */
function compareCell(chorus: unknown, postgres: unknown): 'same' | 'different' {
  return chorus === postgres ? 'same' : 'different';
}

interface Comparison {
  problems: string[];
  normalized: number;
}

function compare(a: Outcome, b: Outcome): Comparison {
  const problems: string[] = [];
  const normalized = 0;
  if (!a.ok && !b.ok) {
    if (a.code !== b.code) problems.push(`SQLSTATE ${a.code} vs ${b.code}`);
    return { problems, normalized };
  }
  if (!a.ok || !b.ok) {
    problems.push(a.ok ? 'PostgreSQL failed, ChorusDB did not' : 'ChorusDB failed, PostgreSQL did not');
    return { problems, normalized };
  }
  if (a.results !== b.results) problems.push(`${a.results} command tags vs ${b.results}`);
  if (a.command !== b.command || a.rowCount !== b.rowCount) {
    problems.push(`command tag ${a.command} ${a.rowCount} vs ${b.command} ${b.rowCount}`);
  }
  if (a.columns.join('\u0000') !== b.columns.join('\u0000')) problems.push('column names differ');
  // A user type's OID (an enum's, from 16384 up) is each database's own: both must be user types.
  const typeKey = (t: number): string => (t >= firstUserOid ? 'user' : String(t));
  if (a.types.map(typeKey).join(',') !== b.types.map(typeKey).join(','))
    problems.push(`column types ${a.types.join(',')} vs ${b.types.join(',')}`);
  if (a.rows.length !== b.rows.length) problems.push(`${a.rows.length} rows vs ${b.rows.length}`);
  for (let r = 0; r < Math.min(a.rows.length, b.rows.length); r++) {
    const ra = a.rows[r]!;
    const rb = b.rows[r]!;
    for (let c = 0; c < Math.max(ra.length, rb.length); c++) {
      const verdict = compareCell(ra[c], rb[c]);
      if (verdict === 'different')
        problems.push(`row ${r + 1} column ${c + 1}: ${String(ra[c])} vs ${String(rb[c])}`);
    }
  }
  return { problems, normalized };
}

let chorus: NodeProcess | undefined;
let chorusMulti: NodeProcess | undefined;
let postgres: PostgresServer | undefined;
let pgSkip: string | undefined;
const totals = { compared: 0, chorusOnly: 0, normalized: 0 };

before(async () => {
  const found = await findPostgres();
  if ('skip' in found) {
    pgSkip = found.skip;
    console.log(`compat: PostgreSQL not available, running the ChorusDB side only: ${found.skip}`);
  }
  const [a, b, c] = await Promise.all([
    NodeProcess.start({ nodeId: 'compat' }),
    NodeProcess.start({
      nodeId: 'compat-mp',
      extraArgs: ['--ha-mode', 'multi-primary'],
      env: { CHORUS_CLUSTER_SECRET: 'compat-test-secret' },
    }),
    pgSkip === undefined ? PostgresServer.start() : Promise.resolve(undefined),
  ]);
  chorus = a;
  chorusMulti = b;
  postgres = c;
});

after(async () => {
  console.log(
    `compat: ${totals.compared} statements compared with PostgreSQL, ${totals.chorusOnly} run on ChorusDB only, ` +
      `${totals.normalized} values equal after normalization`,
  );
  await Promise.all([chorus?.cleanup(), chorusMulti?.cleanup(), postgres?.stop()]);
});

async function connect(connectionString: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString, query_timeout: 15_000 });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

describe('PostgreSQL compatibility', () => {
  for (const name of files) {
    test(name, { timeout: 60_000 }, async () => {
      const script = parseScript(name, readFileSync(path.join(compatDir, name), 'utf8'));
      assert.ok(script.statements.length > 0, `${name} has no statements`);
      const node = script.multiPrimary ? chorusMulti! : chorus!;
      const withPg = postgres !== undefined && !script.chorusOnly;
      const a = await connect(node.connectionString);
      const b = withPg ? await connect(postgres!.connectionString) : undefined;
      const mismatches: string[] = [];
      try {
        for (const s of script.statements) {
          const onPg = b !== undefined && s.chorusOnly === undefined;
          const [ra, rb] = await Promise.all([
            run(a, s.sql),
            onPg ? run(b, s.sql) : Promise.resolve(undefined),
          ]);
          const problems: string[] = [];
          if (s.chorusError) {
            if (ra.ok || ra.code !== s.chorusError.code)
              problems.push(`expected ChorusDB to fail with ${s.chorusError.code}`);
          } else if (s.error) {
            if (ra.ok || ra.code !== s.error) problems.push(`expected ChorusDB to fail with ${s.error}`);
            if (rb && (rb.ok || rb.code !== s.error))
              problems.push(`expected PostgreSQL to fail with ${s.error}`);
          } else if (!ra.ok) problems.push('ChorusDB failed');
          if (s.columns && (!ra.ok || ra.columns.join(',') !== s.columns.join(','))) {
            problems.push(`expected columns ${s.columns.join(', ')}`);
          }
          if (rb && !s.chorusError) {
            if (s.skipCompare !== undefined) {
              if (!rb.ok && !s.error) problems.push('PostgreSQL failed');
            } else {
              const c = compare(ra, rb);
              problems.push(...c.problems);
              totals.normalized += c.normalized;
            }
            totals.compared++;
          } else totals.chorusOnly++;
          if (problems.length > 0) {
            mismatches.push(
              `${name}:${s.line}: ${s.sql.replace(/\s+/g, ' ')}\n  ${problems.join('; ')}\n` +
                `  ChorusDB:   ${show(ra)}${rb ? `\n  PostgreSQL: ${show(rb)}` : ''}`,
            );
          }
        }
      } finally {
        await Promise.all([a.end(), b?.end()]);
      }
      assert.equal(mismatches.length, 0, `${mismatches.length} mismatches:\n\n${mismatches.join('\n\n')}`);
    });
  }
});
