// Fault-injection integration tests for multi-primary replication with real server processes on loopback:
// SIGKILL and restart under load, a partition through FaultProxies, SIGSTOP/SIGCONT, a 4-node ring where
// traffic must be forwarded, and a node with the wrong cluster secret.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Cluster, connectClient, currentLogs, defaultSecret, startCluster } from '../support/cluster.js';
import { NodeProcess } from '../support/launcher.js';
import { freePorts } from '../support/ports.js';
import { eventually } from '../support/wait.js';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface Writer {
  acked: string[];
  errors: string[];
  stop(): Promise<void>;
}

/**
 * Inserts unique rows (id = <tag>-<n>) on node i in a loop until stopped or until a write fails
 * (when `stopOnError`); records the ids the server acknowledged.
 */
function startWriter(c: Cluster, i: number, table: string, tag: string, stopOnError = false): Writer {
  const acked: string[] = [];
  const errors: string[] = [];
  let running = true;
  const loop = (async () => {
    for (let n = 0; running; n++) {
      const id = `${tag}-${n}`;
      try {
        await c.sql(i, `INSERT INTO ${table} (id, writer, n) VALUES ($1, $2, $3)`, [id, tag, n]);
        acked.push(id);
      } catch (err) {
        errors.push(`${id}: ${(err as Error).message}`);
        if (stopOnError) return;
        await sleep(20);
      }
    }
  })();
  return {
    acked,
    errors,
    async stop() {
      running = false;
      await loop;
    },
  };
}

async function idsOn(c: Cluster, i: number, table: string): Promise<Set<string>> {
  const rows = await c.sql<{ id: string }>(i, `SELECT id FROM ${table}`);
  return new Set(rows.map((r) => r.id));
}

function assertAllPresent(c: Cluster, i: number, ids: Set<string>, acked: string[], what: string): void {
  const missing = acked.filter((id) => !ids.has(id));
  assert.deepEqual(
    missing,
    [],
    `${c.nodes[i]!.nodeId} lacks ${missing.length} acknowledged rows (${what}): ${missing.slice(0, 20).join(', ')}`,
  );
}

