// Tables without a primary key on real processes (issue 18): TRUNCATE on one master while two others
// insert, over links with seeded latency, many rounds — every node ends with the same rows (a
// TRUNCATE removes the rows its node had seen, never rows inserted concurrently elsewhere); and a
// keyless divergence planted in a stopped node's SQLite file is reported by check_split_brain and
// check_divergence with the table and each side's row count.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { seededRandom } from '../../src/testing/random.js';
import { type Cluster, startCluster } from '../support/cluster.js';
import { eventually } from '../support/wait.js';

let c: Cluster;

before(async () => {
  c = await startCluster({
    n: 3,
    topology: 'mesh',
    idPrefix: 'kl',
    proxied: [
      [0, 1],
      [0, 2],
      [1, 2],
    ],
    configToml: '[replication]\nsplit_brain_check_interval_ms = 0\n',
  });
  await c.waitLinked(20_000);
});

after(async () => {
  await c?.stop();
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Every node's rows of `table` as text, in one order. */
async function dumps(table: string): Promise<string[]> {
  return Promise.all(
    [0, 1, 2].map(async (i) =>
      JSON.stringify(await c.sql(i, `SELECT node, k FROM ${table} ORDER BY node, k`)),
    ),
  );
}

/** Waits until every node holds the same rows and the same applied vector. */
async function converged(table: string, timeoutMs: number): Promise<string> {
  return eventually(`${table} to converge`, timeoutMs, async () => {
    const d = await dumps(table);
    const v = await Promise.all([0, 1, 2].map(async (i) => JSON.stringify(await c.vector(i))));
    return d.every((x) => x === d[0]) && v.every((x) => x === v[0]) ? d[0] : undefined;
  });
}

test('TRUNCATE on one master while two others insert: every node ends with the same rows', async () => {
  const seed = Number(process.env.KEYLESS_SEED ?? 18);
  const rnd = seededRandom(seed);
  await c.sql(0, 'CREATE TABLE kl_hist (node TEXT, k INTEGER)');
  await converged('kl_hist', 20_000);
  let k = 0;
  let truncates = 0;
  for (let round = 0; round < 12; round++) {
    for (const [a, b] of c.edges) c.proxy(a, b).setLatency(Math.floor(rnd() * 30));
    const inserter = async (i: number, n: number): Promise<void> => {
      for (let j = 0; j < n; j++) {
        const v = ++k;
        await c.sql(i, 'INSERT INTO kl_hist VALUES ($1, $2), ($1, $2)', [`n${i}`, v]);
        if (rnd() < 0.3) await sleep(Math.floor(rnd() * 10));
      }
    };
    const truncator = async (): Promise<void> => {
      await sleep(Math.floor(rnd() * 40));
      await c.sql(2, 'TRUNCATE kl_hist');
      truncates++;
      if (rnd() < 0.5) await c.sql(2, 'INSERT INTO kl_hist VALUES ($1, $2)', ['n2', ++k]);
    };
    await Promise.all([
      inserter(0, 5 + Math.floor(rnd() * 10)),
      inserter(1, 5 + Math.floor(rnd() * 10)),
      truncator(),
    ]);
  }
  for (const [a, b] of c.edges) c.proxy(a, b).setLatency(0);
  const rows = JSON.parse(await converged('kl_hist', 30_000)) as { node: string; k: number }[];
  assert.equal(truncates, 12);
  // Duplicates stay pairs: no TRUNCATE split an insert of two rows.
  const byKey = new Map<string, number>();
  for (const r of rows) byKey.set(`${r.node}:${r.k}`, (byKey.get(`${r.node}:${r.k}`) ?? 0) + 1);
  for (const [key, n] of byKey) assert.equal(n, key.startsWith('n2:') ? 1 : 2, key);
  // The checks agree: every peer CONSISTENT.
  const status = await c.sql(0, 'SELECT * FROM replicate.check_split_brain()');
  assert.deepEqual(
    status.filter((s) => s.table_name === 'kl_hist').map((s) => s.status),
    ['CONSISTENT', 'CONSISTENT'],
  );
});

test('a keyless divergence planted while a node is stopped is reported with the table and the counts', async () => {
  await c.sql(0, 'CREATE TABLE kl_plant (node TEXT, k INTEGER)');
  await c.sql(0, "INSERT INTO kl_plant VALUES ('n0', 1), ('n0', 1), ('n0', 2)");
  await converged('kl_plant', 20_000);
  const node = c.nodes[2]!;
  await node.stop();
  // Behind the node's back: one more duplicate, through the capture triggers' functions made silent.
  const db = new Database(join(node.dataDir, 'chorus.db'));
  db.function('_chorus_txid', () => null);
  db.function('_chorus_keyless_row', (_t: unknown, _r: unknown) => null);
  db.exec("INSERT INTO kl_plant VALUES ('n0', 1)");
  db.close();
  await node.restart();
  await c.reconnect(2);
  await c.waitLinked(20_000);
  const row = await eventually('the planted row to be reported', 20_000, async () => {
    const rows = (
      await c.sql(0, `SELECT * FROM replicate.check_split_brain(peer_id => '${node.nodeId}')`)
    ).filter((r) => r.table_name === 'kl_plant');
    return rows[0]?.status === 'UNREACHABLE' ? undefined : rows[0];
  });
  assert.deepEqual(
    [row.table_name, row.status, Number(row.local_rows), Number(row.peer_rows), Number(row.differing_rows)],
    ['kl_plant', 'DIVERGED', 3, 4, 1],
  );
  // Against every peer: the node that was not touched agrees.
  const all = (await c.sql(0, 'SELECT * FROM replicate.check_split_brain()')).filter(
    (r) => r.table_name === 'kl_plant',
  );
  assert.deepEqual(
    all.map((r) => [r.peer_id, r.status]),
    [
      [c.nodes[1]!.nodeId, 'CONSISTENT'],
      [node.nodeId, 'DIVERGED'],
    ],
  );
  const div = await c.sql(0, 'SELECT * FROM replicate.check_divergence()');
  const planted = div.filter((r) => r.table_name === 'kl_plant');
  assert.equal(planted.length, 1, JSON.stringify(div));
  assert.equal(planted[0]!.peer_id, node.nodeId);
  assert.equal(planted[0]!.row_id, '(all rows)');
  assert.match(String(planted[0]!.local_digest), /^3 rows [0-9a-f]{32}$/);
  assert.match(String(planted[0]!.peer_digest), /^4 rows [0-9a-f]{32}$/);
  assert.equal(planted[0]!.status, 'MISMATCH');
});
