// Failover in an active-active cluster ([replication] enable_automatic_failover,
// failover_timeout_sec; seed 000's "Active-Active with Automatic Failover"). Every master keeps
// writing when another fails, so a failover here is: noticing that a master has been unreachable
// for failover_timeout_sec, recording it with its recovery point and time (RPO/RTO) in
// replicate.failover_history, and — on a node that waits as a replica (initial_role replica) —
// promoting itself to a writable master when nothing blocks it. Manual and forced promotions are
// recorded the same way. The history is this node's own (not replicated).

import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { TimerHandle, Timers } from '../../clock/timers.js';
import type { StorageEngine } from '../../storage/engine/engine.js';
import type { Replicator } from '../stream/replicator.js';
import type { Membership } from './membership.js';
import type { QuorumGate } from './quorum.js';

/** How often peers' health is sampled. */
export const failoverTickMs = 250;
/** History rows kept (the oldest go first). */
export const failoverHistoryRowsMax = 10_000;

export type Blocker = { blocker: 'REPLICATION_LAG' | 'TOPOLOGY_INVALID' | 'MISSING_QUORUM'; detail: string };

export interface FailoverParts {
  engine: StorageEngine;
  replicator: Replicator;
  membership: Membership | null;
  quorum(): QuorumGate | null;
  /** Masters this node knows, with their state as replicate.masters shows it. */
  peers(): { masterId: string; state: string }[];
  /** What validate_topology would report (empty when VALID). */
  topologyProblems(): string[];
  adminWrite<T>(fn: () => T): Promise<T>;
  logger: Logger;
  timers: Timers;
  enabled: boolean;
  timeoutMs: number;
  nowIso(ms: number): string;
}

export interface FailoverRecord {
  failedMaster: string | null;
  promotedMaster: string | null;
  type: 'automatic' | 'manual' | 'forced';
  detectionMs: number | null;
  rtoMs: number | null;
  rpoTransactions: number | null;
  detail: string;
  status?: 'COMPLETED' | 'BLOCKED';
}

export class FailoverMonitor {
  private readonly db: Database.Database;
  private readonly lastSeen = new Map<string, number>();
  /** Open failover events: failed master → history row id. */
  private readonly open = new Map<string, number>();
  private timer: TimerHandle | null = null;
  private stopped = false;
  private promoting = false;

  constructor(private readonly o: FailoverParts) {
    this.db = o.engine.writer;
  }

  start(): void {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.o.timers.after(failoverTickMs, () => {
      // One check at a time: the next is scheduled once this one (its history writes) finished,
      // so a failure is never recorded twice.
      this.tick()
        .catch((err: unknown) => this.o.logger.error({ err }, 'failover check failed'))
        .finally(() => this.schedule());
    });
  }

  /** Masters watched: when each was last seen healthy and whether a failover is open for it. */
  watched(): { masterId: string; lastSeenMs: number; unreachableMs: number; failed: boolean }[] {
    const now = this.o.timers.nowMs();
    return [...this.lastSeen].map(([masterId, lastSeenMs]) => ({
      masterId,
      lastSeenMs,
      unreachableMs: Math.max(0, now - lastSeenMs - failoverTickMs),
      failed: this.open.has(masterId),
    }));
  }

  /** Automatic failover is on, and after how long a master counts as failed. */
  get settings(): { enabled: boolean; timeoutMs: number } {
    return { enabled: this.o.enabled, timeoutMs: this.o.timeoutMs };
  }

  /** Why this node could not be promoted to a writable master now (empty: it can). */
  blockers(validateTopology = true): Blocker[] {
    const out: Blocker[] = [];
    const r = this.o.replicator;
    const linked = this.o.peers().filter((p) => p.state === 'ACTIVE').length;
    if (linked === 0)
      out.push({ blocker: 'REPLICATION_LAG', detail: 'no live peer to confirm it is caught up' });
    if (r.pendingTxs() > 0)
      out.push({
        blocker: 'REPLICATION_LAG',
        detail: `${r.pendingTxs()} received transactions not yet applied`,
      });
    if (r.needsSnapshot) out.push({ blocker: 'REPLICATION_LAG', detail: 'a snapshot re-sync is needed' });
    const behind = this.behindPeers();
    if (behind.length > 0)
      out.push({ blocker: 'REPLICATION_LAG', detail: `behind what ${behind.join(', ')} applied` });
    const q = this.o.quorum();
    if (q && linked + 1 + (q.witness?.holdsLease() ? 1 : 0) < q.size)
      out.push({
        blocker: 'MISSING_QUORUM',
        detail: `${linked + 1} of the ${q.size} nodes a write quorum needs are reachable`,
      });
    if (validateTopology) {
      for (const p of this.o.topologyProblems()) out.push({ blocker: 'TOPOLOGY_INVALID', detail: p });
    }
    return out;
  }

  /** Live peers whose applied vector holds transactions this node has not applied. */
  private behindPeers(): string[] {
    const ours = this.o.engine.applied;
    const live = new Set(
      this.o
        .peers()
        .filter((p) => p.state === 'ACTIVE')
        .map((p) => p.masterId),
    );
    const out: string[] = [];
    for (const [peer, v] of this.o.replicator.peerAcks) {
      if (live.has(peer) && Object.entries(v).some(([o, s]) => (ours.get(o) ?? 0) < s)) out.push(peer);
    }
    return out;
  }

