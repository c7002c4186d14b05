// pg_replication_metrics (seed 001): one row of counters since this node started — the log it wrote
// for its own commits ("WAL" in the seed's words), what it shipped to its peers, and the link
// traffic that kept them alive. A node without replication shows its log writes and zeros.

import type { AdminRegistry, AdminValue } from './registry.js';
import { cols, formatTimestamp, int8 } from './replication-views.js';

/** What the view reads; the node supplies it (every part null when it does not exist here). */
export interface ReplicationMetricsSource {
  logWrites(): { writes: number; bytes: number; lastWriteMs: number | null };
  /** What the replicator shipped (transactions' entries), or null without replication. */
  sent(): { entries: number; lastSentAtMs: number | null } | null;
  /** When the last replicated transaction was applied here, or null. */
  lastAppliedAtMs(): number | null;
  /** The peer network's counters, or null without one. */
  network(): {
    heartbeatsSent: number;
    heartbeatsReceived: number;
    reconnects: number;
    bytesSent: number;
  } | null;
}

export function registerReplicationMetrics(registry: AdminRegistry, src: ReplicationMetricsSource): void {
  registry.addView({
    kind: 'js',
    name: 'pg_replication_metrics',
    columns: cols(`wal_writes int8, wal_bytes_written int8, records_replicated int8, bytes_replicated int8,
      heartbeats_sent int8, heartbeats_received int8, reconnect_count int8, last_wal_write timestamptz,
      last_replication timestamptz`),
    rows: (): AdminValue[][] => {
      const log = src.logWrites();
      const sent = src.sent();
      const net = src.network();
      const applied = src.lastAppliedAtMs();
      const lastSent = sent?.lastSentAtMs ?? null;
      // The last time replication moved data either way: shipped to a peer or applied from one.
      const lastReplication =
        lastSent === null ? applied : applied === null ? lastSent : Math.max(lastSent, applied);
      return [
        [
          int8(log.writes),
          int8(log.bytes),
          int8(sent?.entries ?? 0),
          int8(net?.bytesSent ?? 0),
          int8(net?.heartbeatsSent ?? 0),
          int8(net?.heartbeatsReceived ?? 0),
          int8(net?.reconnects ?? 0),
          formatTimestamp(log.lastWriteMs),
          formatTimestamp(lastReplication),
        ],
      ];
    },
  });
}
