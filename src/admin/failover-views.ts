// Views of automatic failover in primary/standby mode: replicate.failover_history (the table the
// multi-primary failover fills, here filled by promotions) and replicate.rewound_rows (the commits
// a deposed primary held that no standby received, kept when its data was replaced by the new
// primary's: nothing is dropped silently).

import { ChorusError, InvalidParameterValueError } from '../errors.js';
import type { RewoundRow } from '../replication/standby/failover-state.js';
import type { AdminRegistry, AdminValue } from './registry.js';
import { cols, formatTimestamp, int8 } from './replication-views.js';

/** What replicate.force_promote() and replicate.switchover() drive (the node's HaAgent). */
export interface HandOver {
  forcePromote(): Promise<void>;
  switchover(target: string): Promise<void>;
}

export function registerFailoverViews(
  registry: AdminRegistry,
  rewound: () => RewoundRow[],
  handOver: () => HandOver | null,
): void {
  const agent = (fn: string): HandOver => {
    const a = handOver();
    if (!a)
      throw new ChorusError('55000', `replicate.${fn}() needs automatic failover ([ha] nodes)`, {
        hint: "List every data node's vote endpoint in ha.nodes and set ha.vote_bind.",
      });
    return a;
  };
  registry.addFunction({
    name: 'force_promote',
    params: [],
    mutates: true,
    columns: cols('force_promote text'),
    run: async () => {
      await agent('force_promote').forcePromote();
      return [['PRIMARY']];
    },
  });
  registry.addFunction({
    name: 'switchover',
    params: [{ name: 'target' }],
    mutates: true,
    columns: cols('switchover text'),
    run: async ([target]) => {
      if (typeof target !== 'string' || target === '')
        throw new InvalidParameterValueError('target must be the node id of a standby');
      await agent('switchover').switchover(target);
      return [[target]];
    },
  });
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
