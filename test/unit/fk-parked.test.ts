// Review of the foreign-key orphan rules and parked rows (issue 18, fk-orphans.ts, parked-rows.ts) by
// helper-49: the cases that diverged and converge now, with their three-node and neighbouring
// variants. Each comment says what used to diverge or be lost.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ChorusNode } from '../../src/node/node.js';
import type { SimWorld } from '../../src/testing/sim-world.js';
import { dumpRows, partitionedChecks } from '../support/sim-pair.js';
import { trio as openTrio, type Trio } from '../support/sim-trio.js';

const root = mkdtempSync(join(tmpdir(), 'chorus-fkparked-'));
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

const parentsKids = (clause: string): string[] => [
  'CREATE TABLE parents (id INTEGER PRIMARY KEY, name TEXT)',
  `CREATE TABLE kids (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parents ${clause}, name TEXT)`,
  "INSERT INTO parents VALUES (1, 'p1'), (2, 'p2')",
];

/** Three isolated masters: x deletes parent 1, y inserts kid 11 under it; z relays y's insert to x. */
async function parkedOnX(t: Trio, setup: string[]): Promise<void> {
  for (const s of setup) await t.x.exec(s);
  await t.world.runFor(800);
  t.isolate();
  await t.x.exec('DELETE FROM parents WHERE id = 1');
  await t.y.exec("INSERT INTO kids VALUES (11, 1, 'new')");
  t.heal(t.y, t.z);
  await t.world.runFor(800);
  t.cut(t.y, t.z);
  t.heal(t.x, t.z);
  await t.world.runFor(800); // x parks kid 11; z hears of the delete and parks it too
}

test('A: parent deleted and made again in ONE transaction while a child is inserted under it', async () => {
  // The documented rule: a child written without having seen its parent's delete goes, also where
  // the parent was made again. Where the child arrives second (a), childOfRecreatedParent removes it.
  // Where the child was there first (b), the delete and the re-insert arrive as one transaction:
  // after it the parent exists, the 'children' check finds no orphan, and the child stays.
  const r = await pair(
    101,
    'fa',
    parentsKids(''),
    async (a, b) => {
      await a.exec(
        "BEGIN; DELETE FROM parents WHERE id = 1; INSERT INTO parents VALUES (1, 'again'); COMMIT",
      );
      await b.exec("INSERT INTO kids VALUES (11, 1, 'new')");
    },
    ['SELECT id, parent_id FROM kids ORDER BY id', constraintSql],
  );
  assert.deepEqual(r.a, r.b);
});

test('J: RENAME COLUMN between park and resurrect: the resurrected row loses the renamed value', async () => {
  // _chorus_parked keeps the row under its old column names (renameColumn moves rowmeta, not parked
  // rows); resurrect keeps only columns the table has now, so name -> title comes back NULL on x
  // and z, while y (which never removed kid 11) has title 'new'.
  const t = await openTrio(root, 110, 'fj');
  try {
    await parkedOnX(t, parentsKids(''));
    await t.x.exec('ALTER TABLE kids RENAME COLUMN name TO title');
    await t.world.runFor(800);
    await t.y.exec('UPDATE kids SET parent_id = 2 WHERE id = 11'); // moved off before hearing
    t.fabric.healAll();
    await t.world.runFor(3_000);
    const q = 'SELECT id, parent_id, title FROM kids ORDER BY id';
    const y = await dumpRows(t.y, q);
    assert.equal(y, '[{"id":11,"parent_id":2,"title":"new"}]');
    assert.equal(await dumpRows(t.x, q), y, 'x');
    assert.equal(await dumpRows(t.z, q), y, 'z');
  } finally {
    await t.close();
  }
});

test('K: RENAME TABLE between park and resurrect: the row is not brought back', async () => {
  // _chorus_parked is keyed by the old table name (renameTable moves rowmeta, not parked rows).
  const t = await openTrio(root, 111, 'fk');
  try {
    await parkedOnX(t, parentsKids(''));
    await t.x.exec('ALTER TABLE kids RENAME TO children');
    await t.world.runFor(800);
    await t.y.exec('UPDATE kids SET parent_id = 2 WHERE id = 11');
    t.fabric.healAll();
    await t.world.runFor(3_000);
    const q = 'SELECT id, parent_id, name FROM children ORDER BY id';
    const y = await dumpRows(t.y, q);
    assert.equal(y, '[{"id":11,"parent_id":2,"name":"new"}]');
    assert.equal(await dumpRows(t.x, q), y, 'x');
    assert.equal(await dumpRows(t.z, q), y, 'z');
  } finally {
    await t.close();
  }
});