function countMatches(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

test('SIGKILL and restart of one node under load: no acknowledged row lost, none applied twice', async () => {
  const c = await startCluster({ n: 3, topology: 'mesh', idPrefix: 'kill' });
  try {
    await c.sql(0, 'CREATE TABLE k (id TEXT PRIMARY KEY, writer TEXT NOT NULL, n INTEGER NOT NULL)');
    await c.waitConverged(['k'], 10_000);

    const w1 = startWriter(c, 0, 'k', 'w1');
    const w2 = startWriter(c, 1, 'k', 'w2');
    // Node 3 also writes until it is killed: what it acknowledged before dying must survive.
    const w3 = startWriter(c, 2, 'k', 'w3', true);
    await sleep(500);
    await c.nodes[2]!.kill();
    await w3.stop();
    await sleep(1000);
    await c.nodes[2]!.restart();
    await c.reconnect(2);
    const w3b = startWriter(c, 2, 'k', 'w3b');
    await sleep(700);
    await Promise.all([w1.stop(), w2.stop(), w3b.stop()]);

    assert.deepEqual(w1.errors, [], 'writes on node 1 must not fail while a peer dies');
    assert.deepEqual(w2.errors, [], 'writes on node 2 must not fail while a peer dies');
    assert.deepEqual(w3b.errors, [], 'writes on node 3 after its restart must succeed');
    assert.ok(w1.acked.length > 0 && w2.acked.length > 0 && w3.acked.length > 0 && w3b.acked.length > 0);

    await c.waitConverged(['k'], 30_000);
    const acked = [...w1.acked, ...w2.acked, ...w3.acked, ...w3b.acked];
    for (let i = 0; i < 3; i++) {
      const ids = await idsOn(c, i, 'k');
      assertAllPresent(c, i, ids, acked, 'after SIGKILL');
      const total = Number((await c.sql(i, 'SELECT count(*) AS c FROM k'))[0]!.c);
      assert.equal(total, ids.size);
    }
    const dupes = await c.sql(
      2,
      `SELECT origin, origin_seq, count(DISTINCT txid) AS copies FROM replicate.log
        GROUP BY origin, origin_seq HAVING count(DISTINCT txid) > 1`,
    );
    assert.deepEqual(dupes, [], 'node 3 applied a transaction twice');
    const vectors = await Promise.all([0, 1, 2].map((i) => c.vector(i)));
    assert.deepEqual(vectors[2], vectors[0]);
    assert.deepEqual(vectors[1], vectors[0]);
    assert.ok((vectors[2]!['kill-3'] ?? 0) > 0 && (vectors[2]!['kill-1'] ?? 0) > 0);
  } finally {
    await c.stop();
  }
});

test('partition through FaultProxies: divergent writes on both sides converge after heal', async () => {
  // Nodes 1 and 2 are linked directly; node 3 (C) only through one proxy per link.
  const c = await startCluster({
    n: 3,
    topology: 'mesh',
    idPrefix: 'part',
    proxied: [
      [0, 2],
      [1, 2],
    ],
  });
  try {
    await c.sql(0, 'CREATE TABLE p (id TEXT PRIMARY KEY, v TEXT, n INTEGER, writer TEXT)');
    await c.sql(0, "INSERT INTO p (id, v, n) VALUES ('s1', 'init', 0), ('s2', 'init', 0), ('s3', 'init', 0)");
    await c.waitConverged(['p'], 10_000);

    // Background load on both sides, so that the partition and the heal cut links mid-stream.
    const wa = startWriter(c, 0, 'p', 'load-a');
    const wc = startWriter(c, 2, 'p', 'load-c');
    await sleep(300);
    c.proxy(0, 2).partition();
    c.proxy(1, 2).partition();
    const inserted: string[] = [];
    for (let k = 0; k < 20; k++) {
      for (const [i, tag] of [
        [0, 'a'],
        [1, 'b'],
        [2, 'c'],
      ] as const) {
        await c.sql(i, 'INSERT INTO p (id, v, n) VALUES ($1, $2, $3)', [`${tag}-${k}`, tag, k]);
        inserted.push(`${tag}-${k}`);
      }
    }
    await c.sql(0, "UPDATE p SET v = 'ab-side' WHERE id = 's1'");
    await c.sql(2, "UPDATE p SET v = 'c-side' WHERE id = 's1'");
    await c.sql(1, "UPDATE p SET v = 'b-side' WHERE id = 's2'");
    await c.sql(2, "UPDATE p SET n = 42 WHERE id = 's2'");
    await c.sql(2, "DELETE FROM p WHERE id = 's3'");
    await c.sql(1, "UPDATE p SET n = 7 WHERE id = 'a-3'");

    // The majority side keeps replicating (node 2 gets node 1's writes) while C stays isolated.
    const deadline = Date.now() + 10_000;
    while (!(await idsOn(c, 1, 'p')).has('a-19')) {
      if (Date.now() > deadline) throw new Error("node 2 never got node 1's writes during the partition");
      await sleep(50);
    }
    const onC = await idsOn(c, 2, 'p');
    assert.ok(!onC.has('a-0') && !onC.has('b-0'), 'node 3 got writes through a partitioned proxy');
    const onA = await idsOn(c, 0, 'p');
    assert.ok(!onA.has('c-0'), 'node 1 got writes from a partitioned node');

    c.proxy(0, 2).heal();
    c.proxy(1, 2).heal();
    await sleep(300);
    await Promise.all([wa.stop(), wc.stop()]);
    assert.deepEqual([...wa.errors, ...wc.errors], []);
    inserted.push(...wa.acked, ...wc.acked);
    await c.waitConverged(['p'], 20_000);

    // The two concurrent updates of s1.v: the one with the larger (hlc_wall, hlc_logical, origin) wins.
    const s1Updates = await c.sql<{ origin: string; w: string; l: string; columns: { v?: string } }>(
      0,
      `SELECT origin, hlc_wall AS w, hlc_logical AS l, columns FROM replicate.log
        WHERE table_name = 'p' AND operation = 'UPDATE' AND primary_key::jsonb = '["s1"]'`,
    );
    assert.equal(s1Updates.length, 2, JSON.stringify(s1Updates));
    const key = (u: (typeof s1Updates)[number]): [bigint, bigint, string] => [
      BigInt(u.w),
      BigInt(u.l),
      u.origin,
    ];
    const [k0, k1] = [key(s1Updates[0]!), key(s1Updates[1]!)];
    const firstWins = k0[0] !== k1[0] ? k0[0] > k1[0] : k0[1] !== k1[1] ? k0[1] > k1[1] : k0[2] > k1[2];
    const s1Winner = (firstWins ? s1Updates[0]! : s1Updates[1]!).columns.v;
    for (let i = 0; i < 3; i++) {
      const ids = await idsOn(c, i, 'p');
      assertAllPresent(c, i, ids, inserted, 'after heal');
      assert.ok(!ids.has('s3'), 'the delete of s3 must reach every node');
      const rows = await c.sql(i, "SELECT id, v, n FROM p WHERE id IN ('s1', 's2', 'a-3') ORDER BY id");
      const byId = Object.fromEntries(rows.map((r) => [r.id, [r.v, Number(r.n)]]));
      assert.deepEqual(byId.s2, ['b-side', 42], 'different columns updated on both sides both survive');
      assert.deepEqual(byId['a-3'], ['a', 7]);
      assert.deepEqual(byId.s1, [s1Winner, 0], 'the higher-HLC update of s1 wins');
    }
  } finally {
    await c.stop();
  }
});

test('SIGSTOP one node for ~2 s while the others write; it catches up after SIGCONT', async () => {
  // Short timeouts so that the pause outlasts replication_timeout_ms and links are torn down and rebuilt.
  const c = await startCluster({
    n: 3,
    topology: 'mesh',
    idPrefix: 'stop',
    configToml: '[replication]\nheartbeat_timeout_ms = 300\nreplication_timeout_ms = 1000\n',
  });
  try {
    await c.sql(0, 'CREATE TABLE s (id TEXT PRIMARY KEY, writer TEXT NOT NULL, n INTEGER NOT NULL)');
    await c.waitConverged(['s'], 10_000);
    c.nodes[1]!.pause();
    const w1 = startWriter(c, 0, 's', 'w1');
    const w3 = startWriter(c, 2, 's', 'w3');
    try {
      await sleep(2000);
    } finally {
      c.nodes[1]!.resume();
    }
    const w2 = startWriter(c, 1, 's', 'w2');
    await sleep(300);
    await Promise.all([w1.stop(), w3.stop(), w2.stop()]);
    assert.deepEqual([...w1.errors, ...w2.errors, ...w3.errors], []);
    assert.ok(w1.acked.length > 0 && w2.acked.length > 0 && w3.acked.length > 0);

    await c.waitConverged(['s'], 20_000);
    const acked = [...w1.acked, ...w2.acked, ...w3.acked];
    for (let i = 0; i < 3; i++) assertAllPresent(c, i, await idsOn(c, i, 's'), acked, 'after SIGCONT');
  } finally {
    await c.stop();
  }
});

test('4-node ring: writes on A reach C through B or D, and everything converges', async () => {
  const c = await startCluster({ n: 4, topology: 'ring', idPrefix: 'ring' });
  try {
    assert.deepEqual(c.edges, [
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 0],
    ]);
    await c.waitLinked(15_000);
    // A (ring-1) and C (ring-3) have no direct link.
    assert.doesNotMatch(currentLogs(c.nodes[0]!), /"peer":"ring-3"[^\n]*"msg":"peer link up"/);
    assert.doesNotMatch(currentLogs(c.nodes[2]!), /"peer":"ring-1"[^\n]*"msg":"peer link up"/);

    await c.sql(0, 'CREATE TABLE r (id TEXT PRIMARY KEY, writer TEXT NOT NULL, n INTEGER NOT NULL)');
    await c.sql(0, "INSERT INTO r VALUES ('from-a', 'a', 1)");
    const deadline = Date.now() + 10_000;
    for (;;) {
      const seen = await c.sql(2, "SELECT id FROM r WHERE id = 'from-a'").catch(() => []);
      if (seen.length === 1) break;
      if (Date.now() > deadline) throw new Error("node C never received A's row");
      await sleep(50);
    }
    for (let i = 0; i < 4; i++)
      for (let k = 0; k < 10; k++)
        await c.sql(i, 'INSERT INTO r VALUES ($1, $2, $3)', [`n${i}-${k}`, `n${i}`, k]);
    await c.sql(2, "UPDATE r SET n = 99 WHERE id = 'from-a'");
    await c.waitConverged(['r'], 15_000);
    for (let i = 0; i < 4; i++) {
      const rows = await c.sql(i, 'SELECT count(*) AS c FROM r');
      assert.equal(Number(rows[0]!.c), 41);
      const a = await c.sql(i, "SELECT n FROM r WHERE id = 'from-a'");
      assert.equal(Number(a[0]!.n), 99);
    }
  } finally {
    await c.stop();
  }
});

