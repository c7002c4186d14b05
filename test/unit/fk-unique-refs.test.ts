// Foreign keys referencing a UNIQUE column rather than the parent's primary key (issue 18,
// fk-unique-refs.ts): a parent row losing the value (delete, update, unique collision) concurrently
// with a child written under it, in both arrival orders and through a third node. B and D come
// from helper-49's review (test/unit/fk-parked.test.ts has the others); each comment says what
// used to diverge.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ChorusNode } from '../../src/node/node.js';
import type { SimWorld } from '../../src/testing/sim-world.js';
import { dumpRows, partitionedChecks } from '../support/sim-pair.js';
import { trio as openTrio } from '../support/sim-trio.js';

const root = mkdtempSync(join(tmpdir(), 'chorus-fkunique-'));
after(() => rmSync(root, { recursive: true, force: true }));

const constraintSql =
  "SELECT table_name, row_id FROM replicate.conflicts WHERE conflict_type = 'constraint_conflict' ORDER BY table_name, row_id";

/** Two nodes: `setup` on a, partition, `steps`, heal; the dumps of each query on a and on b. */
const pair = (
  seed: number,
  prefix: string,
  setup: string[],
  steps: (a: ChorusNode, b: ChorusNode, world: SimWorld) => Promise<void>,
  checks: string[],
): Promise<{ a: string[]; b: string[] }> => partitionedChecks(root, seed, prefix, setup, steps, checks);

const uniqueParents = (clause: string): string[] => [
  'CREATE TABLE parents (id INTEGER PRIMARY KEY, code TEXT UNIQUE NOT NULL)',
  `CREATE TABLE kids (id INTEGER PRIMARY KEY, pcode TEXT REFERENCES parents (code) ${clause}, name TEXT)`,
  "INSERT INTO parents VALUES (1, 'A'), (2, 'B')",
];

test('B: parent deleted and made again (separate transactions), child key references a UNIQUE column', async () => {
  // Used to diverge: the rule for a re-created parent handled only keys referencing the primary
  // key. a (deleter) received the child after 'A' was held again (by parent 3): no orphan, it
  // stayed; b received the delete after the child: an orphan, removed. Now the child goes on a too:
  // the holder of 'A' got it by a write the child's transaction had not seen (fk-unique-refs.ts).
  const r = await pair(
    102,
    'fb',
    uniqueParents(''),
    async (a, b) => {
      await a.exec('DELETE FROM parents WHERE id = 1');
      await a.exec("INSERT INTO parents VALUES (3, 'A')");
      await b.exec("INSERT INTO kids VALUES (11, 'A', 'new')");
    },
    ['SELECT id, pcode FROM kids ORDER BY id', constraintSql],
  );
  assert.deepEqual(r.a, r.b);
  assert.deepEqual(r.a, ['[]', '[{"table_name":"kids","row_id":"[11]"}]']);
});

test('B1: the same with the delete and the new holder in ONE transaction', async () => {
  // b: after a's transaction 'A' is held (by 3), so no orphan check finds kid 11; the children
  // referencing the deleted row's values, read before the delete, that the transaction had not seen
  // go. a: as in B.
  const r = await pair(
    121,
    'fb1',
    uniqueParents(''),
    async (a, b) => {
      await a.exec("BEGIN; DELETE FROM parents WHERE id = 1; INSERT INTO parents VALUES (3, 'A'); COMMIT");
      await b.exec("INSERT INTO kids VALUES (11, 'A', 'new')");
    },
    ['SELECT id, pcode FROM kids ORDER BY id', constraintSql],
  );
  assert.deepEqual(r.a, r.b);
  assert.deepEqual(r.a, ['[]', '[{"table_name":"kids","row_id":"[11]"}]']);
});

test('B2: a child of a row that loses a UNIQUE collision on the value it references', async () => {
  // b inserts parent 5 'C' and kid 11 under 'C'; a inserts parent 6 'C' later (wins 'C'). The row
  // kid 11 saw lost the value to a write its writer had not seen: it goes on both nodes (b reads
  // the loser's values before removing it; a finds 'C' held by a write kid 11 had not seen).
  const r = await pair(
    122,
    'fb2',
    uniqueParents(''),
    async (a, b, world) => {
      await b.exec("INSERT INTO parents VALUES (5, 'C')");
      await b.exec("INSERT INTO kids VALUES (11, 'C', 'new')");
      await world.runFor(50);
      await a.exec("INSERT INTO parents VALUES (6, 'C')");
    },
    ['SELECT id, code FROM parents ORDER BY id', 'SELECT id, pcode FROM kids ORDER BY id', constraintSql],
  );
  assert.deepEqual(r.a, r.b);
  assert.equal(r.a[1], '[]');
});

