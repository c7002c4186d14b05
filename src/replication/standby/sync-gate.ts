// Commit acknowledgement on a primary in semi-sync and sync mode. As with quorum writes
// (cluster/quorum.ts), the commit happens locally first and the client's acknowledgement waits until
// the standbys synchronous_standby_names asks for hold it — received (semi-sync) or applied (sync) —
// with 08007 past sync_timeout_ms. With [ha] strict, a write is refused up front while too few of
// those standbys are connected.

import type { TimerHandle, Timers } from '../../clock/timers.js';
import { failpoints } from '../../config/failpoints.js';
import type { SyncMode, SyncStandbys } from '../../config/sync-standbys.js';
import { ChorusError, SyncStandbysMissingError, SyncStandbyTimeoutError } from '../../errors.js';

/** Commits waiting for their standbys at once; more are refused rather than queued without bound. */
export const syncWaitersMax = 10_000;

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

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (e: Error) => void;
  timer: TimerHandle;
}

export class SyncCommitGate {
  private readonly waiters = new Set<Waiter>();
  confirmed = 0;
  timedOut = 0;
  refused = 0;
  /** The rule's names, lower-cased: PostgreSQL compares standby names case-insensitively. */
  private readonly names: string[];

  constructor(
    readonly mode: Exclude<SyncMode, 'async'>,
    readonly rule: SyncStandbys,
    readonly strict: boolean,
    readonly timeoutMs: number,
    private readonly timers: Timers,
    private readonly standbys: () => GateStandby[],
  ) {
    this.names = rule.names.map((n) => n.toLowerCase());
  }

  /** How the rule reads, for messages: "ANY 1 (*)". */
  get ruleText(): string {
    return `${this.rule.method.toUpperCase()} ${this.rule.k} (${this.rule.names.join(', ')})`;
  }

  private named(s: GateStandby): boolean {
    return this.names[0] === '*' || this.names.includes(s.id.toLowerCase());
  }

  private position(s: GateStandby): number {
    return this.mode === 'sync' ? s.applied : Math.max(s.received, s.applied);
  }

  /** The standbys a commit waits for now, in priority order (FIRST), or every named one (ANY). */
  private candidates(): GateStandby[] {
    const named = this.standbys().filter((s) => this.named(s));
    if (this.rule.method === 'any') return named;
    const rank = (s: GateStandby): number =>
      this.names[0] === '*' ? s.connectedAtMs : this.names.indexOf(s.id.toLowerCase());
    return named
      .filter((s) => s.connected && s.streaming)
      .sort((a, b) => rank(a) - rank(b) || (a.id < b.id ? -1 : 1))
      .slice(0, this.rule.k);
  }

  /** Standbys that hold `seq` at the mode's level, counted as the rule counts them. */
  holding(seq: number): number {
    return this.candidates().filter((s) => this.position(s) >= seq).length;
  }

  /** Named standbys connected now. */
  connected(): number {
    return this.standbys().filter((s) => s.connected && this.named(s)).length;
  }

  /** [ha] strict: throws 55000 when fewer than k named standbys are connected (checked before a write). */
  checkWritable(): void {
    if (!this.strict) return;
    const connected = this.connected();
    if (connected < this.rule.k) {
      this.refused++;
      throw new SyncStandbysMissingError(connected, this.rule.k, `${this.mode} ${this.ruleText}`);
    }
  }

  /** Resolves once the rule's standbys hold the primary's transaction `seq`; 08007 on timeout. */
  wait(seq: number): Promise<void> {
    if (this.holding(seq) >= this.rule.k || failpoints.ackSyncCommitEarly) {
      this.confirmed++;
      return Promise.resolve();
    }
    if (this.waiters.size >= syncWaitersMax)
      return Promise.reject(
        new ChorusError('53300', `too many commits (${syncWaitersMax}) waiting for synchronous standbys`),
      );
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = {
        seq,
        resolve,
        reject,
        timer: this.timers.after(this.timeoutMs, () => {
          this.waiters.delete(w);
          this.timedOut++;
          reject(
            new SyncStandbyTimeoutError(
              this.holding(seq),
              this.rule.k,
              this.mode,
              this.ruleText,
              this.timeoutMs,
            ),
          );
        }),
      };
      this.waiters.add(w);
    });
  }

  /** A standby received, applied, connected or left: release the commits that now hold. */
  onProgress(): void {
    for (const w of this.waiters) {
      if (this.holding(w.seq) < this.rule.k) continue;
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
