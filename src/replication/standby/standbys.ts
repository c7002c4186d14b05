// The view of a node's standbys — the primary's, or a cascading standby's of the standbys that
// follow it: which are linked, what each received (its receipt acks, semi-sync) and applied (the
// replicator's acks, sync), how far behind it is, and a status message sent to each (the primary's
// position, that standby's lag, the chain up to the primary) so a standby can report its own lag.

import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { TimerHandle, Timers } from '../../clock/timers.js';
import type { SyncMode } from '../../config/sync-standbys.js';
import type { Vector } from '../../log/records.js';
import type { StorageEngine } from '../../storage/engine/engine.js';
import { readHistoryId } from '../../storage/engine/history-id.js';
import type { PeerMessage } from '../link/link.js';
import type { PeerExtension, PeerHandle } from '../link/peer-extension.js';
import type { Replicator } from '../stream/replicator.js';
import { type EpochState, epochOf } from './epoch.js';
import type { ChainInfo } from './follower.js';
import type { GateStandby } from './sync-gate.js';

/** How often the primary tells each standby its position and lag. */
export const standbyStatusIntervalMs = 1_000;
/** lag_bytes counts the log of at most this many unapplied transactions; further behind it is NULL. */
export const lagScanTxsMax = 10_000;
/** Standbys remembered after they disconnected (shown as disconnected). */
export const standbysRememberedMax = 256;

/** One row of pg_replication_standbys, before formatting. Positions: the primary's transaction numbers. */
export interface StandbyRow {
  nodeId: string;
  address: string;
  syncMode: SyncMode;
  /** error: it holds more of this primary's transactions than this primary committed (another history). */
  state: 'connecting' | 'streaming' | 'catching_up' | 'synced' | 'disconnected' | 'error';
  received: number;
  applied: number;
  lagBytes: number | null;
  lagMs: number | null;
  connectedAtMs: number | null;
  lastHeartbeatMs: number | null;
}

export interface StandbyTrackerParts {
  engine: StorageEngine;
  replicator: Replicator;
  timers: Timers;
  logger: Logger;
  /** The sync mode announced to standbys: the primary's (a cascading standby relays its primary's). */
  syncMode(): SyncMode;
  /**
   * A cascading standby's own standbys (null on the primary): whose history it serves (the
   * primary's id, null until known), the primary's position as it knows it, and the chain above it.
   * Its standbys are never synchronous: their rows say async.
   */
  cascade: { primaryId(): string | null; primaryPosition(): number; chain(): ChainInfo } | null;
  /** A standby further behind than this is catching_up ([replication] replication_lag_threshold_ms). */
  lagThresholdMs: number;
  /** This node's epoch, sent in ha_hello and ha_status. */
  epoch: EpochState;
  /** A standby spoke from a newer epoch: another node was promoted (the primary fences itself). */
  onNewerEpoch(epoch: number, peerId: string): void;
  /** A standby received, applied, connected or left (the sync gate re-checks its waiters). */
  onProgress(): void;
  /** A standby is still receiving or applying a large transaction (the sync gate waits on). */
  onBusy?(standbyId: string): void;
}

interface Known {
  address: string;
  received: number;
  /** The standby announced itself (ha_hello); a peer claiming another role, or none yet, is not counted. */
  role: string | null;
  /**
   * Set (to its vector, as JSON) when the standby said it applied transactions this primary does not
   * hold — more of this primary's own than it ever committed, or of another origin more than this
   * primary applied: its data follows another history (this primary's data directory was re-created,
   * the standby's belonged to another primary, or it holds commits an old primary lost). Such a
   * standby is not counted and nothing is shipped to it until it comes back with another vector
   * that this primary holds (rebuilt).
   */
  divergedAt: string | null;
  /** The database history the standby announced (storage/engine/history-id.ts); null: not said. */
  history: string | null;
  /** The history mismatch was logged (once per announcement). */
  historyReported: boolean;
}

export class StandbyTracker implements PeerExtension {
  readonly types = new Set(['ha_hello', 'ha_recv', 'ha_busy']);
  private readonly known = new Map<string, Known>();
  private readonly stmts: { commitAt: Database.Statement; lagBytes: Database.Statement };
  private timer: TimerHandle | null = null;
  /** Peers that announced a role other than standby (they get nothing but are counted). */
  wrongRole = 0;

  constructor(private readonly p: StandbyTrackerParts) {
    const db = p.engine.writer;
    this.stmts = {
      commitAt: db
        .prepare('SELECT committed_at_ms FROM _chorus_tx WHERE origin = ? AND origin_seq = ?')
        .pluck(),
      lagBytes: db
        .prepare(
          `SELECT count(DISTINCT t.txid) AS txs,
                  coalesce(sum(length(l.tbl) + coalesce(length(l.pk), 0) + coalesce(length(l.cols), 0)), 0) AS bytes
             FROM (SELECT txid FROM _chorus_tx WHERE origin = ? AND origin_seq > ? ORDER BY origin_seq LIMIT ?) t
             JOIN _chorus_log l ON l.txid = t.txid`,
        )
        .safeIntegers(false),
    };
  }

