// Regression cases of an audit of issue 13 (right answers for every client): what a driver saw
// differently from PostgreSQL 15 without an error — rows without fields after a Describe of EXECUTE /
// FETCH / pg_notify(), SHOW's column name, concat's text of a bool, 42P18 / 42P02 for parameters,
// AND CHAIN, START TRANSACTION's tag, and the context (W) field of a bad Bind parameter. The same
// harness as the driver matrix (test/support/driver-matrix-*.ts): every (case, driver) runs against a
// ChorusDB node and a real PostgreSQL 15 started here, PostgreSQL's answer written down too.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import {
  connectDriver,
  DRIVERS,
  type DriverName,
  type Outcome,
  TIMEOUT,
} from '../support/driver-matrix-drivers.js';
import {
  type Case,
  diff,
  done,
  type Expectation,
  expectedOutcome,
  fails,
  rows,
  showParams,
  summary,
} from '../support/driver-matrix-dsl.js';
import { NodeProcess } from '../support/launcher.js';
import { findPostgres, PostgresServer } from '../support/pg-server.js';

const QUERY_TIMEOUT_MS = 5_000;
const CONNECT_TIMEOUT_MS = 10_000;

/** pg reports a command tag's first word only. */
const tagOf = (d: DriverName, tag: string): string =>
  d === 'pg' || d === 'pg-binary' ? tag.split(' ')[0]! : tag;

/** SHOW's answer: one text column named after the setting, no row count in its tag. */
const shown = (name: string, value: string): Expectation => ({
  command: 'SHOW',
  count: null,
  columns: [[name, 'text']],
  rows: [[value]],
});

