// Write routing keeps a block's SET LOCAL values: a standby's routed block runs on the primary with
// the settings the client set for that block (synchronous_commit for its COMMIT, search_path for
// where its writes go), and they end with the block there as here. Real processes.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import pg from 'pg';
import { NodeProcess } from '../support/launcher.js';
import { eventually } from '../support/wait.js';

const secret = 'routed-local-settings-secret';
const configToml = '[replication]\nheartbeat_timeout_ms = 20000\nreplication_timeout_ms = 30000\n';

const started: NodeProcess[] = [];
after(async () => {
  for (const n of started) await n.cleanup();
});

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

test('a routed block runs on the primary with its SET LOCAL values, which end with it', async () => {
  const p = await NodeProcess.start({
    nodeId: 'rls-p',
    extraArgs: ['--ha-mode', 'primary'],
    env: { CHORUS_CLUSTER_SECRET: secret, HA_SYNC_MODE: 'sync' },
    configToml,
  });
  started.push(p);
  const s = await NodeProcess.start({
    nodeId: 'rls-s',
    haBind: false,
    extraArgs: ['--ha-mode', 'standby', '--ha-primary', `127.0.0.1:${p.haPort}`],
    env: { CHORUS_CLUSTER_SECRET: secret },
    configToml,
  });
  started.push(s);
  await eventually('the standby linked', 20_000, async () =>
    (await q(p, 'SELECT standby_count FROM pg_replication_status'))[0]?.standby_count === 1
      ? true
      : undefined,
  );
  await q(p, 'CREATE SCHEMA rls_a');
  await q(p, 'CREATE TABLE rls_a.t (id int PRIMARY KEY)');
  await q(p, 'CREATE TABLE public.t (id int PRIMARY KEY)');
  await eventually('the standby holds the tables', 20_000, async () =>
    (await q(s, 'SELECT count(*)::int AS n FROM rls_a.t').catch(() => []))[0]?.n === 0 ? true : undefined,
  );

  const c = await connect(s);
  try {
    await c.query('BEGIN');
    await c.query('SET LOCAL synchronous_commit = remote_apply');
    await c.query('SET LOCAL search_path = rls_a');
    await c.query('INSERT INTO t VALUES (1)'); // routed: the block opens on the primary
    // A read in a routed block runs on the primary: it sees the block's settings there.
    const inBlock = await c.query(
      "SELECT current_setting('synchronous_commit') AS sc, current_setting('search_path') AS sp",
    );
    assert.deepEqual(inBlock.rows[0], { sc: 'remote_apply', sp: 'rls_a' });
    await c.query('SET LOCAL synchronous_commit = off'); // a later SET LOCAL of the block counts too
    await c.query('INSERT INTO t VALUES (2)');
    assert.equal((await c.query("SELECT current_setting('synchronous_commit') AS sc")).rows[0]?.sc, 'off');
    await c.query('COMMIT');
    // The block's values ended with it on the primary too.
    await c.query('BEGIN');
    await c.query('INSERT INTO t VALUES (3)');
    const next = await c.query(
      "SELECT current_setting('synchronous_commit') AS sc, current_setting('search_path') AS sp",
    );
    assert.deepEqual(next.rows[0], { sc: 'on', sp: '"$user", public' });
    await c.query('COMMIT');
  } finally {
    await c.end();
  }
  // The block's writes went where its search_path said, on the primary.
  assert.deepEqual(
    (await q(p, 'SELECT id FROM rls_a.t ORDER BY id')).map((r) => r.id),
    [1, 2],
  );
  assert.deepEqual(
    (await q(p, 'SELECT id FROM public.t ORDER BY id')).map((r) => r.id),
    [3],
  );
  await s.cleanup();
  await p.cleanup();
});

