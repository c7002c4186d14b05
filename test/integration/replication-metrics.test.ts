// pg_replication_metrics (seed 001) on a primary and its standby, real processes: the primary counts
// the log it writes for its commits and what it ships; the standby counts heartbeats; every column
// the seed lists is there, and the counters move with the work done.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { NodeProcess } from '../support/launcher.js';
import { queryOnce } from '../support/query.js';
import { eventually } from '../support/wait.js';

const secret = 'replication-metrics-test-secret';
let primary: NodeProcess;
let standby: NodeProcess;

const metrics = async (n: NodeProcess): Promise<Record<string, unknown>> =>
  (await queryOnce(n.connectionString, 'SELECT * FROM pg_replication_metrics'))[0]!;

before(async () => {
  primary = await NodeProcess.start({
    nodeId: 'rm-primary',
    extraArgs: ['--ha-mode', 'primary'],
    env: { CHORUS_CLUSTER_SECRET: secret },
  });
  standby = await NodeProcess.start({
    nodeId: 'rm-standby',
    haBind: false,
    extraArgs: ['--ha-mode', 'standby', '--ha-primary', `127.0.0.1:${primary.haPort}`],
    env: { CHORUS_CLUSTER_SECRET: secret },
  });
});

after(async () => {
  await standby?.cleanup();
  await primary?.cleanup();
});

test("pg_replication_metrics has the seed's columns and counts the work done", async () => {
  const before0 = await metrics(primary);
  assert.deepEqual(Object.keys(before0), [
    'wal_writes',
    'wal_bytes_written',
    'records_replicated',
    'bytes_replicated',
    'heartbeats_sent',
    'heartbeats_received',
    'reconnect_count',
    'last_wal_write',
    'last_replication',
  ]);
  await queryOnce(primary.connectionString, 'CREATE TABLE rm_items (id int PRIMARY KEY, note text)');
  await queryOnce(
    primary.connectionString,
    'INSERT INTO rm_items SELECT g, md5(g::text) || md5((g + 1)::text) || md5((g + 2)::text) FROM generate_series(1, 50) g',
  );
  await queryOnce(primary.connectionString, "UPDATE rm_items SET note = 'y' WHERE id = 1");
  await eventually('the standby to hold the 50 rows', 20_000, async () => {
    const r = await queryOnce(standby.connectionString, 'SELECT count(*)::int AS n FROM rm_items');
    return r[0]?.n === 50 ? true : undefined;
  });
  const after1 = await metrics(primary);
  // Three commits logged (CREATE TABLE, the INSERT of 50 rows, the UPDATE), 50 rows of ~100 bytes.
  assert.equal(Number(after1.wal_writes) - Number(before0.wal_writes), 3);
  assert.ok(Number(after1.wal_bytes_written) - Number(before0.wal_bytes_written) > 50 * 100);
  // The 50 inserts, the update and the DDL entry were shipped to the standby.
  assert.ok(Number(after1.records_replicated) - Number(before0.records_replicated) >= 52);
  // Link bytes are frames as sent (deflated): 50 rows of 96 hex digits still take more than 50 * 40.
  assert.ok(Number(after1.bytes_replicated) > Number(before0.bytes_replicated) + 50 * 40);
  assert.ok(after1.last_wal_write instanceof Date);
  assert.ok(after1.last_replication instanceof Date);
  // The standby wrote no log of its own and applied what it received.
  const s = await metrics(standby);
  assert.equal(Number(s.wal_writes), 0);
  assert.ok(s.last_replication instanceof Date);
  // Heartbeats flow both ways on the link (interval: heartbeat_interval_ms, 1 s by default).
  await eventually('heartbeats to be counted on both ends', 10_000, async () => {
    const [p, sb] = [await metrics(primary), await metrics(standby)];
    return Number(p.heartbeats_sent) > 0 &&
      Number(p.heartbeats_received) > 0 &&
      Number(sb.heartbeats_sent) > 0 &&
      Number(sb.heartbeats_received) > 0
      ? true
      : undefined;
  });
});

test('a standalone node counts its log writes and reports no replication', async () => {
  const solo = await NodeProcess.start({ nodeId: 'rm-solo' });
  try {
    await queryOnce(solo.connectionString, 'CREATE TABLE rm_solo (id int PRIMARY KEY)');
    await queryOnce(solo.connectionString, 'INSERT INTO rm_solo VALUES (1), (2)');
    const m = await metrics(solo);
    assert.ok(Number(m.wal_writes) >= 1, `wal_writes ${m.wal_writes}`);
    assert.equal(Number(m.records_replicated), 0);
    assert.equal(Number(m.heartbeats_sent), 0);
    assert.equal(m.last_replication, null);
  } finally {
    await solo.cleanup();
  }
});
