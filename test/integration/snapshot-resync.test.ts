// Snapshot catch-up on real processes: a new master joins from a donor's snapshot while both
// masters keep writing (every acknowledged write reaches it, it is promoted, its writes reach the
// others), and a node that was down while the others' logs passed the retention cap re-syncs by
// itself (both peers refuse to stream to it; it takes a snapshot and streams on from its vector).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { type Cluster, defaultSecret, startCluster } from '../support/cluster.js';
import { NodeProcess } from '../support/launcher.js';
import { queryOnce as query } from '../support/query.js';
import { eventually } from '../support/wait.js';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const f of cleanups.reverse()) await f().catch(() => undefined);
});

async function fill(c: Cluster, node: number, table: string, from: number, rows: number, width: number) {
  for (let i = from; i < from + rows; i += 500) {
    const values = [];
    for (let k = i; k < Math.min(from + rows, i + 500); k++)
      values.push(`(${k}, '${'x'.repeat(width)}', ${k})`);
    await c.sql(node, `INSERT INTO ${table} VALUES ${values.join(', ')}`);
  }
}

test('a new master joins from a snapshot while both masters keep writing', async () => {
  const c = await startCluster({ n: 2, topology: 'mesh', idPrefix: 'sj' });
  cleanups.push(() => c.stop());
  await c.waitLinked(20_000);
  await c.sql(
    0,
    'CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT NOT NULL, balance INTEGER NOT NULL)',
  );
  await c.sql(0, 'CREATE TABLE events (id TEXT PRIMARY KEY, node INTEGER NOT NULL)');
  await fill(c, 0, 'accounts', 1, 20_000, 100);
  await c.waitConverged(['accounts'], 30_000);

  // Writers on both masters until told to stop; every acknowledged event id is remembered.
  const acked: string[] = [];
  let writing = true;
  const writer = async (node: number): Promise<void> => {
    for (let k = 0; writing; k++) {
      const id = `n${node}-${k}`;
      await c.sql(node, `INSERT INTO events VALUES ('${id}', ${node})`);
      await c.sql(node, `UPDATE accounts SET balance = balance + 1 WHERE id = ${1 + (k % 20_000)}`);
      acked.push(id);
    }
  };
  const writers = [writer(0), writer(1)];

  const fresh = await NodeProcess.start({
    nodeId: 'sj-3',
    extraArgs: ['--ha-mode', 'multi-primary'],
    env: { CHORUS_CLUSTER_SECRET: defaultSecret },
  });
  cleanups.push(() => fresh.cleanup());
  const conn = fresh.connectionString;
  await query(conn, "SELECT replicate.initialize_master(master_id => 'sj-3', region => 'eu', priority => 5)");
  await c.sql(
    0,
    `SELECT replicate.add_master(master_id => 'sj-3', endpoint => '127.0.0.1:${fresh.haPort}', region => 'eu', priority => 5, initial_role => 'replica')`,
  );
  await eventually('the snapshot installed on the new node', 60_000, async () =>
    fresh.logs().includes('snapshot installed') ? true : undefined,
  );
  // Catch-up while the writers go on: the new node reaches what had been acknowledged since.
  const target = acked.length + 50;
  await eventually('acknowledged writes to pass the mark', 30_000, async () =>
    acked.length >= target ? true : undefined,
  );
  const mark = acked.slice(0, target);
  await eventually('the new node to catch up with the writers running', 60_000, async () => {
    const [r] = await query(conn, 'SELECT count(*)::int AS n FROM events');
    return Number(r?.n) >= mark.length ? true : undefined;
  });
  assert.ok(writing, 'the writers were still running');
  writing = false;
  await Promise.all(writers);

  await c.waitConverged(['accounts', 'events'], 30_000);
  const dump = async (sql: string, rows: () => Promise<Record<string, unknown>[]>) =>
    JSON.stringify(await rows().catch(() => sql));
  const expected = await dump('a', () => c.sql(0, 'SELECT id, owner, balance FROM accounts ORDER BY id'));
  const expectedEvents = await dump('b', () => c.sql(0, 'SELECT id, node FROM events ORDER BY id'));
  await eventually('the new node to hold the same data', 60_000, async () => {
    const a = await dump('x', () => query(conn, 'SELECT id, owner, balance FROM accounts ORDER BY id'));
    const e = await dump('y', () => query(conn, 'SELECT id, node FROM events ORDER BY id'));
    return a === expected && e === expectedEvents ? true : undefined;
  });
  const ids = new Set((await query(conn, 'SELECT id FROM events')).map((r) => String(r.id)));
  assert.deepEqual(
    acked.filter((id) => !ids.has(id)),
    [],
    'every acknowledged write is on the new node',
  );
  const [snap] = await c.sql(0, 'SELECT snapshots_made, bytes_served FROM replicate.snapshot_status');
  const [snap1] = await c.sql(1, 'SELECT snapshots_made FROM replicate.snapshot_status');
  assert.equal(
    Number(snap!.snapshots_made) + Number(snap1!.snapshots_made),
    1,
    'one donor made one snapshot',
  );

  const promoted = await eventually('promotion', 30_000, async () => {
    const [r] = await query(
      conn,
      "SELECT replicate.promote_to_master(master_id => 'sj-3', validate_topology => true)",
    );
    return r;
  });
  assert.deepEqual(promoted, { promote_to_master: 'MASTER' });
  await query(conn, "INSERT INTO events VALUES ('from-sj-3', 3)");
  for (const i of [0, 1]) {
    await eventually(`the new master's write on node ${i}`, 15_000, async () =>
      (await c.sql(i, "SELECT id FROM events WHERE id = 'from-sj-3'")).length === 1 ? true : undefined,
    );
  }
});

