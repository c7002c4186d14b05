// Seed 000's "Handling Split-Brain Scenarios" on real processes: a 3-master cluster split by a
// network partition (FaultProxy) with both sides writing, detected by Merkle comparison after the
// heal (split_brain_status, split_brain_conflicts with both values), and recovered by the seed's
// steps — mark the majority canonical, pause the minority, heal, sync it from the canonical
// partition, resume, validate — ending with every node holding the canonical data and the rows
// the minority dropped kept in replicate.split_brain_dropped_rows.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Cluster, startCluster } from '../support/cluster.js';
import { eventually } from '../support/wait.js';

let c: Cluster;

before(async () => {
  c = await startCluster({
    n: 3,
    topology: 'mesh',
    idPrefix: 'sb',
    proxied: [
      [0, 1],
      [0, 2],
      [1, 2],
    ],
    configToml: '[replication]\nsplit_brain_check_interval_ms = 0\n',
  });
  await c.waitLinked(20_000);
  await c.sql(0, 'CREATE TABLE inventory (sku TEXT PRIMARY KEY, qty INTEGER NOT NULL, note TEXT)');
  const rows = Array.from({ length: 2_000 }, (_, i) => `('sku-${i}', ${i}, 'initial')`).join(', ');
  await c.sql(0, `INSERT INTO inventory VALUES ${rows}`);
  await c.waitConverged(['inventory'], 20_000);
});

after(async () => {
  await c?.stop();
});

const one = async (i: number, sql: string): Promise<Record<string, unknown>> => (await c.sql(i, sql))[0]!;

