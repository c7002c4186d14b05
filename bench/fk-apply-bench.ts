// Apply cost of foreign keys (issue 18's orphan check, replication/apply/conflicts/fk-orphans.ts): two
// simulated nodes, one writes single-row inserts into a child table while the pair is partitioned,
// then the other's catch-up is timed. Child tables with and without a primary key, with and without
// a foreign key, empty or preloaded; prints rows/s and the ratio to the same table without a foreign
// key in the same run. Run: `npm run build && node dist/bench/fk-apply-bench.js [txs] [preload]`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ChorusNode } from '../src/node/node.js';
import { SimFabric } from '../src/testing/sim-network.js';
import { openSimNode } from '../src/testing/sim-node.js';
import { SimWorld } from '../src/testing/sim-world.js';

const txs = Number(process.argv[2] ?? 500);
const preload = Number(process.argv[3] ?? 100_000);

/** Rows in `kids` on n; -1 while the table has not reached it. */
async function count(n: ChorusNode): Promise<number> {
  const r = await n.query('SELECT count(*) AS n FROM kids').catch(() => null);
  return r ? Number(r.rows[0]!.n) : -1;
}

/** Rows per second node b applies `txs` single-row inserts into `kids` made by a. */
async function run(keyless: boolean, fk: boolean): Promise<number> {
  const root = mkdtempSync(join(tmpdir(), 'chorus-fk-bench-'));
  const world = new SimWorld(1);
  const fabric = new SimFabric(world);
  const ids = ['fa', 'fb'];
  const [a, b] = ids.map((id) => openSimNode({ world, fabric, root, id, peers: ids })) as [
    ChorusNode,
    ChorusNode,
  ];
  try {
    await a.startReplication();
    await b.startReplication();
    await a.exec('CREATE TABLE parents (id INTEGER PRIMARY KEY, name TEXT)');
    const parent = fk ? 'INTEGER REFERENCES parents' : 'INTEGER';
    await a.exec(
      `CREATE TABLE kids (id INTEGER${keyless ? '' : ' PRIMARY KEY'}, parent_id ${parent}, name TEXT)`,
    );
    await a.exec("INSERT INTO parents SELECT g, 'p' FROM generate_series(1, 1000) AS g");
    if (preload > 0)
      await a.exec(
        `INSERT INTO kids SELECT g, (g % 1000) + 1, 'pre' FROM generate_series(1, ${preload}) AS g`,
      );
    while ((await count(b)) < preload) await world.runFor(500);
    fabric.partition('fa', 'fb');
    for (let i = 1; i <= txs; i++)
      await a.exec(`INSERT INTO kids VALUES (${preload + i}, ${(i % 1000) + 1}, 'kid')`);
    fabric.heal('fa', 'fb');
    const t0 = performance.now();
    while ((await count(b)) < preload + txs) await world.runFor(100);
    return (txs / (performance.now() - t0)) * 1000;
  } finally {
    await a.close();
    await b.close();
    rmSync(root, { recursive: true, force: true });
  }
}

console.log(`${txs} single-row transactions applied on a peer, child table preloaded with ${preload} rows`);
for (const keyless of [false, true]) {
  const without = await run(keyless, false);
  const withFk = await run(keyless, true);
  const table = keyless ? 'keyless child' : 'keyed child  ';
  console.log(
    `${table}  no foreign key ${Math.round(without).toLocaleString('en-US')} rows/s   ` +
      `foreign key ${Math.round(withFk).toLocaleString('en-US')} rows/s   ratio ${(withFk / without).toFixed(2)}x`,
  );
}