test('a node with the wrong cluster secret never gets its writes in (nor ours out)', async () => {
  const c = await startCluster({ n: 3, topology: 'mesh', idPrefix: 'sec' });
  let intruder: NodeProcess | undefined;
  try {
    await c.sql(0, 'CREATE TABLE legit (id INTEGER PRIMARY KEY, v TEXT)');
    await c.sql(0, "INSERT INTO legit VALUES (1, 'secret data')");
    await c.waitConverged(['legit'], 10_000);

    intruder = await NodeProcess.start({
      nodeId: 'intruder',
      extraArgs: ['--ha-mode', 'multi-primary', '--ha-peers', `127.0.0.1:${c.nodes[0]!.haPort}`],
      // It never reaches a majority of the masters it knows of (the cluster refuses it), so its
      // DDL would be refused: it creates its tables without the cluster DDL lock.
      env: { CHORUS_CLUSTER_SECRET: 'not-the-cluster-secret', CHORUS_REPLICATION__DDL_LOCKING: 'false' },
    });
    const ic = await connectClient(intruder);
    try {
      await ic.query('CREATE TABLE intruded (id INTEGER PRIMARY KEY, v TEXT)');
      // Also a table whose name exists in the cluster: rows must not leak into it either.
      await ic.query('CREATE TABLE legit (id INTEGER PRIMARY KEY, v TEXT)');
      for (let k = 0; k < 10; k++) {
        await ic.query('INSERT INTO intruded VALUES ($1, $2)', [k, `evil-${k}`]);
        await ic.query('INSERT INTO legit VALUES ($1, $2)', [100 + k, `evil-${k}`]);
      }
      // Wait (bounded) until node 1 has refused the intruder at least twice after its writes,
      // i.e. the intruder has had a chance to ship them.
      const needle = '"msg":"peer handshake refused"';
      const before = countMatches(currentLogs(c.nodes[0]!), needle);
      const deadline = Date.now() + 20_000;
      for (;;) {
        const now = countMatches(currentLogs(c.nodes[0]!), needle);
        if (now >= before + 2) break;
        if (Date.now() > deadline)
          throw new Error(
            `node 1 logged ${now - before} new handshake refusals in 20 s\n--- node 1 logs ---\n${currentLogs(c.nodes[0]!).slice(-4000)}\n--- intruder logs ---\n${intruder.logs().slice(-4000)}`,
          );
        await sleep(100);
      }
      assert.match(currentLogs(intruder), /"msg":"peer handshake refused"/);
      // No metric counts refused handshakes today; if one appears, it must have counted these.
      const metrics = await c.nodes[0]!.httpGet('/metrics');
      const handshakeLines = metrics.body
        .split('\n')
        .filter((l) => !l.startsWith('#') && /handshake/i.test(l));
      if (handshakeLines.length > 0)
        assert.ok(
          handshakeLines.some((l) => Number(l.trim().split(/\s+/).pop()) > 0),
          `handshake metrics of node 1 show no refusal:\n${handshakeLines.join('\n')}`,
        );
      assert.doesNotMatch(currentLogs(c.nodes[0]!), /"peer":"intruder"[^\n]*"msg":"peer link up"/);

      for (let i = 0; i < 3; i++) {
        const origins = await c.sql(i, "SELECT count(*) AS c FROM replicate.log WHERE origin = 'intruder'");
        assert.equal(Number(origins[0]!.c), 0, `${c.nodes[i]!.nodeId} applied intruder transactions`);
        const tables = await c.sql(
          i,
          "SELECT table_name FROM replicate.tables WHERE table_name = 'intruded'",
        );
        assert.deepEqual(tables, []);
        assert.deepEqual(await c.sql(i, 'SELECT id, v FROM legit ORDER BY id'), [
          { id: 1, v: 'secret data' },
        ]);
      }
      const leaked = await ic.query("SELECT count(*) AS c FROM replicate.log WHERE origin <> 'intruder'");
      assert.equal(Number(leaked.rows[0].c), 0, 'the intruder received cluster transactions');
      const intruderLegit = await ic.query('SELECT count(*) AS c FROM legit WHERE id = 1');
      assert.equal(Number(intruderLegit.rows[0].c), 0);
    } finally {
      await ic.end().catch(() => undefined);
    }
  } finally {
    await intruder?.cleanup();
    await c.stop();
  }
});

