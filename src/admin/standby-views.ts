// pg_replication_standbys (rows on a primary, or a cascading standby: one per standby following it)
// and pg_replication_primary (a row on a standby: its primary, and the upstream it streams from),
// with seed 001's columns. Their LSNs count the primary's committed
// transactions, the same numbering on every node (replication/standby/DESIGN.md); other nodes see no rows.

import type { PrimaryRow, StandbyRow } from '../replication/standby/primary-standby.js';
import type { AdminRegistry, AdminValue } from './registry.js';
import { cols, formatTimestamp, int8 } from './replication-views.js';

export interface StandbyViewSource {
  standbyRows(): StandbyRow[];
  primaryRows(): PrimaryRow[];
}

export function registerStandbyViews(registry: AdminRegistry, source: () => StandbyViewSource | null): void {
  registry.addView({
    kind: 'js',
    name: 'pg_replication_standbys',
    columns: cols(`node_id text, address text, sync_mode text, state text, current_lsn int8, flush_lsn int8,
      apply_lsn int8, lag_bytes int8, lag_ms int8, connected_at timestamptz, last_heartbeat timestamptz`),
    rows: (): AdminValue[][] =>
      (source()?.standbyRows() ?? []).map((s) => [
        s.nodeId,
        s.address,
        s.syncMode,
        s.state,
        int8(s.received),
        // A standby writes a transaction to disk by applying it: flushed is applied.
        int8(s.applied),
        int8(s.applied),
        int8(s.lagBytes),
        int8(s.lagMs),
        formatTimestamp(s.connectedAtMs),
        formatTimestamp(s.lastHeartbeatMs),
      ]),
  });
  registry.addView({
    kind: 'js',
    name: 'pg_replication_primary',
    columns: cols(`node_id text, address text, state text, primary_lsn int8, local_lsn int8, lag_bytes int8,
      lag_ms int8, fencing_token int8, connected_at timestamptz, last_heartbeat timestamptz, upstream text`),
    rows: (): AdminValue[][] =>
      (source()?.primaryRows() ?? []).map((p) => [
        p.nodeId,
        p.address,
        p.state,
        int8(p.primaryPosition),
        int8(p.localPosition),
        int8(p.lagBytes),
        int8(p.lagMs),
        int8(p.fencingToken),
        formatTimestamp(p.connectedAtMs),
        formatTimestamp(p.lastHeartbeatMs),
        p.upstream,
      ]),
  });
}
