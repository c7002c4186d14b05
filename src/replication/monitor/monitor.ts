// Replication monitoring of one node: computes how far each peer is behind this node's log (lag in
// time, bytes and transactions) and samples peer latency, lag and batch throughput at a fixed
// interval into bounded in-memory histories (replicate.peer_latency_history, replicate.lag_history,
// replicate.batch_stats, replicate.failure_log), and exports the replication Prometheus metrics.
// Nothing here changes replication state.

import type Database from 'better-sqlite3';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { TimerHandle, Timers } from '../../clock/timers.js';
import type { Vector } from '../../log/records.js';
import type { StorageEngine } from '../../storage/engine/engine.js';
import type { Link, LinkStats, PeerNetwork } from '../link/link.js';
import type { Replicator } from '../stream/replicator.js';

/** History rows kept per history when the caller does not say. */
export const historyRowsDefault = 10_000;
/** Hard ceiling on history rows whatever the caller asks for (memory bound). */
export const historyRowsLimit = 1_000_000;
/** Shortest accepted sampling interval. */
export const sampleIntervalMsMin = 10;
/** Transactions per origin the lag-bytes query reads at most; beyond that lag_bytes is a lower bound. */
export const lagScanTxsMax = 100_000;

/** One connected peer as the replicator reports it. */
export type PeerView = ReturnType<Replicator['peerStates']>[number];

/** How far a peer is behind this node's log, from the peer's acknowledged vector. */
export interface PeerLag {
  /** Some origin has transactions here the peer has not acknowledged. */
  behind: boolean;
  /** Milliseconds since the oldest unacknowledged transaction was committed or applied here; 0 when caught up. */
  lagMs: number;
  /** UTF-8 bytes of pk + cols of the log entries of unacknowledged transactions (null when not computed). */
  lagBytes: number | null;
  /** lagBytes stopped counting after lagScanTxsMax transactions of some origin. */
  lagBytesTruncated: boolean;
  /** Transactions (all origins) applied here and not acknowledged by the peer. */
  pendingTxs: number;
  /** Highest local LSN such that every log entry up to it is acknowledged (current LSN when caught up). */
  lastReplicatedLsn: number;
}

export interface LatencySample {
  peerId: string;
  sampledAtMs: number;
  rttMs: number | null;
  clockSkewMs: number | null;
  health: LinkStats['health'];
}

export interface LagSample {
  peerId: string;
  sampledAtMs: number;
  lagMs: number;
  lagBytes: number;
  pendingTxs: number;
}

/** Replication throughput over one sampling interval (counts are deltas within the interval). */
export interface BatchSample {
  sampledAtMs: number;
  intervalMs: number;
  /** Null while the replicator does not expose batches sent per peer. */
  batchesSent: number | null;
  txsSent: number;
  batchesApplied: number;
  txsApplied: number;
  duplicateTxs: number;
  applyErrors: number;
  /** Received transactions waiting to be applied at the sample instant (a level, not a delta). */
  pendingTxs: number;
  batchesPerSec: number;
  /** Average transactions per applied batch; null when no batch was applied. */
  txsPerBatch: number | null;
}

/** Something the monitor noticed between samples (link lost, peer suspected, dial error). */
export interface MonitorEvent {
  atMs: number;
  peer: string | null;
  type: 'disconnected' | 'unresponsive' | 'connection_error' | 'monitor_error';
  message: string;
}

/** A fixed-capacity buffer that drops the oldest item when full. */
export class RingBuffer<T> {
  private readonly items: T[] = [];
  private head = 0;

  constructor(readonly capacity: number) {}

  push(item: T): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else {
      this.items[this.head] = item;
      this.head = (this.head + 1) % this.capacity;
    }
  }

  get size(): number {
    return this.items.length;
  }

  /** Oldest first. */
  toArray(): T[] {
    return [...this.items.slice(this.head), ...this.items.slice(0, this.head)];
  }
}

export interface MonitorOptions {
  replicator: Replicator;
  network: PeerNetwork;
  engine: StorageEngine;
  timers: Timers;
  sampleIntervalMs: number;
  historyRowsMax: number;
  /** Wall clock that _chorus_tx.committed_at_ms is written with (default Date.now). */
  wallNowMs?: () => number;
}