test('M: a key inserted again by the deleting master: the orphan removal forgets the concurrent insert', async () => {
  // a deletes parent 1 and then inserts kid 11 under parent 2 (it has no kid 11); b inserts kid 11
  // under parent 1 with a later order key. a: b's insert merges over a's kid 11 by LWW (b later:
  // parent 1, 'new'), an orphan, removed. b: a's delete orphans b's kid 11, removed and parked; a's
  // insert brings the parked row back, LWW keeps b's values, and it is an orphan again. It used to
  // be recorded twice on b (once on a): a row brought back from parking and settled again in the
  // same transaction is not recorded again.
  const r = await pair(
    113,
    'fm',
    parentsKids(''),
    async (a, b, world) => {
      await a.exec('DELETE FROM parents WHERE id = 1');
      await a.exec("INSERT INTO kids VALUES (11, 2, 'zz')");
      await world.runFor(50);
      await b.exec("INSERT INTO kids VALUES (11, 1, 'new')");
    },
    ['SELECT id, parent_id, name FROM kids ORDER BY id', constraintSql],
  );
  assert.deepEqual(r.a, r.b);
  assert.equal(r.a[0], '[]');
  assert.equal(r.a[1], '[{"table_name":"kids","row_id":"[11]"}]');
});

test('S: an update of a parked row that still collides is dropped, and a later resurrection misses it', async () => {
  // b: a's insert of user 2 loses the email 'x' to b's later update of user 1 and is parked. a's
  // update of user 2's name finds no row; resurrect() collides on 'x' again and returns false, so
  // the update is skipped and not kept in the parked row. a's next update moves user 2 off 'x': it
  // comes back on b without the name. a has (2, 'y', 'first'), b (2, 'y', null); nothing records it.
  const r = await pair(
    119,
    'fs',
    [
      'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT)',
      "INSERT INTO users VALUES (1, 'e1', 'one')",
    ],
    async (a, b, world) => {
      await a.exec("INSERT INTO users VALUES (2, 'x', NULL)");
      await world.runFor(50);
      await b.exec("UPDATE users SET email = 'x' WHERE id = 1"); // later: wins 'x'
      await a.exec("UPDATE users SET name = 'first' WHERE id = 2");
      await a.exec("UPDATE users SET email = 'y' WHERE id = 2"); // moved off before hearing of b
    },
    ['SELECT id, email, name FROM users ORDER BY id'],
  );
  assert.deepEqual(r.a, r.b);
});

test('T: a unique-collision loser with children, moved off the value by its master before it heard', async () => {
  // Deferred foreign keys changed the unique rule: the losing row used to be kept when referenced
  // ("a constraint keeps the row"); now its DELETE succeeds and its children are orphans no targeted
  // check reaches (the collision is not a DELETE entry). On b, a's transactions arrive together:
  // user 2 loses 'x' and goes, order 11 (inserted under it in the next transaction) is settled as an
  // orphan and removed, user 2 comes back with a's move to 'z', and at COMMIT order 10 is no longer
  // an orphan. a never removed anything. a: orders 10 and 11; b: order 10 only (11 recorded lost).
  const r = await pair(
    120,
    'ft',
    [
      'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT)',
      'CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users, what TEXT)',
      "INSERT INTO users VALUES (1, 'e1', 'one'), (2, 'e2', 'two')",
      "INSERT INTO orders VALUES (10, 2, 'old')",
    ],
    async (a, b, world) => {
      await a.exec("UPDATE users SET email = 'x' WHERE id = 2");
      await a.exec("INSERT INTO orders VALUES (11, 2, 'new')");
      await world.runFor(50);
      await b.exec("UPDATE users SET email = 'x' WHERE id = 1"); // later: wins 'x'
      await a.exec("UPDATE users SET email = 'z' WHERE id = 2"); // moved off before hearing of b
    },
    ['SELECT id, email FROM users ORDER BY id', 'SELECT id, user_id FROM orders ORDER BY id'],
  );
  assert.deepEqual(r.a, r.b);
});

