// The data side of a split-brain sync on a real engine: only transactions from outside the canonical
// partition are voided (a member's write is canonical even if the compared node lacks it yet), a
// canonical row is written in place so rows referencing it survive (no delete-and-insert cascade),
// and rows for tables that are not replicated are ignored.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SplitBrainRepair } from '../../src/replication/integrity/split-brain-repair.js';
import { SimFabric } from '../../src/testing/sim-network.js';
import { openSimNode } from '../../src/testing/sim-node.js';
import { SimWorld } from '../../src/testing/sim-world.js';

const root = mkdtempSync(join(tmpdir(), 'chorus-sb-repair-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('void spares canonical members; install updates in place and keeps referencing rows', async () => {
  const world = new SimWorld(3);
  const node = openSimNode({ world, fabric: new SimFabric(world), root, id: 'a', peers: ['a'] });
  try {
    await node.exec('CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL)');
    await node.exec(
      'CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent (id) ON DELETE CASCADE)',
    );
    await node.exec("INSERT INTO parent VALUES (1, 'mine'), (2, 'gone')");
    await node.exec('INSERT INTO child VALUES (10, 1)');
    const repair = new SplitBrainRepair(node.engine);
    const own = node.engine.appliedVector().a!;

    // 'a' is a member of the canonical partition: none of its transactions is voided.
    const spared = repair.voidUncovered({}, ['a', 'b'], 'p2', 'b', '2026-01-01T00:00:00Z');
    assert.equal(spared.voidedTxs, 0);
    // Outside it, everything the canonical vector lacks is voided and the touched rows are kept.
    const voided = repair.voidUncovered({ a: own - 1 }, ['b'], 'p2', 'b', '2026-01-01T00:00:00Z');
    assert.equal(voided.voidedTxs, 1, 'only the transaction the canonical side lacks');
    assert.deepEqual(voided.rows, [{ tbl: 'child', pk: '[10]' }]);
    const again = repair.voidUncovered({ a: own - 1 }, ['b'], 'p2', 'b', '2026-01-01T00:00:00Z');
    assert.equal(
      again.voidedTxs,
      0,
      'a voided transaction is not voided twice (a sync loops until none is left)',
    );

    const written = repair.installRows([
      { tbl: 'parent', pk: '[1]', row: '{"id":1,"name":"canonical"}', meta: null, crdt: [] },
      { tbl: 'parent', pk: '[2]', row: null, meta: null, crdt: [] },
      {
        tbl: '_chorus_meta',
        pk: '["node_id"]',
        row: '{"key":"node_id","value":"evil"}',
        meta: null,
        crdt: [],
      },
    ]);
    assert.equal(written, 2, 'the row of a table that is not replicated is ignored');
    const rows = await node.query('SELECT id, name FROM parent ORDER BY id');
    assert.deepEqual(rows.rows, [{ id: 1n, name: 'canonical' }]);
    const children = await node.query('SELECT count(*) AS n FROM child');
    assert.equal(children.rows[0]!.n, 1n, 'the child of the updated parent survives');
    assert.equal(node.engine.nodeId, 'a');
    const dropped = await node.query('SELECT row_id, operation FROM replicate.split_brain_dropped_rows');
    assert.deepEqual(dropped.rows, [{ row_id: '[10]', operation: 'INSERT' }]);
  } finally {
    await node.close();
  }
});
