// The admin functions and relations every node has: replicate.status(), pg_replication_status,
// replicate.log (the replication log) and replicate.tables (what is replicated).

import { logViewSql } from '../storage/engine/internal-schema.js';
import type { AdminRegistry, AdminValue } from './registry.js';

export interface NodeState {
  nodeId: string;
  mode: string;
  /**
   * 'standalone', 'primary' or 'standby', or 'master' in multi-primary mode ('replica' while it is
   * being initialized).
   */
  role(): string;
  /** async, semi-sync or sync (primary/standby mode); async otherwise. */
  syncMode(): string;
  listenAddress: string;
  /** The peer-link address (--ha-bind); null on a standby, which listens for none. */
  replicationPort: string | null;
  currentLsn(): number;
  isReadOnly(): boolean;
  uptimeSeconds(): number;
  healthyPeers(): number;
  conflictsDetected(): number;
  replicationLagMs(): number;
  standbyCount(): number;
}

export function registerBuiltins(registry: AdminRegistry, state: NodeState): void {
  registry.addFunction({
    name: 'status',
    params: [],
    mutates: false,
    columns: [
      { name: 'status', type: 'text' },
      { name: 'node_id', type: 'text' },
      { name: 'mode', type: 'text' },
      { name: 'role', type: 'text' },
      { name: 'current_lsn', type: 'int8' },
      { name: 'replication_lag_ms', type: 'int8' },
      { name: 'peer_count', type: 'int4' },
      { name: 'healthy_peers', type: 'int4' },
      { name: 'conflicts_detected', type: 'int8' },
      { name: 'is_read_only', type: 'bool' },
      { name: 'uptime_seconds', type: 'int8' },
    ],
    run: (): AdminValue[][] => [
      [
        'ok',
        state.nodeId,
        state.mode,
        state.role(),
        BigInt(state.currentLsn()),
        BigInt(state.replicationLagMs()),
        0,
        state.healthyPeers(),
        BigInt(state.conflictsDetected()),
        state.isReadOnly(),
        BigInt(state.uptimeSeconds()),
      ],
    ],
  });

  registry.addView({
    kind: 'js',
    name: 'pg_replication_status',
    columns: [
      { name: 'node_id', type: 'text' },
      { name: 'role', type: 'text' },
      { name: 'sync_mode', type: 'text' },
      { name: 'listen_address', type: 'text' },
      { name: 'replication_port', type: 'text' },
      { name: 'current_lsn', type: 'int8' },
      { name: 'is_read_only', type: 'bool' },
      { name: 'standby_count', type: 'int4' },
      { name: 'uptime_seconds', type: 'int8' },
    ],
    rows: () => [
      [
        state.nodeId,
        state.role(),
        state.syncMode(),
        state.listenAddress,
        state.replicationPort,
        BigInt(state.currentLsn()),
        state.isReadOnly(),
        state.standbyCount(),
        BigInt(state.uptimeSeconds()),
      ],
    ],
  });

  registry.addView({
    kind: 'sql',
    name: 'replicate.log',
    sql: logViewSql,
    columns: [
      { name: 'lsn', type: 'int8' },
      { name: 'origin', type: 'text' },
      { name: 'origin_seq', type: 'int8' },
      { name: 'txid', type: 'int8' },
      { name: 'hlc_wall', type: 'int8' },
      { name: 'hlc_logical', type: 'int8' },
      { name: 'table_name', type: 'text' },
      { name: 'primary_key', type: 'json' },
      { name: 'operation', type: 'text' },
      { name: 'columns', type: 'json' },
    ],
  });

  registry.addView({
    kind: 'sql',
    name: 'replicate.conflicts',
    sql: `SELECT conflict_id, table_name, row_id, master_1_id, master_2_id, conflict_type, master_1_value,
      master_2_value, resolved_value, resolution_strategy, detected_at, resolution_latency_ms, status, error,
      resolved_by, resolved_at, resolution_reason, local_order_key, remote_order_key FROM _chorus_conflicts`,
    columns: [
      { name: 'conflict_id', type: 'int8' },
      { name: 'table_name', type: 'text' },
      { name: 'row_id', type: 'text' },
      { name: 'master_1_id', type: 'text' },
      { name: 'master_2_id', type: 'text' },
      { name: 'conflict_type', type: 'text' },
      { name: 'master_1_value', type: 'json' },
      { name: 'master_2_value', type: 'json' },
      { name: 'resolved_value', type: 'json' },
      { name: 'resolution_strategy', type: 'text' },
      { name: 'detected_at', type: 'timestamptz' },
      { name: 'resolution_latency_ms', type: 'numeric' },
      { name: 'status', type: 'text' },
      { name: 'error', type: 'text' },
      { name: 'resolved_by', type: 'text' },
      { name: 'resolved_at', type: 'timestamptz' },
      { name: 'resolution_reason', type: 'text' },
      { name: 'local_order_key', type: 'text' },
      { name: 'remote_order_key', type: 'text' },
    ],
  });

  registry.addView({
    kind: 'sql',
    name: 'replicate.crdt_operations',
    sql: `SELECT op_id, operation_type, table_name, column_name, row_id, origin, origin_seq, element_count,
      merge_latency_ms, merged_at FROM _chorus_crdt_ops`,
    columns: [
      { name: 'op_id', type: 'int8' },
      { name: 'operation_type', type: 'text' },
      { name: 'table_name', type: 'text' },
      { name: 'column_name', type: 'text' },
      { name: 'row_id', type: 'text' },
      { name: 'origin', type: 'text' },
      { name: 'origin_seq', type: 'int8' },
      { name: 'element_count', type: 'int8' },
      { name: 'merge_latency_ms', type: 'numeric' },
      { name: 'merged_at', type: 'timestamptz' },
    ],
  });

  registry.addView({
    kind: 'sql',
    name: 'replicate.tables',
    sql: `SELECT s.name AS table_name, CASE WHEN coalesce(t.local_only, 0) = 1 THEN 0 ELSE 1 END AS replicated,
        (SELECT group_concat(d.col, ',') FROM (SELECT col FROM _chorus_delta_columns WHERE tbl = s.name ORDER BY col) d)
          AS delta_columns
      FROM sqlite_schema s LEFT JOIN _chorus_tables t ON t.name = s.name
      WHERE s.type = 'table' AND s.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND s.name NOT LIKE '\\_chorus\\_%' ESCAPE '\\'`,
    columns: [
      { name: 'table_name', type: 'text' },
      { name: 'replicated', type: 'bool' },
      { name: 'delta_columns', type: 'text' },
    ],
  });
}
