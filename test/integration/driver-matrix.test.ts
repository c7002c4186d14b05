// The driver matrix: the same program through three PostgreSQL drivers — node-postgres (`pg` 8, text and
// binary results), postgres.js 3 and postgres.js 4 — against a real ChorusDB node and a real PostgreSQL
// 15, comparing what the application gets: the rows' JavaScript values and their types (string, number,
// Date, boolean, Buffer, object), the column names and type OIDs, the command tag, or the error with its
// SQLSTATE, message, detail, hint, position, schema, table, column and constraint.
//
// Every case is data (test/support/driver-matrix-cases-*.ts) with PostgreSQL's answer written down; each
// (case, driver) is its own sub-test, every statement has a timeout (a hang fails fast) and every case
// gets fresh connections, so one failure hides nothing else. Per statement:
//   - PostgreSQL's outcome must equal the written-down answer (this checks the test itself);
//   - ChorusDB's outcome must equal PostgreSQL's (or, without PostgreSQL, the written-down answer).
// PostgreSQL runs with TimeZone=UTC, ChorusDB's default. Without PostgreSQL installed the comparison
// with it is skipped with the reason printed.
//
// Environment: TEST_DRIVER_MATRIX_TARGET=postgres runs a second PostgreSQL in ChorusDB's place (the matrix
// must then pass entirely: a check of the harness); TEST_DRIVER_MATRIX_NO_POSTGRES=1 behaves as if
// PostgreSQL were not installed; TEST_DRIVER_MATRIX_REPORT=<file> writes every failure as JSON;
// TEST_DRIVER_MATRIX_ONLY=<regexp> runs only the cases whose name matches.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { ARRAY_CASES } from '../support/driver-matrix-cases-arrays.js';
import { ENUM_CASES, ENUM_SCHEMA } from '../support/driver-matrix-cases-enums.js';
import { ERROR_CASES } from '../support/driver-matrix-cases-errors.js';
import { SCHEMA, typeCases } from '../support/driver-matrix-cases-types.js';
import { VALUE_CASES } from '../support/driver-matrix-cases-values.js';
import {
  connectDriver,
  DRIVERS,
  type DriverConnection,
  type DriverName,
  type Outcome,
  TIMEOUT,
} from '../support/driver-matrix-drivers.js';
import {
  type Case,
  diff,
  expectedOutcome,
  GROUPS,
  showParams,
  summary,
} from '../support/driver-matrix-dsl.js';
import { NodeProcess } from '../support/launcher.js';
import { findPostgres, PostgresServer } from '../support/pg-server.js';

const QUERY_TIMEOUT_MS = 5_000;
const CONNECT_TIMEOUT_MS = 10_000;

const only = process.env.TEST_DRIVER_MATRIX_ONLY
  ? new RegExp(process.env.TEST_DRIVER_MATRIX_ONLY)
  : undefined;
const CASES: Case[] = [...typeCases(), ...VALUE_CASES, ...ERROR_CASES, ...ARRAY_CASES, ...ENUM_CASES].filter(
  (c) => !only || only.test(c.name),
);
const selfCheck = process.env.TEST_DRIVER_MATRIX_TARGET === 'postgres';
const targetName = selfCheck ? 'PostgreSQL (2nd)' : 'ChorusDB';

{
  const names = new Set<string>();
  for (const c of CASES) {
    if (names.has(c.name)) throw new Error(`driver matrix: two cases named ${c.name}`);
    names.add(c.name);
  }
}

interface Server {
  url: string;
  stop(): Promise<void>;
  setupErrors: string[];
}

let target: Server | undefined;
let reference: Server | undefined;
let referenceSkip: string | undefined;

interface Failure {
  group: string;
  name: string;
  driver: DriverName;
  kind: 'target' | 'expectation';
  sql: string;
  problems: string[];
}
const failures: Failure[] = [];

async function startPostgres(): Promise<Server> {
  const server = await PostgresServer.start({ settings: { TimeZone: 'UTC' } });
  return { url: server.connectionString, stop: () => server.stop(), setupErrors: [] };
}

