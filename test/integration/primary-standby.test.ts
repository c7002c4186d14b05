// Primary/standby (HA tier 1) with real processes: a primary in sync mode (HA_SYNC_MODE=synchronous,
// as seed 001's docker-compose sets it) and two standbys started with the seed's CLI lines. Rows
// reach both standbys; an async primary's standby refuses writes with PostgreSQL's hot-standby
// error (25006; a sync one routes them, write-routing.test.ts); an
// empty standby starts from a snapshot; a SIGKILLed standby catches up after a restart; a commit
// waits while no standby can apply it (08007 past ha.sync_timeout_ms) and is acknowledged once one
// resumes; an async primary acknowledges regardless; the pg_replication_* views have the seed's columns.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { NodeProcess } from '../support/launcher.js';
import { eventually } from '../support/wait.js';

const secret = 'primary-standby-test-secret';
/** Sync acknowledgements wait this long before 08007; links outlive a paused standby (long timeouts). */
// linearizable_reads off: these tests watch a commit become visible on the primary while its
// acknowledgement waits (PostgreSQL's behaviour); linearizable-reads.test.ts covers the default.
const configToml =
  '[ha]\nsync_timeout_ms = 3000\nlinearizable_reads = false\n[replication]\nheartbeat_timeout_ms = 20000\nreplication_timeout_ms = 30000\n';

let primary: NodeProcess;
let standbys: NodeProcess[] = [];
const extra: NodeProcess[] = [];

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

function startStandby(id: string, of: NodeProcess): Promise<NodeProcess> {
  return NodeProcess.start({
    nodeId: id,
    haBind: false,
    extraArgs: ['--ha-mode', 'standby', '--ha-primary', `127.0.0.1:${of.haPort}`],
    env: { CHORUS_CLUSTER_SECRET: secret },
    configToml,
  });
}

/** Waits until `node` returns exactly these ids from ps_items. */
async function waitRows(node: NodeProcess, ids: number[], table = 'ps_items'): Promise<void> {
  await eventually(`${node.nodeId} to hold ${table} ${ids.join(',')}`, 20_000, async () => {
    const rows = await q(node, `SELECT id FROM ${table} ORDER BY id`);
    const got = rows.map((r) => Number(r.id));
    return JSON.stringify(got) === JSON.stringify(ids) ? true : undefined;
  });
}

before(async () => {
  primary = await NodeProcess.start({
    nodeId: 'ps-primary',
    extraArgs: ['--ha-mode', 'primary'],
    env: { CHORUS_CLUSTER_SECRET: secret, HA_SYNC_MODE: 'synchronous' },
    configToml,
  });
  standbys = [await startStandby('ps-standby-1', primary)];
  await eventually('standby 1 linked', 20_000, async () =>
    (await q(primary, 'SELECT standby_count FROM pg_replication_status'))[0]?.standby_count === 1
      ? true
      : undefined,
  );
  await q(primary, 'CREATE TABLE ps_items (id int PRIMARY KEY, note text)');
  await q(primary, "INSERT INTO ps_items VALUES (1, 'one'), (2, 'two')");
  // Joins with data on the primary: an empty standby starts from a snapshot of it.
  standbys.push(await startStandby('ps-standby-2', primary));
});

after(async () => {
  for (const n of [primary, ...standbys, ...extra]) await n?.cleanup();
});

test('rows written on the primary appear on both standbys; an empty standby started from a snapshot', async () => {
  await q(primary, "INSERT INTO ps_items VALUES (3, 'three')");
  for (const s of standbys) await waitRows(s, [1, 2, 3]);
  assert.match(standbys[1]!.logs(), /snapshot installed/);
  assert.deepEqual(await q(standbys[0]!, 'SELECT note FROM ps_items WHERE id = 3'), [{ note: 'three' }]);
});

