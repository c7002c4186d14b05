// Delta columns (replication/apply/columns/delta-columns.ts) on simulated nodes: concurrent increments of
// one integer column on two partitioned masters add up on both (last-write-wins loses one), a reset
// (SET c = 5) adds to the concurrent increments, the column keeps its SQL type, and what cannot be a
// delta column is refused with a SQLSTATE and nothing changed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ChorusNode } from '../../src/node/node.js';
import { simPair } from '../support/sim-pair.js';

const root = mkdtempSync(join(tmpdir(), 'chorus-delta-'));
after(() => rmSync(root, { recursive: true, force: true }));

const pair = (seed: number, prefix: string) => simPair(root, seed, prefix);

async function balances(n: ChorusNode): Promise<unknown[]> {
  return (await n.query('SELECT id, bal, hits FROM acct ORDER BY id')).rows;
}

async function errorOf(p: Promise<unknown>): Promise<{ sqlstate?: string; message: string } | null> {
  try {
    await p;
    return null;
  } catch (e) {
    return e as { sqlstate?: string; message: string };
  }
}

test('concurrent increments of a delta column add up on both masters; a plain column keeps the later write', async () => {
  const { world, fabric, a, b } = await pair(11, 'd1');
  try {
    await a.exec('CREATE TABLE acct (id INTEGER PRIMARY KEY, bal INTEGER NOT NULL, hits INTEGER NOT NULL)');
    await a.exec('INSERT INTO acct VALUES (1, 100, 0), (2, -5, 0)');
    await a.exec("ALTER TABLE acct ALTER COLUMN bal SET REPLICATION CONFLICT_RESOLVER = 'delta'");
    await world.runFor(500);
    assert.deepEqual(
      (await b.query("SELECT delta_columns FROM replicate.tables WHERE table_name = 'acct'")).rows,
      [{ delta_columns: 'bal' }],
    );
    fabric.partition(a.nodeId, b.nodeId);
    for (let i = 0; i < 5; i++) {
      await a.exec('UPDATE acct SET bal = bal + 10, hits = hits + 1 WHERE id = 1');
      await b.exec('UPDATE acct SET bal = bal - 3, hits = hits + 1 WHERE id = 1');
      await world.runFor(10);
    }
    await b.exec('UPDATE acct SET bal = 0 WHERE id = 2'); // a reset: +5 from -5
    await a.exec('UPDATE acct SET bal = bal + 1 WHERE id = 2');
    fabric.heal(a.nodeId, b.nodeId);
    await world.runFor(2_000);
    const expected = [
      // 100 + 5 * 10 - 5 * 3; the plain column took one side's last write (5), not 10.
      { id: 1n, bal: 135n, hits: 5n },
      // -5, reset to 0 on b (+5) while a added 1: both changes count.
      { id: 2n, bal: 1n, hits: 0n },
    ];
    assert.deepEqual(await balances(a), expected);
    assert.deepEqual(await balances(b), expected);
    // The column is still an integer column for clients.
    const t = await a.query('SELECT pg_typeof(bal)::text AS t FROM acct WHERE id = 1');
    assert.deepEqual(t.rows, [{ t: 'integer' }]);
    // Conflicts are recorded for the plain column only: the delta column's changes all count.
    const conflicts = await a.query(
      "SELECT master_1_value::text AS m1, master_2_value::text AS m2 FROM replicate.conflicts WHERE table_name = 'acct'",
    );
    assert.ok(conflicts.rows.length > 0, 'the plain column had conflicts');
    for (const c of conflicts.rows) assert.doesNotMatch(`${c.m1} ${c.m2}`, /"bal"/);
  } finally {
    await a.close();
    await b.close();
  }
});

