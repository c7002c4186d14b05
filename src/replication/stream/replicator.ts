// Multi-primary replication engine of one node: ships the log to every peer from a per-peer cursor
// (derived from the peer's applied vector), receives peers' transactions, holds each until its
// causal dependencies are applied, applies ready ones in batches under the writer lock, and acks.
// Any node forwards what it applied, so ring, star and cascade topologies work without loops.

import type { Logger } from 'pino';
import type { HybridLogicalClock } from '../../clock/hlc.js';
import type { TimerHandle, Timers } from '../../clock/timers.js';
import { covers, LogReader, mergeVector, type ReplTx, type Vector } from '../../log/records.js';
import type { StorageEngine } from '../../storage/engine/engine.js';
import type { WriterLock } from '../../storage/engine/writer-lock.js';
import type { Applier } from '../apply/applier.js';
import { ApplyQueue, pendingTxsMax } from '../apply/apply-queue.js';
import type { Link, LinkHandlers, PeerMessage, PeerNetwork } from '../link/link.js';
import type { PeerExtension, PeerHandle } from '../link/peer-extension.js';
import { LogSender, type PeerState, type SentTotals } from './log-sender.js';
import { ResyncState } from './resync-state.js';
import type { LogRetention } from './retention.js';
import { TxAssembler } from './tx-parts.js';

export { applyBatchTxsMax, applyRetryMs, pendingTxsMax } from '../apply/apply-queue.js';

/** How often an idle sender looks for new log entries even without a notification. */
export const senderPollMs = 250;
/** Entries kept in the failure log (replicate.failure_log). */
export const failuresMax = 1_000;

export interface ReplicatorOptions {
  nodeId: string;
  engine: StorageEngine;
  applier: Applier;
  network: PeerNetwork;
  writerLock: WriterLock;
  clock: HybridLogicalClock;
  timers: Timers;
  logger: Logger;
  /** [replication] batch_size: row changes per shipped batch. */
  batchEntries: number;
  /** [replication] max_batch_size_mb in bytes. */
  batchBytesMax: number;
  /**
   * [replication] batch_timeout_ms: the longest a committed change waits before a sender looks for
   * it (senders are also woken by every commit, and never hold a partial batch back).
   */
  batchTimeoutMs?: number;
  /** Called after remote transactions were applied (metrics, cache invalidation). */
  onApplied?(count: number): void;
  /** Log retention; null keeps the whole log. */
  retention?: LogRetention | null;
  /** How many peers are configured (retention waits until each has been seen). */
  expectedPeers?: () => number;
  /** A peer acknowledged what it has applied (quorum writes wait on this). */
  onAcks?: () => void;
  /** Masters removed from the cluster (replicate.remove_master): their links are closed at once. */
  isRemoved?: (peerId: string) => boolean;
  /** Ask peers not to stream the log yet (a new node that may start from a snapshot). */
  holdShipping?: () => boolean;
  /** Ship the log to this peer (default yes; a standby ships to nobody). */
  shipsTo?: (peerId: string) => boolean;
  /** Take transactions from this peer (default yes; a primary takes them from nobody: refused, counted). */
  acceptsFrom?: (peerId: string, msg: PeerMessage) => boolean;
  /** Whether this node's role takes anything from this peer at all (a primary takes nothing from its standbys). */
  takesFrom?: (peerId: string) => boolean;
  /** Fields added to every batch shipped (`txs`, `part`): primary/standby stamps its epoch. */
  stamp?: () => Record<string, unknown>;
  /** Transactions from a peer were received and queued (before they are applied). */
  onReceived?: (peerId: string, txs: readonly ReplTx[]) => void;
  /** Still at work on what a peer sent: a part of a large transaction arrived, or an apply runs on. */
  onBusy?: (peerId: string | null) => void;
}

/** How often retention runs. */
export const retentionIntervalMs = 5_000;

