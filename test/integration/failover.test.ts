// Seed 000's "Active-Active with Automatic Failover" and "Master won't promote to writable" on real
// processes: two masters and a replica (initial_role replica) with enable_automatic_failover;
// promotion_blockers while the replica lags, promote_to_master refused, force_promote past the
// checks; a master SIGKILLed → the replica promotes itself, failover_history records the failover
// with its RPO/RTO on every node, and the failed master's return closes the record.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Cluster, defaultSecret, startCluster } from '../support/cluster.js';
import { NodeProcess } from '../support/launcher.js';
import { queryOnce } from '../support/query.js';
import { eventually } from '../support/wait.js';

const config =
  '[replication]\nenable_automatic_failover = true\nfailover_timeout_sec = 1\nheartbeat_interval_ms = 200\nheartbeat_timeout_ms = 600\nreplication_timeout_ms = 1000\n';
let c: Cluster;
const replicas: NodeProcess[] = [];

function query(node: NodeProcess, sql: string): Promise<Record<string, unknown>[]> {
  return queryOnce(node.connectionString, sql);
}

/** A new node joined as a replica of the cluster (snapshot, then log), caught up. */
async function addReplica(id: string): Promise<NodeProcess> {
  const node = await NodeProcess.start({
    nodeId: id,
    extraArgs: ['--ha-mode', 'multi-primary'],
    env: { CHORUS_CLUSTER_SECRET: defaultSecret },
    configToml: config,
  });
  replicas.push(node);
  await query(
    node,
    `SELECT replicate.initialize_master(master_id => '${id}', region => 'dr', priority => 1)`,
  );
  await c.sql(
    0,
    `SELECT replicate.add_master(master_id => '${id}', endpoint => '127.0.0.1:${node.haPort}', region => 'dr', priority => 1, initial_role => 'replica')`,
  );
  await eventually(`${id} caught up with nothing blocking its promotion`, 60_000, async () => {
    const [n] = await query(node, 'SELECT count(*)::int AS n FROM orders');
    const [want] = await c.sql(0, 'SELECT count(*)::int AS n FROM orders');
    const blockers = await query(
      node,
      `SELECT * FROM replicate.promotion_blockers WHERE master_id = '${id}'`,
    );
    // Watching both masters (it can only notice the failure of a master it has seen).
    const [watched] = await query(
      node,
      'SELECT count(*)::int AS n FROM replicate.failover_status WHERE unreachable_ms = 0 AND NOT failed',
    );
    return n?.n === want?.n && blockers.length === 0 && watched?.n === 2 ? true : undefined;
  });
  return node;
}

before(async () => {
  c = await startCluster({ n: 2, topology: 'mesh', idPrefix: 'fo', configToml: config });
  await c.waitLinked(20_000);
  await c.sql(0, 'CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT NOT NULL)');
  await c.sql(0, "INSERT INTO orders VALUES (1, 'a'), (2, 'b'), (3, 'c')");
  await c.waitConverged(['orders'], 10_000);
});

after(async () => {
  for (const r of replicas) await r.cleanup();
  await c?.stop();
});

