// Commit acknowledgement on a primary. As with quorum writes (cluster/quorum.ts), the commit happens
// locally first and the client's acknowledgement waits until the standbys the mode asks for hold it
// — received (semi-sync), applied (sync), applied by a majority of the cluster (quorum) — with 08007
// past sync_timeout_ms. A session may ask for more or less (synchronous_commit, commitWant); with
// [ha] strict a write is refused up front while too few standbys are connected.

import type { TimerHandle, Timers } from '../../clock/timers.js';
import { failpoints } from '../../config/failpoints.js';
import type { SyncMode, SyncStandbys } from '../../config/sync-standbys.js';
import { ChorusError, SyncStandbysMissingError, SyncStandbyTimeoutError } from '../../errors.js';

/** Commits waiting for their standbys at once; more are refused rather than queued without bound. */
export const syncWaitersMax = 10_000;
/**
 * The longest a commit waits for standbys that keep saying they are at work on a large transaction
 * (each notice extends the wait by sync_timeout_ms, up to this from the commit).
 */
export const syncBusyWaitMaxMs = 600_000;

/** One standby as the gate sees it: positions are the primary's transaction sequence numbers. */
export interface GateStandby {
  id: string;
  connected: boolean;
  /** When its current link came up (FIRST with '*' ranks standbys by it). */
  connectedAtMs: number;
  /**
   * Linked and past its resync (the primary streams to it from its position): FIRST picks only
   * these, as PostgreSQL picks only standbys in state streaming.
   */
  streaming: boolean;
  /** Highest transaction it received and queued. */
  received: number;
  /** Highest transaction it applied (committed there). */
  applied: number;
}

/** A session's synchronous_commit (PostgreSQL's values; `on` is the configured mode). */
export type SynchronousCommit = 'off' | 'local' | 'remote_write' | 'on' | 'remote_apply';

/** What one commit waits for: standbys holding it at `level`, chosen by the rule or by the quorum. */
export interface CommitWant {
  level: 'received' | 'applied';
  quorum: boolean;
}

/**
 * What a commit waits for, given the configured mode and the session's synchronous_commit (null:
 * nothing, the primary's local commit). off / local: nothing; remote_write: a received ack;
 * remote_apply: an applied ack; on: the configured mode (nothing in async). The standbys counted
 * are the quorum's in quorum mode, synchronous_standby_names' otherwise.
 */
export function commitWant(mode: SyncMode, session: SynchronousCommit = 'on'): CommitWant | null {
  const quorum = mode === 'quorum';
  switch (session) {
    case 'off':
    case 'local':
      return null;
    case 'remote_write':
      return { level: 'received', quorum };
    case 'remote_apply':
      return { level: 'applied', quorum };
    default:
      if (mode === 'async') return null;
      return { level: mode === 'semi-sync' ? 'received' : 'applied', quorum };
  }
}

/**
 * Standby acknowledgements quorum mode waits for in a cluster of `dataNodes` (primary included):
 * a majority (floor(N/2)+1) holds the commit, the primary being one of them — and at least one
 * standby, so a primary that knows no standby yet (just restarted) never acknowledges alone.
 */
export function quorumAcksNeeded(dataNodes: number): number {
  return Math.max(1, Math.floor(Math.max(1, dataNodes) / 2));
}

/** A read on the primary held until the standbys hold what it may have seen (readBarrier). */
interface HeldRead {
  seq: number;
  resolve: () => void;
  timer: TimerHandle;
  sinceMs: number;
}

/** A placeholder until a wait's first timer is armed. */
const noTimer: TimerHandle = { cancel: () => undefined };

interface Waiter {
  seq: number;
  want: CommitWant;
  resolve: () => void;
  reject: (e: Error) => void;
  timer: TimerHandle;
  /** When the wait began (a busy standby extends it, up to syncBusyWaitMaxMs from here). */
  sinceMs: number;
}

export class SyncCommitGate {
  private readonly waiters = new Set<Waiter>();
  private readonly reads = new Set<HeldRead>();
  /**
   * Commits up to here were given up on (their wait timed out: 08007): reads no longer wait for
   * them (they are visible, their replication unconfirmed).
   */
  private givenUpThrough = 0;
  /** Reads that waited for the standbys before returning (readBarrier). */
  heldReads = 0;
  confirmed = 0;
  timedOut = 0;
  refused = 0;
  /** The rule's names, lower-cased: PostgreSQL compares standby names case-insensitively. */
  private readonly names: string[];