test('C: parent deleted and made again (separate transactions), keyless child table', async () => {
  // childOfRecreatedParent returns null for a child without a primary key (childKey empty).
  const r = await pair(
    103,
    'fc',
    [
      'CREATE TABLE parents (id INTEGER PRIMARY KEY, name TEXT)',
      'CREATE TABLE notes (parent_id INTEGER REFERENCES parents, body TEXT)',
      "INSERT INTO parents VALUES (1, 'p1'), (2, 'p2')",
    ],
    async (a, b) => {
      await a.exec('DELETE FROM parents WHERE id = 1');
      await a.exec("INSERT INTO parents VALUES (1, 'again')");
      await b.exec("INSERT INTO notes VALUES (1, 'new')");
    },
    ['SELECT parent_id, body FROM notes ORDER BY body', constraintSql],
  );
  assert.deepEqual(r.a, r.b);
});

test('C1: the same with the delete and the re-insert in ONE transaction', async () => {
  // Used to diverge: where the delete arrived second the keyless child stayed (no key, no version
  // to tell whether the delete had seen it); it goes now when its inserting transaction (its range,
  // keyless-rows.ts) is not covered, as where the child arrives second.
  const r = await pair(
    131,
    'fc1',
    [
      'CREATE TABLE parents (id INTEGER PRIMARY KEY, name TEXT)',
      'CREATE TABLE notes (parent_id INTEGER REFERENCES parents, body TEXT)',
      "INSERT INTO parents VALUES (1, 'p1'), (2, 'p2')",
    ],
    async (a, b) => {
      await a.exec(
        "BEGIN; DELETE FROM parents WHERE id = 1; INSERT INTO parents VALUES (1, 'again'); COMMIT",
      );
      await b.exec("INSERT INTO notes VALUES (1, 'new')");
    },
    ['SELECT parent_id, body FROM notes ORDER BY body', constraintSql],
  );
  assert.deepEqual(r.a, r.b);
  assert.deepEqual(r.a, ['[]', '[{"table_name":"notes","row_id":"[]"}]']);
});

test('E: keyless child under ON DELETE CASCADE: the lost row is recorded on both nodes', async () => {
  // Used to be recorded on one node only: on b SQLite's cascade removed the concurrent keyless row
  // unrecorded. Now a keyless row whose inserting transaction (its range, keyless-rows.ts) the
  // delete had not seen is recorded, as where it arrives second.
  const r = await pair(
    105,
    'fe',
    [
      'CREATE TABLE parents (id INTEGER PRIMARY KEY, name TEXT)',
      'CREATE TABLE notes (parent_id INTEGER REFERENCES parents ON DELETE CASCADE, body TEXT)',
      "INSERT INTO parents VALUES (1, 'p1'), (2, 'p2')",
      "INSERT INTO notes VALUES (2, 'other')",
    ],
    async (a, b) => {
      await a.exec('DELETE FROM parents WHERE id = 1');
      await b.exec("INSERT INTO notes VALUES (1, 'new')");
    },
    ['SELECT parent_id, body FROM notes ORDER BY body', constraintSql],
  );
  assert.deepEqual(r.a, r.b);
  assert.deepEqual(r.a, ['[{"parent_id":2,"body":"other"}]', '[{"table_name":"notes","row_id":"[]"}]']);
});

test('H: SET DEFAULT whose default names a missing parent: recorded alike on both nodes', async () => {
  // Used to be recorded three times on b (SQLite's SET DEFAULT recorded, then the COMMIT fallback
  // set the default again and removed it) and twice on a. An orphan already holding its default is
  // not set again.
  const r = await pair(
    108,
    'fh',
    parentsKids('ON DELETE SET DEFAULT').map((s) =>
      s.replace('parent_id INTEGER REFERENCES', 'parent_id INTEGER DEFAULT 9 REFERENCES'),
    ),
    async (a, b) => {
      await a.exec('DELETE FROM parents WHERE id = 1');
      await b.exec("INSERT INTO kids VALUES (11, 1, 'new')");
    },
    ['SELECT id, parent_id FROM kids ORDER BY id', constraintSql],
  );
  assert.deepEqual(r.a, r.b);
  assert.deepEqual(r.a, [
    '[]',
    '[{"table_name":"kids","row_id":"[11]"},{"table_name":"kids","row_id":"[11]"}]',
  ]);
});

