// Issue 18's pgbench case, with real processes: `pgbench -i` on one of three masters, the three
// balance columns made delta columns (ALTER TABLE ... ALTER COLUMN ... SET REPLICATION
// CONFLICT_RESOLVER = 'delta'), then pgbench tpcb-like on all three masters at once. Every
// `UPDATE ... SET abalance = abalance + :delta` counts on every node: once the nodes converge the
// three balance sums equal the sum of pgbench_history's deltas, and pgbench_history holds one row
// per transaction the three pgbench runs processed. (Under last-write-wins the sums differ: the
// concurrent increments of one branch row overwrite each other.) Skips with the reason when
// pgbench is absent.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Cluster, startCluster } from '../support/cluster.js';
import { findPgbench, runPgbench } from '../support/pgbench.js';
import { eventually } from '../support/wait.js';

const found = findPgbench();
const seconds = 6;
let c: Cluster | undefined;

before(async () => {
  if ('skip' in found) return;
  c = await startCluster({
    n: 3,
    topology: 'mesh',
    idPrefix: 'dpg',
    configToml: '[replication]\nsplit_brain_check_interval_ms = 0\n',
  });
  await c.waitLinked(20_000);
});

after(async () => {
  await c?.stop();
});

const balanceColumns = [
  ['pgbench_accounts', 'abalance'],
  ['pgbench_branches', 'bbalance'],
  ['pgbench_tellers', 'tbalance'],
] as const;

test('pgbench tpcb-like on three masters at once: with delta balances every sum equals the history', async (t) => {
  if ('skip' in found) return t.skip(found.skip);
  const cluster = c!;
  const target = (i: number) => ({
    host: '127.0.0.1',
    port: cluster.nodes[i]!.pgPort,
    user: 'postgres',
    db: 'postgres',
  });
  const init = await runPgbench(found.path, target(0), ['-i', '-s', '1', '-q'], 180_000);
  assert.equal(init.code, 0, init.output);
  for (const [table, column] of balanceColumns) {
    await cluster.sql(0, `ALTER TABLE ${table} ALTER COLUMN ${column} SET NOT NULL`);
    await cluster.sql(
      0,
      `ALTER TABLE ${table} ALTER COLUMN ${column} SET REPLICATION CONFLICT_RESOLVER = 'delta'`,
    );
  }
  await eventually('every node has the delta columns', 60_000, async () => {
    const rows = await Promise.all(
      [0, 1, 2].map((i) =>
        cluster.sql(
          i,
          "SELECT count(*)::int AS n FROM replicate.tables WHERE delta_columns IS NOT NULL AND table_name LIKE 'pgbench_%'",
        ),
      ),
    );
    return rows.every((r) => r[0]?.n === 3) ? true : undefined;
  });
  const runs = await Promise.all(
    [0, 1, 2].map((i) =>
      runPgbench(
        found.path,
        target(i),
        ['-n', '-c', '2', '-j', '1', '-T', String(seconds), '-M', 'prepared'],
        120_000,
      ),
    ),
  );
  let processed = 0;
  for (const r of runs) {
    assert.equal(r.code, 0, r.output);
    assert.equal(r.failed ?? 0, 0, r.output);
    processed += r.processed!;
  }
  assert.ok(processed > 30, `too few transactions: ${processed}`);
  const sums = `SELECT (SELECT count(*) FROM pgbench_history)::int AS h, (SELECT coalesce(sum(delta), 0) FROM pgbench_history)::int AS d,
      (SELECT sum(abalance) FROM pgbench_accounts)::int AS a, (SELECT sum(bbalance) FROM pgbench_branches)::int AS b,
      (SELECT sum(tbalance) FROM pgbench_tellers)::int AS t`;
  const settled = await eventually('the three masters to agree', 120_000, async () => {
    const all = await Promise.all([0, 1, 2].map((i) => cluster.sql(i, sums)));
    const texts = all.map((r) => JSON.stringify(r[0]));
    return texts.every((x) => x === texts[0]) && all[0]![0]!.h === processed ? all[0]![0]! : undefined;
  });
  t.diagnostic(`${processed} transactions on three masters: ${JSON.stringify(settled)}`);
  assert.deepEqual([settled.a, settled.b, settled.t], [settled.d, settled.d, settled.d]);
});
