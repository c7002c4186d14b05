// The standby's side of its link to its upstream (the primary, or another standby when cascading):
// announces itself, acknowledges receipt of every batch at once (before applying it — what
// semi-sync waits for; the replicator acks after applying, what sync waits for), keeps what the
// upstream last said (its position, the primary's id and address, the chain up to the primary:
// a cycle is refused), reports the link's state, and falls back to the primary when a cascading
// upstream stays away (upstreamFallbackMs).

import type { Logger } from 'pino';
import type { TimerHandle, Timers } from '../../clock/timers.js';
import type { SyncMode } from '../../config/sync-standbys.js';
import type { ReplTx, Vector } from '../../log/records.js';
import type { StorageEngine } from '../../storage/engine/engine.js';
import { historyIdMetaKey, readHistoryId } from '../../storage/engine/history-id.js';
import type { PeerMessage } from '../link/link.js';
import type { PeerExtension, PeerHandle } from '../link/peer-extension.js';
import type { Replicator } from '../stream/replicator.js';
import { type EpochState, epochOf, writeMetaWhenFree } from './epoch.js';

/** A cascading standby's upstream (another standby) away this long: it dials the primary instead. */
export const upstreamFallbackMs = 15_000;
/** A standby at work on a large transaction tells its upstream so at most this often. */
export const standbyBusyNoticeMs = 1_000;
/** Nodes in a chain from a standby up to its primary at most; a longer one is refused as a cycle. */
export const cascadeDepthMax = 16;

/** One row of pg_replication_primary, before formatting. Positions: the primary's transaction numbers. */
export interface PrimaryRow {
  /** The primary's node id (of the history this standby applies). */
  nodeId: string | null;
  /** The address this standby dials: its upstream's (the primary's, unless cascading). */
  address: string;
  /** error: the upstream is no primary nor a cascading standby, is of an older epoch, or closes a cycle. */
  state: 'disconnected' | 'connecting' | 'connected' | 'streaming' | 'error';
  primaryPosition: number;
  localPosition: number;
  lagBytes: number | null;
  lagMs: number | null;
  connectedAtMs: number | null;
  lastHeartbeatMs: number | null;
  /** The epoch this standby follows (the fencing token). */
  fencingToken: number;
  /** The node id this standby streams from: the primary, or a standby when cascading. */
  upstream: string | null;
}

export interface FollowerParts {
  engine: StorageEngine;
  replicator: Replicator;
  timers: Timers;
  logger: Logger;
  /** The upstream's address as configured (--ha-primary): the primary or another standby. */
  upstreamAddress: string;
  /** This node's epoch: the upstream's must be at least it. */
  epoch: EpochState;
  /** Dial `to` instead of `from` (the fallback to the primary); null where links are not redialed. */
  redial: ((from: string, to: string) => void) | null;
}

interface UpstreamStatus {
  seq: number;
  syncMode: SyncMode | null;
  lagBytes: number | null;
  lagMs: number | null;
  atMs: number;
}

/** What an upstream says of the chain above it (ha_hello and ha_status of standbys.ts). */
export interface ChainInfo {
  /** The upstream, its upstream, ... up to the primary. */
  chain: string[];
  /** The primary's node id. */
  primary: string | null;
  /** An address of the primary (what the top cascading standby dials); null from the primary itself. */
  primaryAddress: string | null;
}

export class PrimaryFollower implements PeerExtension {
  readonly types = new Set(['ha_hello', 'ha_status']);
  /** The node id of the primary whose history this standby applies (its positions are the LSNs). */
  primaryId: string | null = null;
  /** The node id of the upstream link (the primary, or a standby when cascading). */
  upstreamId: string | null = null;
  /** Where this standby dials its upstream (changes on the fallback to the primary). */
  upstreamAddress: string;
  private upstreamRole: string | null = null;
  private status: UpstreamStatus | null = null;
  /** What the upstream said of the chain above it. */
  private above: ChainInfo = { chain: [], primary: null, primaryAddress: null };
  /** Set when the chain the upstream announced holds this node (a cycle) or is too long: refused. */
  cycle: string | null = null;
  /**
   * Set when the upstream's database is of another history than this standby's (its data directory
   * was re-created since this standby copied it): nothing is taken from it.
   */
  historyMismatch: string | null = null;
  /** Highest transaction of each origin received from the upstream. */
  private received: Vector = {};

