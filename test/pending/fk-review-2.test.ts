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
  // The table-constraint form: a column constraint's DEFERRABLE is dropped (D0 below).
  `CREATE TABLE kids (${kid}pcode TEXT, name TEXT, FOREIGN KEY (pcode) REFERENCES parents (code) ${clause})`,
  "INSERT INTO parents VALUES (1, 'A'), (2, 'B')",
];

const parentsKids = (clause: string): string[] => [
  'CREATE TABLE parents (id INTEGER PRIMARY KEY, name TEXT)',
  `CREATE TABLE kids (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parents ${clause}, name TEXT)`,
  "INSERT INTO parents VALUES (1, 'p1'), (2, 'p2')",
];

for (const [n, clause] of [
  ['R1', 'ON DELETE SET NULL'],
  ['R2', 'ON DELETE CASCADE'],
  ['R3', 'ON DELETE SET DEFAULT'],
] as const)
  test(`${n}: records of a child concurrent with its parent's delete (${clause}) say the same on both nodes`, async () => {
    // Same rows on both nodes, different records (pre-existing, keys referencing the primary key):
    // where the child arrives second settle() records SET NULL / SET DEFAULT with the row it became
    // and a removal as 'removed: parent deleted concurrently'; where the delete arrives second
    // recordCascadeLosses records resolved_value NULL and 'foreign key cascade: ...'.
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
  // Same rows, different records: b (the update arrives second) records kid 11 as SQLite's ON UPDATE
  // CASCADE left it (pcode 'Z') before settling it; a records it as it arrived (pcode 'A').
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