async function createTables(server: Server): Promise<void> {
  const client = new pg.Client({ connectionString: server.url, query_timeout: 30_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    for (const sql of [...SCHEMA, ...ENUM_SCHEMA]) {
      try {
        await client.query(sql);
      } catch (err) {
        server.setupErrors.push(`${sql}\n    ${(err as Error).message}`);
      }
    }
  } finally {
    await client.end();
  }
}

before(async () => {
  const found = process.env.TEST_DRIVER_MATRIX_NO_POSTGRES
    ? { skip: 'TEST_DRIVER_MATRIX_NO_POSTGRES is set' }
    : await findPostgres();
  if ('skip' in found) {
    referenceSkip = found.skip;
    console.log(
      `driver matrix: PostgreSQL not available, checking ${targetName} against the written-down answers only: ${found.skip}`,
    );
    if (selfCheck) throw new Error('TEST_DRIVER_MATRIX_TARGET=postgres needs PostgreSQL');
  }
  const [t, r] = await Promise.all([
    selfCheck
      ? startPostgres()
      : NodeProcess.start({ nodeId: 'driver-matrix' }).then(
          (node): Server => ({ url: node.connectionString, stop: () => node.cleanup(), setupErrors: [] }),
        ),
    referenceSkip === undefined ? startPostgres() : Promise.resolve(undefined),
  ]);
  target = t;
  reference = r;
  await Promise.all([createTables(t), r ? createTables(r) : undefined]);
});

after(async () => {
  await Promise.all([target?.stop(), reference?.stop()]);
  if (referenceSkip) console.log(`driver matrix: compared with written-down answers only (${referenceSkip})`);
  if (process.env.TEST_DRIVER_MATRIX_REPORT) {
    writeFileSync(process.env.TEST_DRIVER_MATRIX_REPORT, JSON.stringify(failures, null, 2));
  }
  const byCase = new Map<string, Failure[]>();
  for (const f of failures)
    byCase.set(`${f.group} | ${f.name}`, [...(byCase.get(`${f.group} | ${f.name}`) ?? []), f]);
  const lines = [...byCase].map(([key, fs]) => {
    const wrong = fs.filter((f) => f.kind === 'expectation').length > 0 ? ' [EXPECTATION WRONG]' : '';
    return `  ${key}${wrong}  (${fs.map((f) => f.driver).join(', ')}): ${fs[0]!.problems[0]}`;
  });
  console.log(
    `driver matrix: ${CASES.length} cases × drivers; ${byCase.size} cases with failures` +
      (lines.length ? `:\n${lines.join('\n')}` : ''),
  );
});

async function runSteps(server: Server, driver: DriverName, c: Case): Promise<Outcome[]> {
  let conn: DriverConnection;
  try {
    conn = await connectDriver(driver, server.url, CONNECT_TIMEOUT_MS);
  } catch (err) {
    const outcome: Outcome = {
      ok: false,
      error: { code: 'NO_CONNECTION', message: `could not connect: ${(err as Error).message}` },
    };
    return c.steps.map(() => outcome);
  }
  const outcomes: Outcome[] = [];
  try {
    for (const step of c.steps)
      outcomes.push(await conn.query(step.sql, step.params ?? [], QUERY_TIMEOUT_MS));
  } finally {
    await conn.close().catch(() => undefined);
  }
  return outcomes;
}

async function runCase(c: Case, driver: DriverName): Promise<void> {
  const [got, want] = await Promise.all([
    runSteps(target!, driver, c),
    reference ? runSteps(reference, driver, c) : undefined,
  ]);
  const report: string[] = [];
  c.steps.forEach((step, i) => {
    if (step.setup) return;
    const expectation = typeof step.expect === 'function' ? step.expect(driver) : step.expect;
    const written = expectation ? expectedOutcome(expectation, driver) : undefined;
    const sql = `${step.sql}${step.params?.length ? `  ${showParams(step.params)}` : ''}`;
    const record = (kind: Failure['kind'], problems: string[], lines: string[]): void => {
      if (problems.length === 0) return;
      failures.push({ group: c.group, name: c.name, driver, kind, sql, problems });
      report.push(`step ${i + 1}: ${sql}`, ...problems.map((p) => `  ${p}`), ...lines.map((l) => `    ${l}`));
    };
    if (want) {
      if (written) {
        record('expectation', diff(want[i]!, written, c.shape), [
          '^ PostgreSQL ≠ the written-down answer: the test is wrong',
          `PostgreSQL: ${summary(want[i]!)}`,
        ]);
      }
      record('target', diff(got[i]!, want[i]!, c.shape), [
        `(${targetName} ≠ PostgreSQL)`,
        `${targetName}: ${summary(got[i]!)}`,
        `PostgreSQL: ${summary(want[i]!)}`,
      ]);
    } else if (written) {
      record('target', diff(got[i]!, written, c.shape), [
        `(${targetName} ≠ PostgreSQL's written-down answer)`,
        `${targetName}: ${summary(got[i]!)}`,
      ]);
    } else if (!got[i]!.ok && got[i]!.error.code === TIMEOUT) {
      record('target', [summary(got[i]!)], []);
    }
  });
  assert.equal(report.length, 0, `${c.name} through ${driver}:\n${report.join('\n')}`);
}

describe('setup', () => {
  test('the dm_ tables are created on both servers', () => {
    const problems = [
      ...(target?.setupErrors ?? []).map((e) => `${targetName}: ${e}`),
      ...(reference?.setupErrors ?? []).map((e) => `PostgreSQL: ${e}`),
    ];
    assert.deepEqual(problems, []);
  });
});

for (const group of GROUPS) {
  const cases = CASES.filter((c) => c.group === group);
  if (cases.length === 0) continue;
  describe(group, () => {
    for (const c of cases) {
      describe(c.name, () => {
        for (const driver of c.drivers ?? DRIVERS) {
          test(driver, { timeout: 120_000 }, () => runCase(c, driver));
        }
      });
    }
  });
}
