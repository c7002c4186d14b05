// Two different keys inserted concurrently with the same value of a unique column: after healing,
// both nodes keep the row whose write has the greater order key, and record a unique_conflict.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ChorusNode } from '../../src/node/node.js';
import { SimFabric } from '../../src/testing/sim-network.js';
import { openSimNode } from '../../src/testing/sim-node.js';
import { SimWorld } from '../../src/testing/sim-world.js';
import { dumpRows, partitionedScenario, simPair } from '../support/sim-pair.js';

const root = mkdtempSync(join(tmpdir(), 'chorus-unique-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('unique-index collision between different keys converges to the later write on every node', async () => {
  const world = new SimWorld(5);
  const fabric = new SimFabric(world);
  const open = (id: string): ChorusNode => openSimNode({ world, fabric, root, id, peers: ['a', 'b'] });
  const a = open('a');
  const b = open('b');
  try {
    await a.startReplication();
    await b.startReplication();
    await a.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT)');
    await world.runFor(300);
    fabric.partition('a', 'b');
    await a.exec("INSERT INTO users VALUES (1, 'x@example.com', 'first')");
    await world.runFor(100);
    await b.exec("INSERT INTO users VALUES (2, 'x@example.com', 'second')"); // later: wins
    fabric.heal('a', 'b');
    await world.runFor(1_500);
    for (const n of [a, b]) {
      const rows = (await n.query('SELECT id, email, name FROM users ORDER BY id')).rows;
      assert.deepEqual(rows, [{ id: 2n, email: 'x@example.com', name: 'second' }], n.nodeId);
      const c = (await n.query("SELECT conflict_type FROM replicate.conflicts WHERE table_name = 'users'"))
        .rows;
      assert.deepEqual(c, [{ conflict_type: 'unique_conflict' }], n.nodeId);
    }
    // replication goes on afterwards
    await a.exec("INSERT INTO users VALUES (3, 'y@example.com', 'third')");
    await world.runFor(500);
    assert.equal((await b.query('SELECT count(*) AS n FROM users')).rows[0]!.n, 2n);
  } finally {
    await a.close();
    await b.close();
  }
});

test('two existing rows updated to one unique value on two masters: the later update keeps it, the other row goes, on both', async () => {
  for (const later of ['a', 'b'] as const) {
    const { world, fabric, a, b } = await simPair(root, later === 'a' ? 41 : 42, `uu${later}`);
    try {
      await a.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT)');
      await a.exec(
        "INSERT INTO users VALUES (1, 'one@example.com', 'first'), (2, 'two@example.com', 'second')",
      );
      await world.runFor(500);
      fabric.partition(a.nodeId, b.nodeId);
      const first = later === 'a' ? b : a;
      const second = later === 'a' ? a : b;
      await first.exec(`UPDATE users SET email = 'x@example.com' WHERE id = ${first === a ? 1 : 2}`);
      await world.runFor(50);
      await second.exec(`UPDATE users SET email = 'x@example.com' WHERE id = ${second === a ? 1 : 2}`);
      // An unrelated later write of the first row's other column must not change who wins.
      await first.exec(`UPDATE users SET name = 'renamed' WHERE id = ${first === a ? 1 : 2}`);
      fabric.heal(a.nodeId, b.nodeId);
      await world.runFor(2_000);
      const winner = second === a ? 1n : 2n;
      const dumps = await Promise.all(
        [a, b].map(async (n) => (await n.query('SELECT id, email FROM users ORDER BY id')).rows),
      );
      assert.deepEqual(dumps[0], dumps[1], `later on ${later}: nodes differ`);
      assert.deepEqual(dumps[0], [{ id: winner, email: 'x@example.com' }], `later on ${later}`);
      for (const n of [a, b]) {
        const c = await n.query(
          "SELECT count(*) AS n FROM replicate.conflicts WHERE conflict_type = 'unique_conflict'",
        );
        assert.ok(Number(c.rows[0]!.n) >= 1, `${n.nodeId} records the unique conflict`);
      }
    } finally {
      await a.close();
      await b.close();
    }
  }
});

const users = [
  'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT)',
  "INSERT INTO users VALUES (1, 'one@example.com', 'first'), (2, 'two@example.com', 'second')",
];
const q = 'SELECT id, email, name FROM users ORDER BY id';

for (const later of ['insert', 'update'] as const)
  test(`an insert and an update to one unique value on two masters, the ${later} later: the same rows on both`, async () => {
    const [da, db] = await partitionedScenario(
      root,
      65,
      `c2${later[0]}`,
      users,
      async (a, b, w) => {
        const ins = () => a.exec("INSERT INTO users VALUES (3, 'x@example.com', 'third')");
        const upd = () => b.exec("UPDATE users SET email = 'x@example.com' WHERE id = 2");
        if (later === 'insert') {
          await upd();
          await w.runFor(50);
          await ins();
        } else {
          await ins();
          await w.runFor(50);
          await upd();
        }
      },
      q,
    );
    assert.equal(da, db);
  });

