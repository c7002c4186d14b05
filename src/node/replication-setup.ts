// Replication wired at start-up (every mode but standalone): CRDT columns, resolvers, the applier,
// the replicator on the peer network, then primary/standby roles or the multi-primary extras.

import type { Logger } from 'pino';
import { registerCrdtState } from '../admin/conflict-admin.js';
import type { AdminRegistry } from '../admin/registry.js';
import type { ReplicationAdmin } from '../admin/replication-admin.js';
import type { PhysicalClock } from '../clock/clock.js';
import type { HybridLogicalClock } from '../clock/hlc.js';
import { systemTimers, type Timers } from '../clock/timers.js';
import type { Config } from '../config/load.js';
import { ChorusError } from '../errors.js';
import type { NodeMetrics } from '../metrics/metrics.js';
import { Applier } from '../replication/apply/applier.js';
import { CrdtColumns } from '../replication/apply/columns/crdt-columns.js';
import { Resolvers } from '../replication/apply/columns/resolvers.js';
import type { Membership } from '../replication/cluster/membership.js';
import type { QuorumGate } from '../replication/cluster/quorum.js';
import type { PeerNetwork } from '../replication/link/link.js';
import { deposedAtStart, failoverChannel } from '../replication/standby/failover-state.js';
import type { VoterCarry } from '../replication/standby/lease.js';
import {
  newEpochState,
  newRoleState,
  PrimaryStandby,
  roleHooks,
} from '../replication/standby/primary-standby.js';
import { Replicator } from '../replication/stream/replicator.js';
import { LogRetention } from '../replication/stream/retention.js';
import type { NotifyHub } from '../session/local/notify-hub.js';
import type { Session } from '../session/session.js';
import type { SessionHost } from '../session/session-state.js';
import { forwardRunner } from '../session/write-routing/forward-runner.js';
import type { StorageEngine } from '../storage/engine/engine.js';
import type { WriterLock } from '../storage/engine/writer-lock.js';
import { ReplicationExtras } from './replication-extras.js';

/**
 * What replication reads of the node (ChorusNode is one); the parts built here are read through it
 * once the node holds them (replication calls back only after it starts).
 */
export interface ReplicatedNode {
  readonly config: Config;
  readonly logger: Logger;
  readonly engine: StorageEngine;
  readonly registry: AdminRegistry;
  readonly clock: HybridLogicalClock;
  readonly metrics: NodeMetrics;
  readonly notifyHub: NotifyHub;
  readonly membership: Membership | null;
  readonly quorum: QuorumGate | null;
  readonly standby: PrimaryStandby | null;
  readonly extras: ReplicationExtras | null;
  openSession(startupParams?: Record<string, string>): Session;
  closeSession(s: Session): void;
  adminWrite<T>(fn: () => T): Promise<T>;
}

/** The start-up inputs of replication: the node's options and the parts built before it. */
export interface ReplicationStartup {
  host: SessionHost;
  writerLock: WriterLock;
  /** The peer network for this node (the options' network, or what its factory makes). */
  network: () => PeerNetwork | undefined;
  /** Vote links of automatic failover (primary/standby), or null. */
  voteNetwork: () => PeerNetwork | null;
  /** Links to witness nodes (multi-primary), or null. */
  witnessNetwork: () => PeerNetwork | null;
  timers: Timers | undefined;
  physical: PhysicalClock;
  monitor: { sampleIntervalMs?: number; historyRowsMax?: number } | undefined;
  onRestart: ((reason: string) => void) | undefined;
  onFailover: ((notice: Record<string, unknown>) => void) | undefined;
  carriedVoter: VoterCarry | null | undefined;
  /** Multi-primary: the replication monitoring registered with the admin SQL; null otherwise. */
  replicationAdmin: ReplicationAdmin | null;
  /** Multi-primary: what replicate.topology reports as wrong. */
  problems: () => string[];
}

/** What replication start-up built, for the node to hold. */
export interface ReplicationParts {
  crdt: CrdtColumns;
  resolvers: Resolvers;
  applier: Applier;
  network: PeerNetwork;
  replicator: Replicator;
  standby: PrimaryStandby | null;
  extras: ReplicationExtras | null;
  /** The monitoring, once attached (multi-primary); null otherwise. */
  replicationAdmin: ReplicationAdmin | null;
  quorum: QuorumGate | null;
}

