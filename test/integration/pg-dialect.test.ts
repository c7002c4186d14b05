// The PostgreSQL dialect layer end to end through an embedded node: casts, SERIAL, storage options,
// multi-table DROP, TRUNCATE, VACUUM/ANALYZE, date/time functions, ILIKE, percentile_cont, and
// 0A000 for what is not supported.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ChorusError } from '../../src/errors.js';
import { type ChorusNode, openNode } from '../../src/node/node.js';
import { registerPgFunctions } from '../../src/sql/pg-functions.js';

describe('PostgreSQL dialect (embedded node)', () => {
  let dir: string;
  let node: ChorusNode;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'chorus-pgdialect-'));
    node = openNode({ load: { flags: { dataDir: dir, nodeId: 'pgd1', logLevel: 'silent' } } });
    // Until registerSqlFunctions registers them everywhere: the writer has them (reads below that
    // need them run inside a write transaction, which executes on the writer).
    registerPgFunctions(node.engine.writer);
  });
  after(async () => {
    await node.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const row = async (sql: string): Promise<Record<string, unknown>> => {
    const r = (await node.query(sql)).rows[0];
    assert.ok(r, `no row from ${sql}`);
    return r;
  };
  /** Run a SELECT on the writer: inside BEGIN ... COMMIT after a write. */
  const onWriter = async (sql: string): Promise<Record<string, unknown>[]> => {
    const results = await node.exec(`BEGIN; INSERT INTO w_marker VALUES (NULL); ${sql}; COMMIT`);
    const res = results[2]!;
    const columns = (res.columns ?? []).map((c) => c.name);
    return res.rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]])));
  };
  const s = (v: unknown): string => String(v);

  test('SERIAL primary keys autoincrement; storage options are accepted', async () => {
    await node.exec(
      'CREATE TABLE items (id serial PRIMARY KEY, name varchar(20), qty int4, price numeric(10,2), ok boolean) WITH (fillfactor=70) TABLESPACE pg_default',
    );
    await node.exec("INSERT INTO items (name, qty, price, ok) VALUES ('Apple', 3, 1.5, 'true'::boolean)");
    await node.exec("INSERT INTO items (name, qty, price, ok) VALUES ('banana', '7'::int, 2, false)");
    const r = (await node.query('SELECT id, name, qty, ok FROM items ORDER BY id')).rows;
    assert.deepEqual(
      r.map((x) => [s(x.id), x.name, s(x.qty)]),
      [
        ['1', 'Apple', '3'],
        ['2', 'banana', '7'],
      ],
    );
    await node.exec('CREATE TABLE big (id BIGSERIAL PRIMARY KEY, v text)');
    await node.exec("INSERT INTO big (v) VALUES ('a'), ('b')");
    assert.equal(s((await row('SELECT max(id) AS m FROM big')).m), '2');
    await node.exec('CREATE TABLE ident (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text)');
    await node.exec("INSERT INTO ident (v) VALUES ('a'), ('b')");
    assert.equal(s((await row('SELECT max(id) AS m FROM ident')).m), '2');
    await node.exec('CREATE UNLOGGED TABLE w_marker (id serial PRIMARY KEY)');
  });

  test('casts', async () => {
    const r = await row(
      "SELECT '42'::int + 1 AS a, 3.7::text AS b, '2.5'::float8 * 2 AS c, 't'::bool AS d, CAST('12' AS bigint) AS e, (1 + 1)::text AS f, 'x::int' AS g",
    );
    assert.deepEqual(
      [s(r.a), s(r.b), s(r.c), s(r.d), s(r.e), s(r.f), r.g],
      ['43', '3.7', '5', '1', '12', '2', 'x::int'],
    );
    const p = (await node.query('SELECT $1::int + 1 AS n', ['41'])).rows[0]!;
    assert.equal(s(p.n), '42');
  });

  test('ILIKE, EXTRACT, intervals and literal date_trunc (no functions needed)', async () => {
    const r = (
      await node.query("SELECT name FROM items WHERE name ILIKE 'a%' OR name ILIKE 'B%' ORDER BY id")
    ).rows;
    assert.deepEqual(
      r.map((x) => x.name),
      ['Apple', 'banana'],
    );
    const t = await row(
      "SELECT EXTRACT(EPOCH FROM '1970-01-02 00:00:00') AS e, extract(year from '2024-05-17 10:11:12') AS y, '2024-01-31 10:00:00'::timestamp + INTERVAL '1 day 2 hours' AS plus, '2024-03-01 00:00:00' - interval '1 month' AS minus, date_trunc('hour', '2024-05-17 10:11:12') AS h",
    );
    assert.deepEqual(
      [s(t.e), s(t.y), t.plus, t.minus, t.h],
      ['86400', '2024', '2024-02-01 12:00:00', '2024-02-01 00:00:00', '2024-05-17 10:00:00'],
    );
    const n = await row("SELECT now() AS n, now() + INTERVAL '5 minutes' > now() AS later");
    assert.match(String(n.n), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\+00:00$/);
    assert.equal(s(n.later), '1');
    await node.exec('CREATE TABLE events (id serial PRIMARY KEY, at timestamptz DEFAULT now())');
    await node.exec('INSERT INTO events DEFAULT VALUES');
    assert.match(String((await row('SELECT at FROM events')).at), /\+00:00$/);
  });

  test('date_trunc with a computed unit and percentile_cont (SQL functions, on the writer)', async () => {
    await node.exec('CREATE TABLE m (id serial PRIMARY KEY, v real)');
    await node.exec('INSERT INTO m (v) VALUES (1), (2), (3), (4)');
    const rows = await onWriter(
      "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v) AS med, percentile_cont(0.25) WITHIN GROUP (ORDER BY v DESC) AS q, percentile_disc(0.5) WITHIN GROUP (ORDER BY v) AS d, date_trunc(lower('MONTH'), '2024-05-17 10:11:12') AS mo FROM m",
    );
    assert.deepEqual(
      [s(rows[0]!.med), s(rows[0]!.q), s(rows[0]!.d), rows[0]!.mo],
      ['2.5', '3.25', '2', '2024-05-01 00:00:00'],
    );
  });

  test('TRUNCATE (with RESTART IDENTITY) and multi-table DROP', async () => {
    await node.exec('CREATE TABLE seq_t (id INTEGER PRIMARY KEY AUTOINCREMENT, v text)');
    await node.exec("INSERT INTO seq_t (v) VALUES ('a'), ('b')");
    await node.exec('TRUNCATE TABLE seq_t, big RESTART IDENTITY CASCADE');
    assert.equal(s((await row('SELECT count(*) AS c FROM big')).c), '0');
    await node.exec("INSERT INTO seq_t (v) VALUES ('c')");
    assert.equal(s((await row('SELECT id FROM seq_t')).id), '1');
    await node.exec('TRUNCATE items');
    assert.equal(s((await row('SELECT count(*) AS c FROM items')).c), '0');
    await node.exec('DROP TABLE IF EXISTS seq_t, big, nope CASCADE');
    const left = (await node.query("SELECT name FROM sqlite_master WHERE name IN ('seq_t', 'big')")).rows;
    assert.equal(left.length, 0);
  });

  test('VACUUM and ANALYZE with PostgreSQL options', async () => {
    await node.exec('VACUUM FULL ANALYZE items');
    await node.exec('VACUUM (VERBOSE) items');
    await node.exec('ANALYZE VERBOSE items');
  });

  test('pgbench-style: keyless CREATE with storage options, load, then ADD PRIMARY KEY', async () => {
    await node.exec('CREATE TABLE nopk (a int not null, b int) WITH (fillfactor=50)');
    await node.exec('INSERT INTO nopk SELECT value, value * 2 FROM generate_series(1, 1000)');
    await node.exec('ALTER TABLE nopk ADD PRIMARY KEY (a)');
    assert.equal(s((await row('SELECT b FROM nopk WHERE a = 500')).b), '1000');
    await assert.rejects(node.exec('ALTER TABLE nopk ADD PRIMARY KEY (b)'), (e: unknown) => {
      return e instanceof ChorusError && e.sqlstate === '42P16';
    });
  });

  test('unsupported constructs fail with 0A000 naming them', async () => {
    for (const [sql, name] of [
      ['CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END $$ LANGUAGE plpgsql', 'CREATE FUNCTION'],
      ['CREATE EXTENSION IF NOT EXISTS pgcrypto', 'CREATE EXTENSION'],
      ['CREATE SCHEMA app', 'CREATE SCHEMA'],
      ['LISTEN jobs', 'LISTEN'],
      ["NOTIFY jobs, 'x'", 'NOTIFY'],
      ['GRANT SELECT ON items TO bob', 'GRANT'],
      ['REVOKE ALL ON items FROM bob', 'REVOKE'],
    ] as const) {
      await assert.rejects(
        node.exec(sql),
        (e: unknown) => e instanceof ChorusError && e.sqlstate === '0A000' && e.message.includes(name),
        sql,
      );
    }
  });
});
