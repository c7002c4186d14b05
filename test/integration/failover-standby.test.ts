// Automatic failover of primary/standby mode with real processes: a primary, two standbys (sync
// mode, ANY 1) and an observer (`chorus observer`). SIGKILL of the primary: a standby is promoted
// and takes writes, every acknowledged write is on it, the other standby follows it, and the old
// primary rejoins as a standby when it returns. SIGSTOP of the primary past its lease: after SIGCONT
// it refuses writes by itself (its lease lapsed) and rejoins as a standby of the new primary.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { NodeProcess, startObserver } from '../support/launcher.js';
import { freePorts } from '../support/ports.js';
import { eventually } from '../support/wait.js';

const secret = 'failover-standby-test-secret';
let nodes: NodeProcess[] = [];
let observer: ChildProcess | null = null;
const observerDir = mkdtempSync(path.join(tmpdir(), 'chorus-observer-'));

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

const attempt = <T>(p: Promise<T>): Promise<T | undefined> => p.catch(() => undefined);

async function inRecovery(node: NodeProcess): Promise<boolean | undefined> {
  const r = await attempt(q(node, 'SELECT pg_is_in_recovery() AS r'));
  return r?.[0]?.r as boolean | undefined;
}

/** The one node among `of` that answers as a writable primary. */
async function waitPrimary(of: NodeProcess[], what: string): Promise<NodeProcess> {
  return eventually(what, 30_000, async () => {
    for (const n of of) if (n.running && !n.isPaused && (await inRecovery(n)) === false) return n;
    return undefined;
  });
}

async function ids(node: NodeProcess): Promise<number[]> {
  return (await q(node, 'SELECT id FROM fo_items ORDER BY id')).map((r) => Number(r.id));
}

before(async () => {
  const [v1, v2, v3, vo] = await freePorts(4);
  const vote = (p: number | undefined): string => `127.0.0.1:${p}`;
  const toml = (self: number | undefined): string =>
    [
      '[ha]',
      'sync_mode = "sync"',
      'sync_timeout_ms = 5000',
      `nodes = ["${vote(v1)}", "${vote(v2)}", "${vote(v3)}"]`,
      `observers = ["${vote(vo)}"]`,
      `vote_bind = "${vote(self)}"`,
      'failover_timeout_ms = 1000',
      '[replication]',
      'heartbeat_interval_ms = 200',
      'heartbeat_timeout_ms = 2000',
      '',
    ].join('\n');
  observer = await startObserver({
    nodeId: 'fo-observer',
    bind: vote(vo),
    dataDir: observerDir,
    secret: secret,
  });
  const primary = await NodeProcess.start({
    nodeId: 'fo-a',
    extraArgs: ['--ha-mode', 'primary'],
    env: { CHORUS_CLUSTER_SECRET: secret },
    configToml: toml(v1),
  });
  const standby = (id: string, v: number | undefined): Promise<NodeProcess> =>
    NodeProcess.start({
      nodeId: id,
      // Its own --ha-bind: where the other nodes dial it once it is promoted.
      extraArgs: ['--ha-mode', 'standby', '--ha-primary', `127.0.0.1:${primary.haPort}`],
      env: { CHORUS_CLUSTER_SECRET: secret },
      configToml: toml(v),
    });
  nodes = [primary, await standby('fo-b', v2), await standby('fo-c', v3)];
  await eventually('both standbys linked', 20_000, async () =>
    (await attempt(q(primary, 'SELECT standby_count FROM pg_replication_status')))?.[0]?.standby_count === 2
      ? true
      : undefined,
  );
});

after(async () => {
  for (const n of nodes) await n.cleanup();
  observer?.kill('SIGKILL');
  rmSync(observerDir, { recursive: true, force: true });
});

