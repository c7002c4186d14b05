// Commit acknowledgement per session and per mode, with real processes: `SET synchronous_commit =
// remote_apply` on an async primary holds a commit while its standby is paused (SIGSTOP), `off` on
// a sync primary does not; admin writes (replicate.*) wait like any commit; quorum mode is
// acknowledged by a majority (one of two standbys paused: yes; both: no). Read-your-writes tokens:
// WAIT FOR LSN on a standby, and the HTTP API's Chorus-Commit-LSN / Chorus-Min-LSN headers.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import pg from 'pg';
import { NodeProcess } from '../support/launcher.js';
import { eventually } from '../support/wait.js';

const secret = 'sync-modes-test-secret';
/** Acknowledgements wait this long before 08007; links outlive a paused standby (long timeouts). */
// linearizable_reads off: these tests watch a commit become visible on the primary while its
// acknowledgement waits (PostgreSQL's behaviour); linearizable-reads.test.ts covers the default.
const configToml =
  '[ha]\nsync_timeout_ms = 3000\nlinearizable_reads = false\n[replication]\nheartbeat_timeout_ms = 20000\nreplication_timeout_ms = 30000\n';

const started: NodeProcess[] = [];
after(async () => {
  for (const n of started) await n.cleanup();
});

async function startPrimary(id: string, syncMode: string, toml = configToml): Promise<NodeProcess> {
  const p = await NodeProcess.start({
    nodeId: id,
    extraArgs: ['--ha-mode', 'primary'],
    env: { CHORUS_CLUSTER_SECRET: secret, HA_SYNC_MODE: syncMode },
    configToml: toml,
  });
  started.push(p);
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
  started.push(s);
  return s;
}

async function connect(node: NodeProcess): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: node.connectionString });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

async function q(node: NodeProcess, sql: string): Promise<Record<string, unknown>[]> {
  const c = await connect(node);
  try {
    return (await c.query(sql)).rows as Record<string, unknown>[];
  } finally {
    await c.end().catch(() => undefined);
  }
}

const errorOf = (p: Promise<unknown>): Promise<pg.DatabaseError | null> =>
  p.then(
    () => null,
    (e: pg.DatabaseError) => e,
  );

async function linked(primary: NodeProcess, n: number): Promise<void> {
  await eventually(`${n} standbys linked to ${primary.nodeId}`, 20_000, async () =>
    (await q(primary, 'SELECT standby_count FROM pg_replication_status'))[0]?.standby_count === n
      ? true
      : undefined,
  );
}

async function holds(node: NodeProcess, sql: string): Promise<void> {
  await eventually(`${node.nodeId}: ${sql}`, 20_000, async () =>
    (await q(node, sql).catch(() => [])).length > 0 ? true : undefined,
  );
}

/** Runs `write` and proves it is not acknowledged while the row is already committed on `primary`. */
async function heldUntil(
  primary: NodeProcess,
  write: Promise<unknown>,
  committedSql: string,
): Promise<{ acked: () => boolean; done: Promise<unknown> }> {
  let acked = false;
  const done = write.then((v) => {
    acked = true;
    return v;
  });
  done.catch(() => undefined);
  await holds(primary, committedSql);
  assert.equal(acked, false, 'the commit was acknowledged while no standby could take it');
  return { acked: () => acked, done };
}

