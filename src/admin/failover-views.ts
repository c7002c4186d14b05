// Views of automatic failover in primary/standby mode: replicate.failover_history (the table the
// multi-primary failover fills, here filled by promotions) and replicate.rewound_rows (the commits
// a deposed primary held that no standby received, kept when its data was replaced by the new
// primary's: nothing is dropped silently).

import type { RewoundRow } from '../replication/standby/failover-state.js';
import type { AdminRegistry, AdminValue } from './registry.js';
import { cols, formatTimestamp, int8 } from './replication-views.js';

export function registerFailoverViews(registry: AdminRegistry, rewound: () => RewoundRow[]): void {
  registry.addView({
    kind: 'sql',
    name: 'replicate.failover_history',
    sql: `SELECT failover_id, failover_time, failed_master, promoted_master, failover_type, detection_ms, rto_ms,
      rpo_transactions, acknowledged_writes_safe, status, recovered_at, detail FROM _chorus_failover_history`,
    columns: cols(`failover_id int8, failover_time timestamptz, failed_master text, promoted_master text,
      failover_type text, detection_ms int8, rto_ms int8, rpo_transactions int8, acknowledged_writes_safe bool,
      status text, recovered_at timestamptz, detail text`),
  });
  registry.addView({
    kind: 'js',
    name: 'replicate.rewound_rows',
    columns:
      cols(`epoch int8, origin text, origin_seq int8, committed_at timestamptz, table_name text, op text,
      row_key text, lost_values text, rewound_at timestamptz`),
    rows: (): AdminValue[][] =>
      rewound().map((r) => [
        int8(r.epoch),
        r.origin,
        int8(r.originSeq),
        formatTimestamp(r.committedAtMs),
        r.table,
        r.op,
        r.key,
        r.values,
        formatTimestamp(r.rewoundAtMs),
      ]),
  });
}