test('SIGKILL of the primary: a standby is promoted, has every acknowledged write, the other follows; the old primary rejoins as a standby', async () => {
  const [a] = nodes as [NodeProcess, NodeProcess, NodeProcess];
  // Voters grant nothing for one lease length after they start (a promise made before a restart
  // may still run): the primary takes writes once they do.
  await eventually('the primary holds its lease', 20_000, async () =>
    (await attempt(q(a, 'CREATE TABLE IF NOT EXISTS fo_items (id int PRIMARY KEY, note text)')))
      ? true
      : undefined,
  );
  const acked: number[] = [];
  for (let i = 1; i <= 20; i++) {
    await q(a, 'INSERT INTO fo_items VALUES ($1, $2)', [i, `row ${i}`]);
    acked.push(i);
  }
  const epochBefore = Number(
    (await q(nodes[1]!, 'SELECT fencing_token FROM pg_replication_primary'))[0]?.fencing_token,
  );
  const killedAt = Date.now();
  await a.kill();
  const promoted = await waitPrimary(nodes.slice(1), 'a standby promoted');
  // It takes writes (the lease comes a moment after the election).
  await eventually('the new primary takes writes', 20_000, async () =>
    (await attempt(
      q(promoted, "INSERT INTO fo_items VALUES (100, 'after failover') ON CONFLICT (id) DO NOTHING"),
    ))
      ? true
      : undefined,
  );
  console.log(`failover: writes taken again ${Date.now() - killedAt} ms after SIGKILL of the primary`);
  assert.deepEqual(await ids(promoted), [...acked, 100], 'every acknowledged write survived');
  const other = nodes.slice(1).find((n) => n !== promoted)!;
  await eventually('the other standby follows the new primary', 30_000, async () =>
    JSON.stringify(await attempt(ids(other))) === JSON.stringify([...acked, 100]) ? true : undefined,
  );
  assert.equal(await inRecovery(other), true);
  const pr = (await q(other, 'SELECT node_id, fencing_token FROM pg_replication_primary'))[0]!;
  assert.equal(pr.node_id, promoted.nodeId);
  assert.ok(Number(pr.fencing_token) > epochBefore, `epoch ${pr.fencing_token} after ${epochBefore}`);
  const metrics = await (await fetch(`${promoted.httpUrl}/metrics`)).text();
  assert.match(metrics, new RegExp(`^chorus_ha_epoch\\{[^}]*\\} ${pr.fencing_token}$`, 'm'));
  assert.match(metrics, /^chorus_ha_role\{role="primary"[^}]*\} 1$/m);
  assert.match(metrics, /^chorus_ha_lease_held\{[^}]*\} 1$/m);
  const history = await q(promoted, 'SELECT promoted_master, failover_type FROM replicate.failover_history');
  assert.deepEqual(history.at(-1), { promoted_master: promoted.nodeId, failover_type: 'automatic' });
  // The old primary returns with its old command line: it learns the newer epoch and follows.
  await a.restart();
  await eventually('the old primary rejoins as a standby', 30_000, async () =>
    (await inRecovery(a)) === true &&
    JSON.stringify(await attempt(ids(a))) === JSON.stringify([...acked, 100])
      ? true
      : undefined,
  );
  // A standby of a sync primary routes writes (write routing): the old primary's write lands on the new one.
  const err = await q(a, "INSERT INTO fo_items VALUES (101, 'via the old primary')").then(
    () => null,
    (e: pg.DatabaseError) => e,
  );
  assert.equal(err, null, `the write was routed to the new primary: ${err?.message}`);
  assert.deepEqual(
    (await q(promoted, 'SELECT note FROM fo_items WHERE id = 101')).map((r) => r.note),
    ['via the old primary'],
  );
});

test('SIGSTOP of the primary past its lease: after SIGCONT it refuses writes by itself and rejoins as a standby', async () => {
  const primary = await waitPrimary(nodes, 'a primary');
  const rest = nodes.filter((n) => n !== primary);
  // A connection opened before the pause: its next write arrives the moment the process resumes.
  const client = new pg.Client({ connectionString: primary.connectionString });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query("INSERT INTO fo_items VALUES (200, 'before the pause')");
    primary.pause();
    const promoted = await waitPrimary(rest, 'another node promoted while the primary is paused');
    await eventually('the new primary takes writes', 20_000, async () =>
      (await attempt(
        q(promoted, "INSERT INTO fo_items VALUES (201, 'during the pause') ON CONFLICT (id) DO NOTHING"),
      ))
        ? true
        : undefined,
    );
    primary.resume();
    const err = await client.query("INSERT INTO fo_items VALUES (202, 'after the pause')").then(
      () => null,
      (e: pg.DatabaseError) => e,
    );
    assert.equal(err?.code, '25006', `the resumed primary refused the write: ${err?.message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
  await eventually('the paused primary rejoins as a standby', 30_000, async () => {
    if ((await inRecovery(primary)) !== true) return undefined;
    const got = await attempt(ids(primary));
    return got?.includes(201) && !got.includes(202) ? true : undefined;
  });
});

test('replicate.switchover(target => ...) hands the role over without losing a commit', async (t) => {
  const primary = await waitPrimary(nodes, 'a primary');
  // The target: a standby streaming from the primary (one that rejoined in the tests above may
  // still be re-syncing; switchover waits for none).
  const target = await eventually('a standby streams from the primary', 60_000, async () => {
    const rows = await attempt(q(primary, 'SELECT node_id, state FROM pg_replication_standbys'));
    const id = rows?.find((r) => r.state === 'streaming' || r.state === 'synced')?.node_id;
    return nodes.find((n) => n.nodeId === id && n.running);
  });
  for (let i = 300; i < 310; i++) await q(primary, 'INSERT INTO fo_items VALUES ($1, $2)', [i, `row ${i}`]);
  const expected = await ids(primary);
  const r = await q(primary, `SELECT replicate.switchover(target => '${target.nodeId}') AS s`);
  assert.equal(r[0]?.s, target.nodeId);
  // The target wins the handover's election (the others' voters hold their promise for it), and
  // whichever node is primary holds every commit. What each node logged about the election is
  // printed when another won.
  const winner = await waitPrimary(
    nodes.filter((n) => n !== primary),
    'a new primary',
  );
  if (winner !== target)
    for (const n of nodes)
      for (const line of n
        .logs()
        .split('\n')
        .filter((l) => /election|switchover|promoted|following|fenced/.test(l))
        .slice(-15))
        t.diagnostic(`${n.nodeId}: ${line}`);
  assert.equal(winner.nodeId, target.nodeId, 'the switchover target is the new primary');
  assert.deepEqual(
    (await ids(winner)).filter((id) => expected.includes(id)),
    expected,
    'every commit kept',
  );
  await eventually('the new primary takes writes', 20_000, async () =>
    (await attempt(
      q(winner, "INSERT INTO fo_items VALUES (400, 'after switchover') ON CONFLICT (id) DO NOTHING"),
    ))
      ? true
      : undefined,
  );
  await eventually('the old primary follows as a standby', 30_000, async () =>
    (await inRecovery(primary)) === true && (await attempt(ids(primary)))?.includes(400) ? true : undefined,
  );
});