export interface ReplicatorStats {
  receivedTxs: number;
  appliedTxs: number;
  duplicateTxs: number;
  applyBatches: number;
  applyErrors: number;
  pendingTxs: number;
  lastAppliedAtMs: number | null;
  /** Batches refused because this node takes no transactions from their sender (acceptsFrom). */
  refusedBatches: number;
}

export class Replicator {
  private readonly reader: LogReader;
  private readonly sender: LogSender;
  private readonly peers = new Map<Link, PeerState>();
  /** Received transactions not yet applied, and the batched apply loop. */
  private readonly queue: ApplyQueue;
  private paused = false;
  private stopped = false;
  private pollTimer: TimerHandle | null = null;
  private retentionTimer: TimerHandle | null = null;
  /** Peers that refused to stream to us, and peers we pinned the log for (snapshots). */
  private readonly resync = new ResyncState();
  private readonly extensions: PeerExtension[] = [];
  /** Latest vector each peer acknowledged (kept across its reconnections). */
  readonly peerAcks = new Map<string, Vector>();
  readonly stats: ReplicatorStats = {
    receivedTxs: 0,
    appliedTxs: 0,
    duplicateTxs: 0,
    applyBatches: 0,
    applyErrors: 0,
    pendingTxs: 0,
    lastAppliedAtMs: null,
    refusedBatches: 0,
  };
  readonly failures: { atMs: number; peer: string | null; message: string }[] = [];

  constructor(private readonly o: ReplicatorOptions) {
    this.reader = new LogReader(o.engine.writer, () => o.engine.logReadBound);
    this.sender = new LogSender({
      reader: this.reader,
      timers: o.timers,
      batchEntries: o.batchEntries,
      batchBytesMax: o.batchBytesMax,
      halted: () => this.paused || this.stopped,
      send: (p, m) => this.send(p, m),
    });
    // The queue holds the writer lock under its own identity: retention, which takes it as the
    // Replicator, must wait for a batch paused between slices, not share its lock.
    this.queue = new ApplyQueue(
      o,
      { applyQueueOf: o.nodeId },
      {
        stats: this.stats,
        isPaused: () => this.paused,
        isStopped: () => this.stopped,
        fail: (peer, message) => this.fail(peer, message),
        applied: (count) => {
          this.o.onApplied?.(count);
          this.retryRefusals();
          this.kick();
        },
        busy: () => this.o.onBusy?.(null),
      },
    );
  }

  /**
   * This node needs a snapshot re-sync: every linked peer refused to stream the log to it (a peer
   * that still streams can bring it up to date, and then the others accept it again).
   */
  get needsSnapshot(): { from: string; atMs: number } | null {
    return this.resync.needsSnapshot(() =>
      [...this.peers.values()].filter((p) => !p.link.closed).map((p) => p.link.peerId),
    );
  }

  /** What this node shipped to its peers since it started. */
  get sent(): Readonly<SentTotals> {
    return this.sender.totals;
  }

  /** Route these message types to a protocol of its own (snapshots, digests). */
  addExtension(ext: PeerExtension): void {
    this.extensions.push(ext);
  }

  /** Linked peers, for extensions. */
  peerHandles(): PeerHandle[] {
    return [...this.peers.values()].map((p) => ({
      peerId: p.link.peerId,
      send: (m: PeerMessage) => this.send(p, m),
      get closed() {
        return p.link.closed;
      },
    }));
  }

  /**
   * Keep the log from this vector for a peer (it is installing a snapshot taken at it). Retention
   * only: nothing else (quorum, failover) counts the peer as holding that vector until it resyncs.
   */
  pin(peerId: string, vector: Vector): void {
    this.resync.pin(peerId, vector, this.o.timers.nowMs());
    this.o.retention?.clearSnapshotMark(peerId);
  }

