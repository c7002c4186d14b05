// The real psql client running the same multi-statement queries (-c) against ChorusDB and a real
// PostgreSQL started by the test, comparing everything psql prints: results, command tags,
// NOTICEs and WARNINGs with their DETAIL, errors with their LINE/caret position, DETAIL and HINT.
// These are what PostgreSQL does per statement of one query (each statement analyzed just before
// it runs, positions counted from the start of the query) and its DROP / TRUNCATE dependency
// rules. Skipped, with the reason printed, when psql or PostgreSQL is not installed.

import assert from 'node:assert/strict';
import { after, before, describe, type TestContext, test } from 'node:test';
import { NodeProcess } from '../support/launcher.js';
import { findPostgres, PostgresServer } from '../support/pg-server.js';
import { findPsql, runPsql } from '../support/psql.js';

const psqlPath = findPsql();
let skip: string | undefined;
let chorus: NodeProcess | undefined;
let postgres: PostgresServer | undefined;

before(async () => {
  if (!psqlPath) skip = 'psql not installed (which psql found nothing)';
  else {
    const found = await findPostgres();
    if ('skip' in found) skip = found.skip;
  }
  if (skip) {
    console.log(`psql-vs-postgres tests skipped: ${skip}`);
    return;
  }
  [chorus, postgres] = await Promise.all([
    NodeProcess.start({ nodeId: 'psql-vs-pg' }),
    PostgresServer.start(),
  ]);
});

after(async () => {
  await Promise.all([chorus?.cleanup(), postgres?.stop()]);
});

/**
 * psql's output for a list of -c queries: once with messages (VERBOSITY default: message, DETAIL,
 * HINT, LINE and caret) and once with SQLSTATEs only (VERBOSITY sqlstate).
 */
async function outputOf(port: number, db: string, queries: string[]): Promise<string> {
  const out: string[] = [];
  for (const verbosity of ['default', 'sqlstate']) {
    const r = await runPsql(psqlPath!, {
      port,
      user: 'postgres',
      db,
      args: ['-v', `VERBOSITY=${verbosity}`, ...queries.flatMap((q) => ['-c', q])],
    });
    out.push(`${r.stdout}\n--- stderr (${verbosity}) ---\n${r.stderr}\n--- exit ${r.code}`);
  }
  return out.join('\n');
}

/** Runs the queries on both servers; psql's whole output must be identical. */
async function same(t: TestContext, queries: string[]): Promise<void> {
  if (skip) {
    t.skip(skip);
    return;
  }
  const [mine, theirs] = await Promise.all([
    outputOf(chorus!.pgPort, 'chorus', queries),
    outputOf(postgres!.port, 'postgres', queries),
  ]);
  assert.equal(mine, theirs, `ChorusDB:\n${mine}\n\nPostgreSQL:\n${theirs}`);
}