test('async primary: SET synchronous_commit = remote_apply holds this session commit for a paused standby; RESET does not', async () => {
  const p = await startPrimary('sm-async', 'async');
  const s = await startStandby('sm-async-s', p);
  await linked(p, 1);
  await q(p, 'CREATE TABLE sm_a (id int PRIMARY KEY)');
  await holds(s, "SELECT 1 FROM pg_tables WHERE tablename = 'sm_a'");
  const c = await connect(p);
  try {
    await c.query('SET synchronous_commit = remote_apply');
    assert.deepEqual((await c.query('SHOW synchronous_commit')).rows, [
      { synchronous_commit: 'remote_apply' },
    ]);
    assert.deepEqual((await c.query('SHOW chorus.synchronous_commit')).rows, [
      { 'chorus.synchronous_commit': 'remote_apply' },
    ]);
    s.pause();
    try {
      const held = await heldUntil(
        p,
        c.query('INSERT INTO sm_a VALUES (1)'),
        'SELECT 1 FROM sm_a WHERE id = 1',
      );
      // Another session (synchronous_commit on = async here) is acknowledged meanwhile.
      await q(p, 'INSERT INTO sm_a VALUES (2)');
      assert.equal(held.acked(), false);
      s.resume();
      await held.done;
      assert.equal(held.acked(), true);
      assert.equal((await q(s, 'SELECT id FROM sm_a WHERE id = 1')).length, 1);
      // Past sync_timeout_ms: 08007, the commit durable on the primary only.
      await c.query("SET chorus.synchronous_commit = 'remote_apply'");
      s.pause();
      const err = await errorOf(c.query('INSERT INTO sm_a VALUES (3)'));
      assert.equal(err?.code, '08007', String(err?.message));
      await c.query('RESET synchronous_commit');
      assert.deepEqual((await c.query('SHOW chorus.synchronous_commit')).rows, [
        { 'chorus.synchronous_commit': 'on' },
      ]);
      await c.query('INSERT INTO sm_a VALUES (4)'); // acknowledged with the standby still paused
    } finally {
      if (s.isPaused) s.resume();
    }
  } finally {
    await c.end();
  }
  await holds(s, 'SELECT 1 FROM sm_a WHERE id = 4');

  // WAIT FOR LSN (PostgreSQL 19's spelling) on the standby: a token from the primary's session.
  const read = await connect(s);
  s.pause();
  let lsn: number;
  const w = await connect(p);
  try {
    await w.query('INSERT INTO sm_a VALUES (5)');
    lsn = Number((await w.query('SELECT replicate.last_commit_lsn() AS l')).rows[0].l);
  } finally {
    await w.end();
  }
  try {
    s.resume();
    assert.deepEqual((await read.query(`WAIT FOR LSN '${lsn}'`)).rows, [{ status: 'success' }]);
    assert.equal((await read.query('SELECT id FROM sm_a WHERE id = 5')).rows.length, 1);
    assert.deepEqual(
      (await read.query(`WAIT FOR LSN '${lsn + 1000}' WITH (TIMEOUT '200ms', NO_THROW)`)).rows,
      [{ status: 'timeout' }],
    );
    const late = await errorOf(read.query(`WAIT FOR LSN '${lsn + 1000}' TIMEOUT 100`));
    assert.equal(late?.code, '57014');
  } finally {
    await read.end();
  }
  const onPrimary = await errorOf(q(p, `WAIT FOR LSN '${lsn}'`));
  assert.equal(onPrimary?.code, '55000');
  assert.equal(onPrimary?.message, 'recovery is not in progress');

  // HTTP: a write answers with its commit position; a read sent with it waits for the standby.
  s.pause();
  let token: string;
  try {
    const res = await fetch(`${p.httpUrl}/db/execute`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ sql: 'INSERT INTO sm_a VALUES (6)' }),
    });
    assert.equal(res.status, 200);
    token = res.headers.get('chorus-commit-lsn') ?? '';
    assert.equal(Number(token), lsn + 1);
  } finally {
    s.resume();
  }
  const fresh = await fetch(`${s.httpUrl}/db/query`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Chorus-Min-LSN': token },
    body: JSON.stringify({ sql: 'SELECT count(*)::int AS n FROM sm_a WHERE id = 6' }),
  });
  assert.equal(fresh.status, 200);
  assert.deepEqual(((await fresh.json()) as { results: { rows: unknown[][] }[] }).results[0]!.rows, [[1]]);
  assert.equal(fresh.headers.get('chorus-commit-lsn'), null, 'a read commits nothing');
  const stale = await fetch(`${s.httpUrl}/db/query`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'Chorus-Min-LSN': String(Number(token) + 1000),
      'Chorus-Min-LSN-Timeout': '200',
    },
    body: JSON.stringify({ sql: 'SELECT 1' }),
  });
  assert.equal(stale.status, 504);
  assert.equal(((await stale.json()) as { error: { sqlstate: string } }).error.sqlstate, '57014');
  await s.cleanup();
  await p.cleanup();
});

test('sync primary: synchronous_commit = off acknowledges with the standby paused; admin writes wait like commits', async () => {
  const p = await startPrimary('sm-sync', 'sync');
  const s = await startStandby('sm-sync-s', p);
  await linked(p, 1);
  await q(p, 'CREATE TABLE sm_b (id int PRIMARY KEY)');
  const c = await connect(p);
  s.pause();
  try {
    for (const [i, level] of [
      [1, 'off'],
      [2, 'local'],
    ] as const) {
      await c.query(`SET synchronous_commit = ${level}`);
      await c.query(`INSERT INTO sm_b VALUES (${i})`); // acknowledged: nothing waits for the standby
    }
    // SET LOCAL counts for its block's commit.
    await c.query('RESET synchronous_commit');
    await c.query('BEGIN');
    await c.query("SET LOCAL chorus.synchronous_commit = 'off'");
    await c.query('INSERT INTO sm_b VALUES (3)');
    await c.query('COMMIT');
    // The session's default (on = the configured sync) still waits: 08007 past sync_timeout_ms.
    const err = await errorOf(c.query('INSERT INTO sm_b VALUES (4)'));
    assert.equal(err?.code, '08007');
    // An admin write (replicate.*) on the primary goes through the same gate.
    const admin = await errorOf(q(p, "SELECT replicate.register_resolver('sm_r', 'sql', 'SELECT 1')"));
    assert.equal(admin?.code, '08007', String(admin?.message));
    assert.match(admin!.message, /only 0 of the 1 standbys sync mode waits for/);
  } finally {
    s.resume();
    await c.end();
  }
  await holds(s, 'SELECT 1 FROM sm_b WHERE id = 4');
  await q(p, "SELECT replicate.register_resolver('sm_r2', 'sql', 'SELECT 1')"); // acknowledged once it can be
  await s.cleanup();
  await p.cleanup();
});

test('quorum: a majority of primary + 2 standbys acknowledges (one paused: yes; both: no, until one resumes)', async () => {
  const p = await startPrimary('sm-quorum', 'quorum');
  const s1 = await startStandby('sm-q-s1', p);
  const s2 = await startStandby('sm-q-s2', p);
  await linked(p, 2);
  assert.equal((await q(p, 'SELECT sync_mode FROM pg_replication_status'))[0]?.sync_mode, 'quorum');
  await q(p, 'CREATE TABLE sm_q (id int PRIMARY KEY)');
  s1.pause();
  try {
    await q(p, 'INSERT INTO sm_q VALUES (1)'); // 2 of 3: the primary and s2
    assert.equal(
      (await q(s2, 'SELECT id FROM sm_q WHERE id = 1')).length,
      1,
      'acknowledged once s2 applied it',
    );
    s2.pause();
    const held = await heldUntil(p, q(p, 'INSERT INTO sm_q VALUES (2)'), 'SELECT 1 FROM sm_q WHERE id = 2');
    s1.resume();
    await held.done;
    assert.equal((await q(s1, 'SELECT id FROM sm_q WHERE id = 2')).length, 1);
  } finally {
    for (const s of [s1, s2]) if (s.isPaused) s.resume();
  }
});