  private get self(): string {
    return this.p.engine.nodeId;
  }

  /** The origin whose transactions are counted: the primary's (this node's own on the primary). */
  private get origin(): string {
    return this.p.cascade ? (this.p.cascade.primaryId() ?? '') : this.self;
  }

  /** This node's position: the primary's last committed transaction (on a cascading standby: its last applied). */
  position(): number {
    return this.p.engine.applied.get(this.origin) ?? 0;
  }

  /** What ha_hello and ha_status say of this node's place: its role, the primary, the chain. */
  private place(): Record<string, unknown> {
    if (!this.p.cascade)
      return { role: 'primary', chain: [this.self], primary: this.self, primaryAddress: null };
    return { role: 'standby', ...this.p.cascade.chain() };
  }

  start(): void {
    const tick = (): void => {
      this.timer = this.p.timers.after(standbyStatusIntervalMs, () => {
        // Standbys only: a cascading standby's upstream is no peer of this tracker (never onOpen here).
        for (const h of this.p.replicator.peerHandles())
          if (!h.closed && this.known.has(h.peerId)) this.sendStatus(h);
        tick();
      });
    };
    tick();
  }

  stop(): void {
    this.timer?.cancel();
  }

  onOpen(peer: PeerHandle): void {
    const k = this.known.get(peer.peerId);
    const link = this.p.replicator.peerStates().find((s) => s.peerId === peer.peerId && !s.link.closed);
    this.known.set(peer.peerId, {
      address: link?.endpoint ?? k?.address ?? '',
      received: k?.received ?? 0,
      role: null,
      divergedAt: k?.divergedAt ?? null,
      history: null,
      historyReported: false,
    });
    this.trim();
    peer.send({
      t: 'ha_hello',
      node: this.self,
      syncMode: this.p.syncMode(),
      epoch: this.p.epoch.current,
      history: readHistoryId(this.p.engine.writer),
      ...this.place(),
    });
    this.sendStatus(peer);
    this.p.onProgress();
  }

  onClose(_peerId: string): void {
    this.p.onProgress();
  }

  onMessage(peer: PeerHandle, msg: PeerMessage): void {
    const k = this.known.get(peer.peerId);
    if (!k) return;
    if (msg.t === 'ha_hello') {
      const epoch = epochOf(msg.epoch);
      if (this.p.epoch.compare(epoch) === 'newer') this.p.onNewerEpoch(epoch, peer.peerId);
      k.role = typeof msg.role === 'string' ? msg.role : null;
      k.history = typeof msg.history === 'string' && msg.history !== '' ? msg.history : null;
      k.historyReported = false;
      if (k.role !== 'standby') {
        this.wrongRole++;
        this.p.logger.error(
          { peer: peer.peerId, role: k.role },
          'a peer that is not a standby linked to this node: it is not counted as a standby',
        );
      }
      this.p.onProgress();
    } else if (msg.t === 'ha_busy') {
      this.p.onBusy?.(peer.peerId);
    } else if (msg.t === 'ha_recv') {
      const seq = Number((msg.vector as Vector | undefined)?.[this.origin] ?? 0);
      if (Number.isSafeInteger(seq) && seq > k.received) {
        k.received = seq;
        this.p.onProgress();
      }
    }
  }

  private trim(): void {
    if (this.known.size <= standbysRememberedMax) return;
    const linked = new Set(this.p.replicator.peerStates().map((s) => s.peerId));
    for (const id of this.known.keys()) {
      if (this.known.size <= standbysRememberedMax) return;
      if (!linked.has(id)) this.known.delete(id);
    }
  }

  private applied(id: string): number {
    return this.p.replicator.peerAcks.get(id)?.[this.origin] ?? 0;
  }

  /**
   * Does this standby follow another history (it applied transactions this primary does not hold)?
   * Checked when its vector is read: at its resync (shipsTo) and by the gate.
   */
  diverged(id: string): boolean {
    const k = this.known.get(id);
    if (!k) return false;
    const vector = this.p.replicator.peerAcks.get(id) ?? {};
    if (this.otherHistory(id, k, vector)) return true;
    const text = JSON.stringify(vector);
    if (k.divergedAt === text) return true;
    const extra = Object.entries(vector).find(([o, seq]) => seq > (this.p.engine.applied.get(o) ?? 0));
    k.divergedAt = extra ? text : null;
    if (extra) {
      const [origin, seq] = extra;
      const message = `standby ${id} applied transaction ${seq} of ${origin}, which this primary does not hold (it holds ${this.p.engine.applied.get(origin) ?? 0}): its data follows another history; it is not counted and gets no log (rebuild it from an empty data directory)`;
      this.p.logger.error({ peer: id, vector, origin }, message);
      this.p.replicator.recordFailure(id, message);
    }
    return extra !== undefined;
  }