interface Totals {
  txsApplied: number;
  batchesApplied: number;
  duplicateTxs: number;
  applyErrors: number;
}

export class ReplicationMonitor {
  readonly replicator: Replicator;
  readonly sampleIntervalMs: number;
  readonly historyRowsMax: number;
  readonly latency: RingBuffer<LatencySample>;
  readonly lag: RingBuffer<LagSample>;
  readonly batches: RingBuffer<BatchSample>;
  readonly events: RingBuffer<MonitorEvent>;
  /** Totals of what was shipped on links, accumulated from per-link deltas at each sample. */
  txsSentTotal = 0;
  batchesSentTotal: number | null = null;
  private timer: TimerHandle | null = null;
  private running = false;
  private lastSampleMs = 0;
  private lastTotals: Totals = { txsApplied: 0, batchesApplied: 0, duplicateTxs: 0, applyErrors: 0 };
  private readonly sentSeen = new WeakMap<Link, { txs: number; batches: number | null }>();
  private lastPeers = new Map<string, LinkStats['health']>();
  private readonly lastDialErrors = new Map<string, string>();
  private stmts: { oldest: Database.Statement; range: Database.Statement } | null = null;

  constructor(private readonly o: MonitorOptions) {
    this.replicator = o.replicator;
    this.sampleIntervalMs = Math.max(sampleIntervalMsMin, Math.floor(o.sampleIntervalMs));
    this.historyRowsMax = Math.min(historyRowsLimit, Math.max(1, Math.floor(o.historyRowsMax)));
    this.latency = new RingBuffer(this.historyRowsMax);
    this.lag = new RingBuffer(this.historyRowsMax);
    this.batches = new RingBuffer(this.historyRowsMax);
    this.events = new RingBuffer(this.historyRowsMax);
  }

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.lastSampleMs = this.o.timers.nowMs();
    this.lastTotals = this.totals();
    this.schedule();
  }

  stop(): void {
    this.running = false;
    this.timer?.cancel();
    this.timer = null;
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = this.o.timers.after(this.sampleIntervalMs, () => {
      this.timer = null;
      if (!this.running) return;
      // The node closed its database: nothing left to watch.
      if (!this.o.engine.writer.open) {
        this.stop();
        return;
      }
      this.sampleNow();
      this.schedule();
    });
  }

  /** Take one sample of every history now. Never throws (a failure becomes a monitor_error event). */
  sampleNow(): void {
    const now = this.o.timers.nowMs();
    try {
      const peers = this.livePeers();
      const seen = new Map<string, LinkStats['health']>();
      for (const p of peers) {
        const s = p.link.stats();
        const health = p.link.closed ? 'failed' : s.health;
        seen.set(p.peerId, health);
        this.latency.push({
          peerId: p.peerId,
          sampledAtMs: now,
          rttMs: s.rttMs,
          clockSkewMs: s.clockSkewMs,
          health,
        });
        const lag = this.peerLag(p, true);
        this.lag.push({
          peerId: p.peerId,
          sampledAtMs: now,
          lagMs: lag.lagMs,
          lagBytes: lag.lagBytes ?? 0,
          pendingTxs: lag.pendingTxs,
        });
        if (health === 'suspected' && this.lastPeers.get(p.peerId) !== 'suspected')
          this.events.push({
            atMs: now,
            peer: p.peerId,
            type: 'unresponsive',
            message: 'no frame within heartbeat_timeout_ms',
          });
      }
      for (const peer of this.lastPeers.keys())
        if (!seen.has(peer))
          this.events.push({ atMs: now, peer, type: 'disconnected', message: 'replication link closed' });
      this.lastPeers = seen;
      for (const d of this.o.network.peers()) {
        const key = d.peerId ?? d.endpoint;
        if (d.lastError && this.lastDialErrors.get(key) !== d.lastError)
          this.events.push({ atMs: now, peer: key, type: 'connection_error', message: d.lastError });
        if (d.lastError) this.lastDialErrors.set(key, d.lastError);
        else this.lastDialErrors.delete(key);
      }
      this.sampleBatches(now, peers);
    } catch (e) {
      this.events.push({ atMs: now, peer: null, type: 'monitor_error', message: (e as Error).message });
    }
    this.lastSampleMs = now;
  }

  private sampleBatches(now: number, peers: PeerView[]): void {
    let txsSent = 0;
    let batchesSent: number | null = null;
    for (const p of peers) {
      const batches = sentBatchesOf(p);
      const prev = this.sentSeen.get(p.link) ?? { txs: 0, batches: 0 };
      txsSent += Math.max(0, p.sentTxs - prev.txs);
      if (batches !== null) batchesSent = (batchesSent ?? 0) + Math.max(0, batches - (prev.batches ?? 0));
      this.sentSeen.set(p.link, { txs: p.sentTxs, batches });
    }
    this.txsSentTotal += txsSent;
    if (batchesSent !== null) this.batchesSentTotal = (this.batchesSentTotal ?? 0) + batchesSent;
    const t = this.totals();
    const prev = this.lastTotals;
    this.lastTotals = t;
    const intervalMs = Math.max(0, now - this.lastSampleMs);
    const batchesApplied = t.batchesApplied - prev.batchesApplied;
    const txsApplied = t.txsApplied - prev.txsApplied;
    this.batches.push({
      sampledAtMs: now,
      intervalMs,
      batchesSent,
      txsSent,
      batchesApplied,
      txsApplied,
      duplicateTxs: t.duplicateTxs - prev.duplicateTxs,
      applyErrors: t.applyErrors - prev.applyErrors,
      pendingTxs: this.o.replicator.pendingTxs(),
      batchesPerSec: intervalMs > 0 ? (batchesApplied * 1000) / intervalMs : 0,
      txsPerBatch: batchesApplied > 0 ? txsApplied / batchesApplied : null,
    });
  }

  private totals(): Totals {
    const s = this.o.replicator.stats;
    return {
      txsApplied: s.appliedTxs,
      batchesApplied: s.applyBatches,
      duplicateTxs: s.duplicateTxs,
      applyErrors: s.applyErrors,
    };
  }

  /** Open links, one per peer (the most recent when a reconnect briefly overlaps). */
  livePeers(): PeerView[] {
    const byPeer = new Map<string, PeerView>();
    for (const p of this.o.replicator.peerStates()) {
      if (p.link.closed) continue;
      const cur = byPeer.get(p.peerId);
      if (!cur || p.connectedAtMs >= cur.connectedAtMs) byPeer.set(p.peerId, p);
    }
    return [...byPeer.values()];
  }

  /**
   * How far `peer` is behind this node. pendingTxs and `behind` come from comparing vectors (no I/O);
   * lagMs reads one _chorus_tx row per origin the peer is behind on; lagBytes (withBytes) sums the
   * log entries of at most lagScanTxsMax unacknowledged transactions per origin.
   */
  peerLag(
    peer: { acked: Vector; lastAckAtMs: number | null; connectedAtMs: number },
    withBytes: boolean,
  ): PeerLag {
    const behindOn: { origin: string; acked: number; ours: number }[] = [];
    let pendingTxs = 0;
    for (const [origin, ours] of this.o.engine.applied) {
      const acked = peer.acked[origin] ?? 0;
      if (ours > acked) {
        behindOn.push({ origin, acked, ours });
        pendingTxs += ours - acked;
      }
    }
    if (behindOn.length === 0 || !this.o.engine.writer.open) {
      return {
        behind: behindOn.length > 0,
        lagMs: 0,
        lagBytes: behindOn.length > 0 ? null : 0,
        lagBytesTruncated: false,
        pendingTxs,
        lastReplicatedLsn: this.o.engine.writer.open ? this.o.engine.currentLsn() : 0,
      };
    }
    const stmts = this.statements();
    const wallNow = (this.o.wallNowMs ?? Date.now)();
    let oldestMs: number | null = null;
    let lagBytes: number | null = withBytes ? 0 : null;
    let truncated = false;
    let firstLsn: number | null = null;
    for (const b of behindOn) {
      const row = stmts.oldest.get(b.origin, BigInt(b.acked + 1)) as { at: bigint } | undefined;
      if (row) oldestMs = Math.min(oldestMs ?? Number.POSITIVE_INFINITY, Number(row.at));
      if (!withBytes) continue;
      const upTo = Math.min(b.ours, b.acked + lagScanTxsMax);
      if (upTo < b.ours) truncated = true;
      const r = stmts.range.get(b.origin, BigInt(b.acked), BigInt(upTo)) as {
        bytes: bigint;
        first_lsn: bigint | null;
      };
      lagBytes = (lagBytes ?? 0) + Number(r.bytes);
      if (r.first_lsn !== null)
        firstLsn = Math.min(firstLsn ?? Number.POSITIVE_INFINITY, Number(r.first_lsn));
    }
    // Without the transaction row (never expected: the log is not truncated) fall back to the last ack.
    const since = oldestMs ?? peer.lastAckAtMs ?? peer.connectedAtMs;
    const now = oldestMs === null ? this.o.timers.nowMs() : wallNow;
    const currentLsn = this.o.engine.currentLsn();
    return {
      behind: true,
      lagMs: Math.max(0, now - since),
      lagBytes,
      lagBytesTruncated: truncated,
      pendingTxs,
      lastReplicatedLsn: firstLsn === null ? currentLsn : Math.max(0, firstLsn - 1),
    };
  }

  private statements(): { oldest: Database.Statement; range: Database.Statement } {
    this.stmts ??= {
      oldest: this.o.engine.writer.prepare(
        'SELECT committed_at_ms AS at FROM _chorus_tx WHERE origin = ? AND origin_seq = ?',
      ),
      range: this.o.engine.writer.prepare(
        `SELECT coalesce(sum(coalesce(length(CAST(l.cols AS BLOB)), 0) + coalesce(length(CAST(l.pk AS BLOB)), 0)), 0) AS bytes,
           min(l.lsn) AS first_lsn
         FROM _chorus_tx t JOIN _chorus_log l ON l.txid = t.txid
         WHERE t.origin = ? AND t.origin_seq > ? AND t.origin_seq <= ?`,
      ),
    };
    return this.stmts;
  }
}

