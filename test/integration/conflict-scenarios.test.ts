// Conflicts that used to leave masters different (issue 18), on 3 real processes with every peer link
// through a FaultProxy: two masters write while partitioned from each other and from the third; the
// third hears of one side first, then of the other (both orders); every node must end with the
// same rows and record every lost change.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Cluster, startCluster } from '../support/cluster.js';
import { eventually } from '../support/wait.js';

let c: Cluster;
const ids = ['cf-1', 'cf-2', 'cf-3'];

before(async () => {
  c = await startCluster({
    n: 3,
    topology: 'mesh',
    nodeIds: ids,
    proxied: [
      [0, 1],
      [0, 2],
      [1, 2],
    ],
  });
  await c.waitLinked(20_000);
});
after(async () => {
  await c?.stop();
});

/** Node `to` has applied everything node `from` committed. */
async function caughtUp(to: number, from: number): Promise<void> {
  const origin = ids[from]!;
  const want = (await c.vector(from))[origin] ?? 0;
  await eventually(`${ids[to]} applies ${origin}'s writes`, 20_000, async () =>
    ((await c.vector(to))[origin] ?? 0) >= want ? true : undefined,
  );
}

/**
 * Run `a` on node 1 and `b` on node 2 while every link is cut; node 3 then hears of node `first`
 * first; then all links heal and the nodes converge on `tables`.
 */
async function scenario(
  tables: string[],
  first: 0 | 1,
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
): Promise<void> {
  for (const [x, y] of c.edges) c.proxy(x, y).partition();
  try {
    await a();
    await b();
    c.proxy(first, 2).heal();
    await caughtUp(2, first);
  } finally {
    for (const [x, y] of c.edges) c.proxy(x, y).heal();
  }
  await c.waitConverged(tables, 30_000);
}

async function everywhere<T extends Record<string, unknown>>(sql: string): Promise<T[][]> {
  return Promise.all([0, 1, 2].map((i) => c.sql<T>(i, sql)));
}

describe('a parent deleted on one master while a child is written under it on another', () => {
  let n = 0;
  for (const clause of ['', 'ON DELETE CASCADE', 'ON DELETE SET NULL'])
    for (const first of [0, 1] as const)
      test(`${clause || 'NO ACTION'}, the third master hears of the ${first === 0 ? 'delete' : 'child'} first`, async () => {
        n++;
        const p = `fkp${n}`;
        const k = `fkc${n}`;
        await c.sql(0, `CREATE TABLE ${p} (id int PRIMARY KEY, name text)`);
        await c.sql(
          0,
          `CREATE TABLE ${k} (id int PRIMARY KEY, parent_id int REFERENCES ${p} ${clause}, name text)`,
        );
        await c.sql(0, `INSERT INTO ${p} VALUES (1, 'one'), (2, 'two')`);
        await c.sql(0, `INSERT INTO ${k} VALUES (10, 2, 'old')`);
        await c.waitConverged([p, k], 20_000);
        await scenario(
          [p, k],
          first,
          () => c.sql(0, `DELETE FROM ${p} WHERE id = 1`),
          async () => {
            await c.sql(1, `INSERT INTO ${k} VALUES (11, 1, 'new')`);
            await c.sql(1, `UPDATE ${k} SET parent_id = 1 WHERE id = 10`);
          },
        );
        const kids = await everywhere(`SELECT id, parent_id FROM ${k} ORDER BY id`);
        const want = clause.includes('SET NULL')
          ? [
              { id: 10, parent_id: null },
              { id: 11, parent_id: null },
            ]
          : [];
        for (const rows of kids) assert.deepEqual(rows, want);
        for (const rows of await everywhere(
          `SELECT row_id FROM replicate.conflicts WHERE table_name = '${k}' AND conflict_type = 'constraint_conflict' ORDER BY row_id`,
        ))
          assert.deepEqual(
            rows.map((r) => r.row_id),
            ['[10]', '[11]'],
          );
      });
});

describe('two masters give two rows one unique value', () => {
  let n = 0;
  for (const moveOff of [false, true])
    for (const first of [0, 1] as const)
      test(`${moveOff ? 'the loser moved off the value by its master, ' : ''}the third master hears of ${first === 0 ? 'the loser' : 'the winner'} first`, async () => {
        n++;
        const t = `uq${n}`;
        let written = 0;
        await c.sql(0, `CREATE TABLE ${t} (id int PRIMARY KEY, email text UNIQUE, name text)`);
        await c.sql(0, `INSERT INTO ${t} VALUES (1, 'one', 'first'), (2, 'two', 'second')`);
        await c.waitConverged([t], 20_000);
        await scenario(
          [t],
          first,
          async () => {
            await c.sql(0, `UPDATE ${t} SET email = 'x' WHERE id = 1`); // earlier: loses
            written = Date.now();
            if (moveOff) await c.sql(0, `UPDATE ${t} SET email = 'z', name = 'moved' WHERE id = 1`);
          },
          async () => {
            // The order key is the HLC: node 2's write in a later millisecond than node 1's wins.
            await eventually('a later millisecond', 1_000, async () =>
              Date.now() > written + 1 ? true : undefined,
            );
            await c.sql(1, `UPDATE ${t} SET email = 'x' WHERE id = 2`);
          },
        );
        const want = moveOff
          ? [
              { id: 1, email: 'z' },
              { id: 2, email: 'x' },
            ]
          : [{ id: 2, email: 'x' }];
        for (const rows of await everywhere(`SELECT id, email FROM ${t} ORDER BY id`))
          assert.deepEqual(rows, want);
        if (!moveOff)
          for (const rows of await everywhere(
            `SELECT count(*)::int AS n FROM replicate.conflicts WHERE table_name = '${t}' AND conflict_type = 'unique_conflict'`,
          ))
            assert.equal(rows[0]!.n, 1);
      });
});