test('a node whose peer list names its own peer link says so and stops dialing it', async () => {
  const [haPort] = await freePorts(1);
  const node = await NodeProcess.start({
    nodeId: 'lonely',
    haPort,
    // The literal --ha-bind address is left out of the peer list; another name for it is not.
    extraArgs: ['--ha-mode', 'multi-primary', '--ha-peers', `localhost:${haPort}`],
    env: { CHORUS_CLUSTER_SECRET: defaultSecret },
  });
  try {
    const client = await connectClient(node);
    try {
      const row = await eventually('the self-dial to be recognised', 10_000, async () => {
        const r = await client.query(
          `SELECT endpoint, last_error FROM replicate.connections WHERE endpoint = 'localhost:${haPort}'`,
        );
        return /reaches this node itself/.test(String(r.rows[0]?.last_error)) ? r.rows[0] : undefined;
      });
      assert.equal(row.endpoint, `localhost:${haPort}`);
      assert.match(currentLogs(node), /a configured peer address reaches this node itself/);
    } finally {
      await client.end();
    }
  } finally {
    await node.cleanup();
  }
});

test('replicate.masters shows a peer that dialed in by the address and region it advertised', async () => {
  // One dial edge: one node only ever sees the other as an inbound connection from a source port.
  const regions = ['eu-west', 'us-east'];
  const c = await startCluster({
    n: 2,
    topology: { edges: [[0, 1]] },
    idPrefix: 'adv',
    envOf: (i) => ({ CHORUS_HA_REGION: regions[i]! }),
  });
  try {
    await c.waitLinked(10_000);
    for (const [i, other] of [
      [0, 1],
      [1, 0],
    ] as const) {
      const rows = await c.sql(
        i,
        'SELECT master_id, endpoint, region FROM replicate.masters WHERE master_id = $1',
        [c.nodes[other]!.nodeId],
      );
      assert.deepEqual(rows, [
        {
          master_id: c.nodes[other]!.nodeId,
          endpoint: `127.0.0.1:${c.nodes[other]!.haPort}`,
          region: regions[other],
        },
      ]);
    }
  } finally {
    await c.stop();
  }
});
