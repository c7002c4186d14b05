// Foreign keys under concurrent writes (issue 18): a parent deleted on one master while a child
// referencing it is inserted, or re-pointed to it, on another ends the same on every node, whatever
// the foreign key's ON DELETE action and the arrival order, with every lost child change recorded.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { ChorusNode } from '../../src/node/node.js';
import { SimFabric } from '../../src/testing/sim-network.js';
import { openSimNode } from '../../src/testing/sim-node.js';
import { SimWorld } from '../../src/testing/sim-world.js';
import { dumpRows, simPair } from '../support/sim-pair.js';

const root = mkdtempSync(join(tmpdir(), 'chorus-fk-'));
after(() => rmSync(root, { recursive: true, force: true }));

const kidsSql = 'SELECT id, parent_id, name FROM kids ORDER BY id';
const lostSql =
  "SELECT row_id FROM replicate.conflicts WHERE table_name = 'kids' AND conflict_type = 'constraint_conflict' ORDER BY row_id";

/** The ON DELETE clauses tried, and what the two concurrent kid changes become. */
const cases: { clause: string; kids: string }[] = [
  { clause: '', kids: '[]' },
  { clause: 'ON DELETE NO ACTION', kids: '[]' },
  { clause: 'ON DELETE RESTRICT', kids: '[]' },
  { clause: 'ON DELETE CASCADE', kids: '[]' },
  { clause: 'DEFERRABLE INITIALLY DEFERRED', kids: '[]' },
  {
    clause: 'ON DELETE SET NULL',
    kids: JSON.stringify([
      { id: 10, parent_id: null, name: 'old' },
      { id: 11, parent_id: null, name: 'new' },
    ]),
  },
];

async function schema(n: ChorusNode, clause: string): Promise<void> {
  await n.exec('CREATE TABLE parents (id INTEGER PRIMARY KEY, name TEXT)');
  await n.exec(
    `CREATE TABLE kids (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parents ${clause}, name TEXT)`,
  );
  await n.exec("INSERT INTO parents VALUES (1, 'p1'), (2, 'p2')");
  await n.exec("INSERT INTO kids VALUES (10, 2, 'old')");
}

/** On `del`: parent 1 deleted (it has no kids there). On `ins`: kid 11 inserted under it, kid 10 moved to it. */
async function concurrentWrites(del: ChorusNode, ins: ChorusNode): Promise<void> {
  await del.exec('DELETE FROM parents WHERE id = 1');
  await ins.exec("INSERT INTO kids VALUES (11, 1, 'new')");
  await ins.exec('UPDATE kids SET parent_id = 1 WHERE id = 10');
}

describe('a parent deleted on one master while a child is written under it on another', () => {
  let seed = 70;
  for (const c of cases) {
    for (const deleter of ['a', 'b'] as const) {
      test(`${c.clause || 'no ON DELETE clause'}, the delete on ${deleter}: same rows, both changes recorded, on both`, async () => {
        const { world, fabric, a, b } = await simPair(root, seed++, `fk${seed}`);
        try {
          await schema(a, c.clause);
          await world.runFor(500);
          fabric.partition(a.nodeId, b.nodeId);
          await concurrentWrites(deleter === 'a' ? a : b, deleter === 'a' ? b : a);
          fabric.heal(a.nodeId, b.nodeId);
          await world.runFor(2_000);
          for (const n of [a, b]) {
            assert.equal(await dumpRows(n, kidsSql), c.kids, n.nodeId);
            assert.equal(await dumpRows(n, 'SELECT id FROM parents ORDER BY id'), '[{"id":2}]', n.nodeId);
            assert.equal(await dumpRows(n, lostSql), '[{"row_id":"[10]"},{"row_id":"[11]"}]', n.nodeId);
          }
          // Replication goes on, and the parent's key can be used again.
          await b.exec("INSERT INTO parents VALUES (1, 'again')");
          await world.runFor(300);
          await a.exec("INSERT INTO kids VALUES (12, 1, 'later')");
          await world.runFor(500);
          assert.equal(await dumpRows(b, 'SELECT id FROM kids WHERE parent_id = 1'), '[{"id":12}]');
        } finally {
          await a.close();
          await b.close();
        }
      });
    }
  }
});

test('three masters, the third hearing of the delete first or of the child first, end alike', async () => {
  for (const first of ['delete', 'child'] as const) {
    const world = new SimWorld(first === 'delete' ? 81 : 82);
    const fabric = new SimFabric(world);
    const ids = ['x', 'y', 'z'].map((s) => `fk3${first[0]}${s}`);
    const [x, y, z] = ids.map((id) => openSimNode({ world, fabric, root, id, peers: ids })) as [
      ChorusNode,
      ChorusNode,
      ChorusNode,
    ];
    try {
      for (const n of [x, y, z]) await n.startReplication();
      await schema(x, '');
      await world.runFor(800);
      fabric.partition(x.nodeId, y.nodeId);
      fabric.partition(x.nodeId, z.nodeId);
      fabric.partition(y.nodeId, z.nodeId);
      await concurrentWrites(x, y);
      if (first === 'delete') fabric.heal(x.nodeId, z.nodeId);
      else fabric.heal(y.nodeId, z.nodeId);
      await world.runFor(1_000);
      fabric.heal(x.nodeId, y.nodeId);
      fabric.heal(x.nodeId, z.nodeId);
      fabric.heal(y.nodeId, z.nodeId);
      await world.runFor(2_000);
      for (const n of [x, y, z]) {
        assert.equal(await dumpRows(n, kidsSql), '[]', `${first} first: ${n.nodeId}`);
        assert.equal(
          await dumpRows(n, lostSql),
          '[{"row_id":"[10]"},{"row_id":"[11]"}]',
          `${first} first: ${n.nodeId}`,
        );
      }
    } finally {
      for (const n of [x, y, z]) await n.close();
    }
  }
});