test('B3: a parent row that keeps its value: children written since stay', async () => {
  // No false removal: kid 12 is written after its writer saw parent 3 take 'A'.
  const r = await pair(
    123,
    'fb3',
    uniqueParents(''),
    async (a, b, world) => {
      await a.exec('DELETE FROM parents WHERE id = 1');
      await a.exec("INSERT INTO parents VALUES (3, 'A')");
      await a.exec("INSERT INTO kids VALUES (12, 'A', 'after')");
      await world.runFor(50);
      await b.exec("UPDATE parents SET code = 'Y' WHERE id = 2");
    },
    ['SELECT id, pcode FROM kids ORDER BY id', constraintSql],
  );
  assert.deepEqual(r.a, r.b);
  assert.deepEqual(r.a, ['[{"id":12,"pcode":"A"}]', '[]']);
});

test('B, three nodes: the child reaches the third node before or after the re-created parent', async () => {
  const t = await openTrio(root, 124, 'fb3n');
  try {
    for (const s of uniqueParents('')) await t.x.exec(s);
    await t.world.runFor(800);
    t.isolate();
    await t.x.exec('DELETE FROM parents WHERE id = 1');
    await t.x.exec("INSERT INTO parents VALUES (3, 'A')");
    await t.y.exec("INSERT INTO kids VALUES (11, 'A', 'new')");
    t.heal(t.y, t.z);
    await t.world.runFor(800); // z has the child, not yet the delete
    t.cut(t.y, t.z);
    t.heal(t.x, t.z);
    await t.world.runFor(800);
    t.fabric.healAll();
    await t.world.runFor(3_000);
    for (const q of ['SELECT id, pcode FROM kids ORDER BY id', constraintSql]) {
      const x = await dumpRows(t.x, q);
      assert.equal(await dumpRows(t.y, q), x, `y: ${q}`);
      assert.equal(await dumpRows(t.z, q), x, `z: ${q}`);
    }
    assert.equal(await dumpRows(t.x, 'SELECT id FROM kids'), '[]');
  } finally {
    await t.close();
  }
});

test('D: parent UPDATE of a referenced UNIQUE column with ON UPDATE CASCADE vs a child inserted under the old value', async () => {
  // Used to diverge: b applied a's UPDATE with SQLite's ON UPDATE CASCADE (the child followed to
  // 'Z' and stayed); a received the child under 'A' (gone): an orphan, removed. A child written
  // concurrently with a winning write of the values it references gets the key's ON DELETE action
  // on every node (here NO ACTION: removed), whatever SQLite's ON UPDATE action did.
  const r = await pair(
    104,
    'fd',
    uniqueParents('ON UPDATE CASCADE'),
    async (a, b) => {
      await a.exec("UPDATE parents SET code = 'Z' WHERE id = 1");
      await b.exec("INSERT INTO kids VALUES (11, 'A', 'new')");
    },
    ['SELECT id, pcode FROM kids ORDER BY id', constraintSql],
  );
  assert.deepEqual(r.a, r.b);
  assert.deepEqual(r.a, ['[]', '[{"table_name":"kids","row_id":"[11]"}]']);
});

test('D1: ON UPDATE CASCADE ON DELETE SET NULL: the concurrent child is set NULL on both nodes', async () => {
  const r = await pair(
    125,
    'fd1',
    uniqueParents('ON UPDATE CASCADE ON DELETE SET NULL'),
    async (a, b) => {
      await a.exec("UPDATE parents SET code = 'Z' WHERE id = 1");
      await b.exec("INSERT INTO kids VALUES (11, 'A', 'new')");
    },
    ['SELECT id, pcode FROM kids ORDER BY id', constraintSql],
  );
  assert.deepEqual(r.a, r.b);
  assert.deepEqual(r.a, ['[{"id":11,"pcode":null}]', '[{"table_name":"kids","row_id":"[11]"}]']);
});

test('D2: an UPDATE of the referenced column that loses to a later one changes nothing for the children', async () => {
  // a sets 'Z' first; b later sets 'Y' (wins) and inserts kid 11 under 'Y'. On b, a's losing write
  // leaves 'Y' in place: kid 11 stays on both nodes.
  const r = await pair(
    126,
    'fd2',
    uniqueParents('ON UPDATE CASCADE'),
    async (a, b, world) => {
      await a.exec("UPDATE parents SET code = 'Z' WHERE id = 1");
      await world.runFor(50);
      await b.exec("UPDATE parents SET code = 'Y' WHERE id = 1");
      await b.exec("INSERT INTO kids VALUES (11, 'Y', 'new')");
    },
    ['SELECT id, code FROM parents ORDER BY id', 'SELECT id, pcode FROM kids ORDER BY id', constraintSql],
  );
  assert.deepEqual(r.a, r.b);
  assert.deepEqual(r.a.slice(1), ['[{"id":11,"pcode":"Y"}]', '[]']);
});