  /**
   * A standby that holds data of another database history than this node's (this node's data
   * directory was re-created, or the standby was copied from another cluster): diverged even when
   * its vector is covered. A standby that holds nothing yet takes this node's history (follower.ts).
   */
  private otherHistory(id: string, k: Known, vector: Vector): boolean {
    const own = readHistoryId(this.p.engine.writer);
    if (k.history === null || own === null || k.history === own) return false;
    if (!Object.values(vector).some((seq) => seq > 0)) return false;
    if (!k.historyReported) {
      k.historyReported = true;
      const message = `standby ${id} holds data of another database history (${k.history}) than this node (${own}): this node's data directory was re-created, or the standby was copied from another cluster; it is not counted and gets no log (rebuild it from an empty data directory)`;
      this.p.logger.error({ peer: id, history: k.history, own }, message);
      this.p.replicator.recordFailure(id, message);
    }
    return true;
  }

  /** Standbys for the sync gate: linked ones that announced themselves, and remembered ones. */
  standbys(): GateStandby[] {
    return this.listed().filter((s) => s.role === 'standby' && !this.diverged(s.id));
  }

  /** Every standby known (the views): those that announced another role are left out. */
  private listed(): (GateStandby & { role: string | null })[] {
    const links = this.p.replicator.peerStates().filter((s) => !s.link.closed);
    const out: (GateStandby & { role: string | null })[] = [];
    for (const [id, k] of this.known) {
      if (k.role !== null && k.role !== 'standby') continue;
      const link = links.find((s) => s.peerId === id);
      out.push({
        id,
        connected: link !== undefined,
        connectedAtMs: link?.connectedAtMs ?? 0,
        streaming: link !== undefined && this.p.replicator.peerAcks.has(id),
        received: k.received,
        applied: this.applied(id),
        role: k.role,
      });
    }
    return out;
  }

  /** Standbys linked now. */
  count(): number {
    return this.standbys().filter((s) => s.connected).length;
  }

  /** How far a standby that applied `applied` is behind: log bytes and the age of its oldest missing commit. */
  lag(applied: number): { bytes: number | null; ms: number | null } {
    const current = this.position();
    if (applied >= current) return { bytes: 0, ms: 0 };
    const at = this.stmts.commitAt.get(this.origin, applied + 1) as number | bigint | undefined;
    const ms = at === undefined ? null : Math.max(0, this.p.timers.nowMs() - Number(at));
    const r = this.stmts.lagBytes.get(this.origin, applied, lagScanTxsMax) as { txs: number; bytes: number };
    const complete = r.txs < lagScanTxsMax && r.txs === current - applied;
    return { bytes: complete ? r.bytes : null, ms };
  }

  rows(): StandbyRow[] {
    const links = this.p.replicator.peerStates().filter((s) => !s.link.closed);
    return this.listed().map((s) => {
      const link = links.find((l) => l.peerId === s.id);
      // A standby of another history has no lag to speak of: its positions are not this primary's.
      const lag = this.diverged(s.id) ? { bytes: null, ms: null } : this.lag(s.applied);
      const resynced = this.p.replicator.peerAcks.has(s.id);
      const state: StandbyRow['state'] = !link
        ? 'disconnected'
        : this.diverged(s.id)
          ? 'error'
          : !resynced
            ? 'connecting'
            : lag.ms === 0
              ? 'synced'
              : (lag.ms ?? Number.POSITIVE_INFINITY) > this.p.lagThresholdMs
                ? 'catching_up'
                : 'streaming';
      return {
        nodeId: s.id,
        address: this.known.get(s.id)?.address ?? '',
        // PostgreSQL: a cascaded standby is never synchronous.
        syncMode: this.p.cascade ? 'async' : this.p.syncMode(),
        state,
        received: Math.max(s.received, s.applied),
        applied: s.applied,
        lagBytes: lag.bytes,
        lagMs: lag.ms,
        connectedAtMs: link?.connectedAtMs ?? null,
        lastHeartbeatMs: link?.link.stats().lastHeartbeatMs ?? null,
      };
    });
  }

  private sendStatus(peer: PeerHandle): void {
    const lag = this.lag(this.applied(peer.peerId));
    peer.send({
      t: 'ha_status',
      seq: this.p.cascade ? Math.max(this.position(), this.p.cascade.primaryPosition()) : this.position(),
      lsn: this.p.engine.currentLsn(),
      syncMode: this.p.syncMode(),
      lagBytes: lag.bytes,
      lagMs: lag.ms,
      atMs: this.p.timers.nowMs(),
      epoch: this.p.epoch.current,
      ...this.place(),
    });
  }
}