  /** Could a peer at this vector stream the log from us (nothing it lacks was truncated)? */
  streamableFrom(vector: Vector): boolean {
    return !(this.o.retention?.lacksTruncated(vector) ?? false);
  }

  /** A peer removed from the cluster: forget what it acknowledged and any pin. */
  forgetPeer(peerId: string): void {
    this.peerAcks.delete(peerId);
    this.resync.forget(peerId);
  }

  /** Send our vector to every peer again (streaming restarts from it; ends a hold). */
  resyncAll(): void {
    for (const p of this.peers.values()) this.sendResync(p);
  }

  private sendResync(p: PeerState): void {
    const hold = this.o.holdShipping?.() ?? false;
    this.send(p, {
      t: 'resync',
      node: this.o.nodeId,
      vector: this.o.engine.appliedVector(),
      ...(hold ? { hold } : {}),
    });
  }

  /** After applying: a refusing peer whose floor we now cover will stream to us again. */
  private retryRefusals(): void {
    for (const peerId of this.resync.takeCovered(this.o.engine.applied))
      for (const p of this.peers.values()) if (p.link.peerId === peerId) this.sendResync(p);
  }

  async start(): Promise<void> {
    await this.o.network.start((link) => this.onLink(link));
    this.schedulePoll();
    this.scheduleRetention();
  }

  private scheduleRetention(): void {
    if (this.stopped || !this.o.retention) return;
    this.retentionTimer = this.o.timers.after(retentionIntervalMs, () => {
      this.runRetention()
        .catch((err: unknown) => this.o.logger.error({ err }, 'log retention pass failed'))
        .finally(() => this.scheduleRetention());
    });
  }