/** Build and connect the replication parts (the node is replicated: not standalone). */
export function wireReplication(node: ReplicatedNode, st: ReplicationStartup): ReplicationParts {
  const { config, engine, registry } = node;
  const host = st.host;
  const multiPrimary = config.haMode === 'multi-primary';
  const physical = st.physical;
  const crdt = new CrdtColumns(engine.writer, engine, () => physical.nowMs());
  registerCrdtState(registry, crdt);
  const r1 = config.replication;
  const resolvers = new Resolvers(
    engine.writer,
    r1.conflict_resolution === 'custom' ? (r1.resolver_function ?? r1.custom_resolver ?? null) : null,
    r1.resolver_timeout_ms,
  );
  const applier = new Applier(
    engine,
    node.logger,
    () => host.onSchemaChange(),
    () => physical.nowMs(),
    crdt,
    resolvers,
  );
  engine.localCommitHook = (txid, origin, seq, orderKey) => {
    crdt.recordLocal(txid, origin, seq, orderKey);
    applier.recordLocal(txid, origin, seq, orderKey);
  };
  engine.syncSchemaNow();
  const network = st.network();
  if (!network) throw new ChorusError('F0000', `${config.haMode} mode needs a peer network`, {}, 'FATAL');
  const timers = st.timers ?? systemTimers;
  const role = multiPrimary
    ? null
    : newRoleState(config.haMode === 'standby' ? 'standby' : 'primary', timers);
  const epoch = role ? newEpochState(engine) : null;
  const deposed = role?.role === 'primary' && epoch !== null && deposedAtStart(engine.writer, epoch.current);
  const r = config.replication;
  const replicator = new Replicator({
    nodeId: engine.nodeId,
    engine,
    applier,
    network,
    writerLock: st.writerLock,
    clock: node.clock,
    timers: st.timers ?? systemTimers,
    logger: node.logger,
    batchEntries: r.replication_batch_size ?? r.batch_size,
    batchBytesMax: r.max_batch_size_mb * 1024 * 1024,
    batchTimeoutMs: r.batch_timeout_ms,
    retention: new LogRetention(
      engine,
      r.buffers.wal_buffer_size_mb * 1024 * 1024,
      node.logger,
      r.log_retention_min_ms,
    ),
    expectedPeers: () => network.peers().length,
    onAcks: () => {
      node.quorum?.onAcks();
      node.standby?.onAcks();
    },
    onApplied: () => {
      node.extras?.ddlLock?.onApplied();
      node.standby?.forwardClient?.onApplied();
    },
    isRemoved: (id) => node.membership?.isRemoved(id) ?? false,
    holdShipping: () => (node.extras ?? node.standby)?.snapshots.holding ?? false,
    ...(role && epoch ? roleHooks(role, epoch, () => node.standby) : {}),
  });
  let standby: PrimaryStandby | null = null;
  if (role && epoch) {
    standby = new PrimaryStandby({
      config,
      role,
      epoch,
      engine,
      replicator,
      logger: node.logger,
      timers,
      requestRestart: st.onRestart ?? null,
      voteNetwork: st.voteNetwork(),
      carriedVoter: st.carriedVoter ?? null,
      metrics: node.metrics.registry,
      startFenced: deposed
        ? `deposed while down: epoch ${epoch.current} is newer than the one this node became primary in`
        : null,
      onFailover: (json) => {
        const full = node.notifyHub.publishFromNode(failoverChannel, json);
        if (full > 0) node.logger.warn({ sessions: full }, 'chorus_failover not queued: listener queue full');
        try {
          st.onFailover?.(JSON.parse(json) as Record<string, unknown>);
        } catch (err) {
          node.logger.error({ err }, 'the onFailover callback threw');
        }
      },
      redial: (from, to) => {
        network.removePeer(from);
        network.addPeer(to);
      },
    });
    host.quorum = standby.writeGate();
    wireWriteRouting(node, host, standby);
  }
  const parts: ReplicationParts = {
    crdt,
    resolvers,
    applier,
    network,
    replicator,
    standby,
    extras: null,
    replicationAdmin: null,
    quorum: null,
  };
  if (multiPrimary) wireMultiPrimary(node, st, parts);
  return parts;
}

/** Multi-primary: snapshots, split-brain handling, quorum writes, failover, the DDL lock and monitoring. */
function wireMultiPrimary(node: ReplicatedNode, st: ReplicationStartup, parts: ReplicationParts): void {
  const { applier, network, replicator } = parts;
  const { replicationAdmin } = st;
  const extras = new ReplicationExtras({
    config: node.config,
    engine: node.engine,
    replicator,
    rowDigest: (table, rowId) => applier.rowDigest(table, rowId),
    membership: node.membership,
    writerLock: st.writerLock,
    logger: node.logger,
    timers: st.timers ?? systemTimers,
    requestRestart: st.onRestart ?? null,
    configuredPeers: network.peers().length,
    network,
    witnessNetwork: st.witnessNetwork(),
    peers: () => replicationAdmin?.peers() ?? [],
    topologyProblems: () => st.problems(),
    adminWrite: (fn) => node.adminWrite(fn),
    nowMs: () => st.physical.nowMs(),
  });
  parts.extras = extras;
  st.host.quorum = parts.quorum = extras.quorum;
  const ddlLock = extras.ddlLock;
  st.host.ddlLock = ddlLock;
  if (ddlLock) applier.onDdlApplied = (origin, seq) => ddlLock.note(origin, seq);
  applier.membership = node.membership;
  node.membership?.attach({ replicator, network });
  replicationAdmin?.attach({
    replicator,
    network,
    timers: st.timers ?? systemTimers,
    metrics: node.metrics.registry,
    ...(st.monitor ?? {}),
  });
  parts.replicationAdmin = replicationAdmin;
}

/** Write routing (write-forward.ts): a standby's sessions route writes; the primary runs them. */
function wireWriteRouting(node: ReplicatedNode, host: SessionHost, standby: PrimaryStandby): void {
  standby.forwardServer.runner = forwardRunner(
    (startup) => node.openSession(startup),
    (s) => node.closeSession(s),
  );
  const client = standby.forwardClient;
  if (!client) return;
  const inAsync = node.config.ha.route_writes_in_async;
  host.writeRouting = {
    client,
    enabled: () => standby.role.role === 'standby' && (standby.syncMode !== 'async' || inAsync),
  };
}