  /** Transactions of `origin` some peer acknowledged that this node lacks (what a failover would lose). */
  private rpoOf(origin: string): number {
    const ours = this.o.engine.applied.get(origin) ?? 0;
    let best = ours;
    for (const v of this.o.replicator.peerAcks.values()) best = Math.max(best, v[origin] ?? 0);
    return best - ours;
  }

  private async tick(): Promise<void> {
    const now = this.o.timers.nowMs();
    // A master seen before and no longer listed (a peer that dialed us and went away) is down too.
    const states = new Map(this.o.peers().map((p) => [p.masterId, p.state]));
    for (const id of this.lastSeen.keys()) if (!states.has(id)) states.set(id, 'DISCONNECTED');
    for (const [masterId, state] of states) {
      const p = { masterId, state };
      if (this.o.membership?.isRemoved(masterId)) {
        this.lastSeen.delete(masterId);
        continue;
      }
      if (p.state === 'ACTIVE') {
        this.lastSeen.set(p.masterId, now);
        const row = this.open.get(p.masterId);
        if (row !== undefined) {
          await this.o.adminWrite(() =>
            this.db
              .prepare(
                "UPDATE _chorus_failover_history SET recovered_at = ?, status = 'RECOVERED' WHERE failover_id = ?",
              )
              .run(this.o.nowIso(now), row),
          );
          this.open.delete(p.masterId); // after the write: a failed write is tried again next tick
          this.o.logger.info({ master: p.masterId }, 'failed master is back');
        }
        continue;
      }
      const seen = this.lastSeen.get(p.masterId);
      if (!this.o.enabled || seen === undefined || this.open.has(p.masterId) || now - seen < this.o.timeoutMs)
        continue;
      await this.onFailed(p.masterId, seen, now);
    }
  }

  private async onFailed(master: string, lastSeenMs: number, now: number): Promise<void> {
    const m = this.o.membership;
    const self = this.o.engine.nodeId;
    const detectionMs = now - lastSeenMs;
    const common = {
      failedMaster: master,
      type: 'automatic' as const,
      detectionMs,
      rpoTransactions: this.rpoOf(master),
    };
    const waiting = m?.initializing === true && !this.promoting;
    const blockers = waiting ? this.blockers(false) : [];
    if (m && waiting && blockers.length === 0) {
      // A waiting replica takes over: it becomes a writable master.
      this.promoting = true;
      try {
        const id = await this.o.adminWrite(() => {
          m.setInitializing(false);
          return this.record({
            ...common,
            promotedMaster: self,
            rtoMs: this.o.timers.nowMs() - lastSeenMs,
            detail: `replica ${self} promoted to a writable master`,
          });
        });
        this.open.set(master, id);
      } finally {
        this.promoting = false;
      }
      this.o.logger.warn({ failed: master, detectionMs }, 'automatic failover: promoted to master');
      return;
    }
    const writable = this.o
      .peers()
      .filter((p) => p.state === 'ACTIVE')
      .map((p) => p.masterId);
    const outcome: Pick<FailoverRecord, 'rtoMs' | 'detail' | 'status'> = waiting
      ? {
          rtoMs: null,
          detail: `not promoted: ${blockers.map((b) => `${b.blocker} (${b.detail})`).join('; ')}`,
          status: 'BLOCKED',
        }
      : {
          // Active-active: the other masters never stopped taking writes; clients of the failed one
          // are served once they reconnect elsewhere, which the detection bounds.
          rtoMs: detectionMs,
          detail: `writes continue on ${[self, ...writable].join(', ')}`,
        };
    const id = await this.o.adminWrite(() => this.record({ ...common, promotedMaster: null, ...outcome }));
    this.open.set(master, id);
    if (!waiting)
      this.o.logger.warn({ failed: master, detectionMs }, 'master failed: writes continue on the others');
  }

  /**
   * Add a history row (also for manual and forced promotions); returns its id. Runs inside the
   * caller's write transaction (adminWrite): the table is not captured, so nothing replicates.
   */
  record(r: FailoverRecord): number {
    const q = this.o.quorum();
    // Every acknowledged write is on two nodes holding data (a witness's vote holds no copy).
    const safe = q !== null && q.size - (q.witness ? 1 : 0) >= 2;
    const info = this.db
      .prepare(
        `INSERT INTO _chorus_failover_history (failover_time, failed_master, promoted_master, failover_type,
           detection_ms, rto_ms, rpo_transactions, acknowledged_writes_safe, status, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        this.o.nowIso(this.o.timers.nowMs()),
        r.failedMaster,
        r.promotedMaster,
        r.type,
        r.detectionMs,
        r.rtoMs,
        r.rpoTransactions,
        safe ? 1 : 0,
        r.status ?? 'COMPLETED',
        r.detail,
      );
    this.db
      .prepare('DELETE FROM _chorus_failover_history WHERE failover_id <= ?')
      .run(Number(info.lastInsertRowid) - failoverHistoryRowsMax);
    return Number(info.lastInsertRowid);
  }
}