/** Batches sent on a link, when the replicator reports it (PeerState keeps it; peerStates() may not). */
export function sentBatchesOf(p: PeerView): number | null {
  const v = (p as PeerView & { sentBatches?: unknown }).sentBatches;
  return typeof v === 'number' ? v : null;
}

export interface MetricSources {
  /** Every known peer and whether its link is open and healthy. */
  peersUp(): { peer: string; up: boolean }[];
  /** Rows of _chorus_conflicts. */
  conflicts(): number;
}

/** Replication gauges and counters on the node's registry, computed at scrape time (collect()). */
export function registerReplicationMetrics(
  reg: Registry,
  monitor: ReplicationMonitor,
  sources: MetricSources,
): void {
  const registers = [reg];
  const replicator = monitor.replicator;
  new Gauge({
    name: 'chorus_replication_lag_ms',
    help: 'Milliseconds since the oldest transaction a peer has not acknowledged was committed or applied here',
    labelNames: ['peer'],
    registers,
    collect() {
      this.reset();
      for (const p of monitor.livePeers()) this.set({ peer: p.peerId }, monitor.peerLag(p, false).lagMs);
    },
  });
  new Gauge({
    name: 'chorus_replication_pending_txs',
    help: 'Received transactions waiting for their dependencies or to be applied',
    registers,
    collect() {
      this.set(replicator.pendingTxs());
    },
  });
  new Counter({
    name: 'chorus_replication_applied_txs_total',
    help: 'Transactions from peers applied here',
    registers,
    collect() {
      this.reset();
      this.inc(replicator.stats.appliedTxs);
    },
  });
  new Counter({
    name: 'chorus_replication_conflicts_total',
    help: 'Conflicts detected while applying (rows of replicate.conflicts)',
    registers,
    collect() {
      this.reset();
      this.inc(sources.conflicts());
    },
  });
  new Gauge({
    name: 'chorus_peer_rtt_ms',
    help: 'Latest heartbeat round-trip time to a peer',
    labelNames: ['peer'],
    registers,
    collect() {
      this.reset();
      for (const p of monitor.livePeers()) {
        const rtt = p.link.stats().rttMs;
        if (rtt !== null) this.set({ peer: p.peerId }, rtt);
      }
    },
  });
  new Gauge({
    name: 'chorus_peer_up',
    help: 'Whether the replication link to a known peer is open and healthy (1) or not (0)',
    labelNames: ['peer'],
    registers,
    collect() {
      this.reset();
      for (const p of sources.peersUp()) this.set({ peer: p.peer }, p.up ? 1 : 0);
    },
  });
}