test('a node that fell past the retention cap re-syncs from a snapshot by itself', async () => {
  const c = await startCluster({
    n: 3,
    topology: 'mesh',
    idPrefix: 'rc',
    configToml: '[replication.buffers]\nwal_buffer_size_mb = 1\n',
  });
  cleanups.push(() => c.stop());
  await c.waitLinked(20_000);
  await c.sql(0, 'CREATE TABLE docs (id INTEGER PRIMARY KEY, body TEXT NOT NULL, n INTEGER NOT NULL)');
  await c.waitConverged(['docs'], 20_000); // rc-3 has the table before it writes to it
  await c.sql(2, "INSERT INTO docs VALUES (0, 'written on rc-3 before it went down', 0)");
  await c.waitConverged(['docs'], 20_000);
  await c.nodes[2]!.stop();

  // Well past the 1 MB cap: the others' logs drop entries rc-3 never received.
  await fill(c, 0, 'docs', 1, 3_000, 1_000);
  await fill(c, 1, 'docs', 10_001, 1_000, 1_000);
  for (const i of [0, 1]) {
    await eventually(`node ${i} to mark rc-3 as needing a snapshot`, 60_000, async () => {
      const [r] = await c.sql(i, "SELECT state FROM replicate.masters WHERE master_id = 'rc-3'");
      return r?.state === 'NEEDS_SNAPSHOT' ? true : undefined;
    });
  }

  await c.nodes[2]!.restart();
  await eventually('rc-3 to install a snapshot', 60_000, async () =>
    c.nodes[2]!.logs().includes('snapshot installed') ? true : undefined,
  );
  await eventually('rc-3 to answer again', 20_000, async () => {
    await c.reconnect(2);
    return true;
  });
  await c.waitConverged(['docs'], 60_000);
  const [r] = await c.sql(2, 'SELECT count(*)::int AS n FROM docs');
  assert.equal(r!.n, 4_001);
  for (const i of [0, 1]) {
    await eventually(`node ${i} to see rc-3 active again`, 30_000, async () => {
      const [m] = await c.sql(i, "SELECT state FROM replicate.masters WHERE master_id = 'rc-3'");
      return m?.state === 'ACTIVE' ? true : undefined;
    });
  }
  // It writes again, and its writes reach the others.
  await c.sql(2, "INSERT INTO docs VALUES (99999, 'after the re-sync', 1)");
  await c.waitConverged(['docs'], 20_000);
  for (let i = 0; i < 3; i++) {
    await eventually(`a valid topology on node ${i}`, 20_000, async () =>
      (await c.sql(i, 'SELECT replicate.validate_topology()'))[0]?.validate_topology === 'VALID'
        ? true
        : undefined,
    );
  }
});
