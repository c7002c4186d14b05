// Delta columns at their edges (the review of the first version found each case diverging, losing
// or double-counting): a switch applied on a peer after concurrent writes, turning off and on with
// deltas in flight, dropped and re-created tables and columns, type changes, counts past 2^53, and
// concurrent inserts of one key. Simulated nodes; each test states what every node ends with.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ChorusNode } from '../../src/node/node.js';
import { openSimNode } from '../../src/testing/sim-node.js';
import { simPair } from '../support/sim-pair.js';

const root = mkdtempSync(join(tmpdir(), 'chorus-delta-review-'));
after(() => rmSync(root, { recursive: true, force: true }));

const pair = (seed: number, prefix: string) => simPair(root, seed, prefix);

const bal = async (n: ChorusNode): Promise<unknown[]> =>
  (await n.query('SELECT id, bal FROM acct ORDER BY id')).rows;
const on = "ALTER TABLE acct ALTER COLUMN bal SET REPLICATION CONFLICT_RESOLVER = 'delta'";
const off = 'ALTER TABLE acct ALTER COLUMN bal SET REPLICATION CONFLICT_RESOLVER = DEFAULT';

test('a row changed on a peer before it applied the switch: its plain value becomes the base everywhere', async () => {
  const { world, fabric, a, b } = await pair(21, 'r1');
  try {
    await a.exec('CREATE TABLE acct (id INTEGER PRIMARY KEY, bal INTEGER NOT NULL)');
    await a.exec('INSERT INTO acct VALUES (1, 100)');
    await world.runFor(500);
    fabric.partition(a.nodeId, b.nodeId);
    await a.exec(on); // a seeds $base = 100
    await b.exec('UPDATE acct SET bal = bal + 5 WHERE id = 1'); // plain value 105; b seeds $base = 105 later
    fabric.heal(a.nodeId, b.nodeId);
    await world.runFor(2_000);
    await a.exec('UPDATE acct SET bal = bal + 1 WHERE id = 1');
    await world.runFor(2_000);
    assert.deepEqual(await bal(a), await bal(b), 'nodes diverge');
    assert.deepEqual(await bal(a), [{ id: 1n, bal: 106n }]);
  } finally {
    await a.close();
    await b.close();
  }
});

test('a row inserted on a peer before it applied the switch: later increments add to its value everywhere', async () => {
  const { world, fabric, a, b } = await pair(22, 'r2');
  try {
    await a.exec('CREATE TABLE acct (id INTEGER PRIMARY KEY, bal INTEGER NOT NULL)');
    await world.runFor(500);
    fabric.partition(a.nodeId, b.nodeId);
    await a.exec(on);
    await b.exec('INSERT INTO acct VALUES (2, 50)');
    fabric.heal(a.nodeId, b.nodeId);
    await world.runFor(2_000);
    await b.exec('UPDATE acct SET bal = bal + 1 WHERE id = 2');
    await world.runFor(2_000);
    assert.deepEqual(await bal(b), [{ id: 2n, bal: 51n }]);
    assert.deepEqual(await bal(a), [{ id: 2n, bal: 51n }], 'a applied only the delta +1');
  } finally {
    await a.close();
    await b.close();
  }
});

test('off then on while a delta is in flight: counted once', async () => {
  const { world, fabric, a, b } = await pair(23, 'r3');
  try {
    await a.exec('CREATE TABLE acct (id INTEGER PRIMARY KEY, bal INTEGER NOT NULL)');
    await a.exec('INSERT INTO acct VALUES (1, 100)');
    await a.exec(on);
    await a.exec('UPDATE acct SET bal = bal + 10 WHERE id = 1'); // a: {$base 100, a 10}
    await world.runFor(1_000);
    fabric.partition(a.nodeId, b.nodeId);
    await a.exec('UPDATE acct SET bal = bal + 5 WHERE id = 1'); // ships cumulative {a: 15}
    await b.exec(off);
    await b.exec(on); // b re-seeds $base = 110
    fabric.heal(a.nodeId, b.nodeId);
    await world.runFor(2_000);
    assert.deepEqual(await bal(a), await bal(b), 'nodes diverge');
    assert.deepEqual(await bal(b), [{ id: 1n, bal: 115n }]);
  } finally {
    await a.close();
    await b.close();
  }
});

test('a delta arriving where the column was turned off meanwhile still counts', async () => {
  const { world, fabric, a, b } = await pair(24, 'r4');
  try {
    await a.exec('CREATE TABLE acct (id INTEGER PRIMARY KEY, bal INTEGER NOT NULL)');
    await a.exec('INSERT INTO acct VALUES (1, 100)');
    await a.exec(on);
    await world.runFor(1_000);
    fabric.partition(a.nodeId, b.nodeId);
    await a.exec('UPDATE acct SET bal = bal + 5 WHERE id = 1');
    await b.exec(off);
    fabric.heal(a.nodeId, b.nodeId);
    await world.runFor(2_000);
    assert.deepEqual(await bal(a), await bal(b), 'nodes diverge');
    assert.deepEqual(await bal(b), [{ id: 1n, bal: 105n }]);
  } finally {
    await a.close();
    await b.close();
  }
});