test('D, three nodes: ON UPDATE CASCADE reaches the third node before or after the child', async () => {
  const t = await openTrio(root, 127, 'fd3n');
  try {
    for (const s of uniqueParents('ON UPDATE CASCADE')) await t.x.exec(s);
    await t.world.runFor(800);
    t.isolate();
    await t.x.exec("UPDATE parents SET code = 'Z' WHERE id = 1");
    await t.y.exec("INSERT INTO kids VALUES (11, 'A', 'new')");
    t.heal(t.y, t.z);
    await t.world.runFor(800);
    t.cut(t.y, t.z);
    t.heal(t.x, t.z);
    await t.world.runFor(800);
    t.fabric.healAll();
    await t.world.runFor(3_000);
    for (const q of ['SELECT id, pcode FROM kids ORDER BY id', constraintSql]) {
      const x = await dumpRows(t.x, q);
      assert.equal(await dumpRows(t.y, q), x, `y: ${q}`);
      assert.equal(await dumpRows(t.z, q), x, `z: ${q}`);
    }
    assert.equal(await dumpRows(t.x, 'SELECT id FROM kids'), '[]');
  } finally {
    await t.close();
  }
});

/** As uniqueParents, in the table-constraint form (a column constraint's DEFERRABLE is D0 of the review). */
const deferredUniqueParents = (): string[] => [
  'CREATE TABLE parents (id INTEGER PRIMARY KEY, code TEXT UNIQUE NOT NULL)',
  'CREATE TABLE kids (id INTEGER PRIMARY KEY, pcode TEXT, name TEXT, FOREIGN KEY (pcode) REFERENCES parents (code) DEFERRABLE INITIALLY DEFERRED)',
  "INSERT INTO parents VALUES (1, 'A'), (2, 'B')",
  "INSERT INTO kids VALUES (11, 'A', 'old')",
];

for (const [name, change] of [
  ['U2', "BEGIN; UPDATE parents SET code = 'Z' WHERE id = 1; INSERT INTO parents VALUES (3, 'A'); COMMIT"],
  ['U3', "BEGIN; DELETE FROM parents WHERE id = 1; INSERT INTO parents VALUES (3, 'A'); COMMIT"],
] as const)
  test(`${name}: deferred key, the value handed to another row in one transaction, the child's other column updated elsewhere`, async () => {
    // Used to diverge (helper-58's review), b removing a child no concurrent change justified: b read
    // the children of the row's old values whose whole row version a's transaction did not cover,
    // and b's own rename of kid 11 is in it. Now it is the clocks of the child's key columns (a had
    // seen kid 11's pcode): it stays on both nodes.
    const r = await pair(
      name === 'U2' ? 128 : 129,
      `f${name.toLowerCase()}`,
      deferredUniqueParents(),
      async (a, b) => {
        await a.exec(change);
        await b.exec("UPDATE kids SET name = 'renamed' WHERE id = 11");
      },
      ['SELECT id, pcode, name FROM kids ORDER BY id', constraintSql],
    );
    assert.deepEqual(r.a, r.b);
    assert.deepEqual(r.a, ['[{"id":11,"pcode":"A","name":"renamed"}]', '[]']);
  });

/** A keyless child table (no primary key) of a key referencing parents' UNIQUE code. */
const keylessKids = (clause: string): string[] => [
  'CREATE TABLE parents (id INTEGER PRIMARY KEY, code TEXT UNIQUE NOT NULL)',
  `CREATE TABLE kids (pcode TEXT REFERENCES parents (code) ${clause}, name TEXT)`,
  "INSERT INTO parents VALUES (1, 'A'), (2, 'B')",
];

