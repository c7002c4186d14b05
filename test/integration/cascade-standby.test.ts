// Cascading standbys with real processes: primary P → standby A → standby B (B's --ha-primary is A's
// --ha-bind), and a second direct standby C. Writes on P reach B through A; P lists only its direct
// standbys, A lists B; B's writes route up the chain and B reads them back at once; after a
// switchover to C (epoch 2), A follows C and B keeps following A, learning the epoch through it;
// once A dies, B follows the primary directly (upstreamFallbackMs). Two standbys naming each other
// are refused as a cycle.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { NodeProcess } from '../support/launcher.js';
import { freePorts } from '../support/ports.js';
import { eventually } from '../support/wait.js';

const secret = 'cascade-standby-test-secret';
const links = '[replication]\nheartbeat_interval_ms = 200\nheartbeat_timeout_ms = 2000\n';
let p: NodeProcess;
let a: NodeProcess;
let b: NodeProcess;
let c: NodeProcess;
const extra: NodeProcess[] = [];

async function q(node: NodeProcess, sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: node.connectionString, connectionTimeoutMillis: 3_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as Record<string, unknown>[];
  } finally {
    await client.end().catch(() => undefined);
  }
}

const attempt = <T>(x: Promise<T>): Promise<T | undefined> => x.catch(() => undefined);

async function waitRows(node: NodeProcess, ids: number[]): Promise<void> {
  await eventually(`${node.nodeId} to hold cs_items ${ids.join(',')}`, 30_000, async () => {
    const rows = await attempt(q(node, 'SELECT id FROM cs_items ORDER BY id'));
    return JSON.stringify(rows?.map((r) => Number(r.id))) === JSON.stringify(ids) ? true : undefined;
  });
}

const standbyIds = async (node: NodeProcess): Promise<string[]> =>
  ((await attempt(q(node, 'SELECT node_id FROM pg_replication_standbys ORDER BY node_id'))) ?? []).map((r) =>
    String(r.node_id),
  );

before(async () => {
  const [v1, v2, v3] = await freePorts(3);
  const vote = (port: number | undefined): string => `127.0.0.1:${port}`;
  // Automatic failover among P, A and C (B is no voter: it only cascades from A).
  const ha = (self: number | undefined): string =>
    [
      '[ha]',
      'sync_mode = "sync"',
      'sync_timeout_ms = 5000',
      `nodes = ["${vote(v1)}", "${vote(v2)}", "${vote(v3)}"]`,
      `vote_bind = "${vote(self)}"`,
      'failover_timeout_ms = 1000',
      links,
    ].join('\n');
  p = await NodeProcess.start({
    nodeId: 'cs-p',
    extraArgs: ['--ha-mode', 'primary'],
    env: { CHORUS_CLUSTER_SECRET: secret },
    configToml: ha(v1),
  });
  const standbyOf = (id: string, of: NodeProcess, toml: string, haBind = true): Promise<NodeProcess> =>
    NodeProcess.start({
      nodeId: id,
      haBind,
      extraArgs: ['--ha-mode', 'standby', '--ha-primary', `127.0.0.1:${of.haPort}`],
      env: { CHORUS_CLUSTER_SECRET: secret },
      configToml: toml,
    });
  // A listens on its --ha-bind (the launcher passes one): it serves B.
  a = await standbyOf('cs-a', p, ha(v2));
  c = await standbyOf('cs-c', p, ha(v3));
  b = await standbyOf('cs-b', a, links, false);
  await eventually('the primary holds its lease', 20_000, async () =>
    (await attempt(q(p, 'CREATE TABLE IF NOT EXISTS cs_items (id int PRIMARY KEY, note text)')))
      ? true
      : undefined,
  );
});

after(async () => {
  for (const n of [p, a, b, c, ...extra]) await n?.cleanup();
});

test('writes on the primary reach the cascaded standby; the primary lists only its direct standbys, A lists B', async () => {
  await q(p, "INSERT INTO cs_items VALUES (1, 'one'), (2, 'two')");
  await waitRows(b, [1, 2]);
  await eventually('P lists A and C, A lists B', 20_000, async () =>
    JSON.stringify(await standbyIds(p)) === '["cs-a","cs-c"]' &&
    JSON.stringify(await standbyIds(a)) === '["cs-b"]'
      ? true
      : undefined,
  );
  const [row] = await q(
    a,
    "SELECT sync_mode, state, apply_lsn FROM pg_replication_standbys WHERE node_id = 'cs-b'",
  );
  // A cascaded standby is never synchronous (as in PostgreSQL).
  assert.equal(row!.sync_mode, 'async');
  const [st] = await q(a, 'SELECT role, standby_count, replication_port FROM pg_replication_status');
  assert.deepEqual(st, { role: 'standby', standby_count: 1, replication_port: `127.0.0.1:${a.haPort}` });
  await eventually('B streams from A', 20_000, async () => {
    const [pr] = await q(
      b,
      'SELECT node_id, address, state, upstream, fencing_token FROM pg_replication_primary',
    );
    return pr?.state === 'streaming' ? pr : undefined;
  }).then((pr) =>
    assert.deepEqual(pr, {
      node_id: 'cs-p',
      address: `127.0.0.1:${a.haPort}`,
      state: 'streaming',
      upstream: 'cs-a',
      fencing_token: '1',
    }),
  );
  // A's status messages go to its own standbys only, never up to the primary.
  assert.doesNotMatch(p.logs(), /unknown peer message/);
  // Positions number the primary's commits on every node: B's applied LSN equals the primary's.
  const [pl] = await q(p, 'SELECT current_lsn FROM pg_replication_status');
  await eventually('B applied every commit of P', 20_000, async () => {
    const [bl] = await q(b, 'SELECT current_lsn FROM pg_replication_status');
    return bl?.current_lsn === pl?.current_lsn ? true : undefined;
  });
});

