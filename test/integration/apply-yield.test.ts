// A node applying a large replicated transaction keeps serving its clients and its peer link (issue 17:
// "replication never freezes a node"): while node 2 applies node 1's one-statement insert, a client on
// node 2 gets answers, sees none of the rows until all of them are there, and the link never times out.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import { type Cluster, connectClient, currentLogs, startCluster } from '../support/cluster.js';

/** Large enough that the apply takes many slices (seconds on the test machine). */
const rows = 100_000;
let c: Cluster;

before(async () => {
  // A short link timeout: a node that stopped answering heartbeats for 2 s would be cut off.
  c = await startCluster({
    n: 2,
    topology: 'mesh',
    idPrefix: 'ay',
    env: { CHORUS_REPLICATION__REPLICATION_TIMEOUT_MS: '2000' },
  });
  await c.waitLinked(20_000);
  await c.sql(0, 'CREATE TABLE ay_big (id int PRIMARY KEY, v text)');
  await c.waitConverged(['ay_big'], 20_000);
});

after(async () => {
  await c?.stop();
});

async function seqOf(client: pg.Client, origin: string): Promise<number> {
  const r = await client.query<{ seq: string | null }>(
    'SELECT max(origin_seq)::text AS seq FROM replicate.log WHERE origin = $1',
    [origin],
  );
  return Number(r.rows[0]?.seq ?? 0);
}

test('a node applying a large transaction answers reads and keeps its peer link', async () => {
  const origin = c.nodes[0]!.nodeId;
  const before = await seqOf(c.clients[0]!, origin);
  const reader = await connectClient(c.nodes[1]!);
  try {
    await c.sql(0, `INSERT INTO ay_big SELECT g, 'v' || g FROM generate_series(1, ${rows}) g`);
    const target = await seqOf(c.clients[0]!, origin);
    assert.equal(target, before + 1, 'one transaction');

    // Reads on node 2 until its applied vector covers the transaction. A read answered while the
    // transaction was received but not applied (pending_apply > 0 and the vector short of it) is a
    // read served during the apply; every count must be all of the rows or none of them.
    let duringApply = 0;
    const counts = new Set<number>();
    const deadline = Date.now() + 180_000;
    for (;;) {
      assert.ok(Date.now() < deadline, `node 2 did not apply ${origin}:${target} (answered ${duringApply})`);
      const one = await reader.query<{ x: number }>('SELECT 1 AS x');
      assert.equal(one.rows[0]?.x, 1);
      const [q] = (
        await reader.query<{ pending: string }>(
          'SELECT pending_apply::text AS pending FROM replicate.get_queue_depth()',
        )
      ).rows;
      const seq = await seqOf(reader, origin);
      const n = Number(
        (await reader.query<{ n: string }>('SELECT count(*)::text AS n FROM ay_big')).rows[0]!.n,
      );
      counts.add(n);
      if (seq >= target) break;
      if (Number(q!.pending) > 0) duringApply++;
    }
    assert.ok(duringApply >= 3, `reads answered during the apply: ${duringApply}`);
    assert.deepEqual(
      [...counts].filter((n) => n !== 0 && n !== rows),
      [],
      'no read saw part of the transaction',
    );
    await c.waitConverged(['ay_big'], 60_000);
    for (const node of c.nodes)
      assert.doesNotMatch(currentLogs(node), /peer link timed out/, `${node.nodeId}'s peer link timed out`);
  } finally {
    await reader.end();
  }
});
