// The standby's side of its link to the primary: announces itself, acknowledges receipt of every
// batch at once (before applying it — what semi-sync waits for; the replicator acks after applying,
// what sync waits for), keeps what the primary last said of itself, and reports the link's state.

import type { Logger } from 'pino';
import type { Timers } from '../../clock/timers.js';
import type { SyncMode } from '../../config/sync-standbys.js';
import type { ReplTx, Vector } from '../../log/records.js';
import type { StorageEngine } from '../../storage/engine.js';
import type { PeerMessage } from '../link/link.js';
import type { PeerExtension, PeerHandle } from '../link/peer-extension.js';
import type { Replicator } from '../stream/replicator.js';
import { type EpochState, epochOf } from './epoch.js';

/** One row of pg_replication_primary, before formatting. Positions: the primary's transaction numbers. */
export interface PrimaryRow {
  nodeId: string | null;
  address: string;
  state: 'disconnected' | 'connecting' | 'connected' | 'streaming' | 'error';
  primaryPosition: number;
  localPosition: number;
  lagBytes: number | null;
  lagMs: number | null;
  connectedAtMs: number | null;
  lastHeartbeatMs: number | null;
  /** The epoch this standby follows (the fencing token). */
  fencingToken: number;
}

export interface FollowerParts {
  engine: StorageEngine;
  replicator: Replicator;
  timers: Timers;
  logger: Logger;
  /** The primary's address as configured (--ha-primary). */
  primaryAddress: string;
  /** This node's epoch: the primary's must be at least it. */
  epoch: EpochState;
}

interface PrimaryStatus {
  seq: number;
  syncMode: SyncMode | null;
  lagBytes: number | null;
  lagMs: number | null;
  atMs: number;
}

export class PrimaryFollower implements PeerExtension {
  readonly types = new Set(['ha_hello', 'ha_status']);
  /** The node id of the primary, once linked. */
  primaryId: string | null = null;
  private primaryRole: string | null = null;
  private status: PrimaryStatus | null = null;
  /** Highest transaction of each origin received from the primary. */
  private received: Vector = {};

  private linkedOnce = false;
  /** The linked primary's last message came from an older epoch (it is refused). */
  private stalePrimary = false;

  constructor(private readonly p: FollowerParts) {
    // Before the link is up, the primary is the one origin a standby holds transactions of.
    const origins = [...p.engine.applied.keys()];
    if (origins.length === 1) this.primaryId = origins[0]!;
  }

  /** The sync mode the primary announced (null until linked once). */
  get primarySyncMode(): SyncMode | null {
    return this.status?.syncMode ?? null;
  }

  onOpen(peer: PeerHandle): void {
    this.primaryId = peer.peerId;
    this.linkedOnce = true;
    this.received = { ...this.p.engine.appliedVector() };
    peer.send({ t: 'ha_hello', role: 'standby', node: this.p.engine.nodeId, epoch: this.p.epoch.current });
  }

  onMessage(peer: PeerHandle, msg: PeerMessage): void {
    if (!this.p.epoch.admit(epochOf(msg.epoch))) {
      // A primary of an older epoch was deposed: nothing it says is taken.
      this.stalePrimary = true;
      this.p.logger.error(
        { peer: peer.peerId, epoch: msg.epoch, current: this.p.epoch.current },
        'refused a message from a primary of an older epoch (fenced)',
      );
      return;
    }
    this.stalePrimary = false;
    if (msg.t === 'ha_hello') {
      this.primaryRole = typeof msg.role === 'string' ? msg.role : null;
      if (this.primaryRole !== 'primary')
        this.p.logger.error(
          { peer: peer.peerId, role: this.primaryRole },
          '--ha-primary names a node that is not a primary',
        );
    } else if (msg.t === 'ha_status') {
      const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
      this.status = {
        seq: num(msg.seq) ?? 0,
        syncMode:
          msg.syncMode === 'semi-sync' ||
          msg.syncMode === 'sync' ||
          msg.syncMode === 'quorum' ||
          msg.syncMode === 'async'
            ? msg.syncMode
            : null,
        lagBytes: num(msg.lagBytes),
        lagMs: num(msg.lagMs),
        atMs: this.p.timers.nowMs(),
      };
    }
  }

  /** The replicator queued a batch from the primary: acknowledge receipt now (semi-sync). */
  onReceived(peerId: string, txs: readonly ReplTx[]): void {
    if (peerId !== this.primaryId || txs.length === 0) return;
    for (const tx of txs) if ((this.received[tx.origin] ?? 0) < tx.seq) this.received[tx.origin] = tx.seq;
    this.p.replicator
      .peerHandles()
      .find((h) => h.peerId === peerId && !h.closed)
      ?.send({ t: 'ha_recv', vector: this.received });
  }

  /** The primary's position as this standby knows it: its last status, or more if more arrived since. */
  private primaryPosition(): number {
    const id = this.primaryId;
    if (!id) return 0;
    return Math.max(this.status?.seq ?? 0, this.received[id] ?? 0, this.p.engine.applied.get(id) ?? 0);
  }

  row(): PrimaryRow {
    const link = this.p.replicator.peerStates().find((s) => s.peerId === this.primaryId && !s.link.closed);
    const local = this.primaryId ? (this.p.engine.applied.get(this.primaryId) ?? 0) : 0;
    const primary = this.primaryPosition();
    const state: PrimaryRow['state'] = link
      ? this.stalePrimary || (this.primaryRole !== null && this.primaryRole !== 'primary')
        ? 'error'
        : this.p.replicator.peerAcks.has(link.peerId) && this.status
          ? 'streaming'
          : 'connected'
      : this.linkedOnce
        ? 'disconnected'
        : 'connecting';
    // Lag as the primary measured it at its last status, grown by the time since while still behind.
    const since = this.status ? Math.max(0, this.p.timers.nowMs() - this.status.atMs) : 0;
    const behind = local < primary;
    return {
      nodeId: this.primaryId,
      address: this.p.primaryAddress,
      state,
      primaryPosition: primary,
      localPosition: local,
      lagBytes: behind ? (this.status?.lagBytes ?? null) : 0,
      lagMs: behind ? (this.status?.lagMs === null || !this.status ? null : this.status.lagMs + since) : 0,
      connectedAtMs: link?.connectedAtMs ?? null,
      lastHeartbeatMs: link?.link.stats().lastHeartbeatMs ?? null,
      fencingToken: this.p.epoch.current,
    };
  }
}
