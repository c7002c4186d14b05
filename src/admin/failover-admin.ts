// Seed 000's promotion and failover SQL: replicate.promote_to_master (refused while something blocks
// it), replicate.promotion_blockers, replicate.force_promote (past replication lag, or past every
// check with override_validations), replicate.failover_status (the masters watched) and
// replicate.failover_history with each failover's RPO/RTO.

import { ChorusError, InvalidParameterValueError } from '../errors.js';
import type { FailoverMonitor } from '../replication/cluster/failover.js';
import type { Membership } from '../replication/cluster/membership.js';
import type { AdminRegistry, AdminValue } from './registry.js';
import { cols, formatTimestamp, int8 } from './replication-views.js';

export interface FailoverAdminContext {
  nodeId: string;
  selfMasterId: string;
  membership(): Membership | null;
  failover(): FailoverMonitor | null;
  adminWrite<T>(fn: () => T): Promise<T>;
}

export function registerFailoverAdmin(registry: AdminRegistry, ctx: FailoverAdminContext): void {
  const selfIds = new Set([ctx.nodeId, ctx.selfMasterId]);
  const target = (v: AdminValue, fn: string): string => {
    if (typeof v !== 'string' || v === '')
      throw new InvalidParameterValueError('master_id must be a master id');
    if (!selfIds.has(v))
      throw new ChorusError(
        '55000',
        `${fn} runs on the node being promoted (this node is "${ctx.selfMasterId}")`,
      );
    return v;
  };
  const parts = (): { m: Membership; f: FailoverMonitor } => {
    const m = ctx.membership();
    const f = ctx.failover();
    if (!m || !f) throw new ChorusError('55000', 'promotion needs multi-primary replication on this node');
    return { m, f };
  };

  const promote = async (
    fn: 'promote_to_master' | 'force_promote',
    type: 'manual' | 'forced',
    check: (f: FailoverMonitor) => { blocker: string; detail: string }[],
  ): Promise<AdminValue[][]> => {
    const { m, f } = parts();
    if (!m.initializing) return [['MASTER']];
    const blockers = check(f);
    if (blockers.length > 0) {
      throw new ChorusError(
        '55000',
        `${fn} refused: ${blockers.map((b) => `${b.blocker} (${b.detail})`).join('; ')}`,
        {
          hint:
            fn === 'promote_to_master'
              ? 'See replicate.promotion_blockers; wait for catch-up, or use replicate.force_promote.'
              : 'Pass override_validations => true to promote anyway.',
        },
      );
    }
    await ctx.adminWrite(() => {
      m.setInitializing(false);
      f.record({
        failedMaster: null,
        promotedMaster: ctx.selfMasterId,
        type,
        detectionMs: null,
        rtoMs: null,
        rpoTransactions: null,
        detail: `${fn} on ${ctx.selfMasterId}`,
      });
    });
    return [['MASTER']];
  };

  registry.addFunction({
    name: 'promote_to_master',
    params: [{ name: 'master_id' }, { name: 'validate_topology', default: true }],
    mutates: true,
    columns: cols('promote_to_master text'),
    run: async ([id, validate]) => {
      target(id, 'promote_to_master');
      return promote('promote_to_master', 'manual', (f) => f.blockers(validate !== false));
    },
  });

  registry.addFunction({
    name: 'force_promote',
    params: [{ name: 'master_id' }, { name: 'override_validations', default: false }],
    mutates: true,
    columns: cols('force_promote text'),
    run: async ([id, override]) => {
      target(id, 'force_promote');
      // Forcing skips the catch-up wait; the quorum and topology checks stay unless overridden.
      return promote('force_promote', 'forced', (f) =>
        override === true ? [] : f.blockers(true).filter((b) => b.blocker !== 'REPLICATION_LAG'),
      );
    },
  });

  registry.addView({
    kind: 'js',
    name: 'replicate.promotion_blockers',
    columns: cols('master_id text, blocker text, detail text'),
    rows: () => {
      const m = ctx.membership();
      const f = ctx.failover();
      if (!m?.initializing || !f) return [];
      return f.blockers(true).map((b) => [ctx.selfMasterId, b.blocker, b.detail]);
    },
  });

  registry.addView({
    kind: 'js',
    name: 'replicate.failover_status',
    columns: cols(`master_id text, last_seen timestamptz, unreachable_ms int8, failed bool,
      automatic_failover bool, failover_timeout_ms int8`),
    rows: () => {
      const f = ctx.failover();
      if (!f) return [];
      const { enabled, timeoutMs } = f.settings;
      return f
        .watched()
        .map((w) => [
          w.masterId,
          formatTimestamp(w.lastSeenMs),
          int8(w.unreachableMs),
          w.failed,
          enabled,
          int8(timeoutMs),
        ]);
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
}