test('a split brain is detected and recovered by the seed procedure, dropped rows kept', async () => {
  // Before any split: every table is consistent with every peer.
  const before = await c.sql(0, 'SELECT * FROM replicate.check_split_brain()');
  assert.deepEqual(
    before.map((r) => [r.table_name, r.peer_id, r.status]),
    [
      ['inventory', 'sb-2', 'CONSISTENT'],
      ['inventory', 'sb-3', 'CONSISTENT'],
    ],
  );

  // The split: sb-3 is cut off from both others; both sides write.
  c.proxy(0, 2).partition();
  c.proxy(1, 2).partition();
  await eventually('sb-3 to lose its peers', 20_000, async () => {
    const r = await one(2, 'SELECT healthy_peers FROM replicate.status()');
    return Number(r.healthy_peers) === 0 ? true : undefined;
  });
  await c.sql(0, "UPDATE inventory SET qty = 1000, note = 'majority' WHERE sku = 'sku-1'");
  await c.sql(1, "INSERT INTO inventory VALUES ('sku-majority', 1, 'majority')");
  await c.sql(2, "UPDATE inventory SET qty = 3000, note = 'minority' WHERE sku = 'sku-1'");
  await c.sql(2, "UPDATE inventory SET note = 'minority' WHERE sku = 'sku-7'");
  await c.sql(2, "INSERT INTO inventory VALUES ('sku-minority', 3, 'minority')");
  await c.sql(2, "DELETE FROM inventory WHERE sku = 'sku-9'");

  // Step 3: the majority marks itself canonical. Step 4: the minority stops replication.
  const marked = await one(
    0,
    "SELECT replicate.mark_as_canonical_partition(partition_id => 'partition_1', force => true)",
  );
  assert.match(String(marked.mark_as_canonical_partition), /^CANONICAL: partition_1 \(sb-1, sb-2\)$/);
  await c.sql(2, 'SELECT replicate.pause_replication()');
  // Step 5: heal.
  c.proxy(0, 2).heal();
  c.proxy(1, 2).heal();
  await eventually('the links to come back', 20_000, async () => {
    const r = await one(0, 'SELECT healthy_peers FROM replicate.status()');
    return Number(r.healthy_peers) === 2 ? true : undefined;
  });

  // Detection: the seed's queries, on the majority.
  const status = await eventually('the split brain to be detected', 20_000, async () => {
    const rows = await c.sql(0, "SELECT * FROM replicate.check_split_brain(peer_id => 'sb-3')");
    return rows[0]?.status === 'DIVERGED' ? rows[0] : undefined;
  });
  // Four rows the minority changed, one the majority added that the paused minority lacks.
  assert.equal(Number(status.differing_rows), 5);
  assert.ok(Number(status.bytes_transferred) > 0);
  const seen = await c.sql(
    0,
    "SELECT table_name, peer_id, status FROM replicate.split_brain_status WHERE peer_id = 'sb-3'",
  );
  assert.deepEqual(seen, [{ table_name: 'inventory', peer_id: 'sb-3', status: 'DIVERGED' }]);
  const conflicts = await c.sql(
    0,
    'SELECT table_name, row_id, master_1_value, master_2_value, conflict_detected_at FROM replicate.split_brain_conflicts ORDER BY table_name, row_id',
  );
  assert.deepEqual(
    conflicts.map((r) => [
      r.row_id,
      r.master_1_value === null ? null : (r.master_1_value as { note: string }).note,
      r.master_2_value === null ? null : (r.master_2_value as { note: string }).note,
    ]),
    [
      ['["sku-1"]', 'majority', 'minority'],
      ['["sku-7"]', 'initial', 'minority'],
      ['["sku-9"]', 'initial', null],
      ['["sku-majority"]', 'majority', null],
      ['["sku-minority"]', null, 'minority'],
    ],
  );
  assert.ok(conflicts.every((r) => r.conflict_detected_at !== null));
  // The detection query to run on every master: row counts differ.
  const counts = await Promise.all(
    [0, 2].map((i) =>
      one(
        i,
        'SELECT COUNT(DISTINCT master_id) as master_count, COUNT(*) as row_count FROM replicate.split_brain_detection',
      ),
    ),
  );
  assert.deepEqual(
    counts.map((r) => Number(r.master_count)),
    [1, 1],
  );
  assert.equal(Number(counts[0]!.row_count), 2_001);
  assert.equal(Number(counts[1]!.row_count), 2_000);

  // Step 6: sync the minority from the canonical partition. Step 7: resume. Step 8: validate.
  await assert.rejects(
    c.sql(0, "SELECT replicate.sync_from_canonical_partition(target_partition => 'partition_1')"),
    { code: '55000', message: /member of the canonical partition/ },
  );
  const synced = await one(
    2,
    "SELECT replicate.sync_from_canonical_partition(target_partition => 'partition_2')",
  );
  assert.match(
    String(synced.sync_from_canonical_partition),
    /^SYNCED from sb-[12] \(canonical partition partition_1\): 4 transactions voided, 4 rows dropped/,
  );
  await c.sql(2, 'SELECT replicate.resume_replication()');
  // A sync with replication running would ship this partition's writes while they are voided.
  await assert.rejects(
    c.sql(2, "SELECT replicate.sync_from_canonical_partition(target_partition => 'partition_2')"),
    { code: '55000', message: /replication is running/ },
  );
  await c.waitConverged(['inventory'], 30_000);
  for (let i = 0; i < 3; i++) {
    await eventually(`a valid topology on node ${i}`, 20_000, async () =>
      (await one(i, 'SELECT replicate.validate_topology()')).validate_topology === 'VALID' ? true : undefined,
    );
  }
  // The canonical data everywhere: the majority's writes, none of the minority's.
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(
      await c.sql(
        i,
        "SELECT sku, qty, note FROM inventory WHERE sku IN ('sku-1', 'sku-7', 'sku-9', 'sku-majority', 'sku-minority') ORDER BY sku",
      ),
      [
        { sku: 'sku-1', qty: 1000, note: 'majority' },
        { sku: 'sku-7', qty: 7, note: 'initial' },
        { sku: 'sku-9', qty: 9, note: 'initial' },
        { sku: 'sku-majority', qty: 1, note: 'majority' },
      ],
    );
  }
  // What the minority dropped is kept, with the value that replaced it.
  const dropped = await c.sql(
    2,
    'SELECT row_id, dropped_value, canonical_value, operation, partition_id FROM replicate.split_brain_dropped_rows ORDER BY row_id',
  );
  assert.deepEqual(
    dropped.map((r) => [
      r.row_id,
      r.operation,
      r.partition_id,
      (r.dropped_value as { note?: string } | null)?.note ?? null,
      (r.canonical_value as { note?: string } | null)?.note ?? null,
    ]),
    [
      ['["sku-1"]', 'UPDATE', 'partition_2', 'minority', 'majority'],
      ['["sku-7"]', 'UPDATE', 'partition_2', 'minority', 'initial'],
      ['["sku-9"]', 'DELETE', 'partition_2', null, 'initial'],
      ['["sku-minority"]', 'INSERT', 'partition_2', 'minority', null],
    ],
  );
  // And the comparison agrees.
  const after = await c.sql(0, 'SELECT * FROM replicate.check_split_brain()');
  assert.deepEqual(
    after.map((r) => ({ peer_id: r.peer_id, status: r.status })),
    [
      { peer_id: 'sb-2', status: 'CONSISTENT' },
      { peer_id: 'sb-3', status: 'CONSISTENT' },
    ],
  );
  // The recovered node writes again and its writes reach the others.
  await c.sql(2, "INSERT INTO inventory VALUES ('sku-after', 5, 'after recovery')");
  await c.waitConverged(['inventory'], 20_000);
});
