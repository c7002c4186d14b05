// The real `psql` client against a real ChorusDB server process: -c commands, several -c in one run,
// errors (exit status and SQLSTATE on stderr) and scripts run with -f and ON_ERROR_STOP.
// Every test is skipped (with the reason printed) when psql is not installed.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, type TestContext, test } from 'node:test';
import { NodeProcess } from '../support/launcher.js';
import { findPsql, type PsqlResult, runPsql } from '../support/psql.js';

const psqlPath = findPsql();
let server: NodeProcess | undefined;
let scratch: string | undefined;

before(async () => {
  if (!psqlPath) {
    console.log('psql tests skipped: psql not installed (which psql found nothing)');
    return;
  }
  server = await NodeProcess.start();
  scratch = await mkdtemp(path.join(tmpdir(), 'chorus-psql-test-'));
});

after(async () => {
  await server?.cleanup();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** Runs psql with connection options for the test server, plain unaligned tuples-only output. */
function psql(args: string[], opts: { format?: 'tuples' | 'table' } = {}): Promise<PsqlResult> {
  const format = opts.format === 'table' ? [] : ['-A', '-t'];
  return runPsql(psqlPath!, { port: server!.pgPort, args: [...format, ...args] });
}

function skipWithoutPsql(t: TestContext): boolean {
  if (psqlPath) return false;
  t.skip('psql not installed');
  return true;
}

function lines(s: string): string[] {
  return s.split('\n').filter((l) => l !== '');
}

describe('psql', () => {
  test('create a table, insert and select with -c', async (t) => {
    if (skipWithoutPsql(t)) return;
    const create = await psql([
      '-c',
      'CREATE TABLE psql_items (id INTEGER PRIMARY KEY, name TEXT, price REAL)',
    ]);
    assert.equal(create.code, 0, create.stderr);
    assert.equal(create.stdout.trim(), 'CREATE TABLE');
    const insert = await psql([
      '-c',
      "INSERT INTO psql_items VALUES (1, 'apple', 1.25), (2, 'pipe|char', 2.5), (3, 'ünïcode ☃', NULL)",
    ]);
    assert.equal(insert.code, 0, insert.stderr);
    assert.equal(insert.stdout.trim(), 'INSERT 0 3');
    const select = await psql(['-c', 'SELECT id, name, price FROM psql_items ORDER BY id']);
    assert.equal(select.code, 0, select.stderr);
    assert.equal(select.stderr, '');
    assert.deepEqual(lines(select.stdout), ['1|apple|1.25', '2|pipe|char|2.5', '3|ünïcode ☃|']);
    const count = await psql(['-c', 'SELECT count(*) FROM psql_items WHERE price > 2']);
    assert.equal(count.stdout.trim(), '1');
  });

  test('aligned table output with header and row count', async (t) => {
    if (skipWithoutPsql(t)) return;
    const res = await psql(['-c', "SELECT 1 AS one, 'x' AS letter"], { format: 'table' });
    assert.equal(res.code, 0, res.stderr);
    const out = lines(res.stdout).map((l) => l.trim());
    assert.match(out[0]!, /^one\s*\|\s*letter$/);
    assert.match(out[1]!, /^-+\+-+$/);
    assert.match(out[2]!, /^1\s*\|\s*x$/);
    assert.equal(out[3], '(1 row)');
  });

  test('several -c options run in order in one session', async (t) => {
    if (skipWithoutPsql(t)) return;
    const res = await psql(['-c', 'SELECT 1', '-c', 'SELECT 2']);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(lines(res.stdout), ['1', '2']);
    const version = await psql(['-c', 'SHOW server_version', '-c', 'SELECT version()']);
    assert.equal(version.code, 0, version.stderr);
    const [sv, v] = lines(version.stdout);
    assert.equal(sv, '15.0');
    assert.match(v!, /^PostgreSQL 15\.0 \(ChorusDB /);
    // Session state carries from one -c to the next.
    const set = await psql(['-c', "SET my.flag = 'on'", '-c', 'SHOW my.flag']);
    assert.equal(set.code, 0, set.stderr);
    assert.deepEqual(lines(set.stdout), ['SET', 'on']);
  });

  test('an error exits non-zero with the message on stderr; VERBOSITY=verbose prints the SQLSTATE', async (t) => {
    if (skipWithoutPsql(t)) return;
    const plain = await psql(['-c', 'SELECT * FROM psql_no_such_table']);
    assert.notEqual(plain.code, 0);
    assert.equal(plain.stdout, '');
    assert.match(plain.stderr, /ERROR: {2}relation "psql_no_such_table" does not exist/);
    const verbose = await psql(['-v', 'VERBOSITY=verbose', '-c', 'SELECT * FROM psql_no_such_table']);
    assert.notEqual(verbose.code, 0);
    assert.match(verbose.stderr, /ERROR: {2}42P01: relation "psql_no_such_table" does not exist/);
    await psql([
      '-c',
      'CREATE TABLE psql_unique (id INTEGER PRIMARY KEY)',
      '-c',
      'INSERT INTO psql_unique VALUES (1)',
    ]);
    const dup = await psql(['-v', 'VERBOSITY=verbose', '-c', 'INSERT INTO psql_unique VALUES (1)']);
    assert.notEqual(dup.code, 0);
    assert.match(dup.stderr, /ERROR: {2}23505: /);
    const syntax = await psql(['-v', 'VERBOSITY=verbose', '-c', 'SELEC 1']);
    assert.notEqual(syntax.code, 0);
    assert.match(syntax.stderr, /ERROR: {2}42601: /);
    const noPk = await psql([
      '-c',
      'CREATE TABLE psql_no_pk (a INT)',
      '-c',
      'INSERT INTO psql_no_pk VALUES (0)',
      '-c',
      'UPDATE psql_no_pk SET a = 1',
    ]);
    assert.notEqual(noPk.code, 0);
    assert.match(noPk.stderr, /NOTICE: {2}table "psql_no_pk" has no primary key/);
    assert.match(noPk.stderr, /ERROR: {2}cannot update table "psql_no_pk" because it has no primary key/);
    assert.match(noPk.stderr, /HINT: .*ADD PRIMARY KEY/);
  });

  test('a script with -f and ON_ERROR_STOP stops at the first error', async (t) => {
    if (skipWithoutPsql(t)) return;
    const script = path.join(scratch!, 'stop.sql');
    await writeFile(
      script,
      [
        '\\set ON_ERROR_STOP on',
        'CREATE TABLE psql_script (id INTEGER PRIMARY KEY, v TEXT);',
        "INSERT INTO psql_script VALUES (1, 'first');",
        'BEGIN;',
        "INSERT INTO psql_script VALUES (2, 'in block');",
        'COMMIT;',
        'SELECT count(*) FROM psql_script;',
        'SELECT * FROM psql_script_missing;',
        "INSERT INTO psql_script VALUES (3, 'after the error');",
        '',
      ].join('\n'),
    );
    const res = await psql(['-f', script]);
    assert.equal(res.code, 3, `psql exits 3 when ON_ERROR_STOP stops a script; stderr: ${res.stderr}`);
    assert.match(res.stderr, /stop\.sql:8: ERROR: {2}relation "psql_script_missing" does not exist/);
    assert.deepEqual(lines(res.stdout), ['CREATE TABLE', 'INSERT 0 1', 'BEGIN', 'INSERT 0 1', 'COMMIT', '2']);
    const check = await psql(['-c', 'SELECT id FROM psql_script ORDER BY id']);
    assert.deepEqual(lines(check.stdout), ['1', '2']);
  });

  test('a script without ON_ERROR_STOP continues after an error; multi-line statements work', async (t) => {
    if (skipWithoutPsql(t)) return;
    const script = path.join(scratch!, 'continue.sql');
    await writeFile(
      script,
      [
        'CREATE TABLE psql_cont (',
        '  id INTEGER PRIMARY KEY,',
        '  v TEXT',
        ');',
        "INSERT INTO psql_cont VALUES (1, 'a');",
        "INSERT INTO psql_cont VALUES (1, 'duplicate');",
        "INSERT INTO psql_cont VALUES (2, 'b'); -- trailing comment",
        '\\echo marker',
        'SELECT v FROM psql_cont',
        '  ORDER BY id;',
        '',
      ].join('\n'),
    );
    const res = await psql(['-f', script]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /continue\.sql:6: ERROR: /);
    assert.deepEqual(lines(res.stdout), ['CREATE TABLE', 'INSERT 0 1', 'INSERT 0 1', 'marker', 'a', 'b']);
  });

  test('a script run as a single transaction (-1) rolls back entirely on error', async (t) => {
    if (skipWithoutPsql(t)) return;
    await psql(['-c', 'CREATE TABLE psql_single (id INTEGER PRIMARY KEY)']);
    const script = path.join(scratch!, 'single.sql');
    await writeFile(
      script,
      [
        '\\set ON_ERROR_STOP on',
        'INSERT INTO psql_single VALUES (1);',
        'INSERT INTO psql_single VALUES (2);',
        'INSERT INTO psql_single VALUES (1);',
        '',
      ].join('\n'),
    );
    const res = await psql(['-1', '-f', script]);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /ERROR/);
    const check = await psql(['-c', 'SELECT count(*) FROM psql_single']);
    assert.equal(check.stdout.trim(), '0');
  });
});