for (const [name, clause, change] of [
  // B1 with a keyless child: b kept it (only keyed children were read before the delete).
  ['K1', '', "BEGIN; DELETE FROM parents WHERE id = 1; INSERT INTO parents VALUES (3, 'A'); COMMIT"],
  // D with a keyless child: on b SQLite's ON UPDATE CASCADE moved it to 'Z' and it stayed.
  ['K2', 'ON UPDATE CASCADE', "UPDATE parents SET code = 'Z' WHERE id = 1"],
] as const)
  test(`${name}: keyless child under a value its parent row loses concurrently goes on both nodes`, async () => {
    // Used to diverge (helper-58's review): a removed the kid (it arrives second), b kept it. Now the
    // keyless children of the row's old values are read before the change by rowid, those whose
    // inserting transaction it had not seen (keylessRowSeen).
    const r = await pair(
      name === 'K1' ? 131 : 132,
      `f${name.toLowerCase()}`,
      keylessKids(clause),
      async (a, b) => {
        await a.exec(change);
        await b.exec("INSERT INTO kids VALUES ('A', 'new')");
      },
      ['SELECT pcode, name FROM kids ORDER BY name', constraintSql],
    );
    assert.deepEqual(r.a, r.b);
    assert.equal(r.a[0], '[]');
    assert.equal(JSON.parse(r.a[1]!).length, 1);
  });

test('K3: keyless child of a row that loses a UNIQUE collision on the value (B2 with a keyless child)', async () => {
  // Used to diverge: a removed the kid (the holder of 'C' got it by a write the kid's writer had not
  // seen); on b the collision's loser was read for keyed children only and the kid stayed under 6.
  const r = await pair(
    133,
    'fk3',
    keylessKids(''),
    async (a, b, world) => {
      await b.exec("INSERT INTO parents VALUES (5, 'C')");
      await b.exec("INSERT INTO kids VALUES ('C', 'new')");
      await world.runFor(50);
      await a.exec("INSERT INTO parents VALUES (6, 'C')");
    },
    ['SELECT id, code FROM parents ORDER BY id', 'SELECT pcode, name FROM kids ORDER BY name', constraintSql],
  );
  assert.deepEqual(r.a, r.b);
  assert.equal(r.a[0], '[{"id":1,"code":"A"},{"id":2,"code":"B"},{"id":6,"code":"C"}]');
  assert.equal(r.a[1], '[]');
});

test('D0: the column form REFERENCES ... DEFERRABLE INITIALLY DEFERRED is deferred, on both nodes', async () => {
  // Used to fail with 23503 at the UPDATE (helper-58's review): the parser gives a column
  // constraint's DEFERRABLE as separate entries, which were dropped (test/compat/fk-deferrable-column.sql).
  const r = await pair(
    134,
    'fd0',
    [
      'CREATE TABLE parents (id INTEGER PRIMARY KEY, code TEXT UNIQUE NOT NULL)',
      'CREATE TABLE kids (id INTEGER PRIMARY KEY, pcode TEXT REFERENCES parents (code) DEFERRABLE INITIALLY DEFERRED)',
      "INSERT INTO parents VALUES (1, 'A')",
      "INSERT INTO kids VALUES (11, 'A')",
    ],
    async (a) => {
      await a.exec(
        "BEGIN; UPDATE parents SET code = 'Z' WHERE id = 1; INSERT INTO parents VALUES (3, 'A'); COMMIT",
      );
    },
    ['SELECT id, code FROM parents ORDER BY id', 'SELECT id, pcode FROM kids ORDER BY id'],
  );
  assert.deepEqual(r.a, r.b);
  assert.deepEqual(r.a, ['[{"id":1,"code":"Z"},{"id":3,"code":"A"}]', '[{"id":11,"pcode":"A"}]']);
});

test('R4: the record of D (ON UPDATE CASCADE) names the child as it was, on both nodes', async () => {
  // Used to differ (helper-58's review): where the update arrives second the kid was recorded as
  // SQLite's ON UPDATE CASCADE left it (pcode 'Z'); now as it was before the change ('A').
  const r = await pair(
    138,
    'fr4',
    uniqueParents('ON UPDATE CASCADE'),
    async (a, b) => {
      await a.exec("UPDATE parents SET code = 'Z' WHERE id = 1");
      await b.exec("INSERT INTO kids VALUES (11, 'A', 'new')");
    },
    [
      'SELECT id, pcode FROM kids ORDER BY id',
      "SELECT row_id, master_1_value::text AS before, resolution_strategy FROM replicate.conflicts WHERE conflict_type = 'constraint_conflict'",
    ],
  );
  assert.deepEqual(r.a, r.b);
  assert.equal(r.a[0], '[]');
  const [rec] = JSON.parse(r.a[1]!) as { before: string; resolution_strategy: string }[];
  assert.deepEqual(JSON.parse(rec!.before), { id: 11, pcode: 'A', name: 'new' });
  assert.equal(rec!.resolution_strategy, 'removed: parent deleted concurrently');
});