test('DROP TABLE and CREATE again: the new table starts without delta columns or old states', async () => {
  const { world, a, b } = await pair(25, 'r5');
  try {
    await a.exec('CREATE TABLE acct (id INTEGER PRIMARY KEY, bal INTEGER NOT NULL)');
    await a.exec('INSERT INTO acct VALUES (1, 100)');
    await a.exec(on);
    await world.runFor(1_000);
    await a.exec('DROP TABLE acct');
    await a.exec('CREATE TABLE acct (id INTEGER PRIMARY KEY, bal INTEGER NOT NULL)');
    await world.runFor(1_000);
    const d = await b.query("SELECT delta_columns FROM replicate.tables WHERE table_name = 'acct'");
    await b.exec('INSERT INTO acct VALUES (1, 5)');
    await world.runFor(2_000);
    assert.deepEqual(await bal(b), [{ id: 1n, bal: 5n }]);
    assert.deepEqual(await bal(a), [{ id: 1n, bal: 5n }], 'a joined the dropped table’s state');
    assert.deepEqual(d.rows, [{ delta_columns: null }], 'a new table is not delta');
  } finally {
    await a.close();
    await b.close();
  }
});

test('DROP COLUMN then ADD COLUMN of the same name: the new column is an ordinary one', async () => {
  const { world, a, b } = await pair(26, 'r6');
  try {
    await a.exec('CREATE TABLE acct (id INTEGER PRIMARY KEY, bal INTEGER NOT NULL)');
    await a.exec('INSERT INTO acct VALUES (1, 100)');
    await a.exec(on);
    await a.exec('ALTER TABLE acct DROP COLUMN bal');
    await a.exec('ALTER TABLE acct ADD COLUMN bal INTEGER');
    await world.runFor(1_000);
    await a.exec('UPDATE acct SET bal = 1 WHERE id = 1');
    await a.exec('UPDATE acct SET bal = NULL WHERE id = 1'); // 23502 today
    const d = await a.query("SELECT delta_columns FROM replicate.tables WHERE table_name = 'acct'");
    assert.deepEqual(d.rows, [{ delta_columns: null }]);
  } finally {
    await a.close();
    await b.close();
  }
});

test('per-node counts past 2^53 are refused (22003) instead of rounding the value on every node', async () => {
  const { world, a, b } = await pair(27, 'r7');
  try {
    await a.exec('CREATE TABLE acct (id INTEGER PRIMARY KEY, bal BIGINT NOT NULL)');
    await a.exec('INSERT INTO acct VALUES (1, 0)');
    await a.exec(on);
    for (let i = 0; i < 2; i++) {
      await a.exec('UPDATE acct SET bal = 4000000000000001 WHERE id = 1');
      await a.exec('UPDATE acct SET bal = 0 WHERE id = 1');
    }
    // The count of additions would pass 2^53 (3 x 4e15): refused, nothing changed.
    const e = await a.exec('UPDATE acct SET bal = 4000000000000001 WHERE id = 1').then(
      () => null,
      (err: { sqlstate?: string }) => err.sqlstate,
    );
    assert.equal(e, '22003');
    await world.runFor(1_000);
    const want = [{ id: 1n, bal: 0n }];
    assert.deepEqual({ a: await bal(a), b: await bal(b) }, { a: want, b: want });
  } finally {
    await a.close();
    await b.close();
  }
});

test('a concurrent DELETE wins over an increment; re-insert, upserts and a restart converge', async () => {
  const { world, fabric, a, b } = await pair(29, 'r9');
  try {
    await a.exec('CREATE TABLE acct (id INTEGER PRIMARY KEY, bal INTEGER NOT NULL)');
    await a.exec('INSERT INTO acct VALUES (1, 100), (2, 10)');
    await a.exec(on);
    await world.runFor(1_000);
    fabric.partition(a.nodeId, b.nodeId);
    await a.exec('DELETE FROM acct WHERE id = 1');
    await a.exec('INSERT INTO acct VALUES (1, 7)');
    await b.exec('UPDATE acct SET bal = bal + 3 WHERE id = 1');
    await b.exec('INSERT INTO acct VALUES (2, 1) ON CONFLICT (id) DO UPDATE SET bal = acct.bal + 1');
    await a.exec('INSERT INTO acct VALUES (2, 1) ON CONFLICT (id) DO UPDATE SET bal = acct.bal + 2');
    fabric.heal(a.nodeId, b.nodeId);
    await world.runFor(2_000);
    const want = [
      { id: 1n, bal: 7n },
      { id: 2n, bal: 13n },
    ];
    assert.deepEqual(await bal(a), want);
    assert.deepEqual(await bal(b), want);
    await b.close();
    const b2 = openSimNode({ world, fabric, root, id: b.nodeId, peers: [a.nodeId, b.nodeId] });
    await b2.startReplication();
    fabric.partition(a.nodeId, b2.nodeId);
    await b2.exec('UPDATE acct SET bal = bal + 1 WHERE id = 2');
    await a.exec('UPDATE acct SET bal = bal + 1 WHERE id = 2');
    fabric.heal(a.nodeId, b2.nodeId);
    await world.runFor(2_000);
    want[1]!.bal = 15n;
    assert.deepEqual(await bal(a), want);
    assert.deepEqual(await bal(b2), want);
    await b2.close();
  } finally {
    await a.close();
  }
});