test('a standby in sync mode routes writes to its primary (write-routing.test.ts); pg_is_in_recovery()', async () => {
  const s = standbys[0]!;
  // A read-only block refuses a write as PostgreSQL does, before any routing.
  const c = new pg.Client({ connectionString: s.connectionString });
  await c.connect();
  try {
    await c.query('BEGIN READ ONLY');
    const err = await errorOf(c.query("INSERT INTO ps_items VALUES (9, 'no')"));
    assert.equal(err?.code, '25006');
    assert.equal(err?.message, 'cannot execute INSERT in a read-only transaction');
    await c.query('ROLLBACK');
  } finally {
    await c.end();
  }
  assert.deepEqual(await q(s, 'SELECT pg_is_in_recovery()'), [{ pg_is_in_recovery: true }]);
  assert.deepEqual(await q(primary, 'SELECT pg_is_in_recovery()'), [{ pg_is_in_recovery: false }]);
  // Reads run on the standby.
  assert.equal((await q(s, 'SELECT count(*)::int AS n FROM ps_items'))[0]?.n, 3);
});

test('the pg_replication_* views answer with seed 001 columns', async () => {
  const status = await q(primary, 'SELECT * FROM pg_replication_status');
  assert.deepEqual(Object.keys(status[0]!), [
    'node_id',
    'role',
    'sync_mode',
    'listen_address',
    'replication_port',
    'current_lsn',
    'is_read_only',
    'standby_count',
    'uptime_seconds',
  ]);
  assert.equal(status[0]!.role, 'primary');
  assert.equal(status[0]!.sync_mode, 'sync');
  assert.equal(status[0]!.is_read_only, false);
  assert.equal(status[0]!.replication_port, `127.0.0.1:${primary.haPort}`);
  const lsn = status[0]!.current_lsn as string;
  const rows = await eventually('both standbys synced', 20_000, async () => {
    const r = await q(primary, 'SELECT * FROM pg_replication_standbys ORDER BY node_id');
    return r.length === 2 && r.every((x) => x.state === 'synced' && x.apply_lsn === lsn) ? r : undefined;
  });
  assert.deepEqual(Object.keys(rows[0]!), [
    'node_id',
    'address',
    'sync_mode',
    'state',
    'current_lsn',
    'flush_lsn',
    'apply_lsn',
    'lag_bytes',
    'lag_ms',
    'connected_at',
    'last_heartbeat',
  ]);
  assert.deepEqual(
    rows.map((r) => [r.node_id, r.sync_mode, r.lag_bytes, r.lag_ms]),
    [
      ['ps-standby-1', 'sync', '0', '0'],
      ['ps-standby-2', 'sync', '0', '0'],
    ],
  );
  assert.ok(rows[0]!.connected_at instanceof Date);
  const st = (await q(standbys[0]!, 'SELECT * FROM pg_replication_status'))[0]!;
  assert.deepEqual(
    [
      st.node_id,
      st.role,
      st.sync_mode,
      st.is_read_only,
      st.standby_count,
      st.replication_port,
      st.current_lsn,
    ],
    ['ps-standby-1', 'standby', 'sync', true, 0, null, lsn],
  );
  const pr = await q(standbys[0]!, 'SELECT * FROM pg_replication_primary');
  assert.deepEqual(Object.keys(pr[0]!), [
    'node_id',
    'address',
    'state',
    'primary_lsn',
    'local_lsn',
    'lag_bytes',
    'lag_ms',
    'fencing_token',
    'connected_at',
    'last_heartbeat',
    'upstream',
  ]);
  assert.equal(pr[0]!.upstream, 'ps-primary'); // a direct standby streams from the primary itself
  assert.deepEqual(
    [
      pr[0]!.node_id,
      pr[0]!.address,
      pr[0]!.state,
      pr[0]!.primary_lsn,
      pr[0]!.local_lsn,
      pr[0]!.lag_ms,
      pr[0]!.fencing_token,
    ],
    ['ps-primary', `127.0.0.1:${primary.haPort}`, 'streaming', lsn, lsn, '0', '1'],
  );
  assert.deepEqual(await q(primary, 'SELECT * FROM pg_replication_primary'), []);
  assert.deepEqual(await q(standbys[0]!, 'SELECT * FROM pg_replication_standbys'), []);
  // The seed's monitoring example runs as written.
  const ex = await q(
    primary,
    `SELECT node_id, CASE WHEN lag_ms < 1000 THEN 'IN_SYNC' WHEN lag_ms < 60000 THEN 'CATCHING_UP' ELSE 'LAGGING' END as status, lag_ms FROM pg_replication_standbys`,
  );
  assert.deepEqual(
    ex.map((r) => r.status),
    ['IN_SYNC', 'IN_SYNC'],
  );
});

