// A unique index or constraint made on one master while another inserts or updates a duplicate:
// the index exists on every node, every node keeps the same row of a colliding pair (the one whose
// write of the key columns is the latest), and every node records the unique_conflict.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ChorusNode } from '../../src/node/node.js';
import { dumpRows, partitionedChecks } from '../support/sim-pair.js';
import { trio } from '../support/sim-trio.js';

const root = mkdtempSync(join(tmpdir(), 'chorus-unique-ddl-'));
after(() => rmSync(root, { recursive: true, force: true }));

const indexesSql = "SELECT indexname FROM pg_indexes WHERE tablename = 't' ORDER BY indexname";
const conflictsSql =
  "SELECT row_id, conflict_type FROM replicate.conflicts WHERE table_name = 't' ORDER BY row_id, conflict_type";
const rowsSql = 'SELECT * FROM t ORDER BY id';

/** Both nodes' rows, indexes and conflicts equal; returns a's. */
function same(r: { a: string[]; b: string[] }): { rows: unknown; indexes: unknown; conflicts: unknown } {
  assert.deepEqual(r.a, r.b, 'the nodes differ');
  const [rows, indexes, conflicts] = r.a.map((s) => JSON.parse(s) as unknown);
  return { rows, indexes, conflicts };
}

const forms = {
  index: 'CREATE UNIQUE INDEX t_u ON t (u)',
  constraint: 'ALTER TABLE t ADD CONSTRAINT t_u UNIQUE (u)',
} as const;

for (const [form, make] of Object.entries(forms)) {
  test(`${form}: a duplicate inserted on the other master while it is made, the insert later: the insert keeps the value everywhere`, async () => {
    const r = await partitionedChecks(
      root,
      11,
      `i${form[0]}`,
      ['CREATE TABLE t (id INTEGER PRIMARY KEY, u INTEGER, v INTEGER)', 'INSERT INTO t VALUES (1, 5, 0)'],
      async (a, b, world) => {
        await a.exec(make);
        await world.runFor(20);
        await b.exec('INSERT INTO t VALUES (2, 5, 0)');
      },
      [rowsSql, indexesSql, conflictsSql],
    );
    const s = same(r);
    assert.deepEqual(s.rows, [{ id: 2, u: 5, v: 0 }]);
    assert.deepEqual(s.indexes, [{ indexname: 't_pkey' }, { indexname: 't_u' }]);
    assert.deepEqual(s.conflicts, [{ row_id: '[1]', conflict_type: 'unique_conflict' }]);
  });

  test(`${form}: the duplicate written first, the other row set to the value later on the index's origin: that row keeps it`, async () => {
    const r = await partitionedChecks(
      root,
      12,
      `j${form[0]}`,
      ['CREATE TABLE t (id INTEGER PRIMARY KEY, u INTEGER, v INTEGER)', 'INSERT INTO t VALUES (1, 1, 0)'],
      async (a, b, world) => {
        await b.exec('INSERT INTO t VALUES (2, 5, 0)');
        await world.runFor(20);
        await a.exec('UPDATE t SET u = 5 WHERE id = 1');
        await a.exec(make);
      },
      [rowsSql, indexesSql, conflictsSql],
    );
    const s = same(r);
    assert.deepEqual(s.rows, [{ id: 1, u: 5, v: 0 }]);
    assert.deepEqual(s.conflicts, [{ row_id: '[2]', conflict_type: 'unique_conflict' }]);
  });

  test(`${form}: a later write of another column of the older row does not change which row keeps the value`, async () => {
    // Node b holds both rows when the change arrives; node a meets the insert after it. Both must
    // compare the writes of u (as a collision arriving later is settled), not the rows' last writes.
    const r = await partitionedChecks(
      root,
      13,
      `k${form[0]}`,
      ['CREATE TABLE t (id INTEGER PRIMARY KEY, u INTEGER, v INTEGER)', 'INSERT INTO t VALUES (1, 5, 0)'],
      async (a, b, world) => {
        await b.exec('INSERT INTO t VALUES (2, 5, 0)');
        await world.runFor(20);
        await a.exec('UPDATE t SET v = 1 WHERE id = 1');
        await a.exec(make);
      },
      [rowsSql, indexesSql, conflictsSql],
    );
    const s = same(r);
    assert.deepEqual(s.rows, [{ id: 2, u: 5, v: 0 }]);
    assert.deepEqual(s.conflicts, [{ row_id: '[1]', conflict_type: 'unique_conflict' }]);
  });
}

