// Primary/standby replication of one node, built on the multi-primary machinery: the same peer
// links, Replicator (log shipping, cursors, retention), ApplyQueue and Applier, restricted by the
// node's role (role.ts) — a primary ships and takes nothing, a standby takes its upstream's log and
// ships it on only to standbys of its own (cascading, cascade.ts) — plus what the roles add: receipt
// acks and the commit gate of the sync modes, the standbys' and the upstream's state for the
// pg_replication_* views, and snapshots for empty standbys.

import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Timers } from '../../clock/timers.js';
import { type Config, standbyServes } from '../../config/load.js';
import { parseSyncStandbys, type SyncMode } from '../../config/sync-standbys.js';
import type { ReplTx } from '../../log/records.js';
import type { StorageEngine } from '../../storage/engine/engine.js';
import type { PeerMessage, PeerNetwork } from '../link/link.js';
import { Snapshots } from '../snapshot/snapshots.js';
import type { Replicator } from '../stream/replicator.js';
import { StandbyLinkRouter } from './cascade.js';
import { EpochState, epochOf, writeMetaWhenFree } from './epoch.js';
import {
  type FailoverEvent,
  failoverEventJson,
  followingEventJson,
  recordFailover,
  rewindPending,
  runFailoverHook,
  snapshotMustCover,
} from './failover-state.js';
import { PrimaryFollower, type PrimaryRow } from './follower.js';
import { HaAgent } from './ha-agent.js';
import { registerHaMetrics } from './ha-metrics.js';
import type { VoterCarry } from './lease.js';
import { type HaRole, RoleState } from './role.js';
import { type StandbyRow, StandbyTracker, type StandbyTrackerParts } from './standbys.js';
import { quorumAcksNeeded, SyncCommitGate, type SynchronousCommit } from './sync-gate.js';
import { ForwardClient, ForwardServer, forwardResultBytesMax } from './write-forward.js';

/** The commit hooks a session calls (session.ts's host.quorum): `s` is its synchronous_commit. */
export interface CommitGate {
  checkWritable(s?: string | null): void;
  wait(seq: number, s?: string | null): Promise<void>;
  /** After a statement that returned rows: null, or wait until the standbys hold what it may have seen. */
  readBarrier(): Promise<void> | null;
}

export type { PrimaryRow } from './follower.js';
export type { StandbyRow } from './standbys.js';

export interface PrimaryStandbyParts {
  config: Config;
  role: RoleState;
  /** The epoch (fencing token), made with the role (roleHooks stamps and checks batches with it). */
  epoch: EpochState;
  engine: StorageEngine;
  replicator: Replicator;
  logger: Logger;
  timers: Timers;
  /** Restart the node in-process (to install a snapshot); null for an embedded node. */
  requestRestart: ((reason: string) => void) | null;
  /** Vote links of automatic failover ([ha] nodes); null without it. */
  voteNetwork: PeerNetwork | null;
  /** Where the epoch, role and lease gauges go (/metrics). */
  metrics?: Registry;
  /** Dial another address instead of one (a cascading standby's fallback to the primary); null: never. */
  redial?: ((from: string, to: string) => void) | null;
  /** A failover made this node primary, or this node follows a new primary: the event as JSON (LISTEN chorus_failover). */
  onFailover?: (eventJson: string) => void;
  /** Start as a fenced primary, for this reason (it was deposed while down: failover-state.ts deposedAtStart). */
  startFenced?: string | null;
  /** The vote promise of the node this one replaces in the process (NodeRunner's in-process restart). */
  carriedVoter?: VoterCarry | null;
}

