// Quorum writes on a 3-node cluster of real processes (require_quorum_for_writes, quorum_size = 2):
// acknowledged writes are on a second node; a node cut off from both peers refuses writes (25006)
// while the majority keeps writing, and writes again after heal; a commit whose peers stop
// answering gets 08007 (outcome unknown) — yet is durable locally and replicates once they resume.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import { type Cluster, startCluster } from '../support/cluster.js';
import { eventually } from '../support/wait.js';

let c: Cluster;

const errorOf = (p: Promise<unknown>): Promise<pg.DatabaseError | null> =>
  p.then(
    () => null,
    (e: pg.DatabaseError) => e,
  );

before(async () => {
  c = await startCluster({
    n: 3,
    topology: 'mesh',
    idPrefix: 'q',
    proxied: [
      [0, 1],
      [0, 2],
      [1, 2],
    ],
    // Long link timeouts: a paused peer keeps its link up, so a commit waits for acks that never come.
    configToml:
      '[replication]\nrequire_quorum_for_writes = true\nquorum_size = 2\nquorum_timeout_ms = 1500\nheartbeat_timeout_ms = 20000\nreplication_timeout_ms = 30000\n',
  });
  await c.waitLinked(20_000);
  await c.sql(0, 'CREATE TABLE q_items (id INTEGER PRIMARY KEY, origin TEXT)');
  await c.waitConverged(['q_items'], 10_000);
});

after(async () => {
  await c?.stop();
});

test('an acknowledged write is already on a second node', async () => {
  await c.sql(0, "INSERT INTO q_items VALUES (1, 'q-1')");
  // The commit returned only after a peer acked: at least one of the others has it right now.
  const counts = await Promise.all(
    [1, 2].map(async (i) => (await c.sql(i, 'SELECT id FROM q_items WHERE id = 1')).length),
  );
  assert.ok(
    counts.some((n) => n === 1),
    `no peer had the row when the commit returned: ${counts}`,
  );
});

test('a node cut off from both peers refuses writes; the majority writes on; after heal it writes again', async () => {
  c.proxy(0, 1).partition();
  c.proxy(0, 2).partition();
  let unknownIds: number[] = [];
  try {
    // Until node 0 notices the cut, a write commits locally and waits for a quorum that cannot
    // come: 08007, outcome unknown (the row stays, and replicates after heal). Then: 25006.
    let id = 100;
    const unknown: number[] = [];
    const refused = await eventually('node 0 to refuse writes', 20_000, async () => {
      const err = await errorOf(c.sql(0, 'INSERT INTO q_items VALUES ($1, $2)', [++id, 'q-1']));
      assert.ok(
        err === null || err.code === '25006' || err.code === '08007',
        `unexpected ${err?.code}: ${err?.message}`,
      );
      assert.notEqual(err, null, 'a write in a minority partition was acknowledged');
      if (err?.code === '08007') unknown.push(id);
      return err?.code === '25006' ? { err, id } : undefined;
    });
    assert.match(refused.err.message, /minority partition/);
    unknownIds = unknown;
    assert.deepEqual(await c.sql(0, 'SELECT id FROM q_items WHERE id = $1', [refused.id]), []);
    await c.sql(1, "INSERT INTO q_items VALUES (3, 'q-2')");
    assert.deepEqual(await c.sql(0, 'SELECT id FROM q_items WHERE id = 3'), []);
    await assert.rejects(c.sql(0, 'BEGIN; UPDATE q_items SET origin = 1 WHERE id = 1; COMMIT'), {
      code: '25006',
    });
    await c.sql(0, 'ROLLBACK'); // the block failed at its first write, as in PostgreSQL
  } finally {
    c.proxy(0, 1).heal();
    c.proxy(0, 2).heal();
  }
  // Right after heal the links may not be back yet (25006), or a commit may miss its quorum (08007).
  let next = 200;
  const afterHeal: number[] = [];
  await eventually('node 0 to write again', 20_000, async () => {
    const id = ++next;
    const err = await errorOf(c.sql(0, 'INSERT INTO q_items VALUES ($1, $2)', [id, 'q-1']));
    if (err?.code === '08007' || err === null) afterHeal.push(id);
    else assert.equal(err.code, '25006', err.message);
    return err === null ? true : undefined;
  });
  await c.waitConverged(['q_items'], 20_000);
  const ids = (await c.sql(2, 'SELECT id FROM q_items ORDER BY id')).map((r) => Number(r.id));
  assert.deepEqual(
    ids,
    [1, 3, ...unknownIds, ...afterHeal].sort((a, b) => a - b),
  );
});

test('peers that stop answering: the commit gets 08007, is durable locally, and replicates once they resume', async () => {
  await eventually('node 0 linked to both peers', 20_000, async () => {
    const [st] = await c.sql(0, 'SELECT healthy_peers FROM replicate.status()');
    return Number(st?.healthy_peers) === 2 ? true : undefined;
  });
  c.nodes[1]!.pause();
  c.nodes[2]!.pause();
  try {
    const err = await errorOf(c.sql(0, "INSERT INTO q_items VALUES (5, 'q-1')"));
    assert.equal(err?.code, '08007', String(err?.message));
    assert.match(err!.message, /resolution unknown/);
    assert.equal((await c.sql(0, 'SELECT id FROM q_items WHERE id = 5')).length, 1);
  } finally {
    c.nodes[1]!.resume();
    c.nodes[2]!.resume();
  }
  await c.waitConverged(['q_items'], 30_000);
  assert.equal((await c.sql(2, 'SELECT id FROM q_items WHERE id = 5')).length, 1);
});
