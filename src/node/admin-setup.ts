// The node's admin SQL, registered at start-up: built-in functions, pg_catalog, standby and failover
// views, replication metrics and monitoring, conflict, topology and split-brain administration.

import type { Logger } from 'pino';
import { registerBuiltins } from '../admin/builtin.js';
import { registerPgCatalog } from '../admin/catalog/pg-catalog.js';
import { registerConflictAdmin, registerConflictStrategy } from '../admin/conflict-admin.js';
import { registerFailoverViews } from '../admin/failover-views.js';
import { registerLsnFunctions } from '../admin/lsn-functions.js';
import type { AdminRegistry } from '../admin/registry.js';
import { type ReplicationAdmin, registerReplicationAdmin } from '../admin/replication-admin.js';
import { registerReplicationMetrics } from '../admin/replication-metrics.js';
import { registerSplitBrainAdmin } from '../admin/split-brain-admin.js';
import { registerStandbyViews } from '../admin/standby-views.js';
import { registerTopologyAdmin } from '../admin/topology-admin.js';
import type { PhysicalClock } from '../clock/clock.js';
import { type Config, standbyServes } from '../config/load.js';
import type { CrdtColumns } from '../replication/apply/columns/crdt-columns.js';
import type { Resolvers } from '../replication/apply/columns/resolvers.js';
import { Membership } from '../replication/cluster/membership.js';
import type { QuorumGate } from '../replication/cluster/quorum.js';
import type { NetworkCounters } from '../replication/link/link.js';
import { readRewound } from '../replication/standby/failover-state.js';
import type { PrimaryStandby } from '../replication/standby/primary-standby.js';
import type { Replicator } from '../replication/stream/replicator.js';
import type { StorageEngine } from '../storage/engine/engine.js';
import type { ReplicationExtras } from './replication-extras.js';

/**
 * What the admin functions read of the node (ChorusNode is one). Most of it is built after them:
 * they read it when they are called, never at registration.
 */
export interface AdminNode {
  readonly config: Config;
  readonly logger: Logger;
  readonly engine: StorageEngine;
  readonly registry: AdminRegistry;
  readonly startedAtMs: number;
  readonly replicator: Replicator | null;
  readonly resolvers: Resolvers | null;
  readonly crdt: CrdtColumns | null;
  readonly extras: ReplicationExtras | null;
  readonly standby: PrimaryStandby | null;
  readonly quorum: QuorumGate | null;
  role(): 'standalone' | 'master' | 'replica' | 'primary' | 'standby';
  adminWrite<T>(fn: () => T): Promise<T>;
}

/** What the node keeps to itself, handed to the admin functions as calls. */
export interface AdminNodePrivates {
  /** Whether the node takes no writes now (the session host's isReadOnlyNode). */
  isReadOnly: () => boolean;
  /** The peer links' counters, or null without links. */
  networkCounters: () => NetworkCounters | null;
  physical: PhysicalClock;
}

/** Register the node's admin SQL; returns the parts the node wires further. */
export function registerNodeAdmin(
  node: AdminNode,
  p: AdminNodePrivates,
): {
  conflictAdmin: ReturnType<typeof registerConflictAdmin>;
  membership: Membership | null;
  replicationAdmin: ReplicationAdmin | null;
  problems: () => string[];
} {
  const { config, engine, registry } = node;
  registerBuiltins(registry, {
    nodeId: engine.nodeId,
    mode: config.haMode,
    role: () => node.role(),
    syncMode: () => node.standby?.syncMode ?? 'async',
    listenAddress: `${config.server.listen_address}:${config.server.port}`,
    // A standby listens for no peer links (it dials its upstream) unless it serves cascading standbys.
    replicationPort:
      config.haMode === 'standby' && !standbyServes(config) ? null : config.replication.ha_bind,
    currentLsn: () => node.standby?.position() ?? engine.currentLsn(),
    isReadOnly: p.isReadOnly,
    uptimeSeconds: () => Math.floor((Date.now() - node.startedAtMs) / 1000),
    healthyPeers: () => 0,
    conflictsDetected: () => 0,
    replicationLagMs: () => 0,
    standbyCount: () => node.standby?.standbyCount() ?? 0,
  });
  registerStandbyViews(registry, () => node.standby);
  registerLsnFunctions(registry);
  if (config.haMode === 'primary' || config.haMode === 'standby')
    registerFailoverViews(
      registry,
      () => readRewound(config.server.data_dir),
      () => node.standby?.agent ?? null,
    );
  // pg_is_in_recovery() reads the role here, on any connection (readers run in worker threads).
  engine.writer
    .prepare("INSERT OR REPLACE INTO _chorus_meta (key, value) VALUES ('ha_role', ?)")
    .run(config.haMode);
  registerReplicationMetrics(registry, {
    logWrites: () => engine.logWrites,
    sent: () => node.replicator?.sent ?? null,
    lastAppliedAtMs: () => node.replicator?.stats.lastAppliedAtMs ?? null,
    network: p.networkCounters,
  });
  registerPgCatalog(registry);
  const conflictAdmin = registerConflictAdmin(registry, {
    engine,
    get resolvers() {
      return node.resolvers;
    },
    get crdt() {
      return node.crdt;
    },
    adminWrite: (fn) => node.adminWrite(fn),
    get checkDivergence() {
      const d = node.extras?.divergence;
      return d ? (rows: { table: string; rowId: string }[]) => d.check(rows) : null;
    },
    nowIso: () => new Date(p.physical.nowMs()).toISOString().replace('T', ' ').replace('Z', '+00:00'),
  });
  registerConflictStrategy(registry, config.replication);
  const multiPrimary = config.haMode === 'multi-primary';
  const selfMasterId = config.replication.local_master_id ?? engine.nodeId;
  const membership = multiPrimary
    ? new Membership(engine.writer, new Set([engine.nodeId, selfMasterId]), node.logger)
    : null;
  const replicationAdmin = multiPrimary
    ? registerReplicationAdmin(registry, {
        nodeId: engine.nodeId,
        config,
        engine,
        startedAtMs: node.startedAtMs,
        isRemoved: (id) => membership?.isRemoved(id) ?? false,
        isReadOnly: p.isReadOnly,
        addedMasters: () => membership?.added() ?? [],
        isInitializing: () => membership?.initializing ?? false,
      })
    : null;
  let problems = (): string[] => [];
  if (replicationAdmin) {
    problems = registerTopologyAdmin(registry, {
      nodeId: engine.nodeId,
      selfMasterId,
      engine,
      adminWrite: (fn) => node.adminWrite(fn),
      membership: () => membership,
      replicator: () => node.replicator,
      peers: () => replicationAdmin.peers(),
      quorum: () => node.quorum,
      isReadOnly: p.isReadOnly,
      snapshots: () => node.extras?.snapshots ?? null,
      failover: () => node.extras?.failover ?? null,
    });
    registerSplitBrainAdmin(registry, {
      selfMasterId,
      splitBrain: () => node.extras?.splitBrain ?? null,
      membership: () => membership,
      adminWrite: (fn) => node.adminWrite(fn),
      logAdmin: (cmd, sql) => engine.logAdmin('', sql, cmd),
      peers: () => replicationAdmin.peers(),
      nowMs: () => p.physical.nowMs(),
    });
  }
  return { conflictAdmin, membership, replicationAdmin, problems };
}