const CASES: Case[] = [
  {
    group: 'transactions',
    name: 'FETCH from a cursor names its columns',
    steps: [
      { sql: 'BEGIN', setup: true },
      { sql: 'DECLARE h45c CURSOR FOR SELECT g, g * 1.5 AS h FROM generate_series(1, 3) g', setup: true },
      {
        sql: 'FETCH 2 FROM h45c',
        expect: {
          command: 'FETCH',
          count: 2,
          columns: [
            ['g', 'int4'],
            ['h', 'numeric'],
          ],
          rows: [
            ['1', '1.5'],
            ['2', '3.0'],
          ],
        },
      },
      { sql: 'MOVE 1 IN h45c', expect: done('MOVE', 1) },
      { sql: 'COMMIT', setup: true },
    ],
  },
  {
    group: 'transactions',
    name: 'EXECUTE of a SQL prepared statement names its columns',
    steps: [
      // (postgres.js would read a $1 in the text as its own placeholder.)
      { sql: 'PREPARE h45q AS SELECT 21 * 2 AS d', setup: true },
      { sql: 'EXECUTE h45q', expect: rows([['d', 'int4']], ['42']) },
      { sql: 'DEALLOCATE h45q', setup: true },
    ],
  },
  {
    group: 'transactions',
    name: 'pg_notify() and pg_listening_channels() name their columns',
    steps: [
      // pg_notify returns void (no OID in the case language): compared with PostgreSQL only.
      { sql: "SELECT pg_notify('h45_channel', 'x')" },
      { sql: 'SELECT pg_listening_channels()', expect: rows([['pg_listening_channels', 'text']]) },
    ],
  },
  {
    group: 'transactions',
    name: 'SHOW names the setting as PostgreSQL spells it',
    steps: [
      { sql: "SET TIME ZONE 'UTC'", setup: true },
      { sql: 'SHOW TimeZone', expect: shown('TimeZone', 'UTC') },
      { sql: 'SHOW datestyle', expect: shown('DateStyle', 'ISO, MDY') },
    ],
  },
  {
    group: 'transactions',
    name: 'COMMIT AND CHAIN starts the next block; START TRANSACTION is its own tag',
    steps: [
      { sql: 'CREATE TEMP TABLE h45_chain (id int PRIMARY KEY)', setup: true },
      { sql: 'START TRANSACTION', expect: (d) => done(tagOf(d, 'START TRANSACTION')) },
      { sql: 'INSERT INTO h45_chain VALUES (1)', setup: true },
      { sql: 'COMMIT AND CHAIN', expect: done('COMMIT') },
      { sql: 'INSERT INTO h45_chain VALUES (2)', setup: true },
      { sql: 'ROLLBACK', expect: done('ROLLBACK') },
      { sql: 'SELECT id FROM h45_chain', expect: rows([['id', 'int4']], ['1']) },
      {
        sql: 'COMMIT AND CHAIN',
        expect: fails('25P01', 'COMMIT AND CHAIN can only be used in transaction blocks'),
      },
    ],
  },
  {
    group: 'transactions',
    name: 'TRUNCATE through a driver that describes the statement first',
    steps: [
      { sql: 'CREATE TEMP TABLE h45_tr (id int PRIMARY KEY)', setup: true },
      { sql: 'INSERT INTO h45_tr VALUES (1)', setup: true },
      { sql: 'TRUNCATE h45_tr', expect: (d) => done(tagOf(d, 'TRUNCATE TABLE')) },
      { sql: 'SELECT count(*) AS n FROM h45_tr', expect: rows([['n', 'int8']], ['0']) },
    ],
  },
  {
    group: 'computed',
    name: 'concat prints a bool as t and keeps char(n) padding',
    steps: [
      {
        sql: "SELECT concat(true, 'ab'::char(4), 1) AS a, 'x' || true AS b",
        expect: rows(
          [
            ['a', 'text'],
            ['b', 'text'],
          ],
          ['tab  1', 'xtrue'],
        ),
      },
    ],
  },
  {
    group: 'parameters',
    name: 'an untyped parameter of concat / format / json_build_object is 42P18',
    steps: [
      { sql: 'SELECT concat($1, $2) AS a', params: ['a', 'b'] },
      { sql: "SELECT format('%s!', $1) AS a", params: ['a'] },
      { sql: "SELECT json_build_object('k', $1) AS a", params: ['v'] },
    ].map((step) => ({ ...step, expect: fails('42P18', 'could not determine data type of parameter $1') })),
  },
  {
    group: 'value checks',
    name: "bad JSON is refused with PostgreSQL's detail; jsonb refuses a lone surrogate",
    // postgres.js sends a string for jsonb as JSON (JSON.stringify): the text is always valid.
    drivers: ['pg', 'pg-binary'],
    steps: (
      [
        ['{bad', 'Token "bad" is invalid.'],
        ['{1:2}', 'Expected string or "}", but found "1".'],
        ['[1,]', 'Expected JSON value, but found "]".'],
        ['"abc', 'Token ""abc" is invalid.'],
        ['+1', 'Token "+" is invalid.'],
        ['"\\ud83d"', 'Unicode low surrogate must follow a high surrogate.'],
      ] as const
    ).map(([text, detail]) => ({
      sql: 'SELECT $1::jsonb AS v',
      params: [text],
      expect: fails('22P02', 'invalid input syntax for type json', { detail }),
    })),
  },
  {
    group: 'parameters',
    name: 'a $n in a simple query is 42P02',
    // pg sends a statement without values as a simple query.
    drivers: ['pg'],
    steps: [
      { sql: 'SELECT $1::int AS a', expect: fails('42P02', 'there is no parameter $1', { position: '8' }) },
    ],
  },
];

interface Server {
  url: string;
  stop(): Promise<void>;
}

let target: Server | undefined;
let reference: Server | undefined;

before(async () => {
  const found = await findPostgres();
  if ('skip' in found)
    console.log(`driver audit: PostgreSQL not available (${found.skip}): written-down answers only`);
  const [t, r] = await Promise.all([
    NodeProcess.start({ nodeId: 'driver-audit' }).then(
      (node): Server => ({ url: node.connectionString, stop: () => node.cleanup() }),
    ),
    'skip' in found
      ? Promise.resolve(undefined)
      : PostgresServer.start({ settings: { TimeZone: 'UTC' } }).then(
          (s): Server => ({ url: s.connectionString, stop: () => s.stop() }),
        ),
  ]);
  target = t;
  reference = r;
});

after(async () => {
  await Promise.all([target?.stop(), reference?.stop()]);
});