test('a write on B routes up the chain to the primary; B reads it back at once (read-your-writes)', async () => {
  const client = new pg.Client({ connectionString: b.connectionString });
  await client.connect();
  try {
    for (let i = 10; i < 30; i++) {
      const r = await client.query('INSERT INTO cs_items VALUES ($1, $2)', [i, `via-b-${i}`]);
      assert.equal(r.command, 'INSERT');
      assert.equal(r.rowCount, 1);
      const back = await client.query('SELECT note FROM cs_items WHERE id = $1', [i]);
      assert.deepEqual(back.rows, [{ note: `via-b-${i}` }]);
    }
    const lsn = (await client.query('SELECT replicate.last_commit_lsn() AS lsn')).rows[0].lsn;
    assert.ok(Number(lsn) > 0);
    // The token is comparable on every node of the chain.
    for (const n of [a, b])
      assert.deepEqual(await q(n, 'SELECT replicate.wait_for_lsn($1, 5000) AS ok', [lsn]), [{ ok: true }]);
  } finally {
    await client.end();
  }
  assert.deepEqual(await q(p, 'SELECT note FROM cs_items WHERE id = 29'), [{ note: 'via-b-29' }]);
});

test('switchover to C (epoch 2): A follows C, B keeps following A and converges', async () => {
  await q(p, "SELECT replicate.switchover(target => 'cs-c')");
  await eventually('C takes writes', 30_000, async () =>
    (await attempt(q(c, "INSERT INTO cs_items VALUES (100, 'on-c') ON CONFLICT (id) DO NOTHING")))
      ? true
      : undefined,
  );
  await eventually('A follows C', 30_000, async () => {
    const [pr] =
      (await attempt(q(a, 'SELECT node_id, upstream, fencing_token FROM pg_replication_primary'))) ?? [];
    return pr?.node_id === 'cs-c' && pr.upstream === 'cs-c' && pr.fencing_token === '2' ? true : undefined;
  });
  await q(c, "INSERT INTO cs_items VALUES (101, 'after')");
  const all = [1, 2, ...Array.from({ length: 20 }, (_, i) => 10 + i), 100, 101];
  await waitRows(b, all);
  await eventually('B follows C through A, in epoch 2', 30_000, async () => {
    const [pr] =
      (await attempt(q(b, 'SELECT node_id, upstream, state, fencing_token FROM pg_replication_primary'))) ??
      [];
    return pr?.node_id === 'cs-c' &&
      pr.upstream === 'cs-a' &&
      pr.state === 'streaming' &&
      pr.fencing_token === '2'
      ? true
      : undefined;
  });
  assert.deepEqual(await standbyIds(a), ['cs-b']);
  assert.ok(!(await standbyIds(c)).includes('cs-b'), 'B is no direct standby of C');
});

test('the middle standby dies: after upstreamFallbackMs the cascaded standby follows the primary directly', async () => {
  await a.kill();
  await q(c, "INSERT INTO cs_items VALUES (102, 'while-a-is-down')");
  // upstreamFallbackMs (15 s) after A went away, B dials the primary A relayed (C).
  await eventually('B follows C directly', 40_000, async () => {
    const [pr] =
      (await attempt(q(b, 'SELECT node_id, upstream, address, state FROM pg_replication_primary'))) ?? [];
    return pr?.upstream === 'cs-c' && pr.state === 'streaming' ? pr : undefined;
  }).then((pr) =>
    assert.deepEqual(pr, {
      node_id: 'cs-c',
      upstream: 'cs-c',
      address: `127.0.0.1:${c.haPort}`,
      state: 'streaming',
    }),
  );
  await eventually('B holds the write made while A was down', 20_000, async () =>
    (await q(b, 'SELECT note FROM cs_items WHERE id = 102')).length === 1 ? true : undefined,
  );
  assert.match(b.logs(), /following the primary directly/);
});

test('two standbys naming each other are refused as a cycle', async () => {
  const [px, py] = await freePorts(2);
  const start = (id: string, bind: number | undefined, upstream: number | undefined): Promise<NodeProcess> =>
    NodeProcess.start({
      nodeId: id,
      haPort: bind,
      extraArgs: ['--ha-mode', 'standby', '--ha-primary', `127.0.0.1:${upstream}`],
      env: { CHORUS_CLUSTER_SECRET: secret },
      configToml: links,
    });
  const x = await start('cs-x', px, py);
  extra.push(x);
  const y = await start('cs-y', py, px);
  extra.push(y);
  for (const n of [x, y])
    await eventually(`${n.nodeId} reports the cycle`, 20_000, async () => {
      const [pr] = (await attempt(q(n, 'SELECT state FROM pg_replication_primary'))) ?? [];
      return pr?.state === 'error' && /cascading cycle/.test(n.logs()) ? true : undefined;
    });
});