  /**
   * `clusterNodes`: the data nodes of the cluster, this primary included (quorum mode's N): the
   * configured [ha] nodes if any, else this primary and the standbys it knows.
   */
  constructor(
    readonly mode: SyncMode,
    readonly rule: SyncStandbys,
    readonly strict: boolean,
    readonly timeoutMs: number,
    private readonly timers: Timers,
    private readonly standbys: () => GateStandby[],
    private readonly clusterNodes: () => number = () => 1 + standbys().length,
    /**
     * May this standby acknowledge where the rule names none (quorum mode, '*')? With automatic
     * failover only the data nodes of [ha] nodes: the election counts on them holding what was
     * acknowledged, so a standby outside it (a read replica) must not stand in for one.
     */
    private readonly eligible: (id: string) => boolean = () => true,
  ) {
    this.names = rule.names.map((n) => n.toLowerCase());
  }

  /** How the rule reads, for messages: "ANY 1 (*)", or "2 of 3 nodes" in quorum mode. */
  ruleText(want: CommitWant | null = commitWant(this.mode)): string {
    if (want?.quorum) {
      const n = this.clusterNodes();
      return `a majority of ${n} node${n === 1 ? '' : 's'}, the primary included`;
    }
    return `${this.rule.method.toUpperCase()} ${this.rule.k} (${this.rule.names.join(', ')})`;
  }

  private named(s: GateStandby): boolean {
    return this.names[0] === '*' ? this.eligible(s.id) : this.names.includes(s.id.toLowerCase());
  }

  private position(s: GateStandby, want: CommitWant): number {
    return want.level === 'applied' ? s.applied : Math.max(s.received, s.applied);
  }

  /** Standby acknowledgements a commit waits for. */
  needed(want: CommitWant): number {
    return want.quorum ? quorumAcksNeeded(this.clusterNodes()) : this.rule.k;
  }

  /** The standbys a commit waits for now: in priority order (FIRST), every named one (ANY), every one (quorum). */
  private candidates(want: CommitWant): GateStandby[] {
    if (want.quorum) return this.standbys().filter((s) => this.eligible(s.id));
    const named = this.standbys().filter((s) => this.named(s));
    if (this.rule.method === 'any') return named;
    const rank = (s: GateStandby): number =>
      this.names[0] === '*' ? s.connectedAtMs : this.names.indexOf(s.id.toLowerCase());
    return named
      .filter((s) => s.connected && s.streaming)
      .sort((a, b) => rank(a) - rank(b) || (a.id < b.id ? -1 : 1))
      .slice(0, this.rule.k);
  }

  /** Standbys that hold `seq` at the level asked, counted as the rule (or the quorum) counts them. */
  holding(seq: number, want: CommitWant | null = commitWant(this.mode)): number {
    if (!want) return 0;
    return this.candidates(want).filter((s) => this.position(s, want) >= seq).length;
  }

  /** Standbys that may acknowledge (named ones, or any in quorum mode) connected now. */
  connected(want: CommitWant | null = commitWant(this.mode)): number {
    return this.standbys().filter((s) => s.connected && (want?.quorum ? this.eligible(s.id) : this.named(s)))
      .length;
  }

  /**
   * [ha] strict: throws 55000 while fewer standbys are connected than commits wait for (checked
   * before a write). The configured mode's need counts even for a session that waits for less
   * (synchronous_commit = off still refuses); a session that asks for more adds its own.
   */
  checkWritable(session: SynchronousCommit = 'on'): void {
    if (!this.strict) return;
    for (const want of [commitWant(this.mode), commitWant(this.mode, session)]) {
      if (!want) continue;
      const connected = this.connected(want);
      const needed = this.needed(want);
      if (connected < needed) {
        this.refused++;
        throw new SyncStandbysMissingError(
          connected,
          needed,
          want.quorum ? `quorum (${this.ruleText(want)})` : `${this.mode} ${this.ruleText(want)}`,
        );
      }
    }
  }

