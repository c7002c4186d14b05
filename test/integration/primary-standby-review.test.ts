// Review of primary/standby (issue 16, first slice) with real processes: a sync commit is never
// acknowledged by a standby whose data follows another history (the primary's data directory was
// re-created under the same node id, or it followed another primary) and nothing is shipped to it
// until it is rebuilt; a standby takes no replicate.* write; a linked peer that never said it is a
// standby (a multi-primary node dialing the primary) is not counted as one, and a primary never
// re-syncs from a snapshot of such a peer; and a re-created primary that numbered more commits than
// its standby holds before the standby relinks is caught by the database history id.
import assert from 'node:assert/strict';
import { mkdir, rm } from 'node:fs/promises';
import { after, test } from 'node:test';
import pg from 'pg';
import { NodeProcess } from '../support/launcher.js';
import { eventually } from '../support/wait.js';

const secret = 'primary-standby-review-secret';
/** A commit whose standbys do not confirm it gets 08007 after this long. */
const configToml =
  '[ha]\nsync_timeout_ms = 1500\n[replication]\nheartbeat_timeout_ms = 20000\nreplication_timeout_ms = 30000\n';

const nodes: NodeProcess[] = [];

after(async () => {
  for (const n of nodes) await n.cleanup();
});

async function q(node: NodeProcess, sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: node.connectionString });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as Record<string, unknown>[];
  } finally {
    await client.end().catch(() => undefined);
  }
}

const errorOf = (p: Promise<unknown>): Promise<pg.DatabaseError | null> =>
  p.then(
    () => null,
    (e: pg.DatabaseError) => e,
  );

async function startPrimary(id: string): Promise<NodeProcess> {
  const p = await NodeProcess.start({
    nodeId: id,
    extraArgs: ['--ha-mode', 'primary', '--ha-sync-mode', 'sync'],
    env: { CHORUS_CLUSTER_SECRET: secret },
    configToml,
  });
  nodes.push(p);
  return p;
}

async function startStandby(id: string, of: NodeProcess): Promise<NodeProcess> {
  const s = await NodeProcess.start({
    nodeId: id,
    haBind: false,
    extraArgs: ['--ha-mode', 'standby', '--ha-primary', `127.0.0.1:${of.haPort}`],
    env: { CHORUS_CLUSTER_SECRET: secret },
    configToml,
  });
  nodes.push(s);
  return s;
}

/** The standby's row on the primary once it resynced (its state is past 'connecting'). */
function standbyRow(primary: NodeProcess, id: string): Promise<Record<string, unknown>> {
  return eventually(`${id} resynced with the primary`, 20_000, async () => {
    const rows = await q(primary, 'SELECT * FROM pg_replication_standbys WHERE node_id = $1', [id]);
    const r = rows[0];
    return r && r.connected_at !== null && r.state !== 'connecting' ? r : undefined;
  });
}

async function ids(node: NodeProcess, table: string): Promise<number[]> {
  return (await q(node, `SELECT id FROM ${table} ORDER BY id`)).map((r) => Number(r.id));
}