test('a lagging replica shows its blockers; promote refuses; force_promote overrides', async () => {
  const r = await addReplica('fo-4');
  await query(r, 'SELECT replicate.pause_replication()');
  await c.sql(0, "INSERT INTO orders VALUES (4, 'while paused')");
  const blockers = await eventually('blockers while paused and behind', 10_000, async () => {
    const rows = await query(
      r,
      "SELECT blocker, detail FROM replicate.promotion_blockers WHERE master_id = 'fo-4'",
    );
    return rows.some((b) => b.blocker === 'REPLICATION_LAG') ? rows : undefined;
  });
  assert.ok(blockers.some((b) => b.blocker === 'TOPOLOGY_INVALID' && /paused/.test(String(b.detail))));
  await assert.rejects(
    query(r, "SELECT replicate.promote_to_master(master_id => 'fo-4', validate_topology => true)"),
    {
      code: '55000',
    },
  );
  // Forcing skips the lag but not an invalid topology, unless told to.
  await assert.rejects(
    query(r, "SELECT replicate.force_promote(master_id => 'fo-4', override_validations => false)"),
    {
      code: '55000',
    },
  );
  assert.deepEqual(
    await query(r, "SELECT replicate.force_promote(master_id => 'fo-4', override_validations => true)"),
    [{ force_promote: 'MASTER' }],
  );
  assert.deepEqual(await query(r, 'SELECT role FROM replicate.status()'), [{ role: 'master' }]);
  const [h] = await query(
    r,
    "SELECT failover_type, promoted_master, status FROM replicate.failover_history WHERE failover_type = 'forced'",
  );
  assert.deepEqual(h, { failover_type: 'forced', promoted_master: 'fo-4', status: 'COMPLETED' });
  await query(r, 'SELECT replicate.resume_replication()');
  await query(r, "SELECT replicate.remove_master(master_id => 'fo-4', verify_replication => false)").catch(
    () => undefined,
  );
  await r.stop();
  await c.sql(0, "SELECT replicate.remove_master(master_id => 'fo-4', verify_replication => false)");
});

test('a master dies: the replica promotes itself and every node records the failover', async () => {
  const r = await addReplica('fo-3');
  assert.deepEqual(await query(r, 'SELECT role FROM replicate.status()'), [{ role: 'replica' }]);
  await c.nodes[1]!.kill();
  const history = await eventually('the automatic failover on the replica', 30_000, async () => {
    const rows = await query(
      r,
      'SELECT failed_master, promoted_master, failover_type, detection_ms, rto_ms, rpo_transactions, status FROM replicate.failover_history ORDER BY failover_time DESC LIMIT 1',
    );
    console.log(
      JSON.stringify(
        r
          .logs()
          .split('\n')
          .filter((l) => /snapshot|restart|refus|failover|promot|behind/.test(l))
          .map((l) => l.slice(0, 300)),
      ),
    );
    return rows[0]?.promoted_master === 'fo-3' ? rows[0] : undefined;
  });
  assert.equal(history.failed_master, 'fo-2');
  assert.equal(history.failover_type, 'automatic');
  assert.equal(history.status, 'COMPLETED');
  assert.equal(Number(history.rpo_transactions), 0, 'the survivors hold everything fo-2 replicated');
  assert.ok(Number(history.detection_ms) >= 1_000, `detected after the timeout (${history.detection_ms} ms)`);
  assert.ok(Number(history.rto_ms) >= Number(history.detection_ms));
  assert.deepEqual(await query(r, 'SELECT role FROM replicate.status()'), [{ role: 'master' }]);
  await query(r, "INSERT INTO orders VALUES (10, 'written on the promoted replica')");
  await eventually("the promoted replica's write on fo-1", 10_000, async () =>
    (await c.sql(0, 'SELECT id FROM orders WHERE id = 10')).length === 1 ? true : undefined,
  );
  // The surviving master recorded it too: the others kept writing.
  const [seen] = await eventually('the failover on fo-1', 10_000, async () => {
    const rows = await c.sql(
      0,
      "SELECT failed_master, promoted_master, detail, status FROM replicate.failover_history WHERE failed_master = 'fo-2'",
    );
    return rows.length === 1 ? rows : undefined;
  });
  assert.match(String(seen!.detail), /^writes continue on fo-1/);
  // The failed master returns: the record is closed.
  await c.nodes[1]!.restart();
  await eventually('the failover marked recovered on fo-1', 30_000, async () => {
    const rows = await c.sql(
      0,
      "SELECT status, recovered_at FROM replicate.failover_history WHERE failed_master = 'fo-2'",
    );
    return rows[0]?.status === 'RECOVERED' && rows[0]?.recovered_at !== null ? true : undefined;
  });
});