/** The Replicator options a role sets; made before the replicator, which the rest needs. */
export function roleHooks(
  role: RoleState,
  epoch: EpochState,
  standby: () => PrimaryStandby | null,
): {
  shipsTo(peerId: string): boolean;
  acceptsFrom(peerId: string, msg: PeerMessage): boolean;
  takesFrom(peerId: string): boolean;
  stamp(): Record<string, unknown>;
  onReceived(peerId: string, txs: readonly ReplTx[]): void;
  onBusy(peerId: string | null): void;
} {
  return {
    // Nothing goes to a standby whose data follows another history (standbys.ts, diverged()).
    shipsTo: (id) => role.shipsTo(id) && !(standby()?.tracker?.diverged(id) ?? false),
    // A batch from an older epoch (a deposed primary's) is refused and counted; a newer one adopted.
    // So is one from an upstream that closes a cycle of cascading standbys.
    acceptsFrom: (id, msg) => {
      if (
        !role.acceptsFrom(id) ||
        standby()?.follower?.cycle ||
        standby()?.follower?.historyMismatch ||
        !epoch.admit(epochOf(msg.epoch))
      )
        return false;
      epoch.noteLogEpoch(epochOf(msg.epoch));
      return true;
    },
    takesFrom: (id) => role.acceptsFrom(id),
    stamp: () => ({ epoch: epoch.current }),
    onReceived: (id, txs) => standby()?.follower?.onReceived(id, txs),
    onBusy: (id) => standby()?.follower?.onBusy(id),
  };
}

export function newRoleState(mode: HaRole, timers: Timers): RoleState {
  return new RoleState(mode, () => timers.nowMs());
}

export function newEpochState(engine: StorageEngine): EpochState {
  return new EpochState(engine.writer);
}

export class PrimaryStandby {
  readonly role: RoleState;
  readonly epoch: EpochState;
  readonly snapshots: Snapshots;
  /** The node's standbys: the primary's, or a cascading standby's own (one that listens). */
  readonly tracker: StandbyTracker | null = null;
  /** The link to the upstream: the primary, or another standby (standby only). */
  readonly follower: PrimaryFollower | null = null;
  /**
   * Commit acknowledgement (primary only): the configured mode, or what a session's
   * synchronous_commit asks for (an async primary waits when a session says remote_apply).
   */
  readonly gate: SyncCommitGate | null = null;
  /** Write routing: the primary's end (runs forwarded statements) and the standby's (write-forward.ts). */
  readonly forwardServer: ForwardServer;
  readonly forwardClient: ForwardClient | null = null;
  /** Automatic failover: votes, the primary's lease, elections; null without [ha] nodes. */
  readonly agent: HaAgent | null = null;