test('three masters update three rows to one unique value; whatever order the links heal in, the last update keeps it everywhere', async () => {
  for (const order of [
    [0, 1, 2],
    [2, 1, 0],
    [1, 0, 2],
  ]) {
    const world = new SimWorld(70 + order[0]!);
    const fabric = new SimFabric(world);
    const ids = ['a', 'b', 'c'].map((x) => `t3${x}${order.join('')}`);
    const ns = ids.map((id) => openSimNode({ world, fabric, root, id, peers: ids }));
    try {
      for (const n of ns) await n.startReplication();
      await ns[0]!.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT)');
      await ns[0]!.exec("INSERT INTO users VALUES (1, 'a', 'x'), (2, 'b', 'x'), (3, 'c', 'x')");
      await world.runFor(800);
      for (let i = 0; i < 3; i++) for (let j = i + 1; j < 3; j++) fabric.partition(ids[i]!, ids[j]!);
      for (let i = 0; i < 3; i++) {
        await ns[i]!.exec(`UPDATE users SET email = 'x@example.com' WHERE id = ${i + 1}`);
        await world.runFor(30);
      }
      // heal one link at a time, in the given order
      const links: [number, number][] = [
        [0, 1],
        [1, 2],
        [0, 2],
      ];
      for (const k of order) {
        fabric.heal(ids[links[k]![0]]!, ids[links[k]![1]]!);
        await world.runFor(700);
      }
      await world.runFor(1_500);
      const d = await Promise.all(ns.map((n) => dumpRows(n, q)));
      assert.equal(d[0], d[1], `order ${order}`);
      assert.equal(d[1], d[2], `order ${order}`);
      assert.match(d[0]!, /^\[\{"id":3,"email":"x@example.com"/, `order ${order}: ${d[0]}`);
    } finally {
      for (const n of ns) await n.close();
    }
  }
});

// Cases from the review of the unique rules (test/pending/unique-divergence.test.ts until they passed):
// a losing row its origin moves off the value comes back where it was removed (parked-rows.ts), and a
// losing row referenced by a foreign key goes with its references settled (fk-orphans.ts).
test('case 3: the losing update is followed on its origin by an update moving the row off the value', async () => {
  const [da, db] = await partitionedScenario(
    root,
    61,
    'c3',
    users,
    async (a, b, w) => {
      await a.exec("UPDATE users SET email = 'x@example.com' WHERE id = 1"); // loses
      await w.runFor(50);
      await b.exec("UPDATE users SET email = 'x@example.com' WHERE id = 2"); // wins
      await w.runFor(50);
      await a.exec("UPDATE users SET email = 'z@example.com' WHERE id = 1"); // row 1 leaves the value
    },
    q,
  );
  assert.equal(da, db);
  assert.match(da, /"id":1,"email":"z@example.com"/);
});

test('case 5: the losing row is referenced by a foreign key', async () => {
  const [da, db] = await partitionedScenario(
    root,
    64,
    'c5',
    [
      ...users,
      'CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id))',
      'INSERT INTO orders VALUES (10, 1), (20, 2)',
    ],
    async (a, b, w) => {
      await a.exec("UPDATE users SET email = 'x@example.com' WHERE id = 1");
      await w.runFor(50);
      await b.exec("UPDATE users SET email = 'x@example.com' WHERE id = 2");
    },
    q,
  );
  assert.equal(da, db);
});

test('case 2b: losing insert then updated on its origin off the value', async () => {
  const [da, db] = await partitionedScenario(
    root,
    66,
    'c2c',
    users,
    async (a, b, w) => {
      await a.exec("INSERT INTO users VALUES (3, 'x@example.com', 'third')"); // loses
      await w.runFor(50);
      await b.exec("UPDATE users SET email = 'x@example.com' WHERE id = 2");
      await w.runFor(50);
      await a.exec("UPDATE users SET email = 'z@example.com' WHERE id = 3");
    },
    q,
  );
  assert.equal(da, db);
  assert.match(da, /"id":3,"email":"z@example.com"/);
});

test('case 4: unique index over two columns, the updates set one of them', async () => {
  const [da, db] = await partitionedScenario(
    root,
    63,
    'c4',
    [
      'CREATE TABLE t (id INTEGER PRIMARY KEY, g INTEGER, e TEXT, UNIQUE (g, e))',
      "INSERT INTO t VALUES (1, 1, 'p'), (2, 1, 'q')",
    ],
    async (a, b, w) => {
      await a.exec("UPDATE t SET e = 'x' WHERE id = 1");
      await w.runFor(50);
      await b.exec("UPDATE t SET e = 'x' WHERE id = 2");
    },
    'SELECT id, g, e FROM t ORDER BY id',
  );
  assert.equal(da, db);
  assert.equal(da, '[{"id":2,"g":1,"e":"x"}]');
});
