// The replication monitoring and control surface on a 2-node multi-primary cluster in one process
// (simulated network, virtual time): replicate.status(), replicate.masters, pause/resume, queue
// depth, peer latency, the bounded histories, metrics, and the seed's monitoring queries as
// PostgreSQL runs them (ordered-set aggregates, EXTRACT(EPOCH FROM ...), timestamp arithmetic).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { formatTimestamp, type ReplicationAdmin } from '../../src/admin/replication-admin.js';
import { loadConfig } from '../../src/config/load.js';
import { type ChorusNode, openNode } from '../../src/node/node.js';
import { SimFabric } from '../../src/testing/sim-network.js';
import { SimWorld } from '../../src/testing/sim-world.js';
import { clientQuery } from '../support/client-values.js';

const historyRows = 16;
const sampleMs = 100;
const silent = pino({ level: 'silent' });
const masters = [
  { master_id: 'n1', endpoint: '127.0.0.1:7101', region: 'eu-west-1', priority: 10 },
  { master_id: 'n2', endpoint: '127.0.0.1:7102', region: 'us-east-1', priority: 5 },
];

describe('replication monitoring and control (2 nodes, simulated network)', () => {
  const world = new SimWorld(42);
  const fabric = new SimFabric(world, { minDelayMs: 1, maxDelayMs: 5, reconnectMs: 50 });
  const ids = ['n1', 'n2'];
  const nodes = new Map<string, ChorusNode>();
  const admins = new Map<string, ReplicationAdmin>();
  let root: string;

  const node = (id: string): ChorusNode => nodes.get(id)!;
  /** Rows as a PostgreSQL client receives them: int8 and numeric as strings, bool, Date, ... */
  const q = (id: string, sql: string): Promise<Record<string, unknown>[]> => clientQuery(node(id), sql);
  const one = async (id: string, sql: string): Promise<Record<string, unknown>> => {
    const rows = await q(id, sql);
    assert.equal(rows.length, 1, `${sql}: ${rows.length} rows`);
    return rows[0]!;
  };
  /** An int8 as the client gives it (a string), as a bigint for comparisons. */
  const int8 = (v: unknown): bigint => BigInt(v as string);
  const cutoff = (): string => `'${formatTimestamp(world.nowMs - 3_600_000)}'`;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'chorus-repl-admin-'));
    for (const id of ids) {
      const network = fabric.network(id, ids);
      const config = loadConfig({
        base: {
          server: {
            node_id: id,
            data_dir: join(root, id),
            reader_threads: 0,
            synchronous: 'off',
            log_level: 'silent',
          },
          // DDL runs outside world.runFor here: the DDL lock's votes would never arrive.
          replication: { mode: 'multi-primary', cluster_secret: 'test-secret', masters, ddl_locking: false },
        },
      });
      const n = openNode({
        config,
        logger: silent,
        clock: { nowMs: () => world.nowMs },
        timers: world.timers(),
        network,
        monitor: { sampleIntervalMs: sampleMs, historyRowsMax: historyRows },
      });
      const admin = n.replicationAdmin!;
      await n.startReplication();
      nodes.set(id, n);
      admins.set(id, admin);
    }
    await node('n1').exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    await world.runFor(300);
    await node('n1').exec("INSERT INTO t VALUES (1, 'from n1')");
    await node('n2').exec("INSERT INTO t VALUES (2, 'from n2')");
    await world.runFor(500);
  });

  after(async () => {
    for (const a of admins.values()) a.monitor?.stop();
    for (const n of nodes.values()) await n.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('both writes replicated', async () => {
    for (const id of ids)
      assert.deepEqual(
        (await q(id, 'SELECT id FROM t ORDER BY id')).map((r) => r.id),
        [1, 2],
      );
  });

  test('replicate.status(): multi-primary variant', async () => {
    const s = await one('n1', 'SELECT replicate.status()');
    assert.equal(s.status, 'ACTIVE');
    assert.equal(s.master_id, 'n1');
    assert.equal(s.node_id, 'n1');
    assert.equal(s.mode, 'multi-primary');
    assert.equal(s.role, 'master');
    assert.equal(s.region, 'eu-west-1');
    assert.equal(s.peer_count, '1');
    assert.equal(s.healthy_peers, '1');
    assert.equal(s.replication_lag_ms, '0');
    assert.equal(s.conflicts_detected, '0');
    assert.equal(s.pending_operations, '0');
    assert.equal(s.current_lsn, (await one('n1', 'SELECT max(lsn) AS m FROM replicate.log')).m);
    // inside a query (virtual table) as well as a direct call
    assert.deepEqual(await one('n2', 'SELECT role, peer_count FROM replicate.status()'), {
      role: 'master',
      peer_count: '1',
    });
  });

  test('replicate.masters: this node and its peer, caught up', async () => {
    const rows = await q('n1', 'SELECT * FROM replicate.masters ORDER BY master_id');
    assert.deepEqual(
      rows.map((r) => [r.master_id, r.region, Number(r.priority), r.state, r.is_healthy]),
      [
        ['n1', 'eu-west-1', 10, 'ACTIVE', true],
        ['n2', 'us-east-1', 5, 'ACTIVE', true],
      ],
    );
    const peer = rows[1]!;
    assert.equal(peer.endpoint, '127.0.0.1:7102');
    assert.equal(peer.current_lsn, null);
    assert.equal(peer.last_replicated_lsn, rows[0]!.current_lsn);
    assert.equal(peer.pending_operations, '0');
    assert.equal(peer.replication_lag_ms, '0');
    assert.equal(peer.replication_lag_bytes, '0');
    assert.equal(peer.catch_up_progress_percent, 100);
    // timestamptz: the client parses it into a Date, a moment of the simulated clock
    const at = peer.last_replication_time;
    assert.ok(at instanceof Date, String(at));
    assert.ok(at.getTime() <= world.nowMs && at.getTime() > world.nowMs - 60_000, at.toISOString());
  });

  test('pause_replication() holds incoming transactions until resume_replication()', async () => {
    assert.deepEqual(await one('n1', 'SELECT replicate.pause_replication()'), { status: 'PAUSED' });
    assert.equal((await one('n1', 'SELECT replicate.status()')).status, 'PAUSED');
    await node('n2').exec("INSERT INTO t VALUES (3, 'while n1 paused')");
    await world.runFor(500);
    assert.equal((await q('n1', 'SELECT id FROM t WHERE id = 3')).length, 0);

    const depth = await one('n1', 'SELECT replicate.get_queue_depth()');
    assert.equal(depth.paused, true);
    assert.ok(int8(depth.pending_apply) >= 1n);
    assert.equal(int8(depth.queue_depth), int8(depth.pending_apply) + int8(depth.pending_ship));

    const behind = await one('n2', "SELECT * FROM replicate.masters WHERE master_id = 'n1'");
    assert.equal(behind.state, 'ACTIVE');
    assert.ok(int8(behind.pending_operations) >= 1n);
    assert.ok(int8(behind.replication_lag_bytes) > 0n);
    assert.ok(Number(behind.replication_lag_ms) >= 0, `numeric ${String(behind.replication_lag_ms)}`);
    assert.ok((behind.catch_up_progress_percent as number) < 100);
    const lsn = int8((await one('n2', 'SELECT current_lsn FROM replicate.status()')).current_lsn);
    assert.ok(int8(behind.last_replicated_lsn) < lsn);
    const hist = await one(
      'n2',
      'SELECT max(pending_txs) AS p, max(lag_bytes) AS b FROM replicate.lag_history',
    );
    assert.ok(int8(hist.p) >= 1n && int8(hist.b) > 0n);

    assert.deepEqual(await one('n1', 'SELECT replicate.resume_replication()'), { status: 'ACTIVE' });
    await world.runFor(500);
    assert.equal((await q('n1', 'SELECT id FROM t WHERE id = 3')).length, 1);
    const caughtUp = await one(
      'n2',
      "SELECT pending_operations FROM replicate.masters WHERE master_id = 'n1'",
    );
    assert.equal(caughtUp.pending_operations, '0');
    assert.equal((await one('n1', 'SELECT replicate.get_queue_depth()')).queue_depth, '0');
  });

  test('pause_replication() cannot run inside a larger query', async () => {
    await assert.rejects(node('n1').query('SELECT * FROM replicate.pause_replication() WHERE 1 = 1'), {
      sqlstate: '0A000',
    });
  });

  test('check_peer_latency(peer_id)', async () => {
    const r = await one('n1', "SELECT replicate.check_peer_latency('n2')");
    assert.equal(r.peer_id, 'n2');
    assert.equal(r.state, 'ACTIVE');
    assert.equal(r.health, 'healthy');
    assert.equal(r.rtt_ms, null); // the simulated network does not measure round trips
    assert.ok(int8(r.samples) > 0n);
    const named = await one('n1', "SELECT replicate.check_peer_latency(peer_id => 'n2')");
    assert.equal(named.peer_id, 'n2');
    await assert.rejects(node('n1').query("SELECT replicate.check_peer_latency('nope')"), {
      sqlstate: '42704',
    });
  });

  test('histories are bounded', async () => {
    await world.runFor(sampleMs * historyRows * 3);
    for (const view of ['peer_latency_history', 'lag_history', 'batch_stats']) {
      const { n } = await one('n1', `SELECT count(*) AS n FROM replicate.${view}`);
      assert.equal(n, String(historyRows), view);
    }
    const b = await one(
      'n1',
      'SELECT sum(txs_applied) AS applied, min(interval_ms) AS i FROM replicate.batch_stats',
    );
    assert.equal(b.i, sampleMs);
  });

  test('batch metrics, connections and network stats', async () => {
    const m = await one('n1', 'SELECT replicate.get_batch_metrics()');
    assert.ok(int8(m.txs_applied) >= 2n, `txs_applied ${String(m.txs_applied)}`); // CREATE TABLE is n1's own; n2's inserts applied
    assert.ok(int8(m.txs_sent) >= 1n);
    const conns = await q('n1', 'SELECT peer_id, state, connection_id FROM replicate.connections');
    assert.deepEqual(
      conns.map((c) => [c.peer_id, c.state]),
      [['n2', 'active']],
    );
    const net = await q('n1', 'SELECT * FROM replicate.network_stats ORDER BY peer_id NULLS LAST');
    assert.equal(net.length, 2);
    assert.equal(net[0]!.peer_id, 'n2');
    assert.equal(net[1]!.peer_id, null);
    assert.equal(net[1]!.reconnects, '0');
    assert.equal(net[1]!.frames_sent, net[0]!.frames_sent);
  });

  test('prometheus metrics', async () => {
    const text = await node('n1').metrics.registry.metrics();
    assert.match(text, /chorus_peer_up\{[^}]*peer="n2"[^}]*\} 1\n/);
    assert.match(text, /chorus_replication_lag_ms\{[^}]*peer="n2"[^}]*\} 0\n/);
    assert.match(text, /chorus_replication_pending_txs\{[^}]*\} 0\n/);
    assert.match(text, /chorus_replication_applied_txs_total\{[^}]*\} [1-9]/);
    assert.match(text, /chorus_replication_conflicts_total\{[^}]*\} 0\n/);
    assert.match(text, /# TYPE chorus_peer_rtt_ms gauge/);
  });

  test("the seed's monitoring queries (PostgreSQL dialect)", async () => {
    // Check latency to peer masters
    const lat = await q(
      'n1',
      `SELECT peer_id, region, ROUND(AVG(rtt_ms), 2) AS avg_latency_ms,
         PERCENTILE_CONT(0.99) WITHIN GROUP (ORDER BY rtt_ms) AS p99_latency_ms, COUNT(*) AS ping_count
       FROM replicate.peer_latency_history WHERE recorded_at > ${cutoff()}
       GROUP BY peer_id, region ORDER BY avg_latency_ms DESC`,
    );
    assert.deepEqual(
      lat.map((r) => [r.peer_id, r.region, r.ping_count]),
      [['n2', 'us-east-1', String(historyRows)]],
    );
    // Monitor replication lag (current_lsn of a peer is unknown: this node's comes from status())
    const lag = await q(
      'n2',
      `SELECT m.master_id, s.current_lsn, m.last_replicated_lsn,
         s.current_lsn - m.last_replicated_lsn AS lsn_behind, m.pending_operations,
         ROUND(EXTRACT(EPOCH FROM NOW() - m.last_replication_time) * 1000, 0) AS last_replication_ms_ago
       FROM replicate.masters m, replicate.status() s ORDER BY m.pending_operations DESC`,
    );
    assert.equal(lag.length, 2);
    assert.ok(
      lag.every((r) => r.lsn_behind === '0' && r.pending_operations === '0'),
      JSON.stringify(lag),
    );
    // Current lag for all masters: unchanged
    const status = await q(
      'n1',
      `SELECT master_id, region,
         CASE WHEN replication_lag_ms < 100 THEN 'EXCELLENT' WHEN replication_lag_ms < 500 THEN 'GOOD'
              WHEN replication_lag_ms < 1000 THEN 'ACCEPTABLE' ELSE 'POOR' END as lag_status,
         replication_lag_ms, replication_lag_bytes, last_replication_time
       FROM replicate.masters ORDER BY replication_lag_ms DESC`,
    );
    assert.deepEqual(
      status.map((r) => r.lag_status),
      ['EXCELLENT', 'EXCELLENT'],
    );
    // Detailed lag breakdown
    const pct = await one(
      'n1',
      `SELECT peer_id, PERCENTILE_CONT(0.50) WITHIN GROUP (ORDER BY lag_ms) AS p50_lag_ms,
         PERCENTILE_CONT(0.95) WITHIN GROUP (ORDER BY lag_ms) AS p95_lag_ms,
         PERCENTILE_CONT(0.99) WITHIN GROUP (ORDER BY lag_ms) AS p99_lag_ms, MAX(lag_ms) AS max_lag_ms, COUNT(*) AS samples
       FROM replicate.lag_history WHERE recorded_at > ${cutoff()} GROUP BY peer_id ORDER BY p99_lag_ms DESC`,
    );
    assert.equal(pct.samples, String(historyRows));
    // Active replication connections: unchanged
    const conns = await q(
      'n1',
      `SELECT peer_id, connection_id, state, connected_since, bytes_sent, bytes_received
       FROM replicate.connections WHERE state = 'active' ORDER BY peer_id`,
    );
    assert.equal(conns.length, 1);
    // Topology queries: unchanged
    assert.deepEqual(await one('n1', 'SELECT COUNT(*) FROM replicate.masters'), { count: '2' });
    assert.equal((await q('n1', 'SELECT master_id, replication_lag_ms FROM replicate.masters')).length, 2);
    assert.equal((await one('n1', 'SELECT role FROM replicate.status()')).role, 'master');
    const catchUp = await one(
      'n1',
      `SELECT master_id, replication_lag_bytes, replication_lag_ms, catch_up_progress_percent,
         CASE WHEN catch_up_progress_percent >= 100 THEN 'COMPLETE' ELSE 'IN_PROGRESS' END as catch_up_status
       FROM replicate.masters WHERE master_id = 'n2'`,
    );
    assert.equal(catchUp.catch_up_status, 'COMPLETE');
    // Network statistics and batch performance (columns differ, see the doc)
    assert.ok(
      (
        await q(
          'n1',
          `SELECT peer_id, bytes_sent, bytes_received FROM replicate.network_stats
           WHERE recorded_at > ${cutoff()} ORDER BY recorded_at DESC LIMIT 10`,
        )
      ).length > 0,
    );
    const batch = await one(
      'n1',
      `SELECT AVG(batch_size) AS avg_batch_size, MAX(batch_size) AS max_batch_size, COUNT(*) AS samples
       FROM replicate.batch_stats WHERE recorded_at > ${cutoff()}`,
    );
    assert.equal(batch.samples, String(historyRows));
  });

  test('a partition shows as DISCONNECTED, in failure_log and in metrics; healing reconnects', async () => {
    const failed = `SELECT master_id, last_heartbeat,
        EXTRACT(EPOCH FROM NOW() - last_heartbeat) AS seconds_since_heartbeat, state, is_healthy
      FROM replicate.masters WHERE is_healthy = false ORDER BY last_heartbeat DESC`;
    assert.equal((await q('n1', failed)).length, 0);
    fabric.partition('n1', 'n2');
    await world.runFor(sampleMs * 2);
    const down = await q('n1', failed);
    assert.deepEqual(
      down.map((r) => [r.master_id, r.state, r.is_healthy]),
      [['n2', 'DISCONNECTED', false]],
    );
    const s = await one('n1', 'SELECT peer_count, healthy_peers FROM replicate.status()');
    assert.deepEqual(s, { peer_count: '1', healthy_peers: '0' });
    const lat = await one('n1', "SELECT replicate.check_peer_latency('n2')");
    assert.equal(lat.health, 'disconnected');
    const failures = await q(
      'n1',
      `SELECT master_id, failure_type, MAX(message) AS last_error, COUNT(*) AS failure_count,
         MIN(failed_at) AS first_failure_time, MAX(failed_at) AS last_failure_time
       FROM replicate.failure_log WHERE recorded_at > ${cutoff()}
       GROUP BY master_id, failure_type ORDER BY last_failure_time DESC`,
    );
    assert.deepEqual(
      failures.map((f) => [f.master_id, f.failure_type, f.failure_count]),
      [['n2', 'disconnected', '1']],
    );
    assert.match(await node('n1').metrics.registry.metrics(), /chorus_peer_up\{[^}]*peer="n2"[^}]*\} 0\n/);

    fabric.heal('n1', 'n2');
    await world.runFor(500);
    assert.equal((await one('n1', 'SELECT replicate.status()')).healthy_peers, '1');
  });
});