test('back to last-write-wins with DEFAULT; inserts after the switch are counted from their value', async () => {
  const { world, fabric, a, b } = await pair(12, 'd2');
  try {
    await a.exec(
      'CREATE TABLE acct (id INTEGER PRIMARY KEY, bal BIGINT NOT NULL, hits INTEGER NOT NULL DEFAULT 0)',
    );
    await a.exec("ALTER TABLE acct ALTER COLUMN bal SET REPLICATION CONFLICT_RESOLVER = 'delta'");
    await a.exec('INSERT INTO acct (id, bal) VALUES (1, 7)');
    await world.runFor(500);
    fabric.partition(a.nodeId, b.nodeId);
    await a.exec('UPDATE acct SET bal = bal + 1 WHERE id = 1');
    await b.exec('UPDATE acct SET bal = bal + 2 WHERE id = 1');
    fabric.heal(a.nodeId, b.nodeId);
    await world.runFor(2_000);
    for (const n of [a, b]) assert.deepEqual(await balances(n), [{ id: 1n, bal: 10n, hits: 0n }]);
    await b.exec('ALTER TABLE acct ALTER bal SET REPLICATION CONFLICT_RESOLVER = DEFAULT');
    await world.runFor(500);
    assert.deepEqual(
      (await a.query("SELECT delta_columns FROM replicate.tables WHERE table_name = 'acct'")).rows,
      [{ delta_columns: null }],
    );
    fabric.partition(a.nodeId, b.nodeId);
    await a.exec('UPDATE acct SET bal = bal + 1 WHERE id = 1');
    await world.runFor(5);
    await b.exec('UPDATE acct SET bal = bal + 2 WHERE id = 1');
    fabric.heal(a.nodeId, b.nodeId);
    await world.runFor(2_000);
    // Last-write-wins again: b's later write (12) wins on both.
    for (const n of [a, b]) assert.deepEqual(await balances(n), [{ id: 1n, bal: 12n, hits: 0n }]);
  } finally {
    await a.close();
    await b.close();
  }
});

test('what cannot be a delta column is refused with a SQLSTATE', async () => {
  const { a, b } = await pair(13, 'd3');
  try {
    await a.exec(
      "CREATE TABLE t (id INTEGER PRIMARY KEY, maybe INTEGER, amount NUMERIC(10,2) NOT NULL DEFAULT 0, name TEXT NOT NULL DEFAULT '')",
    );
    await a.exec('CREATE TABLE h (v INTEGER NOT NULL)');
    const set = (sql: string) => errorOf(a.exec(sql));
    const cases: [string, string, RegExp][] = [
      [
        "ALTER TABLE t ALTER COLUMN maybe SET REPLICATION CONFLICT_RESOLVER = 'delta'",
        '55000',
        /must be NOT NULL/,
      ],
      [
        "ALTER TABLE t ALTER COLUMN amount SET REPLICATION CONFLICT_RESOLVER = 'delta'",
        '0A000',
        /smallint, integer or bigint/,
      ],
      [
        "ALTER TABLE t ALTER COLUMN name SET REPLICATION CONFLICT_RESOLVER = 'delta'",
        '0A000',
        /smallint, integer or bigint/,
      ],
      ["ALTER TABLE t ALTER COLUMN id SET REPLICATION CONFLICT_RESOLVER = 'delta'", '0A000', /primary key/],
      [
        "ALTER TABLE t ALTER COLUMN nope SET REPLICATION CONFLICT_RESOLVER = 'delta'",
        '42703',
        /does not exist/,
      ],
      ["ALTER TABLE h ALTER COLUMN v SET REPLICATION CONFLICT_RESOLVER = 'delta'", '0A000', /primary key/],
      [
        "ALTER TABLE t ALTER COLUMN maybe SET REPLICATION CONFLICT_RESOLVER = 'keep_higher'",
        '0A000',
        /'delta'/,
      ],
      [
        "ALTER TABLE nope ALTER COLUMN x SET REPLICATION CONFLICT_RESOLVER = 'delta'",
        '42P01',
        /does not exist/,
      ],
    ];
    for (const [sql, code, message] of cases) {
      const e = await set(sql);
      assert.equal(e?.sqlstate, code, sql);
      assert.match(e!.message, message, sql);
    }
    assert.deepEqual(
      (await a.query('SELECT count(*) AS n FROM replicate.tables WHERE delta_columns IS NOT NULL')).rows,
      [{ n: 0n }],
    );
  } finally {
    await a.close();
    await b.close();
  }
});