test('a primary re-created empty under the same node id: its standby of the old history is not counted and gets nothing until rebuilt', async () => {
  const primary = await startPrimary('rv-primary');
  const standby = await startStandby('rv-standby', primary);
  await standbyRow(primary, 'rv-standby');
  await q(primary, 'CREATE TABLE rv_old (id int PRIMARY KEY)');
  await q(primary, 'INSERT INTO rv_old VALUES (1)');
  await q(primary, 'INSERT INTO rv_old VALUES (2)');
  assert.deepEqual(await ids(standby, 'rv_old'), [1, 2]);

  // The primary's data directory is lost; it starts again empty, with the same node id.
  await primary.kill();
  await rm(primary.dataDir, { recursive: true, force: true });
  await mkdir(primary.dataDir, { recursive: true });
  await primary.restart();
  const row = await standbyRow(primary, 'rv-standby');
  assert.equal(row.state, 'error', JSON.stringify(row));
  assert.equal((await q(primary, 'SELECT standby_count FROM pg_replication_status'))[0]?.standby_count, 0);

  // Its transactions 1..3 are not the standby's 1..3: no sync acknowledgement comes from it.
  const err = await errorOf(q(primary, 'CREATE TABLE rv_new (id int PRIMARY KEY)'));
  assert.equal(err?.code, '08007', String(err?.message));
  const err2 = await errorOf(q(primary, 'INSERT INTO rv_new VALUES (10), (11)'));
  assert.equal(err2?.code, '08007', String(err2?.message));
  await errorOf(q(primary, 'INSERT INTO rv_new VALUES (12)'));
  // Past the standby's count too, nothing of the new history is shipped onto the old one.
  await errorOf(q(primary, 'INSERT INTO rv_new VALUES (13)'));
  assert.equal(
    (await q(standby, "SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'rv_new'"))[0]?.n,
    0,
  );
  assert.match(standby.logs() + primary.logs(), /another (database )?history/);

  // Rebuilt from an empty data directory, it starts from a snapshot and counts again.
  await standby.kill();
  await rm(standby.dataDir, { recursive: true, force: true });
  await mkdir(standby.dataDir, { recursive: true });
  await standby.restart();
  await eventually('the rebuilt standby holds the new history', 30_000, async () =>
    JSON.stringify(await ids(standby, 'rv_new')) === '[10,11,12,13]' ? true : undefined,
  );
  await q(primary, 'INSERT INTO rv_new VALUES (14)');
  assert.deepEqual(await ids(standby, 'rv_new'), [10, 11, 12, 13, 14]);
  assert.equal((await standbyRow(primary, 'rv-standby')).state, 'synced');
});

test('a standby that followed another primary is not counted by its new primary and gets none of its log', async () => {
  const old = await startPrimary('rv-primary-5a');
  const first = await startStandby('rv-standby-5', old);
  await standbyRow(old, 'rv-standby-5');
  await q(old, 'CREATE TABLE rv_a (id int PRIMARY KEY)');
  await q(old, 'INSERT INTO rv_a VALUES (1)');
  await first.stop();
  // Pointed by mistake at the primary of another cluster (same secret): its data is not that history.
  const other = await startPrimary('rv-primary-5b');
  const moved = await NodeProcess.start({
    nodeId: 'rv-standby-5',
    dataDir: first.dataDir,
    haBind: false,
    extraArgs: ['--ha-mode', 'standby', '--ha-primary', `127.0.0.1:${other.haPort}`],
    env: { CHORUS_CLUSTER_SECRET: secret },
    configToml,
  });
  nodes.push(moved);
  const row = await standbyRow(other, 'rv-standby-5');
  assert.equal(row.state, 'error', JSON.stringify(row));
  const err = await errorOf(q(other, 'CREATE TABLE rv_b (id int PRIMARY KEY)'));
  assert.equal(err?.code, '08007', String(err?.message));
  assert.equal(
    (await q(moved, "SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'rv_b'"))[0]?.n,
    0,
  );
  assert.deepEqual(await ids(moved, 'rv_a'), [1]);
});

test('a standby takes no replicate.* write (25006): it would hold a transaction of its own', async () => {
  const primary = await startPrimary('rv-primary-2');
  const standby = await startStandby('rv-standby-2', primary);
  await standbyRow(primary, 'rv-standby-2');
  const err = await errorOf(q(standby, "SELECT replicate.register_resolver('rv_r', 'sql', 'SELECT 1')"));
  assert.equal(err?.code, '25006', String(err?.message));
  assert.deepEqual(await q(standby, 'SELECT name FROM replicate.resolvers'), []);
  // On the primary it is taken, and reaches the standby.
  await q(primary, "SELECT replicate.register_resolver('rv_r', 'sql', 'SELECT 1')");
  await eventually('the resolver on the standby', 20_000, async () =>
    (await q(standby, 'SELECT name FROM replicate.resolvers')).length === 1 ? true : undefined,
  );
});

test('a multi-primary node dialing a sync primary is not counted as a standby', async () => {
  const primary = await startPrimary('rv-primary-3');
  const mp = await NodeProcess.start({
    nodeId: 'rv-mp',
    extraArgs: ['--ha-mode', 'multi-primary', '--ha-peers', `127.0.0.1:${primary.haPort}`],
    env: { CHORUS_CLUSTER_SECRET: secret },
    configToml,
  });
  nodes.push(mp);
  await eventually('the multi-primary node linked to the primary', 20_000, async () =>
    /peer link up/.test(primary.logs()) ? true : undefined,
  );
  const err = await errorOf(q(primary, 'CREATE TABLE rv_mp (id int PRIMARY KEY)'));
  assert.equal(err?.code, '08007', String(err?.message));
  assert.equal((await q(primary, 'SELECT standby_count FROM pg_replication_status'))[0]?.standby_count, 0);
});

