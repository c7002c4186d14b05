// Known divergence (issue 18, ddl-unique with CREATE UNIQUE INDEX; helper h62): a DROP of the unique
// index / constraint racing a duplicate. Node a inserts u = 5 under the index and then drops it;
// node b, still under the index and not yet holding a's row, inserts u = 5 too (later). On b the
// duplicate meets the index (unique_conflict: a's row loses and is parked); on a the DROP came first,
// so b's insert meets no index and a keeps both rows. Not run by `npm test` (test/pending/); run with
// `node --test dist/test/pending/unique-drop-race.test.js`. Move to test/unit/unique-ddl-conflict.test.ts
// once it passes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ChorusNode } from '../../src/node/node.js';
import { dumpRows, partitionedChecks } from '../support/sim-pair.js';
import { trio } from '../support/sim-trio.js';

const root = mkdtempSync(join(tmpdir(), 'chorus-unique-drop-race-'));
after(() => rmSync(root, { recursive: true, force: true }));

const forms = {
  index: ['CREATE UNIQUE INDEX t_u ON t (u)', 'DROP INDEX t_u'],
  constraint: ['ALTER TABLE t ADD CONSTRAINT t_u UNIQUE (u)', 'ALTER TABLE t DROP CONSTRAINT t_u'],
} as const;

const checks = [
  'SELECT * FROM t ORDER BY id',
  "SELECT indexname FROM pg_indexes WHERE tablename = 't' ORDER BY indexname",
  "SELECT row_id, conflict_type FROM replicate.conflicts WHERE table_name = 't' ORDER BY row_id",
];

for (const [form, [make, drop]] of Object.entries(forms)) {
  test(`${form}: a duplicate inserted under the index while its holder's node drops it: same rows and records on both nodes`, async () => {
    const r = await partitionedChecks(
      root,
      31,
      `d${form[0]}`,
      ['CREATE TABLE t (id INTEGER PRIMARY KEY, u INTEGER, v INTEGER)', make],
      async (a, b, world) => {
        await a.exec('INSERT INTO t VALUES (1, 5, 0)');
        await world.runFor(20);
        await b.exec('INSERT INTO t VALUES (2, 5, 0)');
        await world.runFor(20);
        await a.exec(drop);
      },
      checks,
    );
    assert.deepEqual(r.b, r.a, 'the nodes differ');
  });

  // The shape of `--workload ddl-unique --seed 11` (index form): x holds a duplicate written before
  // it heard of the index; the index's CREATE (from y) settles it there (row 1 removed), but z drops
  // the index before y and z hear of the duplicate, so they never meet it with the index and keep both.
  test(`${form}: a duplicate the CREATE settles on one node, the DROP reaching the others first`, async () => {
    const t = await trio(root, form === 'index' ? 32 : 33, `e${form[0]}`);
    try {
      await t.x.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, u INTEGER, v INTEGER)');
      await t.x.exec('INSERT INTO t VALUES (1, 5, 0)');
      await t.world.runFor(500);
      t.isolate();
      await t.y.exec(make);
      await t.x.exec('INSERT INTO t VALUES (2, 5, 0)');
      t.heal(t.y, t.z);
      await t.world.runFor(1_000);
      await t.z.exec(drop);
      await t.world.runFor(1_000);
      t.heal(t.x, t.y);
      t.heal(t.x, t.z);
      await t.world.runFor(2_000);
      const dump = async (n: ChorusNode): Promise<string[]> => Promise.all(checks.map((q) => dumpRows(n, q)));
      const x = await dump(t.x);
      assert.deepEqual(await dump(t.y), x, 'y differs from x');
      assert.deepEqual(await dump(t.z), x, 'z differs from x');
    } finally {
      await t.close();
    }
  });
}