  constructor(private readonly p: PrimaryStandbyParts) {
    const { config, engine, replicator } = p;
    this.role = p.role;
    this.epoch = p.epoch;
    // pg_is_in_recovery() reads the role from _chorus_meta: kept in step with every role change.
    this.role.onChange((c) => writeMetaWhenFree(engine.writer, 'ha_role', () => c.to));
    if (p.metrics)
      registerHaMetrics(
        p.metrics,
        this.role,
        this.epoch,
        () => this.agent,
        () => this.gate,
      );
    const standby = this.role.role === 'standby';
    const serves = standby && standbyServes(config);
    this.snapshots = new Snapshots({
      dataDir: config.server.data_dir,
      engine,
      replicator,
      membership: null,
      logger: p.logger,
      timers: p.timers,
      requestRestart: p.requestRestart,
      // An empty standby starts from a copy of the primary, then streams the log from it; so does
      // a deposed primary (its commits no standby received were recorded: rewound-rows.jsonl).
      initializingEmpty: () => standby && (engine.applied.size === 0 || rewindPending(engine.writer)),
      // A standby copies its upstream only (never a standby that cascades from it).
      donors: (id) => this.role.links?.isUpstream(id) ?? true,
      mustCover: (applied) => snapshotMustCover(engine.writer, applied),
    });
    // A cascading standby runs the writes its standbys route in a session of its own, which routes
    // them on to its upstream: routing follows the chain up to the primary.
    const resultBytesMax = config.ha.routed_result_bytes_max ?? forwardResultBytesMax;
    this.forwardServer = new ForwardServer(
      () => this.role.writable || (serves && this.role.role === 'standby'),
      this.epoch,
      (e, peer) => this.fence(e, `standby ${peer} routed a write from epoch ${e}`),
      resultBytesMax,
    );
    replicator.addExtension(this.forwardServer);
    if (p.voteNetwork && config.ha.nodes.length > 0) {
      const rule = parseSyncStandbys(config.ha.synchronous_standby_names);
      this.agent = new HaAgent({
        config,
        role: this.role,
        epoch: this.epoch,
        engine,
        network: p.voteNetwork,
        timers: p.timers,
        logger: p.logger,
        requestRestart: p.requestRestart,
        lag: () => {
          const r = this.follower?.row();
          return r ? Math.max(0, r.primaryPosition - r.localPosition) : 0;
        },
        followedPrimaryId: () => this.follower?.primaryId ?? null,
        keepsCascading: () => this.follower?.keepsCascading ?? false,
        syncAcks:
          config.syncMode === 'async'
            ? 0
            : config.syncMode === 'quorum'
              ? quorumAcksNeeded(config.ha.nodes.length)
              : rule.k,
        onFollowing: (epoch, oldPrimary, newPrimary) =>
          p.onFailover?.(followingEventJson(epoch, oldPrimary, newPrimary)),
        onPromoted: (e) => this.promoted(e),
        standbyApplied: (id) => this.tracker?.standbys().find((s) => s.id === id)?.applied ?? null,
        ownPosition: () => this.tracker?.position() ?? 0,
        carriedVoter: p.carriedVoter ?? null,
      });
      const agent = this.agent;
      engine.commitGuard = () => agent.checkLease();
    }
    if (p.startFenced && this.role.role === 'primary') {
      p.logger.warn({ epoch: this.epoch.current, reason: p.startFenced }, 'this primary starts fenced');
      if (this.agent) this.agent.stepDown(p.startFenced);
      else this.role.transition('standby', p.startFenced);
    }
    if (standby) {
      this.forwardClient = new ForwardClient({
        primaryLink: () =>
          replicator.peerHandles().find((h) => h.peerId === this.follower?.upstreamId && !h.closed) ?? null,
        position: () => this.position(),
        timers: p.timers,
        epoch: this.epoch,
        resultBytesMax,
      });
      replicator.addExtension(this.forwardClient);
      const follower = new PrimaryFollower({
        engine,
        replicator,
        timers: p.timers,
        logger: p.logger,
        upstreamAddress: config.replication.primary ?? '',
        epoch: this.epoch,
        redial: p.redial ?? null,
      });
      this.follower = follower;
      if (serves)
        this.tracker = this.newTracker({
          primaryId: () => follower.primaryId,
          primaryPosition: () => follower.primaryPosition(),
          chain: () => follower.chainInfo(),
        });
      const router = new StandbyLinkRouter(follower, this.tracker, replicator);
      this.role.links = router;
      replicator.addExtension(router);
      return;
    }
    this.tracker = this.newTracker(null);
    const tracker = this.tracker;
    this.gate = new SyncCommitGate(
      config.syncMode,
      parseSyncStandbys(config.ha.synchronous_standby_names),
      config.ha.strict,
      config.ha.sync_timeout_ms ?? config.replication.replication_timeout_ms,
      p.timers,
      () => tracker.standbys(),
      // Quorum mode's cluster: the configured data nodes ([ha] nodes), else this primary and the
      // standbys it knows (linked since it started, remembered while away).
      () => (config.ha.nodes.length > 0 ? config.ha.nodes.length : 1 + tracker.standbys().length),
      // With automatic failover, quorum mode and '*' count only the data nodes of [ha] nodes.
      (id) => this.agent?.isDataNode(id) ?? true,
    );
  }

