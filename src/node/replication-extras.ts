// The multi-primary protocols that ride the peer links next to log shipping — snapshot transfer,
// split-brain detection/recovery, the write quorum (with its witness), the cluster DDL lock and
// failover — built for a node, started and stopped together. Their SQL functions are registered with the other admin
// functions, before the readers start (registerTopologyAdmin, registerSplitBrainAdmin).

import type { Logger } from 'pino';
import type { Timers } from '../clock/timers.js';
import type { Config } from '../config/load.js';
import { DdlLock } from '../replication/cluster/ddl-lock.js';
import { fileVoteStore, memoryVoteStore } from '../replication/cluster/ddl-vote-store.js';
import { FailoverMonitor } from '../replication/cluster/failover.js';
import type { Membership } from '../replication/cluster/membership.js';
import { type QuorumGate, quorumFromConfig } from '../replication/cluster/quorum.js';
import { DivergenceChecker } from '../replication/integrity/divergence.js';
import { SplitBrain } from '../replication/integrity/split-brain.js';
import type { PeerNetwork } from '../replication/link/link.js';
import { Snapshots } from '../replication/snapshot/snapshots.js';
import type { Replicator } from '../replication/stream/replicator.js';
import type { StorageEngine } from '../storage/engine/engine.js';
import type { WriterLock } from '../storage/engine/writer-lock.js';

export interface ExtrasParts {
  config: Config;
  engine: StorageEngine;
  replicator: Replicator;
  /** The digest of one row's content, for the divergence check (the Applier's rowDigest). */
  rowDigest(table: string, rowId: string): string;
  membership: Membership | null;
  writerLock: WriterLock;
  logger: Logger;
  timers: Timers;
  requestRestart: ((reason: string) => void) | null;
  /** Peers configured when the node opened (the default quorum is a majority of them and us). */
  configuredPeers: number;
  /** Links to the witness (use_witness_node), or null. */
  witnessNetwork: PeerNetwork | null;
  /** The peer links (the masters this node dials). */
  network: PeerNetwork;
  /** Masters this node knows, with their state (replicate.masters). */
  peers(): { masterId: string; state: string }[];
  /** What validate_topology reports. */
  topologyProblems(): string[];
  adminWrite<T>(fn: () => T): Promise<T>;
  nowMs(): number;
}

export class ReplicationExtras {
  readonly snapshots: Snapshots;
  readonly splitBrain: SplitBrain;
  readonly divergence: DivergenceChecker;
  readonly quorum: QuorumGate | null;
  readonly failover: FailoverMonitor;
  /** The cluster DDL lock ([replication] ddl_locking), or null. */
  readonly ddlLock: DdlLock | null;

  /** Local writes are refused: a snapshot is awaited or installed, or a split-brain sync runs. */
  get blocksWrites(): boolean {
    return this.snapshots.receiver.blocksWrites || this.splitBrain.syncing;
  }

  constructor(p: ExtrasParts) {
    const r = p.config.replication;
    this.snapshots = new Snapshots({
      dataDir: p.config.server.data_dir,
      engine: p.engine,
      replicator: p.replicator,
      membership: p.membership,
      logger: p.logger,
      timers: p.timers,
      requestRestart: p.requestRestart,
    });
    this.splitBrain = new SplitBrain({
      engine: p.engine,
      replicator: p.replicator,
      membership: p.membership,
      writerLock: p.writerLock,
      logger: p.logger,
      timers: p.timers,
      intervalMs: r.split_brain_check_interval_ms,
      nowIso: () => new Date(p.nowMs()).toISOString(),
    });
    this.quorum = r.require_quorum_for_writes
      ? quorumFromConfig(
          p.config,
          p.configuredPeers,
          p.timers,
          p.replicator,
          p.engine.nodeId,
          p.witnessNetwork,
          p.logger.child({ component: 'witness' }),
        )
      : null;
    this.divergence = new DivergenceChecker({
      nodeId: p.engine.nodeId,
      digest: (table, rowId) => p.rowDigest(table, rowId),
      peers: () => p.replicator.peerHandles(),
      onMismatch: (d) =>
        p.replicator.recordFailure(
          d.peer,
          `divergence: ${d.table} ${d.rowId} differs (ours ${d.localDigest}, theirs ${d.peerDigest})`,
        ),
      timers: p.timers,
      keyless: {
        tables: () => this.splitBrain.keylessTables(),
        digest: (table) => this.splitBrain.keylessDigest(table),
      },
    });
    p.replicator.addExtension(this.divergence);
    this.ddlLock = r.ddl_locking ? ddlLockOf(p) : null;
    if (this.ddlLock) p.replicator.addExtension(this.ddlLock);
    this.failover = new FailoverMonitor({
      engine: p.engine,
      replicator: p.replicator,
      membership: p.membership,
      quorum: () => this.quorum,
      peers: () => p.peers(),
      topologyProblems: () => p.topologyProblems(),
      adminWrite: (fn) => p.adminWrite(fn),
      logger: p.logger,
      timers: p.timers,
      enabled: r.enable_automatic_failover,
      timeoutMs: r.failover_timeout_sec * 1000,
      nowIso: (ms) => new Date(ms).toISOString(),
    });
  }

  async start(): Promise<void> {
    this.snapshots.start();
    this.splitBrain.start();
    await this.quorum?.witness?.start();
    this.failover.start();
  }

  /** Stop what must stop before the replicator (transfers in flight). */
  async stopBeforeReplicator(): Promise<void> {
    this.failover.stop();
    await this.snapshots.stop();
  }

  async stop(): Promise<void> {
    await this.quorum?.witness?.stop();
    this.splitBrain.stop();
  }
}

/**
 * The cluster DDL lock of a node. The masters it counts are every master this node knows of: those
 * it dials, those linked to it, the origins it applied, the added ones — never fewer than there
 * are (a master counted twice, by endpoint and by id, only makes the majority larger).
 */
function ddlLockOf(p: ExtrasParts): DdlLock {
  const self = p.engine.nodeId;
  const linked = (): Set<string> =>
    new Set(
      p.replicator
        .peerHandles()
        .filter((h) => !h.closed)
        .map((h) => h.peerId),
    );
  return new DdlLock({
    nodeId: self,
    timers: p.timers,
    random: Math.random,
    peers: () => p.replicator.peerHandles().filter((h) => !h.closed),
    masters: () => {
      const up = linked();
      const names = new Set<string>(up);
      for (const d of p.network.peers()) names.add(d.peerId ?? d.endpoint);
      for (const origin of Object.keys(p.engine.appliedVector())) names.add(origin);
      for (const m of p.membership?.added() ?? []) names.add(m.master_id);
      names.delete(self);
      return [...names]
        .filter((n) => !(p.membership?.isRemoved(n) ?? false))
        .map((name) => ({ name, linked: up.has(name) }));
    },
    applied: () => p.engine.appliedVector(),
    store: p.engine.path === ':memory:' ? memoryVoteStore() : fileVoteStore(p.config.server.data_dir),
  });
}
