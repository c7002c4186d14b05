// Seed 000's "Adding a Replication Node" procedure on real processes: a new node initializes as a
// master (INITIALIZING, read-only), an existing master adds it (every master dials it), it takes a
// snapshot from a donor (restarting in-process to install it) and streams the log from there, is
// promoted, and its writes reach the others.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { type Cluster, defaultSecret, startCluster } from '../support/cluster.js';
import { NodeProcess } from '../support/launcher.js';
import { queryOnce } from '../support/query.js';
import { eventually } from '../support/wait.js';

const config = '[replication]\nlog_retention_min_ms = 3600000\n';
let c: Cluster;
let fresh: NodeProcess;
let client: pg.Client;

before(async () => {
  c = await startCluster({ n: 2, topology: 'mesh', idPrefix: 'am', configToml: config });
  await c.waitLinked(20_000);
  await c.sql(0, 'CREATE TABLE validation_test (id INTEGER PRIMARY KEY, value TEXT)');
  await c.waitConverged(['validation_test'], 10_000); // am-2 has the table before it writes to it
  await c.sql(0, "INSERT INTO validation_test VALUES (1, 'from am-1')");
  await c.sql(1, "INSERT INTO validation_test VALUES (2, 'from am-2')");
  await c.waitConverged(['validation_test'], 10_000);
  fresh = await NodeProcess.start({
    nodeId: 'am-3',
    extraArgs: ['--ha-mode', 'multi-primary'],
    env: { CHORUS_CLUSTER_SECRET: defaultSecret },
    configToml: config,
  });
  client = new pg.Client({ connectionString: fresh.connectionString });
  client.on('error', () => undefined);
  await client.connect();
});

after(async () => {
  await client?.end().catch(() => undefined);
  await fresh?.cleanup();
  await c?.stop();
});

/** A query on the new node (installing a snapshot restarts it, closing connections). */
const q = (sql: string): Promise<Record<string, unknown>[]> => queryOnce(fresh.connectionString, sql);

test('initialize, add, catch up, promote, validate', async () => {
  // Step 1, on the new node.
  assert.deepEqual(
    await q(
      "SELECT replicate.initialize_master(master_id => 'am-3', region => 'ap-northeast-1', priority => 10)",
    ),
    [{ initialize_master: 'INITIALIZING' }],
  );
  assert.deepEqual(await q('SELECT status, role FROM replicate.status()'), [
    { status: 'INITIALIZING', role: 'replica' },
  ]);
  await assert.rejects(client.query('CREATE TABLE too_early (id INTEGER PRIMARY KEY)'), { code: '25006' });
  // Step 2, on an existing master.
  const added = await c.sql(
    0,
    `SELECT replicate.add_master(master_id => 'am-3', endpoint => '127.0.0.1:${fresh.haPort}', region => 'ap-northeast-1', priority => 10, initial_role => 'replica')`,
  );
  assert.deepEqual(added, [{ add_master: 'ADDED' }]);
  await assert.rejects(
    c.sql(0, `SELECT replicate.add_master(master_id => 'am-3', endpoint => '127.0.0.1:${fresh.haPort}')`),
    { code: '42710' },
  );
  for (const i of [0, 1]) {
    const row = await eventually(`am-3 listed on node ${i}`, 10_000, async () => {
      const rows = await c.sql(
        i,
        "SELECT master_id, region, priority FROM replicate.masters WHERE master_id = 'am-3'",
      );
      return rows.length === 1 ? rows[0] : undefined;
    });
    assert.deepEqual(row, { master_id: 'am-3', region: 'ap-northeast-1', priority: 10 });
  }
  // Steps 3-4: connections and catch-up.
  await eventually('am-3 caught up', 20_000, async () =>
    (await q('SELECT count(*)::int AS n FROM validation_test').catch(() => []))[0]?.n === 2
      ? true
      : undefined,
  );
  // It started from a snapshot of a donor (the install restarted it, closing this connection).
  await assert.rejects(client.query('SELECT 1'));
  assert.ok(fresh.logs().includes('snapshot installed'), 'the new node installed a snapshot from a donor');
  await eventually('catch-up complete as seen from am-1', 20_000, async () => {
    const [r] = await c.sql(
      0,
      "SELECT catch_up_progress_percent FROM replicate.masters WHERE master_id = 'am-3'",
    );
    return Number(r?.catch_up_progress_percent) >= 100 ? true : undefined;
  });
  // Step 5, on the new node.
  const promoted = await eventually(
    'promotion',
    20_000,
    async () =>
      (await q("SELECT replicate.promote_to_master(master_id => 'am-3', validate_topology => true)"))[0],
  );
  assert.deepEqual(promoted, { promote_to_master: 'MASTER' });
  assert.deepEqual(await q('SELECT role FROM replicate.status()'), [{ role: 'master' }]);
  // Step 6: its writes reach the others; the topology is valid.
  await q("INSERT INTO validation_test VALUES (3, 'from_ap_northeast')");
  for (const i of [0, 1]) {
    await eventually(`the new master's row on node ${i}`, 10_000, async () =>
      (await c.sql(i, 'SELECT value FROM validation_test WHERE id = 3')).length === 1 ? true : undefined,
    );
    await eventually(`a valid topology on node ${i}`, 10_000, async () =>
      (await c.sql(i, 'SELECT replicate.validate_topology()'))[0]?.validate_topology === 'VALID'
        ? true
        : undefined,
    );
  }
});