test('a SIGKILLed standby catches up after a restart', async () => {
  const s = standbys[0]!;
  await s.kill();
  // Sync mode: the other standby applies, so commits are acknowledged meanwhile.
  await q(primary, "INSERT INTO ps_items VALUES (4, 'four'), (5, 'five')");
  await q(primary, 'UPDATE ps_items SET note = $1 WHERE id = 1', ['uno']);
  await s.restart();
  await waitRows(s, [1, 2, 3, 4, 5]);
  assert.deepEqual(await q(s, 'SELECT note FROM ps_items WHERE id = 1'), [{ note: 'uno' }]);
  assert.doesNotMatch(s.logs().split('--- launcher: node')[2] ?? '', /asking for a snapshot/);
});

test('sync: with no standby able to apply, a commit is not acknowledged (08007 past the timeout); it is once one resumes', async () => {
  for (const s of standbys) s.pause();
  try {
    const err = await errorOf(q(primary, "INSERT INTO ps_items VALUES (6, 'six')"));
    assert.equal(err?.code, '08007', String(err?.message));
    assert.match(err!.message, /only 0 of the 1 standbys sync mode waits for \(ANY 1 \(\*\)\) applied it/);
    // Durable on the primary: the outcome was unknown, not a failure.
    assert.equal((await q(primary, 'SELECT id FROM ps_items WHERE id = 6')).length, 1);
    let acked = false;
    const pending = q(primary, "INSERT INTO ps_items VALUES (7, 'seven')").then(() => {
      acked = true;
    });
    await eventually('row 7 committed on the primary', 2_000, async () =>
      (await q(primary, 'SELECT id FROM ps_items WHERE id = 7')).length === 1 ? true : undefined,
    );
    assert.equal(acked, false, 'a sync commit was acknowledged while every standby was paused');
    standbys[1]!.resume();
    await pending;
    assert.equal(acked, true);
    assert.equal((await q(standbys[1]!, 'SELECT id FROM ps_items WHERE id = 7')).length, 1);
  } finally {
    for (const s of standbys) if (s.isPaused) s.resume();
  }
  for (const s of standbys) await waitRows(s, [1, 2, 3, 4, 5, 6, 7]);
});

test('async: the primary acknowledges while its standby is paused; the standby catches up after', async () => {
  const p = await NodeProcess.start({
    nodeId: 'ps-async-primary',
    extraArgs: ['--ha-mode', 'primary'],
    env: { CHORUS_CLUSTER_SECRET: secret },
    configToml,
  });
  extra.push(p);
  const s = await startStandby('ps-async-standby', p);
  extra.push(s);
  await q(p, 'CREATE TABLE ps_async (id int PRIMARY KEY)');
  await waitRows(s, [], 'ps_async');
  assert.equal((await q(p, 'SELECT sync_mode FROM pg_replication_status'))[0]?.sync_mode, 'async');
  // An async primary's standby refuses writes as a PostgreSQL hot standby does (no routing).
  for (const [sql, command] of [
    ['INSERT INTO ps_async VALUES (9)', 'INSERT'],
    ['UPDATE ps_async SET id = 1', 'UPDATE'],
    ['DELETE FROM ps_async', 'DELETE'],
    ['CREATE TABLE ps_other (id int PRIMARY KEY)', 'CREATE TABLE'],
  ] as const) {
    const err = await errorOf(q(s, sql));
    assert.equal(err?.code, '25006', sql);
    assert.equal(err?.message, `cannot execute ${command} in a read-only transaction`);
  }
  s.pause();
  try {
    await q(p, 'INSERT INTO ps_async VALUES (1), (2)');
    assert.equal((await q(p, 'SELECT count(*)::int AS n FROM ps_async'))[0]?.n, 2);
  } finally {
    s.resume();
  }
  await waitRows(s, [1, 2], 'ps_async');
});