test('U4: deferred key, parent deleted and made again in one transaction, the child updated elsewhere: it stays', async () => {
  // Used to diverge (helper-58's review): b removed kid 11, seen by a, because b's rename of its
  // name made its row version one a's transaction did not cover (unseenChildren); now the clock of
  // its key column decides.
  const r = await pair(
    130,
    'fu4',
    [
      'CREATE TABLE parents (id INTEGER PRIMARY KEY, name TEXT)',
      'CREATE TABLE kids (id INTEGER PRIMARY KEY, parent_id INTEGER, name TEXT, FOREIGN KEY (parent_id) REFERENCES parents DEFERRABLE INITIALLY DEFERRED)',
      "INSERT INTO parents VALUES (1, 'p1'), (2, 'p2')",
      "INSERT INTO kids VALUES (11, 1, 'old')",
    ],
    async (a, b) => {
      await a.exec(
        "BEGIN; DELETE FROM parents WHERE id = 1; INSERT INTO parents VALUES (1, 'again'); COMMIT",
      );
      await b.exec("UPDATE kids SET name = 'renamed' WHERE id = 11");
    },
    ['SELECT id, parent_id, name FROM kids ORDER BY id', constraintSql],
  );
  assert.deepEqual(r.a, r.b);
  assert.deepEqual(r.a, ['[{"id":11,"parent_id":1,"name":"renamed"}]', '[]']);
});

/** The records with what they say, not only which rows they name. */
const recordsSql =
  "SELECT table_name, row_id, master_1_value::text AS before, resolved_value::text AS resolved, resolution_strategy FROM replicate.conflicts WHERE conflict_type = 'constraint_conflict' ORDER BY 1, 2, 3";

for (const [n, clause, resolved] of [
  ['R1', 'ON DELETE SET NULL', { id: 11, parent_id: null, name: 'new' }],
  ['R2', 'ON DELETE CASCADE', null],
  ['R3', 'ON DELETE SET DEFAULT', { id: 11, parent_id: 2, name: 'new' }],
] as const)
  test(`${n}: the record of a child concurrent with its parent's delete (${clause}) says the same on both nodes`, async () => {
    // Used to differ (helper-58's review): where the delete arrives second recordCascadeLosses
    // recorded no resulting row and 'foreign key cascade' for what settle records as 'removed'.
    const r = await pair(
      135 + ['R1', 'R2', 'R3'].indexOf(n),
      `f${n.toLowerCase()}`,
      [
        'CREATE TABLE parents (id INTEGER PRIMARY KEY, name TEXT)',
        `CREATE TABLE kids (id INTEGER PRIMARY KEY, parent_id INTEGER DEFAULT 2 REFERENCES parents ${clause}, name TEXT)`,
        "INSERT INTO parents VALUES (1, 'p1'), (2, 'p2')",
      ],
      async (a, b) => {
        await a.exec('DELETE FROM parents WHERE id = 1');
        await b.exec("INSERT INTO kids VALUES (11, 1, 'new')");
      },
      ['SELECT id, parent_id FROM kids ORDER BY id', recordsSql],
    );
    assert.deepEqual(r.a, r.b);
    const [rec] = JSON.parse(r.a[1]!) as {
      before: string;
      resolved: string | null;
      resolution_strategy: string;
    }[];
    assert.deepEqual(JSON.parse(rec!.before), { id: 11, parent_id: 1, name: 'new' });
    assert.deepEqual(rec!.resolved === null ? null : JSON.parse(rec!.resolved), resolved);
    assert.equal(
      rec!.resolution_strategy,
      `foreign key ${clause.slice(10).toLowerCase()}: parent deleted concurrently`,
    );
  });
