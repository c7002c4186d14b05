// An embedded node (no sockets): change capture into the log, DDL handling, internal-table guards,
// PostgreSQL transaction rules and admin SQL, through the library API.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type ChorusNode, openNode } from '../../src/node/node.js';

describe('embedded node', () => {
  let dir: string;
  let node: ChorusNode;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'chorus-node-'));
    node = openNode({ load: { flags: { dataDir: dir, nodeId: 'unit1', logLevel: 'silent' } } });
  });
  after(async () => {
    await node.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const log = async (table: string) =>
    (
      await node.query(
        `SELECT origin, origin_seq, txid, operation, primary_key, columns FROM replicate.log WHERE table_name = '${table}' ORDER BY lsn`,
      )
    ).rows;

  test('every kind of change is captured in the same transaction, with the changed columns only', async () => {
    await node.exec('CREATE TABLE c1 (id INTEGER PRIMARY KEY, a TEXT, b BYTEA, n REAL)');
    await node.exec("INSERT INTO c1 VALUES (1, 'x', '\\x00ff', 1.5)");
    await node.exec("UPDATE c1 SET a = 'y', n = n WHERE id = 1");
    await node.exec('UPDATE c1 SET a = a WHERE id = 1');
    await node.exec('DELETE FROM c1 WHERE id = 1');
    const rows = await log('c1');
    assert.deepEqual(
      rows.map((r) => [r.operation, r.primary_key, r.columns]),
      [
        [
          'DDL',
          null,
          JSON.stringify({
            sql: 'CREATE TABLE "c1" ("id" INTEGER NOT NULL, "a" TEXT, "b" BYTEA, "n" FLOAT4_BLOB, CONSTRAINT "c1_pkey" PRIMARY KEY ("id"))',
          }),
        ],
        ['INSERT', '[1]', '{"id":1,"a":"x","b":{"$b":"00FF"},"n":1.5}'],
        ['UPDATE', '[1]', '{"a":"y"}'],
        ['UPDATE', '[1]', '{}'],
        ['DELETE', '[1]', null],
      ],
    );
    assert.ok(rows.every((r) => r.origin === 'unit1'));
  });

  test('origin sequence numbers have no gaps across rollbacks and failures', async () => {
    await node.exec('CREATE TABLE c2 (id INTEGER PRIMARY KEY)');
    await node.exec('INSERT INTO c2 VALUES (1)');
    await assert.rejects(node.exec('INSERT INTO c2 VALUES (2); INSERT INTO c2 VALUES (1)'), {
      sqlstate: '23505',
    });
    await node.exec('BEGIN; INSERT INTO c2 VALUES (3); ROLLBACK');
    await node.exec('INSERT INTO c2 VALUES (4); INSERT INTO c2 VALUES (5)');
    const all = (
      await node.query(
        "SELECT DISTINCT origin_seq FROM replicate.log WHERE origin = 'unit1' ORDER BY origin_seq",
      )
    ).rows.map((r) => Number(r.origin_seq));
    assert.deepEqual(
      all,
      Array.from({ length: all.length }, (_, i) => i + 1),
    );
    const c2 = await log('c2');
    assert.deepEqual(
      c2.map((r) => r.primary_key),
      [null, '[1]', '[4]', '[5]'],
    );
    // the two inserts of one implicit transaction share a txid and an origin_seq
    assert.equal(c2[2]!.txid, c2[3]!.txid);
    assert.equal(c2[2]!.origin_seq, c2[3]!.origin_seq);
  });

  test('a table without a primary key captures inserts; UPDATE and DELETE are refused with 55000', async () => {
    const [created] = await node.exec('CREATE TABLE nopk (a int, b text)');
    assert.match(created!.notices.map((n) => n.message).join('\n'), /no primary key/);
    await node.exec("INSERT INTO nopk VALUES (1, 'x'), (1, 'x')");
    for (const sql of ["UPDATE nopk SET b = 'y'", 'DELETE FROM nopk WHERE a = 1']) {
      await assert.rejects(
        node.exec(sql),
        (e: Error & { sqlstate: string; hint: string }) =>
          e.sqlstate === '55000' && /ADD PRIMARY KEY/.test(e.hint),
      );
    }
    // the refused statements left the rows alone
    assert.equal((await node.query('SELECT count(*) AS n FROM nopk')).rows[0]!.n, 2n);
    // The TRUNCATE carries the vector this node had applied: peers remove only the rows it covers.
    const seen = node.engine.appliedVector();
    await node.exec('TRUNCATE nopk');
    assert.deepEqual(
      (await log('nopk')).map((r) => [r.operation, r.primary_key, r.columns]),
      [
        ['DDL', null, JSON.stringify({ sql: 'CREATE TABLE "nopk" ("a" INTEGER, "b" TEXT)' })],
        ['INSERT', '[]', '{"a":1,"b":"x"}'],
        ['INSERT', '[]', '{"a":1,"b":"x"}'],
        ['DDL', null, JSON.stringify({ sql: 'TRUNCATE "nopk"', tableOp: { kind: 'truncate', seen } })],
      ],
    );
    assert.equal((await node.query('SELECT count(*) AS n FROM nopk')).rows[0]!.n, 0n);
  });

  test('ALTER TABLE ... ADD PRIMARY KEY rebuilds the table with its rows, indexes and capture', async () => {
    await node.exec('CREATE TABLE addpk (id int, grp int, v text)');
    await node.exec('CREATE INDEX addpk_grp ON addpk (grp)');
    await node.exec('CREATE VIEW addpk_view AS SELECT id, v FROM addpk');
    await node.exec("INSERT INTO addpk VALUES (1, 10, 'a'), (2, 20, 'b'), (2, 20, 'dup'), (NULL, 30, 'n')");
    await assert.rejects(node.exec('ALTER TABLE addpk ADD PRIMARY KEY (id)'), { sqlstate: '23502' });
    await node.exec('TRUNCATE addpk');
    await node.exec("INSERT INTO addpk VALUES (1, 10, 'a'), (2, 20, 'b'), (2, 20, 'dup')");
    await assert.rejects(
      node.exec('ALTER TABLE addpk ADD PRIMARY KEY (id)'),
      (e: Error & { sqlstate: string; detail: string }) =>
        e.sqlstate === '23505' && e.detail === 'Key (id)=(2) is duplicated.',
    );
    await assert.rejects(node.exec('ALTER TABLE addpk ADD PRIMARY KEY (nope)'), { sqlstate: '42703' });
    await node.exec('ALTER TABLE addpk ADD CONSTRAINT addpk_pkey PRIMARY KEY (id, v)');
    await assert.rejects(node.exec('ALTER TABLE addpk ADD PRIMARY KEY (id)'), { sqlstate: '42P16' });
    assert.deepEqual(
      (await node.query('SELECT id, grp, v FROM addpk_view JOIN addpk USING (id, v) ORDER BY v')).rows,
      [
        { id: 1n, grp: 10n, v: 'a' },
        { id: 2n, grp: 20n, v: 'b' },
        { id: 2n, grp: 20n, v: 'dup' },
      ],
    );
    const info = (await node.query('PRAGMA table_info(addpk)')).rows;
    assert.deepEqual(
      info.map((r) => ({ name: r.name, pk: r.pk, nn: r.notnull })),
      [
        { name: 'id', pk: 1n, nn: 1n },
        { name: 'grp', pk: 0n, nn: 0n },
        { name: 'v', pk: 2n, nn: 1n },
      ],
    );
    const idx = (await node.query('PRAGMA index_list(addpk)')).rows.filter((r) => r.origin === 'c');
    assert.deepEqual(
      idx.map((r) => r.name),
      ['addpk_grp'],
    );
    await node.exec("UPDATE addpk SET grp = 21 WHERE id = 2 AND v = 'dup'");
    await node.exec("DELETE FROM addpk WHERE v = 'a'");
    const tail = (await log('addpk')).slice(-3).map((r) => [r.operation, r.primary_key, r.columns]);
    assert.deepEqual(tail, [
      [
        'DDL',
        null,
        JSON.stringify({
          sql: 'ALTER TABLE "addpk" ADD CONSTRAINT "addpk_pkey" PRIMARY KEY ("id", "v")',
          tableOp: { kind: 'add_primary_key', columns: ['id', 'v'], constraint: 'addpk_pkey' },
        }),
      ],
      ['UPDATE', '[2,"dup"]', '{"grp":21}'],
      ['DELETE', '[1,"a"]', null],
    ]);
  });

  test('UNLOGGED tables are not captured', async () => {
    await node.exec('CREATE UNLOGGED TABLE scratch (a int)');
    await node.exec('INSERT INTO scratch VALUES (1)');
    assert.deepEqual(await log('scratch'), []);
    // Temporary tables neither (session/temp/): nothing of them reaches the log or the registry.
    await node.exec('CREATE TEMP TABLE tmp (a int PRIMARY KEY); INSERT INTO tmp VALUES (1)');
    assert.deepEqual(await log('tmp'), []);
    const tables = (
      await node.query(
        "SELECT table_name, replicated FROM replicate.tables WHERE table_name IN ('scratch', 'c2', 'tmp') ORDER BY 1",
      )
    ).rows;
    assert.deepEqual(tables, [
      { table_name: 'c2', replicated: 1n },
      { table_name: 'scratch', replicated: 0n },
    ]);
  });

  test('ALTER TABLE regenerates capture: new columns are captured, renames keep capturing', async () => {
    await node.exec('CREATE TABLE c3 (id INTEGER PRIMARY KEY, a TEXT)');
    await node.exec('ALTER TABLE c3 ADD COLUMN extra INTEGER');
    await node.exec("INSERT INTO c3 VALUES (1, 'a', 7)");
    await node.exec('ALTER TABLE c3 RENAME TO c3b');
    await node.exec('UPDATE c3b SET extra = 8');
    assert.deepEqual((await log('c3')).map((r) => r.columns).slice(2), [
      '{"id":1,"a":"a","extra":7}',
      // RENAME TO travels as a table operation (peers move the table's metadata with it).
      '{"sql":"ALTER TABLE \\"c3\\" RENAME TO \\"c3b\\"","tableOp":{"kind":"rename_table","to":"c3b"}}',
    ]);
    assert.deepEqual(
      (await log('c3b')).map((r) => [r.operation, r.columns]),
      [['UPDATE', '{"extra":8}']],
    );
  });

  test('internal tables cannot be read, written or dropped, and are hidden from the catalog', async () => {
    for (const sql of [
      'SELECT * FROM _chorus_log',
      'DELETE FROM _chorus_log',
      'DROP TABLE _chorus_tx',
      'INSERT INTO "_CHORUS_META" VALUES (1, 2)',
      'PRAGMA table_info(_chorus_log)',
      'SELECT name FROM sqlite_master',
    ]) {
      await assert.rejects(node.exec(sql), { sqlstate: '42P01' }, sql);
    }
    // The capture triggers do not exist as far as a client can tell (PostgreSQL: 42704).
    await assert.rejects(node.exec('DROP TRIGGER _chorus_cap_i_c1 ON c1'), { sqlstate: '42704' });
    await assert.rejects(node.exec('PRAGMA writable_schema = 1'), { sqlstate: '42501' });
    // SQLite's pragma table functions are not PostgreSQL functions, with a bound name or not.
    await assert.rejects(node.exec('SELECT * FROM pragma_table_info($1)', ['_chorus_log']), {
      sqlstate: '42883',
    });
    await assert.rejects(node.exec("ATTACH 'x.db' AS x"), { sqlstate: '42601' });
    const names = (await node.query('SELECT relname FROM pg_catalog.pg_class')).rows.map((r) =>
      String(r.relname),
    );
    assert.ok(names.includes('c1'));
    assert.ok(!names.some((n) => n.startsWith('_chorus_')), names.join(','));
  });

  test('a failed transaction block refuses statements until ROLLBACK', async () => {
    await node.exec('CREATE TABLE c4 (id INTEGER PRIMARY KEY)');
    const s = node.openSession();
    const run = (sql: string) => {
      const [p] = node.plans.planSimple(sql);
      return s.execute(p!.prepared, p!.params);
    };
    try {
      await run('BEGIN');
      await run('INSERT INTO c4 VALUES (1)');
      await assert.rejects(run('INSERT INTO c4 VALUES (1)'), { sqlstate: '23505' });
      assert.equal(s.txStatus, 'E');
      await assert.rejects(run('SELECT 1'), { sqlstate: '25P02' });
      assert.equal((await run('COMMIT')).tag, 'ROLLBACK');
      assert.equal(s.txStatus, 'I');
      assert.deepEqual((await node.query('SELECT count(*) AS n FROM c4')).rows, [{ n: 0n }]);
    } finally {
      node.closeSession(s);
    }
  });

  test('group commit: concurrent autocommit writes share commits; a failing member undoes only itself', async () => {
    await node.exec('CREATE TABLE g1 (id INTEGER PRIMARY KEY, v TEXT)');
    await node.exec("INSERT INTO g1 VALUES (7, 'existing')");
    const ids = Array.from({ length: 20 }, (_, i) => i + 1); // includes 7: a duplicate
    const outcomes = await Promise.allSettled(
      ids.map((id) => node.exec('INSERT INTO g1 VALUES ($1, $2)', [BigInt(id), `v${id}`])),
    );
    const failed = outcomes.flatMap((o, i) =>
      o.status === 'rejected' ? [[ids[i], (o.reason as { sqlstate: string }).sqlstate]] : [],
    );
    assert.deepEqual(failed, [[7, '23505']]);
    const rows = (await node.query('SELECT id, v FROM g1 ORDER BY id')).rows;
    assert.equal(rows.length, 20);
    assert.equal(rows.find((r) => r.id === 7n)?.v, 'existing');
    const inserts = (await log('g1')).filter((r) => r.operation === 'INSERT');
    assert.deepEqual(inserts.map((r) => r.primary_key).sort(), [...ids.map((i) => `[${i}]`)].sort());
    // the 19 concurrent inserts were committed in fewer transactions than statements
    assert.ok(new Set(inserts.slice(1).map((r) => r.txid)).size < 19);
  });

  test('admin SQL: replicate.status(), named arguments, views in joins', async () => {
    const st = await node.query('SELECT replicate.status()');
    assert.equal(st.rows[0]!.node_id, 'unit1');
    assert.equal(st.rows[0]!.role, 'standalone');
    const lsn = (await node.query('SELECT max(lsn) AS m FROM replicate.log')).rows[0]!.m;
    assert.equal(st.rows[0]!.current_lsn, lsn);
    const joined = await node.query(
      'SELECT s.node_id, count(*) AS n FROM pg_replication_status s JOIN replicate.tables t ON t.replicated GROUP BY s.node_id',
    );
    assert.equal(joined.rows[0]!.node_id, 'unit1');
    await assert.rejects(node.exec('SELECT replicate.nosuch()'), { sqlstate: '42883' });
    await assert.rejects(node.exec('SELECT replicate.status(bogus => 1)'), { sqlstate: '42883' });
  });
});