  private linkedOnce = false;
  /** The upstream's last message came from an older epoch (it is refused). */
  private staleUpstream = false;
  private fallbackTimer: TimerHandle | null = null;
  /** The upstream said it is a standby the first time it linked since start (null before). */
  private cascadesByDesign: boolean | null = null;

  constructor(private readonly p: FollowerParts) {
    this.upstreamAddress = p.upstreamAddress;
    // Before the link is up, the primary is the one origin a standby holds transactions of.
    const origins = [...p.engine.applied.keys()];
    if (origins.length === 1) this.primaryId = origins[0]!;
  }

  /** The sync mode the primary announced, relayed by a cascading upstream (null until linked once). */
  get primarySyncMode(): SyncMode | null {
    return this.status?.syncMode ?? null;
  }

  /** Follows a standby (cascading), as its upstream last said. */
  get cascaded(): boolean {
    return this.upstreamRole === 'standby';
  }

  /** What this standby relays to its own standbys: itself, then the chain above it. */
  chainInfo(): ChainInfo {
    const self = this.p.engine.nodeId;
    return {
      chain: [self, ...this.above.chain].slice(0, cascadeDepthMax + 1),
      primary: this.primaryId,
      primaryAddress: this.cascaded ? this.above.primaryAddress : this.upstreamAddress,
    };
  }

  /**
   * This standby was set up to cascade (its upstream said it is a standby when first linked since
   * start) and still does: linked to it, or away less than upstreamFallbackMs. It keeps following
   * it when the primary changes (the upstream follows the new primary). A node that was primary
   * when this one linked to it and came back as a standby (deposed) does not count.
   */
  get keepsCascading(): boolean {
    return (
      this.cascadesByDesign === true &&
      this.cascaded &&
      this.cycle === null &&
      (this.link() !== undefined || this.fallbackTimer !== null)
    );
  }

  private link() {
    return this.p.replicator.peerStates().find((s) => s.peerId === this.upstreamId && !s.link.closed);
  }

  onOpen(peer: PeerHandle): void {
    this.upstreamId = peer.peerId;
    this.linkedOnce = true;
    this.fallbackTimer?.cancel();
    this.fallbackTimer = null;
    this.received = { ...this.p.engine.appliedVector() };
    this.hello(peer, readHistoryId(this.p.engine.writer));
  }

  private hello(peer: PeerHandle, history: string | null): void {
    peer.send({
      t: 'ha_hello',
      role: 'standby',
      node: this.p.engine.nodeId,
      epoch: this.p.epoch.current,
      history,
    });
  }

  /**
   * The upstream's database history against this standby's: the same, or taken over while this
   * standby holds nothing yet (and told back, so the upstream's check of it agrees), or another one
   * — then refused, whatever the vectors say (a re-created primary numbers its commits from 1 again).
   */
  private checkHistory(peer: PeerHandle, theirs: unknown): void {
    if (typeof theirs !== 'string' || theirs === '') return;
    const ours = readHistoryId(this.p.engine.writer);
    if (ours === theirs) {
      this.historyMismatch = null;
      return;
    }
    if (this.p.engine.applied.size === 0) {
      writeMetaWhenFree(this.p.engine.writer, historyIdMetaKey, () => theirs);
      this.historyMismatch = null;
      this.hello(peer, theirs);
      return;
    }
    const message = `the node this standby follows (${peer.peerId}) holds another database history (${theirs}) than this standby (${ours}): its data directory was re-created, or this standby was copied from another cluster; nothing is taken from it (rebuild this standby from an empty data directory)`;
    if (message !== this.historyMismatch) {
      this.p.logger.error({ upstream: peer.peerId, history: theirs, ours }, message);
      this.p.replicator.recordFailure(peer.peerId, message);
    }
    this.historyMismatch = message;
  }