test('a grandchild under the concurrent child goes too, on both nodes', async () => {
  const { world, fabric, a, b } = await simPair(root, 90, 'fkg');
  try {
    await schema(a, '');
    await a.exec('CREATE TABLE toys (id INTEGER PRIMARY KEY, kid_id INTEGER REFERENCES kids, name TEXT)');
    await world.runFor(500);
    fabric.partition(a.nodeId, b.nodeId);
    await a.exec('DELETE FROM parents WHERE id = 1');
    await b.exec("INSERT INTO kids VALUES (11, 1, 'new')");
    await b.exec("INSERT INTO toys VALUES (100, 11, 'ball'), (101, 10, 'kite')");
    fabric.heal(a.nodeId, b.nodeId);
    await world.runFor(2_000);
    for (const n of [a, b]) {
      assert.equal(await dumpRows(n, kidsSql), '[{"id":10,"parent_id":2,"name":"old"}]', n.nodeId);
      assert.equal(await dumpRows(n, 'SELECT id FROM toys ORDER BY id'), '[{"id":101}]', n.nodeId);
      assert.equal(
        await dumpRows(
          n,
          "SELECT table_name, row_id FROM replicate.conflicts WHERE conflict_type = 'constraint_conflict' ORDER BY table_name, row_id",
        ),
        '[{"table_name":"kids","row_id":"[11]"},{"table_name":"toys","row_id":"[100]"}]',
        n.nodeId,
      );
    }
  } finally {
    await a.close();
    await b.close();
  }
});

test('a child its origin moves to another parent before it hears of the delete stays, on both nodes', async () => {
  for (const seed of [95, 96]) {
    const { world, fabric, a, b } = await simPair(root, seed, `fkm${seed}`);
    try {
      await schema(a, '');
      await world.runFor(500);
      fabric.partition(a.nodeId, b.nodeId);
      await a.exec('DELETE FROM parents WHERE id = 1');
      await b.exec("INSERT INTO kids VALUES (11, 1, 'new')");
      await b.exec('UPDATE kids SET parent_id = 1 WHERE id = 10');
      await b.exec('UPDATE kids SET parent_id = 2 WHERE id = 11'); // moved off the deleted parent
      await b.exec("UPDATE kids SET name = 'renamed' WHERE id = 10"); // still under it
      // One seed heals with b's changes arriving at a in one batch, the other after a's delete went to b.
      if (seed === 96) {
        fabric.heal(a.nodeId, b.nodeId);
        await world.runFor(50);
      }
      fabric.heal(a.nodeId, b.nodeId);
      await world.runFor(2_000);
      for (const n of [a, b])
        assert.equal(
          await dumpRows(n, kidsSql),
          '[{"id":11,"parent_id":2,"name":"new"}]',
          `${seed} ${n.nodeId}`,
        );
    } finally {
      await a.close();
      await b.close();
    }
  }
});

test('a parent deleted and made again while a child is written under it: the child goes on both nodes', async () => {
  for (const clause of ['', 'ON DELETE SET NULL']) {
    const { world, fabric, a, b } = await simPair(root, clause ? 97 : 98, `fkr${clause ? 'n' : 'd'}`);
    try {
      await schema(a, clause);
      await world.runFor(500);
      fabric.partition(a.nodeId, b.nodeId);
      await a.exec('DELETE FROM parents WHERE id = 1');
      await a.exec("INSERT INTO parents VALUES (1, 'again')");
      await a.exec("INSERT INTO kids VALUES (12, 1, 'after')"); // saw the delete: stays
      await b.exec("INSERT INTO kids VALUES (11, 1, 'new')"); // concurrent with it
      fabric.heal(a.nodeId, b.nodeId);
      await world.runFor(2_000);
      const expected = clause
        ? '[{"id":10,"parent_id":2,"name":"old"},{"id":11,"parent_id":null,"name":"new"},{"id":12,"parent_id":1,"name":"after"}]'
        : '[{"id":10,"parent_id":2,"name":"old"},{"id":12,"parent_id":1,"name":"after"}]';
      for (const n of [a, b]) assert.equal(await dumpRows(n, kidsSql), expected, `${clause} ${n.nodeId}`);
    } finally {
      await a.close();
      await b.close();
    }
  }
});