  /** One retention pass under the writer lock. */
  async runRetention(): Promise<void> {
    const retention = this.o.retention;
    if (!retention || this.stopped) return;
    const wait = this.o.writerLock.acquire(this);
    if (wait) await wait;
    try {
      const r = this.o.engine.runInternal(() => {
        this.o.applier.crdt?.trim();
        const now = this.o.timers.nowMs();
        return retention.run(
          this.resync.retentionVectors(this.peerAcks, now),
          now,
          this.o.expectedPeers?.() ?? 0,
        );
      });
      for (const peer of r.newlyNeedingSnapshot)
        this.fail(peer, 'fell behind the retained log: needs a snapshot re-sync');
    } finally {
      this.o.writerLock.release(this);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.pollTimer?.cancel();
    this.retentionTimer?.cancel();
    // A batch paused between slices rolls back at its next turn (re-applied after a restart).
    await this.queue.settled();
    await this.o.network.stop();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    // Peers may have dropped batches while we were paused: re-synchronize from vectors.
    for (const p of this.peers.values()) this.sendResync(p);
    this.kick();
    this.drain();
  }

  /** A local commit or apply happened: ship it. */
  kick(): void {
    for (const p of this.peers.values()) this.sender.pump(p);
  }

  peerStates(): {
    peerId: string;
    endpoint: string;
    acked: Vector;
    inflight: number;
    sentTxs: number;
    sentBatches: number;
    lastSentAtMs: number | null;
    lastAckAtMs: number | null;
    connectedAtMs: number;
    link: Link;
  }[] {
    return [...this.peers.values()].map((p) => ({
      peerId: p.link.peerId,
      endpoint: p.link.endpoint,
      acked: p.acked,
      inflight: p.inflight,
      sentTxs: p.sentTxs,
      sentBatches: p.sentBatches,
      lastSentAtMs: p.lastSentAtMs,
      lastAckAtMs: p.lastAckAtMs,
      connectedAtMs: p.connectedAtMs,
      link: p.link,
    }));
  }

  pendingTxs(): number {
    return this.queue.size;
  }

  private schedulePoll(): void {
    if (this.stopped) return;
    this.pollTimer = this.o.timers.after(
      Math.max(1, Math.min(senderPollMs, this.o.batchTimeoutMs ?? senderPollMs)),
      () => {
        this.kick();
        this.drain();
        this.schedulePoll();
      },
    );
  }

  private onLink(link: Link): LinkHandlers {
    if (this.o.isRemoved?.(link.peerId)) {
      this.o.logger.warn({ peer: link.peerId }, 'a removed master connected: link closed');
      link.close('removed from the cluster');
      return { onMessage: () => undefined, onClose: () => undefined };
    }
    const state: PeerState = {
      link,
      acked: {},
      cursor: null,
      inflight: 0,
      pumping: false,
      sentTxs: 0,
      sentBatches: 0,
      lastSentAtMs: null,
      lastAckAtMs: null,
      connectedAtMs: this.o.timers.nowMs(),
      partial: null,
    };
    this.peers.set(link, state);
    this.sendResync(state);
    const handle: PeerHandle = {
      peerId: link.peerId,
      send: (m: PeerMessage) => this.send(state, m),
      get closed() {
        return link.closed;
      },
    };
    for (const ext of this.extensions) ext.onOpen?.(handle);
    return {
      onMessage: (_l, msg) => this.onMessage(state, msg),
      onClose: (_l, reason) => {
        this.peers.delete(link);
        this.resync.clearRefusal(link.peerId);
        for (const ext of this.extensions) ext.onClose?.(link.peerId);
        this.o.logger.info({ peer: link.peerId, reason }, 'peer link closed');
      },
    };
  }

  private send(p: PeerState, msg: PeerMessage): boolean {
    if (p.link.closed) return false;
    if (this.o.stamp && (msg.t === 'txs' || msg.t === 'part'))
      return p.link.send({ ...msg, ...this.o.stamp() });
    return p.link.send(msg);
  }

  private onMessage(p: PeerState, msg: PeerMessage): void {
    switch (msg.t) {
      case 'resync':
        p.acked = (msg.vector as Vector) ?? {};
        this.peerAcks.set(p.link.peerId, p.acked);
        // A peer that installed our snapshot resyncs from (at least) the pinned vector.
        this.resync.resynced(p.link.peerId, p.acked);
        if (this.o.shipsTo?.(p.link.peerId) === false) {
          // We ship nothing to this peer (a standby's primary): its vector is all we keep.
          p.cursor = null;
          return;
        }
        if (msg.hold === true) {
          // The peer may install a snapshot first: stream nothing until it resyncs without a hold.
          p.cursor = null;
          return;
        }
        if (this.o.retention?.lacksTruncated(p.acked)) {
          // The entries this peer lacks were truncated: sending the rest would leave holes.
          this.fail(p.link.peerId, 'peer is behind the retained log; it needs a snapshot re-sync');
          this.send(p, { t: 'snapshot_required', floor: this.o.retention.floor, node: this.o.nodeId });
          p.cursor = null;
          return;
        }
        this.o.retention?.clearSnapshotMark(p.link.peerId);
        this.o.onAcks?.();
        p.cursor = this.reader.cursorFor(p.acked, this.o.engine.applied);
        p.inflight = 0;
        p.partial = null;
        this.sender.pump(p);
        return;
      case 'snapshot_required':
        if (this.o.takesFrom?.(p.link.peerId) === false) {
          // A node that takes nothing from this peer (a primary) never re-syncs from its copy.
          this.fail(
            p.link.peerId,
            'asked this node to re-sync from its snapshot, which it takes nothing from: ignored',
          );
          this.o.logger.warn(
            { peer: p.link.peerId },
            'ignored snapshot_required from a peer this node takes no transactions from',
          );
          return;
        }
        this.resync.refused(p.link.peerId, (msg.floor as Vector) ?? {}, this.o.timers.nowMs());
        this.fail(p.link.peerId, "this node is behind the peer's retained log and needs a snapshot re-sync");
        this.o.logger.error(
          { peer: p.link.peerId, floor: msg.floor },
          'this node fell behind the replication log a peer retains: it needs a snapshot re-sync (replicate.status shows NEEDS_SNAPSHOT)',
        );
        return;
      case 'ack':
        p.acked = mergeVector(p.acked, (msg.vector as Vector) ?? {});
        this.peerAcks.set(p.link.peerId, p.acked);
        p.inflight = Math.max(0, p.inflight - Number(msg.batches ?? 0));
        p.lastAckAtMs = this.o.timers.nowMs();
        this.o.onAcks?.();
        this.sender.pump(p);
        return;
      case 'txs':
      case 'part':
        if (this.o.acceptsFrom?.(p.link.peerId, msg) === false) {
          this.refuse(p);
          return;
        }
        if (msg.t === 'txs') this.receive(p, (msg.txs as ReplTx[]) ?? []);
        else this.receivePart(p, msg);
        return;
      default: {
        const ext = this.extensions.find((e) => e.types.has(msg.t));
        if (ext) {
          ext.onMessage(this.peerHandles().find((h) => h.peerId === p.link.peerId)!, msg);
          return;
        }
        this.o.logger.warn({ peer: p.link.peerId, type: msg.t }, 'unknown peer message');
      }
    }
  }

  private readonly assembler = new TxAssembler();

  /** A batch from a peer this node takes nothing from: dropped unacknowledged, counted, logged once. */
  private refuse(p: PeerState): void {
    if (this.stats.refusedBatches++ === 0 || this.stats.refusedBatches % 1000 === 0)
      this.o.logger.warn(
        { peer: p.link.peerId, refused: this.stats.refusedBatches },
        'refused replicated transactions from a peer this node takes none from',
      );
    this.fail(p.link.peerId, 'sent transactions this node takes from no peer: refused');
  }

  private receivePart(p: PeerState, msg: PeerMessage): void {
    const out = this.assembler.add(msg);
    if (out.kind === 'error') {
      this.fail(p.link.peerId, `${out.message}; dropping the link`);
      p.link.close(out.message);
    } else if (out.kind === 'partial') {
      this.send(p, { t: 'ack', vector: this.o.engine.appliedVector(), batches: 1 });
      this.o.onBusy?.(p.link.peerId);
    } else this.receive(p, [out.tx]);
  }

  private receive(p: PeerState, txs: ReplTx[]): void {
    for (const tx of txs) {
      this.stats.receivedTxs++;
      if (covers(this.o.engine.applied, tx.origin, tx.seq)) {
        this.stats.duplicateTxs++;
        continue;
      }
      const held = this.queue.offer(tx);
      if (held === 'duplicate') {
        this.stats.duplicateTxs++;
        continue;
      }
      if (held === 'full') {
        this.fail(
          p.link.peerId,
          `pending queue full (${pendingTxsMax} transactions); dropping the link to resynchronize`,
        );
        p.link.close('pending overflow');
        return;
      }
    }
    this.stats.pendingTxs = this.queue.size;
    this.o.onReceived?.(p.link.peerId, txs);
    // Paused: keep what arrived but give no credit back, so the sender stops at its window
    // (inflightBatchesMax); resume() resynchronizes from our vector.
    if (this.paused) return;
    // Credit the batch back once it is applied or parked.
    this.drain().then(() => {
      this.send(p, { t: 'ack', vector: this.o.engine.appliedVector(), batches: 1 });
    });
  }

  /** Apply everything that is ready, in batches; single-flight. */
  drain(): Promise<void> {
    return this.queue.drain();
  }

  /** Record a replication failure (replicate.failure_log). */
  recordFailure(peer: string | null, message: string): void {
    this.fail(peer, message);
  }

  private fail(peer: string | null, message: string): void {
    this.failures.push({ atMs: this.o.timers.nowMs(), peer, message });
    if (this.failures.length > failuresMax) this.failures.splice(0, this.failures.length - failuresMax);
  }
}