  /** The upstream link closed: a cascading upstream away for upstreamFallbackMs is replaced by the primary. */
  onClose(peerId: string): void {
    if (peerId !== this.upstreamId || !this.cascaded || this.fallbackTimer) return;
    this.fallbackTimer = this.p.timers.after(upstreamFallbackMs, () => {
      this.fallbackTimer = null;
      this.fallBack();
    });
  }

  private fallBack(): void {
    const to = this.above.primaryAddress;
    if (this.link() || !this.p.redial || !to || to === this.upstreamAddress) return;
    this.p.logger.warn(
      { upstream: this.upstreamId, from: this.upstreamAddress, to, afterMs: upstreamFallbackMs },
      'the standby this one cascades from is away: following the primary directly',
    );
    const from = this.upstreamAddress;
    this.upstreamAddress = to;
    this.p.redial(from, to);
  }

  stop(): void {
    this.fallbackTimer?.cancel();
  }

  onMessage(peer: PeerHandle, msg: PeerMessage): void {
    if (!this.p.epoch.admit(epochOf(msg.epoch))) {
      // An upstream of an older epoch (a deposed primary, or a standby still following one): refused.
      this.staleUpstream = true;
      this.p.logger.error(
        { peer: peer.peerId, epoch: msg.epoch, current: this.p.epoch.current },
        'refused a message from an upstream of an older epoch (fenced)',
      );
      return;
    }
    this.staleUpstream = false;
    if (msg.t === 'ha_hello') {
      this.checkHistory(peer, msg.history);
      this.upstreamRole = typeof msg.role === 'string' ? msg.role : null;
      this.cascadesByDesign ??= this.upstreamRole === 'standby';
      if (this.upstreamRole !== 'primary' && this.upstreamRole !== 'standby')
        this.p.logger.error(
          { peer: peer.peerId, role: this.upstreamRole },
          '--ha-primary names a node that is neither a primary nor a standby serving standbys',
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
    this.noteChain(peer.peerId, msg);
  }

  /** The chain above the upstream (both messages carry it): the primary's id, and a cycle check. */
  private noteChain(peerId: string, msg: PeerMessage): void {
    if (this.upstreamRole === 'primary') {
      this.primaryId = peerId;
      this.above = { chain: [peerId], primary: peerId, primaryAddress: null };
      this.cycle = null;
      return;
    }
    if (this.upstreamRole !== 'standby' || !Array.isArray(msg.chain)) return;
    const chain = msg.chain.filter((x): x is string => typeof x === 'string').slice(0, cascadeDepthMax + 1);
    const primary = typeof msg.primary === 'string' ? msg.primary : null;
    const primaryAddress = typeof msg.primaryAddress === 'string' ? msg.primaryAddress : null;
    this.above = { chain, primary, primaryAddress };
    this.flag(peerId, chain, this.cycleIn(chain));
    if (!this.cycle && primary) this.primaryId = primary;
  }

  /**
   * The node this standby dials linked to it as a standby of its own (two standbys name each
   * other): a cycle. It is told so by the chain this node relays ([this node, that one]).
   */
  cycleWith(peerId: string): void {
    this.above = { chain: [peerId], primary: null, primaryAddress: null };
    this.upstreamRole = 'standby';
    this.flag(
      peerId,
      [peerId],
      `cascading cycle: ${peerId}, the node this standby follows (--ha-primary ${this.upstreamAddress}), follows this standby; nothing is taken from it (point --ha-primary at the primary or at a standby that does not follow this one)`,
    );
  }

  /** Why the chain above this standby is refused: it comes back to this node, or is too long. */
  private cycleIn(chain: string[]): string | null {
    const self = this.p.engine.nodeId;
    if (chain.includes(self))
      return `cascading cycle: this standby's upstream chain ${[self, ...chain].join(' -> ')} comes back to it; its batches are refused (point --ha-primary at the primary or at a standby that does not follow this one)`;
    if (chain.length > cascadeDepthMax)
      return `cascading chain longer than ${cascadeDepthMax} standbys (or a cycle without this node): refused`;
    return null;
  }

  private flag(peerId: string, chain: string[], cycle: string | null): void {
    if (cycle && cycle !== this.cycle) {
      this.p.logger.error({ upstream: peerId, chain }, cycle);
      this.p.replicator.recordFailure(peerId, cycle);
    }
    this.cycle = cycle;
  }

  private lastBusyMs = Number.NEGATIVE_INFINITY;

  /**
   * This standby is still at work on its upstream's stream (a large transaction arriving in parts,
   * or being applied): say so, at most every standbyBusyNoticeMs, so the primary's sync commits
   * keep waiting for it instead of timing out (sync-gate.ts onBusy).
   */
  onBusy(peerId: string | null): void {
    if (peerId !== null && peerId !== this.upstreamId) return;
    const now = this.p.timers.nowMs();
    if (now - this.lastBusyMs < standbyBusyNoticeMs) return;
    this.lastBusyMs = now;
    this.p.replicator
      .peerHandles()
      .find((h) => h.peerId === this.upstreamId && !h.closed)
      ?.send({ t: 'ha_busy' });
  }

  /** The replicator queued a batch from the upstream: acknowledge receipt now (semi-sync). */
  onReceived(peerId: string, txs: readonly ReplTx[]): void {
    if (peerId !== this.upstreamId || txs.length === 0) return;
    for (const tx of txs) if ((this.received[tx.origin] ?? 0) < tx.seq) this.received[tx.origin] = tx.seq;
    this.p.replicator
      .peerHandles()
      .find((h) => h.peerId === peerId && !h.closed)
      ?.send({ t: 'ha_recv', vector: this.received });
  }

  /** The primary's position as this standby knows it: its upstream's last status, or more if more arrived since. */
  primaryPosition(): number {
    const id = this.primaryId;
    if (!id) return 0;
    return Math.max(this.status?.seq ?? 0, this.received[id] ?? 0, this.p.engine.applied.get(id) ?? 0);
  }

  row(): PrimaryRow {
    const link = this.link();
    const local = this.primaryId ? (this.p.engine.applied.get(this.primaryId) ?? 0) : 0;
    const primary = this.primaryPosition();
    const state: PrimaryRow['state'] =
      this.cycle !== null || this.historyMismatch !== null
        ? 'error'
        : link
          ? this.staleUpstream ||
            (this.upstreamRole !== null && this.upstreamRole !== 'primary' && this.upstreamRole !== 'standby')
            ? 'error'
            : this.p.replicator.peerAcks.has(link.peerId) && this.status
              ? 'streaming'
              : 'connected'
          : this.linkedOnce
            ? 'disconnected'
            : 'connecting';
    // Lag as the upstream measured it at its last status, grown by the time since while still behind.
    const since = this.status ? Math.max(0, this.p.timers.nowMs() - this.status.atMs) : 0;
    const behind = local < primary;
    return {
      nodeId: this.primaryId,
      address: this.upstreamAddress,
      state,
      primaryPosition: primary,
      localPosition: local,
      lagBytes: behind ? (this.status?.lagBytes ?? null) : 0,
      lagMs: behind ? (this.status?.lagMs === null || !this.status ? null : this.status.lagMs + since) : 0,
      connectedAtMs: link?.connectedAtMs ?? null,
      lastHeartbeatMs: link?.link.stats().lastHeartbeatMs ?? null,
      fencingToken: this.p.epoch.current,
      upstream: this.upstreamId,
    };
  }
}