  /** Resolves once the standbys hold the primary's transaction `seq` as `session` asks; 08007 on timeout. */
  wait(seq: number, session: SynchronousCommit = 'on'): Promise<void> {
    const want = commitWant(this.mode, session);
    if (!want) return Promise.resolve();
    if (this.holding(seq, want) >= this.needed(want) || failpoints.ackSyncCommitEarly) {
      this.confirmed++;
      return Promise.resolve();
    }
    // The commit is made already: refused a wait, its outcome for the client is unknown (08007),
    // never a failure it would retry (53300), which would run it twice.
    if (this.waiters.size >= syncWaitersMax)
      return Promise.reject(
        new ChorusError(
          '08007',
          `too many commits (${syncWaitersMax}) wait for synchronous standbys: this one is committed on the primary but not confirmed by them`,
          { hint: 'Check whether the change is there before retrying it.' },
        ),
      );
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { seq, want, resolve, reject, timer: noTimer, sinceMs: this.timers.nowMs() };
      this.arm(w);
      this.waiters.add(w);
    });
  }

  /** (Re)start a commit's timeout: 08007 when the standbys it waits for say nothing for timeoutMs. */
  private arm(w: Waiter): void {
    w.timer.cancel();
    w.timer = this.timers.after(this.timeoutMs, () => {
      this.waiters.delete(w);
      this.timedOut++;
      this.giveUp(w.seq);
      w.reject(
        new SyncStandbyTimeoutError(
          this.holding(w.seq, w.want),
          this.needed(w.want),
          w.want.quorum ? 'quorum' : w.want.level === 'applied' ? 'sync' : 'semi-sync',
          this.ruleText(w.want),
          this.timeoutMs,
          w.want.level,
        ),
      );
    });
  }

  /**
   * A standby says it is still receiving or applying a large transaction: the commits (and reads)
   * waiting may wait another timeoutMs — as PostgreSQL's synchronous commit waits for a standby
   * that is replaying — up to syncBusyWaitMaxMs in all. A standby the rule does not count changes
   * nothing.
   */
  onBusy(standbyId: string): void {
    if (!this.standbys().some((s) => s.id === standbyId && s.connected)) return;
    const now = this.timers.nowMs();
    for (const w of this.waiters) if (now - w.sinceMs < syncBusyWaitMaxMs) this.arm(w);
    for (const r of this.reads) if (now - r.sinceMs < syncBusyWaitMaxMs) this.armRead(r);
  }

  /**
   * A read on the primary that may have seen commits up to `seq` (its position when the read ended):
   * null when the standbys hold them as the configured mode counts (or nothing waits in this mode),
   * else resolves once they do, or once those commits were given up on (a commit's wait, or this
   * one, timed out). So a client never reads a commit that a failover can still take back — unless
   * the standbys stayed away past the sync timeout, when the commit's own client got 08007.
   */
  readBarrier(seq: number): Promise<void> | null {
    const want = commitWant(this.mode);
    if (!want || seq <= this.givenUpThrough || this.holding(seq, want) >= this.needed(want)) return null;
    if (this.reads.size >= syncWaitersMax)
      return Promise.reject(
        new ChorusError('53300', `too many reads (${syncWaitersMax}) waiting for synchronous standbys`),
      );
    this.heldReads++;
    return new Promise<void>((resolve) => {
      const r: HeldRead = { seq, resolve, timer: noTimer, sinceMs: this.timers.nowMs() };
      this.armRead(r);
      this.reads.add(r);
    });
  }

  private armRead(r: HeldRead): void {
    r.timer.cancel();
    r.timer = this.timers.after(this.timeoutMs, () => {
      this.reads.delete(r);
      this.giveUp(r.seq);
      r.resolve();
    });
  }

  private giveUp(seq: number): void {
    if (seq <= this.givenUpThrough) return;
    this.givenUpThrough = seq;
    this.releaseReads();
  }

  private releaseReads(): void {
    if (this.reads.size === 0) return;
    const want = commitWant(this.mode);
    for (const r of this.reads) {
      if (want && r.seq > this.givenUpThrough && this.holding(r.seq, want) < this.needed(want)) continue;
      r.timer.cancel();
      this.reads.delete(r);
      r.resolve();
    }
  }

  /** A standby received, applied, connected or left: release the commits (and reads) that now hold. */
  onProgress(): void {
    this.releaseReads();
    for (const w of this.waiters) {
      if (this.holding(w.seq, w.want) < this.needed(w.want)) continue;
      w.timer.cancel();
      this.waiters.delete(w);
      this.confirmed++;
      w.resolve();
    }
  }

  get waiting(): number {
    return this.waiters.size;
  }
}