async function runSteps(server: Server, driver: DriverName, c: Case): Promise<Outcome[]> {
  const conn = await connectDriver(driver, server.url, CONNECT_TIMEOUT_MS);
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
    const sql = `${step.sql}${step.params?.length ? `  ${showParams(step.params)}` : ''}`;
    const add = (what: string, problems: string[]): void => {
      if (problems.length > 0)
        report.push(`step ${i + 1}: ${sql} (${what})`, ...problems.map((p) => `  ${p}`));
    };
    if (step.setup) {
      add('setup', got[i]!.ok ? [] : [summary(got[i]!)]);
      return;
    }
    const expectation = typeof step.expect === 'function' ? step.expect(driver) : step.expect;
    const written = expectation ? expectedOutcome(expectation, driver) : undefined;
    if (want && written)
      add('PostgreSQL ≠ the written-down answer: the test is wrong', diff(want[i]!, written));
    if (want) add('ChorusDB ≠ PostgreSQL', diff(got[i]!, want[i]!));
    else if (written) add("ChorusDB ≠ PostgreSQL's written-down answer", diff(got[i]!, written));
    else if (!got[i]!.ok && got[i]!.error.code === TIMEOUT) add('hang', [summary(got[i]!)]);
  });
  assert.equal(report.length, 0, `${c.name} through ${driver}:\n${report.join('\n')}`);
}

for (const c of CASES) {
  describe(`${c.group}: ${c.name}`, () => {
    for (const driver of c.drivers ?? DRIVERS) {
      test(driver, { timeout: 60_000 }, () => runCase(c, driver));
    }
  });
}

describe('errors: a bad Bind parameter', () => {
  test("carries PostgreSQL's context field (W: the parameter it read)", async () => {
    const servers = [target!, ...(reference ? [reference] : [])];
    for (const server of servers) {
      const client = new pg.Client({ connectionString: server.url, query_timeout: QUERY_TIMEOUT_MS });
      await client.connect();
      try {
        const err = await client.query('SELECT $1::int AS a', ['x']).then(
          () => null,
          (e: unknown) => e as { code?: string; where?: string },
        );
        assert.equal(err?.code, '22P02');
        assert.equal(err?.where, "unnamed portal parameter $1 = '...'");
      } finally {
        await client.end();
      }
    }
  });
});

describe('transactions: a multi-statement query with transaction control', () => {
  // Each query, then what the table holds after it (or the error's SQLSTATE), as PostgreSQL answers.
  const steps: [string, string][] = [
    ['CREATE TEMP TABLE h45_m (id int PRIMARY KEY)', ''],
    // COMMIT ends the block; the INSERT after it starts an implicit block the error rolls back.
    [
      'INSERT INTO h45_m VALUES (1); BEGIN; INSERT INTO h45_m VALUES (2); COMMIT; INSERT INTO h45_m VALUES (3); SELECT 1/0',
      '22012 1,2',
    ],
    // COMMIT without BEGIN commits the implicit block (with a WARNING).
    ['INSERT INTO h45_m VALUES (4); COMMIT; INSERT INTO h45_m VALUES (5); SELECT 1/0', '22012 1,2,4'],
    // ROLLBACK without BEGIN rolls the implicit block back.
    ['INSERT INTO h45_m VALUES (7); ROLLBACK; INSERT INTO h45_m VALUES (8)', ' 1,2,4,8'],
    // BEGIN makes the statements before it part of the explicit block.
    ['INSERT INTO h45_m VALUES (9); BEGIN; INSERT INTO h45_m VALUES (10); ROLLBACK', ' 1,2,4,8'],
    ['SAVEPOINT x; INSERT INTO h45_m VALUES (11)', '25P01 1,2,4,8'],
    ['VACUUM; SELECT 1', '25001 1,2,4,8'],
    ['BEGIN; INSERT INTO h45_m VALUES (12); COMMIT; SELECT 1', ' 1,2,4,8,12'],
  ];

  test('runs as PostgreSQL runs it', async () => {
    const servers = [target!, ...(reference ? [reference] : [])];
    for (const server of servers) {
      const client = new pg.Client({ connectionString: server.url, query_timeout: QUERY_TIMEOUT_MS });
      await client.connect();
      try {
        for (const [sql, want] of steps) {
          const code = await client.query(sql).then(
            () => '',
            (e: { code?: string }) => e.code ?? 'NO_CODE',
          );
          if (want === '') continue;
          const ids = await client.query("SELECT string_agg(id::text, ',' ORDER BY id) AS ids FROM h45_m");
          assert.equal(
            `${code} ${ids.rows[0].ids}`,
            want,
            `${server === target ? 'ChorusDB' : 'PostgreSQL'}: ${sql}`,
          );
        }
      } finally {
        await client.end();
      }
    }
  });
});
