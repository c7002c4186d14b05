// The replication history and statistics relations: replicate.peer_latency_history, lag_history,
// failure_log, connections, network_stats and batch_stats, plus the row helpers they share.

import type { LinkStats, PeerNetwork } from '../replication/link/link.js';
import type { PeerView, ReplicationMonitor } from '../replication/monitor/monitor.js';
import type { Replicator } from '../replication/stream/replicator.js';
import type { AdminColumn, AdminRegistry, AdminType, AdminValue } from './registry.js';

/** What the views read; attached() is null until replication is attached to the admin surface. */
export interface ReplicationViewSource {
  attached(): { monitor: ReplicationMonitor; replicator: Replicator; network: PeerNetwork } | null;
  now(): number;
  regionOf(peerId: string): string | null;
}

/** Timestamps as SQLite date functions and PostgreSQL both read them: 'YYYY-MM-DD HH:MM:SS.mmm+00:00'. */
export function formatTimestamp(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return null;
  return `${new Date(ms).toISOString().replace('T', ' ').slice(0, 23)}+00:00`;
}

export const int8 = (n: number | null | undefined): bigint | null =>
  n === null || n === undefined || !Number.isFinite(n) ? null : BigInt(Math.trunc(n));

export const cols = (spec: string): AdminColumn[] =>
  spec
    .trim()
    .split(/\s*,\s*/)
    .map((s) => {
      const [name, type] = s.split(/\s+/);
      return { name: name!, type: type as AdminType };
    });

function connectionState(p: PeerView): string {
  if (p.link.closed) return 'closed';
  const h: LinkStats['health'] = p.link.stats().health;
  return h === 'healthy' ? 'active' : h;
}

function failureType(message: string): string {
  if (message.startsWith('pending queue full')) return 'queue_overflow';
  if (message.startsWith('waiting for the writer')) return 'writer_timeout';
  if (message.startsWith('applying')) return 'apply_error';
  return 'replication_error';
}

