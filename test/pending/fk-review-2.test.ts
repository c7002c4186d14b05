// Review (helper h58) of the foreign-key convergence change for keys referencing a UNIQUE column
// (commits 06e5429..d06d698: fk-unique-refs.ts, fk-orphans.ts, row-settlement.ts): cases where the
// nodes still end with different rows or different conflict records depending on arrival order,
// or where a child is removed that no concurrent change justified. Each comment says what diverges.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ChorusNode } from '../../src/node/node.js';
import type { SimWorld } from '../../src/testing/sim-world.js';
import { partitionedChecks } from '../support/sim-pair.js';

const root = mkdtempSync(join(tmpdir(), 'chorus-fkreview2-'));
after(() => rmSync(root, { recursive: true, force: true }));

const constraintSql =
  "SELECT table_name, row_id FROM replicate.conflicts WHERE conflict_type = 'constraint_conflict' ORDER BY table_name, row_id";
/** The records with what they say, not only which rows they name. */
const recordsSql =
  "SELECT table_name, row_id, master_1_value::text AS before, resolved_value::text AS resolved, resolution_strategy FROM replicate.conflicts WHERE conflict_type = 'constraint_conflict' ORDER BY 1, 2, 3";

/** Two nodes: `setup` on a, partition, `steps`, heal; the dumps of each query on a and on b. */
const pair = (
  seed: number,
  prefix: string,
  setup: string[],
  steps: (a: ChorusNode, b: ChorusNode, world: SimWorld) => Promise<void>,
  checks: string[],
): Promise<{ a: string[]; b: string[] }> => partitionedChecks(root, seed, prefix, setup, steps, checks);

const uniqueParents = (clause: string, kid = 'id INTEGER PRIMARY KEY, '): string[] => [
  'CREATE TABLE parents (id INTEGER PRIMARY KEY, code TEXT UNIQUE NOT NULL)',
  // The table-constraint form: a column constraint's DEFERRABLE is dropped (see D0 below).
  `CREATE TABLE kids (${kid}pcode TEXT, name TEXT, FOREIGN KEY (pcode) REFERENCES parents (code) ${clause})`,
  "INSERT INTO parents VALUES (1, 'A'), (2, 'B')",
];

test('U1: ON UPDATE CASCADE of a seen child while another master updates its other column', async () => {
  // Kid 11 under 'A' is on both nodes before the partition. a: parent 1 'A' -> 'Z' (kid 11 follows
  // by ON UPDATE CASCADE; a had seen kid 11). b: kid 11's name only. No concurrent change of the
  // value the kid references was unseen by its writer: kid 11 should stay everywhere ('Z', 'renamed').
  const r = await pair(
    201,
    'ru1',
    [...uniqueParents('ON UPDATE CASCADE'), "INSERT INTO kids VALUES (11, 'A', 'old')"],
    async (a, b) => {
      await a.exec("UPDATE parents SET code = 'Z' WHERE id = 1");
      await b.exec("UPDATE kids SET name = 'renamed' WHERE id = 11");
    },
    ['SELECT id, pcode, name FROM kids ORDER BY id', constraintSql],
  );
  assert.deepEqual(r.a, r.b);
  assert.deepEqual(r.a, ['[{"id":11,"pcode":"Z","name":"renamed"}]', '[]']);
});

test('U2: deferred key, value handed to another parent in one transaction, child updated elsewhere', async () => {
  // a (deferred key): parent 1 gives 'A' up and parent 3 takes it in one transaction; kid 11 (seen
  // by a) still references 'A', now held by 3. b: kid 11's name only. Kid 11 should stay everywhere.
  const r = await pair(
    202,
    'ru2',
    [...uniqueParents('DEFERRABLE INITIALLY DEFERRED'), "INSERT INTO kids VALUES (11, 'A', 'old')"],
    async (a, b) => {
      await a.exec("BEGIN; UPDATE parents SET code = 'Z' WHERE id = 1; INSERT INTO parents VALUES (3, 'A'); COMMIT");
      await b.exec("UPDATE kids SET name = 'renamed' WHERE id = 11");
    },
    ['SELECT id, pcode, name FROM kids ORDER BY id', constraintSql],
  );
  assert.deepEqual(r.a, r.b);
  assert.deepEqual(r.a, ['[{"id":11,"pcode":"A","name":"renamed"}]', '[]']);
});

test('K1: keyless child, value deleted and held again in ONE transaction (B1 with a keyless child)', async () => {
  // a: parent 1 deleted and parent 3 takes 'A' in one transaction; b: a keyless kid under 'A'.
  const r = await pair(
    203,
    'rk1',
    uniqueParents('', ''),
    async (a, b) => {
      await a.exec("BEGIN; DELETE FROM parents WHERE id = 1; INSERT INTO parents VALUES (3, 'A'); COMMIT");
      await b.exec("INSERT INTO kids VALUES ('A', 'new')");
    },
    ['SELECT pcode, name FROM kids ORDER BY name', constraintSql],
  );
  assert.deepEqual(r.a, r.b);
  assert.equal(r.a[0], '[]');
});

test('K2: keyless child vs ON UPDATE CASCADE of the value it references (D with a keyless child)', async () => {
  const r = await pair(
    204,
    'rk2',
    uniqueParents('ON UPDATE CASCADE', ''),
    async (a, b) => {
      await a.exec("UPDATE parents SET code = 'Z' WHERE id = 1");
      await b.exec("INSERT INTO kids VALUES ('A', 'new')");
    },
    ['SELECT pcode, name FROM kids ORDER BY name', constraintSql],
  );
  assert.deepEqual(r.a, r.b);
  assert.equal(r.a[0], '[]');
});

const parentsKids = (clause: string): string[] => [
  'CREATE TABLE parents (id INTEGER PRIMARY KEY, name TEXT)',
  `CREATE TABLE kids (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parents ${clause}, name TEXT)`,
  "INSERT INTO parents VALUES (1, 'p1'), (2, 'p2')",
];

for (const [n, clause] of [
  ['R1', 'ON DELETE SET NULL'],
  ['R2', 'ON DELETE CASCADE'],
  ['R3', "ON DELETE SET DEFAULT"],
] as const)
  test(`${n}: records of a child concurrent with its parent's delete (${clause}) say the same on both nodes`, async () => {
    const r = await pair(
      205,
      `r${n.toLowerCase()}`,
      n === 'R3'
        ? [
            'CREATE TABLE parents (id INTEGER PRIMARY KEY, name TEXT)',
            `CREATE TABLE kids (id INTEGER PRIMARY KEY, parent_id INTEGER DEFAULT 2 REFERENCES parents ${clause}, name TEXT)`,
            "INSERT INTO parents VALUES (1, 'p1'), (2, 'p2')",
          ]
        : parentsKids(clause),
      async (a, b) => {
        await a.exec('DELETE FROM parents WHERE id = 1');
        await b.exec("INSERT INTO kids VALUES (11, 1, 'new')");
      },
      ['SELECT id, parent_id FROM kids ORDER BY id', recordsSql],
    );
    assert.deepEqual(r.a, r.b);
  });

test('R4: records of D (ON UPDATE CASCADE, UNIQUE key) say the same on both nodes', async () => {
  const r = await pair(
    208,
    'rr4',
    uniqueParents('ON UPDATE CASCADE'),
    async (a, b) => {
      await a.exec("UPDATE parents SET code = 'Z' WHERE id = 1");
      await b.exec("INSERT INTO kids VALUES (11, 'A', 'new')");
    },
    ['SELECT id, pcode FROM kids ORDER BY id', recordsSql],
  );
  assert.deepEqual(r.a, r.b);
});