test('a unique index over two columns: only rows equal on both collide', async () => {
  const r = await partitionedChecks(
    root,
    14,
    'm',
    ['CREATE TABLE t (id INTEGER PRIMARY KEY, u INTEGER, v INTEGER)', 'INSERT INTO t VALUES (1, 5, 1)'],
    async (a, b, world) => {
      await a.exec('CREATE UNIQUE INDEX t_uv ON t (u, v DESC)');
      await world.runFor(20);
      await b.exec('INSERT INTO t VALUES (2, 5, 2), (3, 5, 1), (4, NULL, 1), (5, NULL, 1)');
    },
    [rowsSql, "SELECT indexname FROM pg_indexes WHERE tablename = 't' ORDER BY indexname", conflictsSql],
  );
  const s = same(r);
  assert.deepEqual(s.rows, [
    { id: 2, u: 5, v: 2 },
    { id: 3, u: 5, v: 1 },
    { id: 4, u: null, v: 1 },
    { id: 5, u: null, v: 1 },
  ]);
  assert.deepEqual(s.indexes, [{ indexname: 't_pkey' }, { indexname: 't_uv' }]);
  assert.deepEqual(s.conflicts, [{ row_id: '[1]', conflict_type: 'unique_conflict' }]);
});

test('a partial unique index: rows outside its predicate never collide, nor are taken for the holder', async () => {
  const r = await partitionedChecks(
    root,
    15,
    'p',
    [
      'CREATE TABLE t (id INTEGER PRIMARY KEY, u INTEGER, v INTEGER)',
      'INSERT INTO t VALUES (1, 5, 1), (2, 5, 0)',
    ],
    async (a, b, world) => {
      await a.exec('CREATE UNIQUE INDEX t_u_live ON t (u) WHERE v > 0');
      await world.runFor(20);
      await b.exec('INSERT INTO t VALUES (3, 5, 1), (4, 5, 0)');
    },
    [rowsSql, "SELECT indexname FROM pg_indexes WHERE tablename = 't' ORDER BY indexname", conflictsSql],
  );
  const s = same(r);
  assert.deepEqual(s.rows, [
    { id: 2, u: 5, v: 0 },
    { id: 3, u: 5, v: 1 },
    { id: 4, u: 5, v: 0 },
  ]);
  assert.deepEqual(s.indexes, [{ indexname: 't_pkey' }, { indexname: 't_u_live' }]);
  assert.deepEqual(s.conflicts, [{ row_id: '[1]', conflict_type: 'unique_conflict' }]);
});

test('three masters: the index on x, a duplicate on y, z hears them in either order', async () => {
  for (const first of ['x', 'y'] as const) {
    const t = await trio(root, first === 'x' ? 21 : 22, `t${first}`);
    try {
      await t.x.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, u INTEGER, v INTEGER)');
      await t.x.exec('INSERT INTO t VALUES (1, 5, 0)');
      await t.world.runFor(500);
      t.isolate();
      await t.x.exec('CREATE UNIQUE INDEX t_u ON t (u)');
      await t.world.runFor(20);
      await t.y.exec('INSERT INTO t VALUES (2, 5, 0)');
      const [p, q] = first === 'x' ? [t.x, t.y] : [t.y, t.x];
      t.heal(p, t.z);
      await t.world.runFor(1_000);
      t.heal(q, t.z);
      await t.world.runFor(1_000);
      t.heal(t.x, t.y);
      await t.world.runFor(2_000);
      const dump = async (n: ChorusNode): Promise<string[]> =>
        Promise.all([rowsSql, indexesSql, conflictsSql].map((sql) => dumpRows(n, sql)));
      const x = await dump(t.x);
      assert.deepEqual(await dump(t.y), x, `${first} first: y differs from x`);
      assert.deepEqual(await dump(t.z), x, `${first} first: z differs from x`);
      assert.equal(x[0], '[{"id":2,"u":5,"v":0}]');
      assert.equal(x[1], '[{"indexname":"t_pkey"},{"indexname":"t_u"}]');
      assert.equal(x[2], '[{"row_id":"[1]","conflict_type":"unique_conflict"}]');
    } finally {
      await t.close();
    }
  }
});