test("after the link to the primary dropped, a standby session's routed writes keep its settings", async () => {
  const p = await NodeProcess.start({
    nodeId: 'rls2-p',
    extraArgs: ['--ha-mode', 'primary'],
    env: { CHORUS_CLUSTER_SECRET: secret, HA_SYNC_MODE: 'sync' },
    configToml,
  });
  started.push(p);
  const s = await NodeProcess.start({
    nodeId: 'rls2-s',
    haBind: false,
    extraArgs: ['--ha-mode', 'standby', '--ha-primary', `127.0.0.1:${p.haPort}`],
    env: { CHORUS_CLUSTER_SECRET: secret },
    configToml,
  });
  started.push(s);
  const linked = () =>
    eventually('the standby linked', 30_000, async () =>
      (await q(p, 'SELECT standby_count FROM pg_replication_status').catch(() => []))[0]?.standby_count === 1
        ? true
        : undefined,
    );
  await linked();
  await q(p, 'CREATE SCHEMA rls_b');
  await q(p, 'CREATE TABLE rls_b.t (id int PRIMARY KEY)');
  await q(p, 'CREATE TABLE public.t (id int PRIMARY KEY)');
  await eventually('the standby holds the tables', 20_000, async () =>
    (await q(s, 'SELECT count(*)::int AS n FROM public.t').catch(() => []))[0]?.n === 0 ? true : undefined,
  );
  const c = await connect(s);
  try {
    await c.query('SET search_path = rls_b');
    await c.query('INSERT INTO t VALUES (1)');
    await p.restart(); // the standby's link drops: the primary's session of this client is gone
    await linked();
    await c.query('INSERT INTO t VALUES (2)');
  } finally {
    await c.end();
  }
  assert.deepEqual(
    (await q(p, 'SELECT id FROM rls_b.t ORDER BY id')).map((r) => r.id),
    [1, 2],
  );
  assert.deepEqual(await q(p, 'SELECT id FROM public.t'), []);
  await s.cleanup();
  await p.cleanup();
});

test('LISTEN in a routed block stays on the standby (25006 but for chorus_ channels), never on the primary', async () => {
  const p = await NodeProcess.start({
    nodeId: 'rls3-p',
    extraArgs: ['--ha-mode', 'primary'],
    env: { CHORUS_CLUSTER_SECRET: secret, HA_SYNC_MODE: 'sync' },
    configToml,
  });
  started.push(p);
  const s = await NodeProcess.start({
    nodeId: 'rls3-s',
    haBind: false,
    extraArgs: ['--ha-mode', 'standby', '--ha-primary', `127.0.0.1:${p.haPort}`],
    env: { CHORUS_CLUSTER_SECRET: secret },
    configToml,
  });
  started.push(s);
  await eventually('the standby linked', 20_000, async () =>
    (await q(p, 'SELECT standby_count FROM pg_replication_status'))[0]?.standby_count === 1
      ? true
      : undefined,
  );
  await q(p, 'CREATE TABLE rls3 (id int PRIMARY KEY)');
  await eventually('the standby holds the table', 20_000, async () =>
    (await q(s, 'SELECT count(*)::int AS n FROM rls3').catch(() => []))[0]?.n === 0 ? true : undefined,
  );
  const c = await connect(s);
  try {
    await c.query('BEGIN');
    await c.query('INSERT INTO rls3 VALUES (1)'); // the block is open on the primary now
    await assert.rejects(c.query('LISTEN rls3_chan'), (e: pg.DatabaseError) => e.code === '25006');
    await c.query('ROLLBACK');
    await c.query('BEGIN');
    await c.query('INSERT INTO rls3 VALUES (2)');
    await c.query('LISTEN chorus_failover'); // this session's, taking effect at its COMMIT
    await c.query('COMMIT');
    const r = await c.query('SELECT pg_listening_channels() AS ch');
    assert.deepEqual(
      r.rows.map((x: { ch: string }) => x.ch),
      ['chorus_failover'],
    );
  } finally {
    await c.end();
  }
  await s.cleanup();
  await p.cleanup();
});