test('a primary never re-syncs from a snapshot of a peer that says it is behind that peer’s log', async () => {
  const primary = await startPrimary('rv-primary-4');
  // A multi-primary node with a tiny log cap, linked to the primary by mistake, truncates its own
  // log (the primary takes none of it) and so tells the primary it needs a snapshot re-sync.
  const mp = await NodeProcess.start({
    nodeId: 'rv-mp-4',
    extraArgs: ['--ha-mode', 'multi-primary', '--ha-peers', `127.0.0.1:${primary.haPort}`],
    env: { CHORUS_CLUSTER_SECRET: secret },
    configToml: `${configToml}ddl_locking = false\n[replication.buffers]\nwal_buffer_size_mb = 1\n`,
  });
  nodes.push(mp);
  await q(mp, 'CREATE TABLE rv_snap (id int PRIMARY KEY, pad text)');
  for (let i = 0; i < 3; i++)
    await q(
      mp,
      `INSERT INTO rv_snap SELECT g, repeat('x', 1000) FROM generate_series(${i * 1000 + 1}, ${(i + 1) * 1000}) g`,
    );
  await eventually('the multi-primary node truncated its log past the primary', 30_000, async () =>
    /reached its cap/.test(mp.logs()) ? true : undefined,
  );
  await primary.restart();
  const seen = await eventually(
    'the primary handled the request',
    20_000,
    async () => primary.logs().match(/ignored snapshot_required|asking for a snapshot/)?.[0],
  );
  assert.equal(
    seen,
    'ignored snapshot_required',
    'the primary asked a peer it takes nothing from for a snapshot',
  );
  // Its writes are not held for a snapshot: committed (08007: no standby confirms it), not 25006.
  const err = await errorOf(q(primary, 'CREATE TABLE rv_own (id int PRIMARY KEY)'));
  assert.equal(err?.code, '08007', String(err?.message));
  assert.equal(
    (await q(primary, "SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'rv_snap'"))[0]?.n,
    0,
  );
  assert.doesNotMatch(primary.logs(), /asking for a snapshot|snapshot installed/);
});

test('a primary re-created empty that commits past its stopped standby: the history id tells them apart', async () => {
  const primary = await startPrimary('rv-primary-h');
  const standby = await startStandby('rv-standby-h', primary);
  await standbyRow(primary, 'rv-standby-h');
  await q(primary, 'CREATE TABLE rv_h_old (id int PRIMARY KEY)');
  await q(primary, 'INSERT INTO rv_h_old VALUES (1)');
  assert.deepEqual(await ids(standby, 'rv_h_old'), [1]);
  await standby.stop();

  // Re-created empty, the primary numbers more commits than the standby holds before it returns:
  // by the vectors alone, the standby's would be a prefix of this history.
  await primary.kill();
  await rm(primary.dataDir, { recursive: true, force: true });
  await mkdir(primary.dataDir, { recursive: true });
  await primary.restart();
  await errorOf(q(primary, 'CREATE TABLE rv_h_new (id int PRIMARY KEY)')); // 08007: no standby to sync
  for (let i = 1; i <= 4; i++) await errorOf(q(primary, `INSERT INTO rv_h_new VALUES (${i})`));
  await standby.restart();

  const row = await standbyRow(primary, 'rv-standby-h');
  assert.equal(row.state, 'error', JSON.stringify(row));
  const up = await eventually('the standby reports its primary as an error', 20_000, async () => {
    const r = (await q(standby, 'SELECT state FROM pg_replication_primary'))[0];
    return r?.state === 'error' ? r : undefined;
  });
  assert.equal(up.state, 'error');
  assert.equal(
    (await q(standby, "SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'rv_h_new'"))[0]?.n,
    0,
    'nothing of the new history was applied onto the old one',
  );
  assert.deepEqual(await ids(standby, 'rv_h_old'), [1]);
  assert.match(standby.logs(), /holds another database history/);
  // A sync commit is not acknowledged by it.
  const err = await errorOf(q(primary, 'INSERT INTO rv_h_new VALUES (100)'));
  assert.equal(err?.code, '08007', String(err?.message));
});
