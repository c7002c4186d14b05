// Seed 000's "Handling Split-Brain Scenarios" as SQL: replicate.split_brain_detection (this master's
// live rows, to compare counts across masters), replicate.check_split_brain() (Merkle comparison
// with every linked peer now), replicate.split_brain_status and split_brain_conflicts (the latest
// results), replicate.mark_as_canonical_partition, replicate.sync_from_canonical_partition and
// replicate.split_brain_dropped_rows (what a sync dropped, never deleted).

import { ChorusError, InvalidParameterValueError } from '../errors.js';
import type { Membership } from '../replication/cluster/membership.js';
import type { SplitBrain, TableStatus } from '../replication/integrity/split-brain.js';
import { quoteLiteral } from '../sql/lexer.js';
import type { AdminRegistry, AdminValue } from './registry.js';
import { cols, formatTimestamp, int8 } from './replication-views.js';

export interface SplitBrainAdminContext {
  selfMasterId: string;
  splitBrain(): SplitBrain | null;
  membership(): Membership | null;
  adminWrite<T>(fn: () => T): Promise<T>;
  logAdmin(cmd: object, sql: string): void;
  /** Masters this node knows besides itself, and which of them are linked now. */
  peers(): { masterId: string; state: string }[];
  nowMs(): number;
}

const statusColumns = cols(`table_name text, peer_id text, status text, local_rows int8, peer_rows int8,
  differing_rows int8, truncated bool, ranges_compared int8, bytes_transferred int8, checked_at timestamptz,
  error text`);

function statusRow(s: TableStatus): AdminValue[] {
  return [
    s.table,
    s.peer,
    s.status,
    int8(s.localRows),
    int8(s.peerRows),
    int8(s.differingRows),
    s.truncated,
    int8(s.rangesCompared),
    int8(s.bytes),
    formatTimestamp(s.checkedAtMs),
    s.error,
  ];
}

export function registerSplitBrainAdmin(registry: AdminRegistry, ctx: SplitBrainAdminContext): void {
  const need = (): SplitBrain => {
    const sb = ctx.splitBrain();
    if (!sb)
      throw new ChorusError('55000', 'split-brain handling needs multi-primary replication on this node');
    return sb;
  };
  const text = (v: AdminValue, name: string): string => {
    if (typeof v !== 'string' || v.trim() === '')
      throw new InvalidParameterValueError(`${name} must be a name`);
    return v;
  };

  registry.addView({
    kind: 'sql',
    name: 'replicate.split_brain_detection',
    sql: `SELECT ${quoteLiteral(ctx.selfMasterId)} AS master_id, tbl AS table_name, pk AS row_id FROM _chorus_rowmeta WHERE deleted = 0`,
    columns: cols('master_id text, table_name text, row_id text'),
  });

  registry.addView({
    kind: 'js',
    name: 'replicate.split_brain_status',
    columns: statusColumns,
    rows: () => (ctx.splitBrain()?.statusRows() ?? []).map(statusRow),
  });

  registry.addView({
    kind: 'js',
    name: 'replicate.split_brain_conflicts',
    columns: cols(`table_name text, row_id text, master_1_id text, master_2_id text, master_1_value json,
      master_2_value json, conflict_detected_at timestamptz`),
    rows: () =>
      (ctx.splitBrain()?.conflicts() ?? []).map((c) => [
        c.table,
        c.rowId,
        c.master1,
        c.master2,
        c.master1Value,
        c.master2Value,
        formatTimestamp(c.detectedAtMs),
      ]),
  });

  registry.addView({
    kind: 'sql',
    name: 'replicate.split_brain_dropped_rows',
    sql: `SELECT drop_id, table_name, row_id, dropped_value, canonical_value, origin, origin_seq, operation,
      partition_id, canonical_master, dropped_at FROM _chorus_split_brain_dropped`,
    columns: cols(`drop_id int8, table_name text, row_id text, dropped_value json, canonical_value json,
      origin text, origin_seq int8, operation text, partition_id text, canonical_master text, dropped_at timestamptz`),
  });

  registry.addFunction({
    name: 'check_split_brain',
    params: [{ name: 'peer_id', default: null }],
    mutates: true,
    columns: statusColumns,
    run: async ([peer]) =>
      (await need().check(peer === null ? undefined : text(peer, 'peer_id'))).map(statusRow),
  });

  registry.addFunction({
    name: 'mark_as_canonical_partition',
    params: [{ name: 'partition_id' }, { name: 'force', default: false }],
    mutates: true,
    columns: cols('mark_as_canonical_partition text'),
    run: async ([id, force]) => {
      const partition = text(id, 'partition_id');
      const m = ctx.membership();
      if (!m || !ctx.splitBrain())
        throw new ChorusError('55000', 'split-brain handling needs multi-primary replication');
      const peers = ctx.peers();
      const linked = peers.filter((p) => p.state === 'ACTIVE').map((p) => p.masterId);
      // Transactions carry node ids: the members list both ids of this node when they differ.
      const members = [...new Set([ctx.selfMasterId, ...m.ownIds(), ...linked])];
      const total = peers.length + 1;
      if ((linked.length + 1) * 2 <= total && force !== true) {
        throw new ChorusError(
          '55000',
          `this partition holds ${linked.length + 1} of ${total} masters, not a majority`,
          {
            hint: 'Mark the majority partition, or pass force => true if you are sure this one must win.',
          },
        );
      }
      const cmd = {
        kind: 'canonical_partition' as const,
        partition_id: partition,
        members,
        marked_by: ctx.selfMasterId,
        marked_at_ms: ctx.nowMs(),
      };
      await ctx.adminWrite(() => {
        m.apply(cmd);
        ctx.logAdmin(cmd, `SELECT replicate.mark_as_canonical_partition(${quoteLiteral(partition)})`);
      });
      return [[`CANONICAL: ${partition} (${members.join(', ')})`]];
    },
  });

  registry.addFunction({
    name: 'sync_from_canonical_partition',
    params: [{ name: 'target_partition' }],
    mutates: true,
    columns: cols('sync_from_canonical_partition text'),
    run: async ([target]) => [[await need().syncFromCanonical(text(target, 'target_partition'))]],
  });
}