describe('psql against ChorusDB and PostgreSQL', () => {
  test('a statement sees the tables and columns the statements before it in the same query made', async (t) => {
    await same(t, [
      'CREATE TABLE pq_a (id int PRIMARY KEY, v text); CREATE VIEW pq_av AS SELECT id, v FROM pq_a; ' +
        "INSERT INTO pq_a VALUES (1, 'x'); SELECT * FROM pq_av",
      'ALTER TABLE pq_a ADD COLUMN w int DEFAULT 7; SELECT * FROM pq_a; UPDATE pq_a SET w = w + 1 RETURNING w',
      'SELECT * FROM pq_a',
    ]);
  });

  test('an error in a later statement comes after the earlier results, its position counted in the query', async (t) => {
    await same(t, [
      "SELECT 'é😀' AS s; SELECT * FROM pq_nosuch; SELECT 2",
      'SELECT 1; SELEC 2',
      '\n   SELECT pq_nosuch_column',
      "SELECT 1 AS one;\n  SELECT 'abc'::int",
      "SELECT '😀😀' || pq_nosuch_column",
      "SELECT '😀😀' AS e, 1 + 'x'",
    ]);
  });

  test('an error ends the implicit transaction of a multi-statement query: nothing before it is kept', async (t) => {
    await same(t, [
      'CREATE TABLE pq_b (id int PRIMARY KEY)',
      'INSERT INTO pq_b VALUES (1); INSERT INTO pq_b VALUES (1)',
      'INSERT INTO pq_b VALUES (2); SELECT 1/0',
      'SELECT count(*) FROM pq_b',
    ]);
  });

  test('DROP refuses objects others depend on; CASCADE drops dependent views', async (t) => {
    await same(t, [
      'CREATE TABLE pq_p (id int PRIMARY KEY); CREATE TABLE pq_c (id int PRIMARY KEY, pid int REFERENCES pq_p)',
      'CREATE VIEW pq_v1 AS SELECT id FROM pq_p; CREATE VIEW pq_v2 AS SELECT id FROM pq_v1',
      'DROP TABLE pq_p',
      'DROP VIEW pq_v1',
      'DROP VIEW pq_v1 CASCADE',
      'DROP TABLE pq_p, pq_c',
      'CREATE VIEW pq_v3 AS WITH pq_c AS (SELECT 1 AS id) SELECT id FROM pq_c',
      'DROP TABLE pq_c',
      'DROP VIEW pq_v3',
    ]);
  });

  test('DROP of the wrong kind of object, missing objects, constraint indexes, other schemas', async (t) => {
    await same(t, [
      'CREATE TABLE pq_d (id int PRIMARY KEY, u text UNIQUE); CREATE INDEX pq_d_i ON pq_d (u); CREATE VIEW pq_dv AS SELECT 1 AS x',
      'DROP TABLE pq_dv',
      'DROP VIEW pq_d',
      'DROP INDEX pq_d',
      'DROP INDEX pq_d_pkey',
      'DROP INDEX pq_d_u_key',
      'DROP TABLE pq_nosuch',
      'DROP INDEX pq_nosuch',
      'DROP TABLE IF EXISTS pq_nosuch, pq_dv2; DROP VIEW IF EXISTS pq_dv, pq_nosuch',
      'DROP INDEX IF EXISTS pq_d_i, pq_nosuch',
      'DROP TABLE pq_nosuch_schema.t',
      'DROP TABLE IF EXISTS pq_nosuch_schema.t',
      'DROP TABLE pq_d',
    ]);
  });

  test('TRUNCATE of a referenced table: refused alone, with its referencing tables, or CASCADE', async (t) => {
    await same(t, [
      'CREATE TABLE pq_tp (id int PRIMARY KEY); CREATE TABLE pq_tc (id int PRIMARY KEY, pid int REFERENCES pq_tp)',
      'INSERT INTO pq_tp VALUES (1), (2); INSERT INTO pq_tc VALUES (10, 1)',
      'TRUNCATE pq_tp',
      'TRUNCATE pq_tp, pq_tc; SELECT (SELECT count(*) FROM pq_tp) AS p, (SELECT count(*) FROM pq_tc) AS c',
      'INSERT INTO pq_tp VALUES (1); INSERT INTO pq_tc VALUES (10, 1)',
      'TRUNCATE pq_tp CASCADE; SELECT (SELECT count(*) FROM pq_tp) AS p, (SELECT count(*) FROM pq_tc) AS c',
      'TRUNCATE pq_tc',
    ]);
  });

  test('settings: checked and printed as PostgreSQL does, undone by ROLLBACK, SET LOCAL until the block ends', async (t) => {
    await same(t, [
      "SET DateStyle = 'iso'; SHOW DateStyle",
      'SET statement_timeout = 90000; SHOW statement_timeout',
      "SET statement_timeout TO '2min'; SHOW statement_timeout; RESET statement_timeout; SHOW statement_timeout",
      'SET TIME ZONE -3; SHOW TIME ZONE',
      "SET TIME ZONE INTERVAL '+05:30' HOUR TO MINUTE; SHOW TIME ZONE",
      "BEGIN; SET TIME ZONE 'Europe/Paris'; SHOW TIME ZONE; ROLLBACK; SHOW TIME ZONE",
      "BEGIN; SET LOCAL TIME ZONE 'Asia/Tokyo'; SHOW TIME ZONE; COMMIT; SHOW TIME ZONE",
      "BEGIN; SET TIME ZONE 'America/New_York'; SAVEPOINT a; SET TIME ZONE 'UTC'; ROLLBACK TO a; SHOW TIME ZONE; COMMIT",
      'SHOW TIME ZONE',
      // (RESET TIME ZONE goes back to the server's configured zone, which differs between the two.)
      "SET LOCAL TIME ZONE 'Asia/Tokyo'",
      'SET pq_nosuch = 1',
      'SET server_version = 1',
      'SET extra_float_digits = 4',
      'SET extra_float_digits = 3; SHOW extra_float_digits; SELECT 0.1::float8 + 0.2::float8',
      "SET enable_seqscan = false; SHOW enable_seqscan; SET my.custom = 'x'; SHOW my.custom",
      'SET client_min_messages = warning; DROP TABLE IF EXISTS pq_nosuch; SHOW client_min_messages',
      'CREATE TABLE pq_ro (id int PRIMARY KEY)',
      'SET default_transaction_read_only = on',
      'BEGIN; SHOW transaction_read_only; COMMIT',
      'INSERT INTO pq_ro VALUES (1)',
      'CREATE TABLE pq_ro2 (id int)',
      'BEGIN READ WRITE; INSERT INTO pq_ro VALUES (2); COMMIT',
      'SET default_transaction_read_only = off',
      'BEGIN; SET TRANSACTION READ ONLY; UPDATE pq_ro SET id = 3',
      'ROLLBACK',
      "SET statement_timeout = '50ms'; SELECT pg_sleep(2)",
      'SET statement_timeout = 0',
      'SELECT count(*) FROM pq_ro',
    ]);
  });

  test('transaction commands out of place are WARNINGs with their SQLSTATEs', async (t) => {
    await same(t, ['BEGIN; BEGIN; COMMIT', 'COMMIT', 'ROLLBACK']);
  });
});
