// Transaction blocks in commit groups (session/group-commit.ts): a block whose COMMIT arrives in the
// same batch (here: one multi-statement query) runs inside a group; concurrent blocks share one
// durable commit; a failing block undoes only itself; a block whose end has not arrived yet (an
// interactive transaction) takes the writer alone, as before.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type ChorusNode, openNode } from '../../src/node/node.js';

let dir: string;
let node: ChorusNode;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'chorus-groupblocks-'));
  node = openNode({ load: { flags: { dataDir: dir, nodeId: 'g1', logLevel: 'silent' } } });
  await node.exec('CREATE TABLE acct (id INTEGER PRIMARY KEY, owner INTEGER NOT NULL)');
});

after(async () => {
  await node.close();
  rmSync(dir, { recursive: true, force: true });
});

const count = async (sql: string): Promise<number> => Number((await node.query(sql)).rows[0]!.n);

test('concurrent blocks sent whole run in commit groups and all commit', async () => {
  const before = node.groupCommitStats;
  await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      node.exec(
        `BEGIN; INSERT INTO acct VALUES (${2 * i}, ${i}); INSERT INTO acct VALUES (${2 * i + 1}, ${i}); COMMIT`,
      ),
    ),
  );
  const stats = node.groupCommitStats;
  assert.equal(stats.blocks - before.blocks, 20);
  assert.ok(stats.groups - before.groups < 20, `20 blocks took ${stats.groups - before.groups} commits`);
  assert.equal(await count('SELECT count(*) AS n FROM acct'), 40);
  // Each block's changes are one replicated transaction's worth: both rows of a block share a txid.
  const split = await count(
    "SELECT count(*) AS n FROM (SELECT columns->>'owner' AS o, count(DISTINCT txid) AS t FROM replicate.log WHERE table_name = 'acct' AND operation = 'INSERT' GROUP BY o) AS per_owner WHERE t > 1",
  );
  assert.equal(split, 0);
});

test('a failing block undoes only itself; the others in its group commit', async () => {
  const results = await Promise.allSettled([
    node.exec('BEGIN; INSERT INTO acct VALUES (100, 50); INSERT INTO acct VALUES (101, 50); COMMIT'),
    node.exec('BEGIN; INSERT INTO acct VALUES (102, 51); INSERT INTO acct VALUES (0, 51); COMMIT'), // 0 exists
    node.exec('BEGIN; INSERT INTO acct VALUES (103, 52); COMMIT'),
  ]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
  assert.equal((results[1] as PromiseRejectedResult).reason.sqlstate, '23505');
  assert.deepEqual(
    (await node.query('SELECT id FROM acct WHERE id >= 100 ORDER BY id')).rows.map((r) => Number(r.id)),
    [100, 101, 103],
  );
});

test('an interactive block (its COMMIT not yet sent) takes the writer alone', async () => {
  const before = node.groupCommitStats.blocks;
  const session = node.openSession();
  try {
    const run = async (sql: string) => {
      const planned = (node as unknown as { plans: { planSimple(s: string): never[] } }).plans.planSimple(
        sql,
      );
      await session.executeSimple(planned, () => undefined);
    };
    await run('BEGIN');
    await run('INSERT INTO acct VALUES (200, 60)');
    await run('COMMIT');
  } finally {
    node.closeSession(session);
  }
  assert.equal(node.groupCommitStats.blocks, before);
  assert.equal(await count('SELECT count(*) AS n FROM acct WHERE id = 200'), 1);
});

test('a block with savepoints takes the writer alone (after an error it may go on interactively)', async () => {
  const before = node.groupCommitStats.blocks;
  await node.exec(
    'BEGIN; INSERT INTO acct VALUES (300, 70); SAVEPOINT s; INSERT INTO acct VALUES (301, 70); COMMIT',
  );
  await node.exec('BEGIN; SAVEPOINT s; INSERT INTO acct VALUES (302, 71); RELEASE s; COMMIT');
  assert.equal(node.groupCommitStats.blocks, before);
  assert.equal(await count('SELECT count(*) AS n FROM acct WHERE id IN (300, 301, 302)'), 3);
});
