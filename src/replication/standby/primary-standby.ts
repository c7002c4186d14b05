// Primary/standby replication of one node, built on the multi-primary machinery: the same peer
// links, Replicator (log shipping, cursors, retention), ApplyQueue and Applier, restricted by the
// node's role (role.ts) — a primary ships and takes nothing, a standby takes its primary's log and
// ships nothing — plus what the roles add: receipt acks and the commit gate of the sync modes, the
// standbys' and the primary's state for the pg_replication_* views, and snapshots for empty standbys.

import type { Logger } from 'pino';
import type { Timers } from '../../clock/timers.js';
import type { Config } from '../../config/load.js';
import { parseSyncStandbys, type SyncMode } from '../../config/sync-standbys.js';
import type { ReplTx } from '../../log/records.js';
import type { StorageEngine } from '../../storage/engine.js';
import { Snapshots } from '../snapshot/snapshots.js';
import type { Replicator } from '../stream/replicator.js';
import { PrimaryFollower, type PrimaryRow } from './follower.js';
import { type HaRole, RoleState } from './role.js';
import { type StandbyRow, StandbyTracker } from './standbys.js';
import { SyncCommitGate } from './sync-gate.js';
import { ForwardClient, ForwardServer } from './write-forward.js';

export type { PrimaryRow } from './follower.js';
export type { StandbyRow } from './standbys.js';

export interface PrimaryStandbyParts {
  config: Config;
  role: RoleState;
  engine: StorageEngine;
  replicator: Replicator;
  logger: Logger;
  timers: Timers;
  /** Restart the node in-process (to install a snapshot); null for an embedded node. */
  requestRestart: ((reason: string) => void) | null;
}

/** The Replicator options a role sets; made before the replicator, which the rest needs. */
export function roleHooks(
  role: RoleState,
  standby: () => PrimaryStandby | null,
): {
  shipsTo(peerId: string): boolean;
  acceptsFrom(peerId: string): boolean;
  onReceived(peerId: string, txs: readonly ReplTx[]): void;
} {
  return {
    // Nothing goes to a standby whose data follows another history (standbys.ts, diverged()).
    shipsTo: (id) => role.shipsTo(id) && !(standby()?.tracker?.diverged(id) ?? false),
    acceptsFrom: (id) => role.acceptsFrom(id),
    onReceived: (id, txs) => standby()?.follower?.onReceived(id, txs),
  };
}

export function newRoleState(mode: HaRole, timers: Timers): RoleState {
  return new RoleState(mode, () => timers.nowMs());
}

export class PrimaryStandby {
  readonly role: RoleState;
  readonly snapshots: Snapshots;
  /** The primary's standbys (primary only). */
  readonly tracker: StandbyTracker | null = null;
  /** The link to the primary (standby only). */
  readonly follower: PrimaryFollower | null = null;
  /** Commit acknowledgement of semi-sync / sync mode (primary only); null in async mode. */
  readonly gate: SyncCommitGate | null = null;
  /** Write routing: the primary's end (runs forwarded statements) and the standby's (write-forward.ts). */
  readonly forwardServer: ForwardServer;
  readonly forwardClient: ForwardClient | null = null;

  constructor(private readonly p: PrimaryStandbyParts) {
    const { config, engine, replicator } = p;
    this.role = p.role;
    const standby = this.role.role === 'standby';
    this.snapshots = new Snapshots({
      dataDir: config.server.data_dir,
      engine,
      replicator,
      membership: null,
      logger: p.logger,
      timers: p.timers,
      requestRestart: p.requestRestart,
      // An empty standby starts from a copy of the primary, then streams the log from it.
      initializingEmpty: () => standby && engine.applied.size === 0,
    });
    this.forwardServer = new ForwardServer(() => this.role.writable);
    replicator.addExtension(this.forwardServer);
    if (standby) {
      this.forwardClient = new ForwardClient({
        primaryLink: () =>
          replicator.peerHandles().find((h) => h.peerId === this.follower?.primaryId && !h.closed) ?? null,
        position: () => this.position(),
        timers: p.timers,
      });
      replicator.addExtension(this.forwardClient);
      this.follower = new PrimaryFollower({
        engine,
        replicator,
        timers: p.timers,
        logger: p.logger,
        primaryAddress: config.replication.primary ?? '',
      });
      replicator.addExtension(this.follower);
      return;
    }
    this.tracker = new StandbyTracker({
      engine,
      replicator,
      timers: p.timers,
      logger: p.logger,
      syncMode: config.syncMode,
      lagThresholdMs: config.replication.replication_lag_threshold_ms,
      onProgress: () => this.gate?.onProgress(),
    });
    replicator.addExtension(this.tracker);
    if (config.syncMode !== 'async') {
      const tracker = this.tracker;
      this.gate = new SyncCommitGate(
        config.syncMode,
        parseSyncStandbys(config.ha.synchronous_standby_names),
        config.ha.strict,
        config.ha.sync_timeout_ms ?? config.replication.replication_timeout_ms,
        p.timers,
        () => tracker.standbys(),
      );
    }
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

  start(): void {
    this.snapshots.start();
    this.tracker?.start();
  }

  /** Stop what must stop before the replicator (snapshot transfers in flight). */
  async stopBeforeReplicator(): Promise<void> {
    this.tracker?.stop();
    await this.snapshots.stop();
  }
}