test('a peer that cannot seed (a value past 2^53 written before the switch arrived) stays last-write-wins; values converge', async () => {
  const { world, fabric, a, b } = await pair(30, 'r10');
  try {
    await a.exec('CREATE TABLE acct (id INTEGER PRIMARY KEY, bal BIGINT NOT NULL)');
    await a.exec('INSERT INTO acct VALUES (1, 100), (2, 0)');
    await world.runFor(500);
    fabric.partition(a.nodeId, b.nodeId);
    await a.exec(on);
    await b.exec('UPDATE acct SET bal = 9007199254740993 WHERE id = 2');
    fabric.heal(a.nodeId, b.nodeId);
    await world.runFor(2_000);
    await a.exec('UPDATE acct SET bal = bal + 1 WHERE id = 1');
    await world.runFor(2_000);
    const want = [
      { id: 1n, bal: 101n },
      { id: 2n, bal: 9007199254740993n },
    ];
    assert.deepEqual({ a: await bal(a), b: await bal(b) }, { a: want, b: want });
    // b refused the switch as a whole (no half-seeded column) and logged why.
    const d = await b.query("SELECT delta_columns FROM replicate.tables WHERE table_name = 'acct'");
    assert.deepEqual(d.rows, [{ delta_columns: null }]);
  } finally {
    await a.close();
    await b.close();
  }
});

test('RENAME COLUMN and RENAME TO concurrent with increments', async () => {
  const { world, fabric, a, b } = await pair(31, 'r11');
  try {
    await a.exec('CREATE TABLE acct (id INTEGER PRIMARY KEY, bal INTEGER NOT NULL)');
    await a.exec('INSERT INTO acct VALUES (1, 100)');
    await a.exec(on);
    await world.runFor(1_000);
    fabric.partition(a.nodeId, b.nodeId);
    await a.exec('UPDATE acct SET bal = bal + 5 WHERE id = 1');
    await b.exec('UPDATE acct SET bal = bal + 7 WHERE id = 1');
    await b.exec('ALTER TABLE acct RENAME COLUMN bal TO amount');
    await b.exec('ALTER TABLE acct RENAME TO acct2');
    fabric.heal(a.nodeId, b.nodeId);
    await world.runFor(2_000);
    await a.exec('UPDATE acct2 SET amount = amount + 1 WHERE id = 1');
    await world.runFor(1_000);
    for (const n of [a, b])
      assert.deepEqual(
        (await n.query('SELECT id, amount FROM acct2')).rows,
        [{ id: 1n, amount: 113n }],
        n.nodeId,
      );
  } finally {
    await a.close();
    await b.close();
  }
});

test('ALTER COLUMN TYPE text ends the delta column', async () => {
  const { a, b } = await pair(32, 'r12');
  try {
    await a.exec('CREATE TABLE acct (id INTEGER PRIMARY KEY, bal INTEGER NOT NULL)');
    await a.exec('INSERT INTO acct VALUES (1, 100)');
    await a.exec(on);
    await a.exec('ALTER TABLE acct ALTER COLUMN bal TYPE text');
    const e = await a.exec("UPDATE acct SET bal = 'x' WHERE id = 1").then(
      () => null,
      (err: { sqlstate?: string; message: string }) => `${err.sqlstate} ${err.message}`,
    );
    assert.equal(e, null, 'a text column is no longer a delta column');
  } finally {
    await a.close();
    await b.close();
  }
});

test('the same key inserted on two masters at once: the initial values add up (documented, as for CRDT_COUNTER)', async () => {
  const { world, fabric, a, b } = await pair(33, 'r13');
  try {
    await a.exec('CREATE TABLE acct (id INTEGER PRIMARY KEY, bal INTEGER NOT NULL)');
    await a.exec(on);
    await world.runFor(500);
    fabric.partition(a.nodeId, b.nodeId);
    await a.exec('INSERT INTO acct VALUES (1, 100) ON CONFLICT (id) DO NOTHING');
    await b.exec('INSERT INTO acct VALUES (1, 100) ON CONFLICT (id) DO NOTHING');
    fabric.heal(a.nodeId, b.nodeId);
    await world.runFor(2_000);
    assert.deepEqual(
      { a: await bal(a), b: await bal(b) },
      { a: [{ id: 1n, bal: 200n }], b: [{ id: 1n, bal: 200n }] },
    );
  } finally {
    await a.close();
    await b.close();
  }
});
