// Seed 000's "Removing a Replication Node" procedure, step by step, on a 3-node cluster of real
// processes: validate_topology, pinned_transactions, set_read_only (reads work, writes fail),
// remove_master refused while the master has unreplicated changes and accepted once it has none,
// replicate.masters shrinking on every node, cluster_info's quorum check, and the removed node cut off.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Cluster, startCluster } from '../support/cluster.js';
import { eventually } from '../support/wait.js';

let c: Cluster;

const one = async (i: number, sql: string): Promise<Record<string, unknown>> => (await c.sql(i, sql))[0]!;

before(async () => {
  c = await startCluster({ n: 3, topology: 'mesh', idPrefix: 'topo' });
  await c.waitLinked(20_000);
  await c.sql(0, 'CREATE TABLE large_table (id INTEGER PRIMARY KEY, v TEXT)');
  await c.sql(0, "INSERT INTO large_table VALUES (1, 'a'), (2, 'b')");
  await c.waitConverged(['large_table'], 10_000);
});

after(async () => {
  await c?.stop();
});

test('step 1: the topology is valid, nothing is pinned, the quorum is sufficient', async () => {
  for (let i = 0; i < 3; i++) {
    const v = await eventually('a valid topology', 10_000, async () => {
      const r = await one(i, 'SELECT replicate.validate_topology()');
      return r.validate_topology === 'VALID' ? r : undefined;
    });
    assert.equal(v.validate_topology, 'VALID');
  }
  const pinned = await eventually('no pinned transactions', 10_000, async () => {
    const r = await one(
      0,
      "SELECT COUNT(*) as pinned_count FROM replicate.pinned_transactions WHERE master_id = 'topo-3'",
    );
    return Number(r.pinned_count) === 0 ? r : undefined;
  });
  assert.equal(Number(pinned.pinned_count), 0);
  assert.deepEqual(
    await one(
      0,
      "SELECT master_count, min_quorum, CASE WHEN master_count >= min_quorum THEN 'OK' ELSE 'ERROR' END as quorum_status FROM replicate.cluster_info",
    ),
    { master_count: 3, min_quorum: 2, quorum_status: 'OK' },
  );
  // The seed's quorum validation of the Active-Active pattern, as written.
  assert.deepEqual(
    await one(
      0,
      "SELECT master_count, min_quorum, healthy_count, CASE WHEN healthy_count >= min_quorum THEN 'OK' ELSE 'QUORUM LOST' END as status FROM replicate.cluster_status",
    ),
    { master_count: 3, min_quorum: 2, healthy_count: 3, status: 'OK' },
  );
});

test('remove_master refuses while the master has changes a remaining master lacks', async () => {
  await c.sql(1, 'SELECT replicate.pause_replication()');
  try {
    await c.sql(2, "INSERT INTO large_table VALUES (3, 'from topo-3')");
    await eventually('topo-1 to apply the write', 10_000, async () =>
      (await c.sql(0, 'SELECT id FROM large_table WHERE id = 3')).length === 1 ? true : undefined,
    );
    // topo-1 learns what topo-3 holds from topo-3's acknowledgements, which may arrive after the
    // write itself: until then the refusal is "never acknowledged".
    const refusal = await eventually('topo-1 to hear from topo-3', 10_000, async () => {
      try {
        await c.sql(0, "SELECT replicate.remove_master(master_id => 'topo-3', verify_replication => true)");
        return new Error('remove_master succeeded');
      } catch (e) {
        return /never acknowledged/.test((e as Error).message) ? undefined : (e as Error & { code: string });
      }
    });
    assert.equal((refusal as Error & { code: string }).code, '55000', refusal.message);
    assert.match(refusal.message, /not replicated to topo-2/);
  } finally {
    await c.sql(1, 'SELECT replicate.resume_replication()');
  }
  await assert.rejects(
    c.sql(0, "SELECT replicate.remove_master(master_id => 'topo-1')"),
    /cannot remove itself/,
  );
  await assert.rejects(c.sql(0, "SELECT replicate.remove_master(master_id => 'nope')"), { code: '42704' });
});

test('steps 2-6: drain, wait, remove, validate', async () => {
  // Step 2: drain the master being removed.
  assert.deepEqual(await one(2, "SELECT replicate.set_read_only(master_id => 'topo-3')"), {
    set_read_only: 'READ_ONLY',
  });
  assert.equal(Number((await one(2, 'SELECT COUNT(*) AS n FROM large_table')).n), 3);
  await assert.rejects(
    c.sql(2, 'INSERT INTO large_table VALUES (9, NULL)'),
    (e: Error & { code: string }) => {
      return e.code === '25006' && /read-only/.test(e.message);
    },
  );
  assert.equal((await one(2, 'SELECT is_read_only FROM replicate.status()')).is_read_only, true);
  // Step 3: wait until it is fully replicated.
  await c.waitConverged(['large_table'], 15_000);
  await eventually('no pending operations for topo-3', 10_000, async () => {
    const r = await one(
      0,
      "SELECT master_id, pending_operations, replication_lag_ms FROM replicate.masters WHERE master_id = 'topo-3'",
    );
    return Number(r.pending_operations) === 0 ? r : undefined;
  });
  // Step 4: remove it, from a remaining master.
  const before = Number((await one(0, 'SELECT COUNT(*) AS n FROM replicate.masters')).n);
  assert.deepEqual(
    await one(0, "SELECT replicate.remove_master(master_id => 'topo-3', verify_replication => true)"),
    { remove_master: 'REMOVED' },
  );
  assert.equal(Number((await one(0, 'SELECT COUNT(*) AS n FROM replicate.masters')).n), before - 1);
  await eventually('topo-2 to drop topo-3 too', 10_000, async () =>
    Number((await one(1, 'SELECT COUNT(*) AS n FROM replicate.masters')).n) === before - 1 ? true : undefined,
  );
  // Step 5 (stop the removed node) is the operator's; until then it is cut off: no links to it.
  await eventually('topo-3 cut off', 15_000, async () =>
    Number((await one(2, 'SELECT healthy_peers FROM replicate.status()')).healthy_peers) === 0
      ? true
      : undefined,
  );
  await c.sql(0, "INSERT INTO large_table VALUES (10, 'after removal')");
  await eventually('topo-2 to get the new row', 10_000, async () =>
    (await c.sql(1, 'SELECT id FROM large_table WHERE id = 10')).length === 1 ? true : undefined,
  );
  assert.deepEqual(await c.sql(2, 'SELECT id FROM large_table WHERE id = 10'), []);
  // Step 6: the remaining cluster is valid and has its quorum.
  for (const i of [0, 1]) {
    await eventually('a valid topology after removal', 10_000, async () =>
      (await one(i, 'SELECT replicate.validate_topology()')).validate_topology === 'VALID' ? true : undefined,
    );
    assert.deepEqual(
      await one(
        i,
        "SELECT master_count, min_quorum, CASE WHEN master_count >= min_quorum THEN 'OK' ELSE 'ERROR' END as quorum_status FROM replicate.cluster_info",
      ),
      { master_count: 2, min_quorum: 2, quorum_status: 'OK' },
    );
  }
});
