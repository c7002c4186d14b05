// psql's describe commands (\dt, \d <table>, \l, \dn, \du) against the pg_catalog emulation built
// from SQLite's schema, and (where PostgreSQL is installed) \dt, \d and \l compared with what a
// real PostgreSQL prints for the same DDL and for the tables `pgbench -i` builds. Skipped with a
// printed reason when psql is not installed.
import assert from 'node:assert/strict';
import { after, before, describe, type TestContext, test } from 'node:test';
import { rewriteCatalogQuery } from '../../src/admin/catalog/catalog-rewrite.js';
import { tokenize } from '../../src/sql/lexer.js';
import { NodeProcess } from '../support/launcher.js';
import { findPostgres, PostgresServer } from '../support/pg-server.js';
import { findPgbench, runPgbench } from '../support/pgbench.js';
import { findPsql, runPsql } from '../support/psql.js';

const psqlPath = findPsql();
let server: NodeProcess | undefined;

const ddl = [
  'CREATE TABLE accounts (id integer PRIMARY KEY, name varchar(20) NOT NULL, email text UNIQUE, balance integer DEFAULT 0)',
  'CREATE INDEX accounts_name_idx ON accounts (name)',
  'CREATE TABLE history (hid bigint PRIMARY KEY, aid integer REFERENCES accounts(id), note text)',
];

async function psql(
  port: number,
  user: string,
  db: string,
  command: string,
  tuples = false,
): Promise<string> {
  const args = ['-v', 'ON_ERROR_STOP=1', ...(tuples ? ['-A', '-t'] : []), '-c', command];
  const r = await runPsql(psqlPath!, { port, user, db, args });
  if (r.code !== 0) throw new Error(`psql ${command} failed (exit ${r.code}): ${r.stderr}`);
  return r.stdout;
}

const chorus = (command: string, tuples = false): Promise<string> =>
  psql(server!.pgPort, 'anyone', 'anydb', command, tuples);

before(async () => {
  if (!psqlPath) {
    console.log('psql catalog tests skipped: psql not installed (which psql found nothing)');
    return;
  }
  server = await NodeProcess.start();
  for (const stmt of ddl) await chorus(stmt);
});

after(async () => {
  await server?.cleanup();
});

function skip(t: TestContext): boolean {
  if (psqlPath) return false;
  t.skip('psql not installed');
  return true;
}

describe('catalog rewrite', () => {
  test('statements without catalog references come back unchanged', () => {
    for (const sql of [
      'SELECT * FROM t WHERE a = 1',
      "INSERT INTO x VALUES ('16385')",
      'SELECT a::int FROM t',
    ]) {
      const tokens = tokenize(sql);
      assert.equal(rewriteCatalogQuery(tokens), tokens);
    }
  });
});

describe('psql describe commands', () => {
  test('\\dt lists user tables only', async (t) => {
    if (skip(t)) return;
    const out = await chorus('\\dt');
    assert.match(out, /public \| accounts \| table \|/);
    assert.match(out, /public \| history\s+\| table \|/);
    assert.doesNotMatch(out, /_chorus_|sqlite_/);
    assert.match(out, /\(2 rows\)/);
  });

  test('\\d shows columns with PostgreSQL types, indexes and foreign keys', async (t) => {
    if (skip(t)) return;
    const out = await chorus('\\d accounts');
    assert.match(out, /Table "public\.accounts"/);
    assert.match(out, /id\s+\| integer\s+\|\s+\| not null \|/);
    assert.match(out, /name\s+\| character varying\(20\)\s+\|\s+\| not null \|/);
    assert.match(out, /balance \| integer\s+\|\s+\|\s+\| 0/);
    assert.match(out, /Indexes:\n\s+"accounts_pkey" PRIMARY KEY, btree \(id\)/);
    assert.match(out, /"accounts_email_key" UNIQUE CONSTRAINT, btree \(email\)/);
    assert.match(out, /"accounts_name_idx" btree \(name\)/);
    assert.match(
      out,
      /Referenced by:\n\s+TABLE "history" CONSTRAINT "history_aid_fkey" FOREIGN KEY \(aid\) REFERENCES accounts\(id\)/,
    );
    const hist = await chorus('\\d history');
    assert.match(
      hist,
      /Foreign-key constraints:\n\s+"history_aid_fkey" FOREIGN KEY \(aid\) REFERENCES accounts\(id\)/,
    );
    await assert.rejects(chorus('\\d nosuch'), /Did not find any relation named "nosuch"/);
  });

  test('\\l, \\dn and \\du', async (t) => {
    if (skip(t)) return;
    assert.match(await chorus('\\l'), /chorus\s+\| postgres \| UTF8/);
    assert.match(await chorus('\\dn'), /public \| postgres/);
    assert.match(await chorus('\\du'), /postgres\s+\| Superuser/);
  });
});

describe('compared with PostgreSQL', () => {
  test('\\dt and \\d print the same tables, columns and indexes', async (t) => {
    if (skip(t)) return;
    const found = await findPostgres();
    if ('skip' in found) {
      console.log(`PostgreSQL comparison skipped: ${found.skip}`);
      t.skip(found.skip);
      return;
    }
    const pg = await PostgresServer.start();
    try {
      const real = (c: string, tuples = false): Promise<string> =>
        psql(pg.port, pg.user, pg.database, c, tuples);
      for (const stmt of ddl) await real(stmt);
      // Schema | Name | Type (the owner differs: the connecting role vs postgres).
      const tables = (s: string): string[] =>
        s
          .trim()
          .split('\n')
          .map((l) => l.split('|').slice(0, 3).join('|'));
      assert.deepEqual(tables(await chorus('\\dt', true)), tables(await real('\\dt', true)));
      for (const table of ['accounts', 'history']) {
        assert.equal(await chorus(`\\d ${table}`), await real(`\\d ${table}`), `\\d ${table}`);
      }
      // \l: the same columns and layout (the databases differ: one per node here, three in PostgreSQL).
      const header = (s: string): string[] => (s.split('\n')[1] ?? '').split('|').map((c) => c.trim());
      assert.deepEqual(header(await chorus('\\l')), header(await real('\\l')));
      // The schema pgbench -i builds: created keyless, loaded, then ALTER TABLE ... ADD PRIMARY KEY.
      const pgbench = findPgbench();
      if ('skip' in pgbench) {
        console.log(`pgbench part of the psql comparison skipped: ${pgbench.skip}`);
        return;
      }
      for (const target of [
        { host: '127.0.0.1', port: server!.pgPort, user: 'anyone', db: 'anydb' },
        { host: '127.0.0.1', port: pg.port, user: pg.user, db: pg.database },
      ]) {
        const r = await runPgbench(pgbench.path, target, ['-i', '-s', '1', '-q'], 120_000);
        assert.equal(r.code, 0, r.output);
      }
      assert.deepEqual(tables(await chorus('\\dt', true)), tables(await real('\\dt', true)));
      for (const table of ['pgbench_accounts', 'pgbench_branches', 'pgbench_tellers', 'pgbench_history']) {
        assert.equal(await chorus(`\\d ${table}`), await real(`\\d ${table}`), `\\d ${table}`);
      }
    } finally {
      await pg.stop();
    }
  });
});