  private newTracker(cascade: StandbyTrackerParts['cascade']): StandbyTracker {
    const { config, engine, replicator } = this.p;
    const tracker = new StandbyTracker({
      engine,
      replicator,
      timers: this.p.timers,
      logger: this.p.logger,
      syncMode: () => this.syncMode,
      cascade,
      lagThresholdMs: config.replication.replication_lag_threshold_ms,
      epoch: this.epoch,
      onNewerEpoch: (epoch, peer) => this.fence(epoch, `peer ${peer} is in epoch ${epoch}`),
      onProgress: () => this.gate?.onProgress(),
      onBusy: (id) => this.gate?.onBusy(id),
    });
    // A cascading standby's tracker is reached through its link router (cascade.ts).
    if (!cascade) replicator.addExtension(tracker);
    return tracker;
  }

  /**
   * This primary learned of a newer epoch: another node was promoted. It stops being primary at
   * once (no write is taken from here on) and keeps the newer epoch.
   */
  fence(epoch: number, reason: string): void {
    this.epoch.raise(epoch);
    if (this.role.role !== 'primary') return;
    this.p.logger.error(
      { epoch, reason },
      'this primary learned of a newer epoch: it is no longer primary and takes no writes',
    );
    this.role.transition('standby', `fenced: ${reason}`);
  }

  private promoted(e: FailoverEvent): void {
    recordFailover(this.p.engine.writer, e);
    runFailoverHook(this.p.config.ha.on_failover, e, this.p.logger);
    this.p.onFailover?.(failoverEventJson(e));
  }

  /**
   * What the session checks before a write and waits on after a commit: the lease, then the sync
   * rule, as the session's synchronous_commit asks (null: on).
   */
  writeGate(): CommitGate | null {
    const { agent, gate } = this;
    const level = (s: string | null | undefined): SynchronousCommit =>
      s === 'off' || s === 'local' || s === 'remote_write' || s === 'remote_apply' ? s : 'on';
    if (!agent && !gate) return null;
    return {
      checkWritable: (s) => {
        agent?.checkLease();
        gate?.checkWritable(level(s));
      },
      wait: (seq, s) => gate?.wait(seq, level(s)) ?? Promise.resolve(),
      readBarrier: () =>
        gate && this.p.config.ha.linearizable_reads && this.role.role === 'primary' && this.tracker
          ? gate.readBarrier(this.tracker.position())
          : null,
    };
  }

  /** A peer acknowledged what it applied (the replicator's acks): commits waiting on it may go. */
  onAcks(): void {
    this.gate?.onProgress();
  }

  /** Client writes are refused: this node is a standby, or it waits for / installs a snapshot. */
  get blocksWrites(): boolean {
    return !this.role.writable || this.snapshots.receiver.blocksWrites;
  }

  /** pg_is_in_recovery(): a standby applies its primary's log. */
  get inRecovery(): boolean {
    return this.role.role === 'standby';
  }

  /**
   * This node's position in the primary's history: how many transactions the primary committed
   * (primary) or this standby applied — the same numbering on every node (the views' LSNs).
   */
  position(): number {
    const id = this.role.role === 'primary' ? this.p.engine.nodeId : this.follower?.primaryId;
    return id ? (this.p.engine.applied.get(id) ?? 0) : 0;
  }

  /** The sync mode in force: the primary's (a standby reports what its primary announced). */
  get syncMode(): SyncMode {
    return this.follower?.primarySyncMode ?? this.p.config.syncMode;
  }

  standbyCount(): number {
    return this.tracker?.count() ?? 0;
  }

  standbyRows(): StandbyRow[] {
    return this.tracker?.rows() ?? [];
  }

  primaryRows(): PrimaryRow[] {
    return this.follower ? [this.follower.row()] : [];
  }

  /**
   * Starts the snapshot service, the standby tracker and the failover agent. Rejects when the vote
   * listener cannot listen (a port in use): a node without its vote neither answers elections nor
   * runs in one, so it must not start half way.
   */
  async start(): Promise<void> {
    this.snapshots.start();
    this.tracker?.start();
    await this.agent?.start();
  }

  /** Stop what must stop before the replicator (snapshot transfers in flight). */
  async stopBeforeReplicator(): Promise<void> {
    this.tracker?.stop();
    this.follower?.stop();
    await this.agent?.stop();
    await this.snapshots.stop();
  }
}