export function registerReplicationViews(registry: AdminRegistry, src: ReplicationViewSource): void {
  const connectionIds = new WeakMap<object, number>();
  let nextConnectionId = 1;
  const connectionId = (p: PeerView): number => {
    let id = connectionIds.get(p.link);
    if (id === undefined) {
      id = nextConnectionId++;
      connectionIds.set(p.link, id);
    }
    return id;
  };

  registry.addView({
    kind: 'js',
    name: 'replicate.peer_latency_history',
    columns: cols(`peer_id text, region text, sampled_at timestamptz, recorded_at timestamptz, rtt_ms numeric,
      clock_skew_ms float8, health text`),
    rows: () =>
      (src.attached()?.monitor.latency.toArray() ?? []).map((s) => {
        const at = formatTimestamp(s.sampledAtMs);
        return [s.peerId, src.regionOf(s.peerId), at, at, s.rttMs, s.clockSkewMs, s.health];
      }),
  });

  registry.addView({
    kind: 'js',
    name: 'replicate.lag_history',
    columns: cols(`peer_id text, sampled_at timestamptz, recorded_at timestamptz, lag_ms float8,
      lag_bytes int8, pending_txs int8`),
    rows: () =>
      (src.attached()?.monitor.lag.toArray() ?? []).map((s) => {
        const at = formatTimestamp(s.sampledAtMs);
        return [s.peerId, at, at, s.lagMs, int8(s.lagBytes), int8(s.pendingTxs)];
      }),
  });

  registry.addView({
    kind: 'js',
    name: 'replicate.failure_log',
    columns: cols(`failed_at timestamptz, recorded_at timestamptz, peer_id text, master_id text,
      failure_type text, message text, source text`),
    rows: () => {
      const att = src.attached();
      if (!att) return [];
      const all = [
        ...att.replicator.failures.map((f) => ({
          atMs: f.atMs,
          peer: f.peer,
          type: failureType(f.message),
          message: f.message,
          source: 'replicator',
        })),
        ...att.monitor.events.toArray().map((e) => ({ ...e, source: 'monitor' })),
      ].sort((a, b) => a.atMs - b.atMs);
      return all.map((f) => {
        const at = formatTimestamp(f.atMs);
        return [at, at, f.peer, f.peer, f.type, f.message, f.source];
      });
    },
  });

  registry.addView({
    kind: 'js',
    name: 'replicate.connections',
    columns: cols(`connection_id int8, peer_id text, endpoint text, state text, connected_at timestamptz,
      connected_since timestamptz, rtt_ms numeric, bytes_sent int8, bytes_received int8, frames_sent int8,
      frames_received int8, inflight_batches int8, sent_txs int8, last_sent_at timestamptz,
      last_ack_at timestamptz, attempts int8, last_error text`),
    rows: () => {
      const att = src.attached();
      if (!att) return [];
      const rows: AdminValue[][] = [];
      const linked = new Set<string>();
      for (const p of att.replicator.peerStates()) {
        const s = p.link.stats();
        const since = formatTimestamp(p.connectedAtMs);
        if (!p.link.closed) linked.add(p.peerId);
        rows.push([
          int8(connectionId(p)),
          p.peerId,
          p.endpoint,
          connectionState(p),
          since,
          since,
          s.rttMs,
          int8(s.bytesSent),
          int8(s.bytesReceived),
          int8(s.framesSent),
          int8(s.framesReceived),
          int8(p.inflight),
          int8(p.sentTxs),
          formatTimestamp(p.lastSentAtMs),
          formatTimestamp(p.lastAckAtMs),
          null,
          null,
        ]);
      }
      for (const d of att.network.peers()) {
        if (d.connected || (d.peerId !== null && linked.has(d.peerId))) continue;
        const none = [null, null, null, null, null, null, null, null, null, null, null];
        rows.push([null, d.peerId, d.endpoint, 'connecting', ...none, int8(d.attempts), d.lastError]);
      }
      return rows;
    },
  });

  registry.addView({
    kind: 'js',
    name: 'replicate.network_stats',
    columns: cols(`peer_id text, endpoint text, bytes_sent int8, bytes_received int8, frames_sent int8,
      frames_received int8, handshake_failures int8, malformed_frames int8, reconnects int8,
      recorded_at timestamptz`),
    rows: () => {
      const att = src.attached();
      if (!att) return [];
      const at = formatTimestamp(src.now());
      const sum = { bs: 0, br: 0, fs: 0, fr: 0 };
      const rows: AdminValue[][] = [];
      for (const p of att.monitor.livePeers()) {
        const s = p.link.stats();
        sum.bs += s.bytesSent;
        sum.br += s.bytesReceived;
        sum.fs += s.framesSent;
        sum.fr += s.framesReceived;
        const traffic = [s.bytesSent, s.bytesReceived, s.framesSent, s.framesReceived].map(int8);
        rows.push([p.peerId, p.endpoint, ...traffic, null, null, null, at]);
      }
      const c = att.network.counters();
      const totals = [sum.bs, sum.br, sum.fs, sum.fr, c.handshakeFailures, c.malformedFrames, c.reconnects];
      rows.push([null, null, ...totals.map(int8), at]);
      return rows;
    },
  });

  registry.addView({
    kind: 'js',
    name: 'replicate.batch_stats',
    columns: cols(`sampled_at timestamptz, recorded_at timestamptz, interval_ms float8, batches_sent int8,
      txs_sent int8, batches_applied int8, txs_applied int8, duplicate_txs int8, apply_errors int8,
      pending_txs int8, batches_per_sec float8, batch_size float8`),
    rows: () =>
      (src.attached()?.monitor.batches.toArray() ?? []).map((b) => {
        const at = formatTimestamp(b.sampledAtMs);
        const counts = [
          b.batchesSent,
          b.txsSent,
          b.batchesApplied,
          b.txsApplied,
          b.duplicateTxs,
          b.applyErrors,
        ];
        return [
          at,
          at,
          b.intervalMs,
          ...counts.map(int8),
          int8(b.pendingTxs),
          b.batchesPerSec,
          b.txsPerBatch,
        ];
      }),
  });
}
