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
import { clientQuery, clientRows } from '../support/client-values.js';

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

  /** The first row as a PostgreSQL client receives it (int8 and numeric as strings, bool, Date, ...). */
  const row = async (sql: string): Promise<Record<string, unknown>> => {
    const r = (await clientQuery(node, sql))[0];
    assert.ok(r, `no row from ${sql}`);
    return r;
  };
  /** Run a SELECT on the writer: inside BEGIN ... COMMIT after a write. */
  const onWriter = async (sql: string): Promise<Record<string, unknown>[]> => {
    const results = await node.exec(`BEGIN; INSERT INTO w_marker DEFAULT VALUES; ${sql}; COMMIT`);
    return clientRows(node, results[2]!);
  };

  test('SERIAL primary keys autoincrement; storage options are accepted', async () => {
    await node.exec(
      'CREATE TABLE items (id serial PRIMARY KEY, name varchar(20), qty int4, price numeric(10,2), ok boolean) WITH (fillfactor=70) TABLESPACE pg_default',
    );
    await node.exec("INSERT INTO items (name, qty, price, ok) VALUES ('Apple', 3, 1.5, 'true'::boolean)");
    await node.exec("INSERT INTO items (name, qty, price, ok) VALUES ('banana', '7'::int, 2, false)");
    const r = await clientQuery(node, 'SELECT id, name, qty, price, ok FROM items ORDER BY id');
    assert.deepEqual(r, [
      { id: 1, name: 'Apple', qty: 3, price: '1.50', ok: true },
      { id: 2, name: 'banana', qty: 7, price: '2.00', ok: false },
    ]);
    await node.exec('CREATE TABLE big (id BIGSERIAL PRIMARY KEY, v text)');
    await node.exec("INSERT INTO big (v) VALUES ('a'), ('b')");
    assert.equal((await row('SELECT max(id) AS m FROM big')).m, '2');
    await node.exec('CREATE TABLE ident (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text)');
    await node.exec("INSERT INTO ident (v) VALUES ('a'), ('b')");
    assert.equal((await row('SELECT max(id) AS m FROM ident')).m, '2');
    await node.exec('CREATE UNLOGGED TABLE w_marker (id serial PRIMARY KEY)');
  });

  test('casts', async () => {
    const r = await row(
      "SELECT '42'::int + 1 AS a, 3.7::text AS b, '2.5'::float8 * 2 AS c, 't'::bool AS d, CAST('12' AS bigint) AS e, (1 + 1)::text AS f, 'x::int' AS g",
    );
    assert.deepEqual([r.a, r.b, r.c, r.d, r.e, r.f, r.g], [43, '3.7', 5, true, '12', '2', 'x::int']);
    const [p] = await clientQuery(node, 'SELECT $1::int + 1 AS n', ['41']);
    assert.equal(p!.n, 42);
  });

  test('ILIKE, EXTRACT, intervals and literal date_trunc (no functions needed)', async () => {
    const r = (
      await node.query("SELECT name FROM items WHERE name ILIKE 'a%' OR name ILIKE 'B%' ORDER BY id")
    ).rows;
    assert.deepEqual(
      r.map((x) => x.name),
      ['Apple', 'banana'],
    );
    // Untyped literals need a type where PostgreSQL cannot choose one (extract(unknown, unknown) is
    // ambiguous there too); EXTRACT gives numeric in PostgreSQL 15.
    const t = await row(
      "SELECT EXTRACT(EPOCH FROM timestamp '1970-01-02 00:00:00') AS e, extract(year from timestamp '2024-05-17 10:11:12') AS y, ('2024-01-31 10:00:00'::timestamp + INTERVAL '1 day 2 hours')::text AS plus, (timestamp '2024-03-01 00:00:00' - interval '1 month')::text AS minus, date_trunc('hour', timestamp '2024-05-17 10:11:12')::text AS h",
    );
    assert.deepEqual(
      [t.e, t.y, t.plus, t.minus, t.h],
      ['86400.000000', '2024', '2024-02-01 12:00:00', '2024-02-01 00:00:00', '2024-05-17 10:00:00'],
    );
    await assert.rejects(node.exec("SELECT EXTRACT(EPOCH FROM '1970-01-02 00:00:00')"), {
      sqlstate: '42725',
    });
    const n = await row(
      "SELECT now() AS n, now()::text AS nt, now() + INTERVAL '5 minutes' > now() AS later",
    );
    assert.ok(n.n instanceof Date);
    assert.match(String(n.nt), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?\+00$/);
    assert.equal(n.later, true);
    await node.exec('CREATE TABLE events (id serial PRIMARY KEY, at timestamptz DEFAULT now())');
    await node.exec('INSERT INTO events DEFAULT VALUES');
    const ev = await row('SELECT at, at::text AS at_text FROM events');
    assert.ok(ev.at instanceof Date);
    assert.match(String(ev.at_text), /\+00$/);
  });

  test('date_trunc with a computed unit and percentile_cont (SQL functions, on the writer)', async () => {
    await node.exec('CREATE TABLE m (id serial PRIMARY KEY, v real)');
    await node.exec('INSERT INTO m (v) VALUES (1), (2), (3), (4)');
    const rows = await onWriter(
      "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v) AS med, percentile_cont(0.25) WITHIN GROUP (ORDER BY v DESC) AS q, percentile_disc(0.5) WITHIN GROUP (ORDER BY v) AS d, date_trunc(lower('MONTH'), timestamp '2024-05-17 10:11:12')::text AS mo FROM m",
    );
    assert.deepEqual(
      [rows[0]!.med, rows[0]!.q, rows[0]!.d, rows[0]!.mo],
      [2.5, 3.25, 2, '2024-05-01 00:00:00'],
    );
  });

  test('TRUNCATE (with RESTART IDENTITY) and multi-table DROP', async () => {
    await node.exec('CREATE TABLE seq_t (id serial PRIMARY KEY, v text)');
    await node.exec("INSERT INTO seq_t (v) VALUES ('a'), ('b')");
    await node.exec('TRUNCATE TABLE seq_t, big RESTART IDENTITY CASCADE');
    assert.equal((await row('SELECT count(*) AS c FROM big')).c, '0');
    await node.exec("INSERT INTO seq_t (v) VALUES ('c')");
    assert.equal((await row('SELECT id FROM seq_t')).id, 1);
    await node.exec('TRUNCATE items');
    assert.equal((await row('SELECT count(*) AS c FROM items')).c, '0');
    await node.exec('DROP TABLE IF EXISTS seq_t, big, nope CASCADE');
    const left = await clientQuery(
      node,
      "SELECT relname FROM pg_catalog.pg_class WHERE relname IN ('seq_t', 'seq_t_pkey', 'big', 'big_pkey')",
    );
    assert.deepEqual(left, []);
  });

  test('VACUUM and ANALYZE with PostgreSQL options', async () => {
    await node.exec('VACUUM FULL ANALYZE items');
    await node.exec('VACUUM (VERBOSE) items');
    await node.exec('ANALYZE VERBOSE items');
  });

  test('pgbench-style: keyless CREATE with storage options, load, then ADD PRIMARY KEY', async () => {
    await node.exec('CREATE TABLE nopk (a int not null, b int) WITH (fillfactor=50)');
    await node.exec('INSERT INTO nopk SELECT g, g * 2 FROM generate_series(1, 1000) AS g');
    await node.exec('ALTER TABLE nopk ADD PRIMARY KEY (a)');
    assert.equal((await row('SELECT b FROM nopk WHERE a = 500')).b, 1000);
    await assert.rejects(node.exec('ALTER TABLE nopk ADD PRIMARY KEY (b)'), (e: unknown) => {
      return e instanceof ChorusError && e.sqlstate === '42P16';
    });
  });

  test('unsupported constructs fail with 0A000 naming them', async () => {
    for (const [sql, name] of [
      ['CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END $$ LANGUAGE plpgsql', 'CREATE FUNCTION'],
      ['CREATE EXTENSION IF NOT EXISTS hstore', 'extension "hstore" is not available'],
      ['CREATE DOMAIN pos AS int', 'CREATE DOMAIN'],
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
