// Apply side of the Replicator: received transactions held per origin until their causal
// dependencies are applied, then applied in batches under the writer lock (single-flight drain),
// in time slices with the event loop served between them (the SQLite transaction stays open).
import type { Logger } from 'pino';
import type { HybridLogicalClock } from '../../clock/hlc.js';
import type { Timers } from '../../clock/timers.js';
import type { ReplTx } from '../../log/records.js';
import type { StorageEngine } from '../../storage/engine/engine.js';
import type { WriterLock } from '../../storage/engine/writer-lock.js';
import type { Applier } from './applier.js';

/** Received transactions waiting for their dependencies, before the link is dropped. */
export const pendingTxsMax = 100_000;
/** Transactions applied in one SQLite transaction (one fsync). */
export const applyBatchTxsMax = 500;
/** Delay before retrying a failed apply batch. */
export const applyRetryMs = 200;
/** Apply work between two turns of the event loop (clients and peer links are served between). */
export const applySliceMs = 20;
/** A batch running this long commits at its next transaction boundary (local writers get the lock). */
export const applyBatchMsMax = 100;

/** The replicator stopped while a batch was paused: it rolls back and is applied after a restart. */
class ApplyStopped extends Error {}

/** The parts of the Replicator's options the queue uses (ReplicatorOptions has them all). */
export interface ApplyQueueOptions {
  engine: StorageEngine;
  applier: Applier;
  writerLock: WriterLock;
  clock: HybridLogicalClock;
  timers: Timers;
  logger: Logger;
}

/** The apply counters the queue keeps (part of ReplicatorStats). */
export interface ApplyStats {
  pendingTxs: number;
  appliedTxs: number;
  applyBatches: number;
  lastAppliedAtMs: number | null;
  applyErrors: number;
}

/** What the queue needs from the Replicator that owns it. */
export interface ApplyQueueHost {
  readonly stats: ApplyStats;
  isPaused(): boolean;
  isStopped(): boolean;
  fail(peer: string | null, message: string): void;
  /** A batch of `count` transactions was applied and committed. */
  applied(count: number): void;
  /** A batch is still being applied (called at each slice's end: a long transaction is under way). */
  busy?(): void;
}

export class ApplyQueue {
  /** Per origin: received transactions not yet applied, by origin sequence. */
  private readonly pending = new Map<string, Map<number, ReplTx>>();
  private pendingCount = 0;
  /** The running drain, if any (single-flight); a drain asked for meanwhile sets drainAgain. */
  private drainDone: Promise<void> | null = null;
  private drainAgain = false;
  /** Settles when the batch holding the writer lock ends (committed or rolled back). */
  private midBatch: Promise<void> | null = null;
  /** Transactions of the batch being applied (taken from pending, not committed yet). */
  private inBatch = 0;

  constructor(
    private readonly o: ApplyQueueOptions,
    /** Owner identity used with the writer lock (the Replicator). */
    private readonly lockOwner: object,
    private readonly host: ApplyQueueHost,
  ) {}

  /** Transactions received, not yet applied (held, or in the batch being applied). */
  get size(): number {
    return this.pendingCount + this.inBatch;
  }

  /**
   * Holds a received transaction: 'duplicate' when already held, 'full' when the queue is at
   * pendingTxsMax (nothing is added), else 'queued'.
   */
  offer(tx: ReplTx): 'duplicate' | 'full' | 'queued' {
    let q = this.pending.get(tx.origin);
    if (!q) {
      q = new Map();
      this.pending.set(tx.origin, q);
    }
    if (q.has(tx.seq)) return 'duplicate';
    if (this.pendingCount >= pendingTxsMax) return 'full';
    q.set(tx.seq, tx);
    this.pendingCount++;
    return 'queued';
  }

  /** Transactions whose dependencies are all applied (given the working vector), in a safe order. */
  private takeReady(working: Map<string, number>, max: number): ReplTx[] {
    const ready: ReplTx[] = [];
    let progress = true;
    while (progress && ready.length < max) {
      progress = false;
      for (const [origin, q] of this.pending) {
        for (;;) {
          const next = q.get((working.get(origin) ?? 0) + 1);
          if (!next || ready.length >= max) break;
          const depsMet = Object.entries(next.deps).every(
            ([o, s]) => o === origin || (working.get(o) ?? 0) >= s,
          );
          if (!depsMet) break;
          q.delete(next.seq);
          this.pendingCount--;
          working.set(origin, next.seq);
          ready.push(next);
          progress = true;
        }
        if (q.size === 0) this.pending.delete(origin);
      }
    }
    // Drop anything already covered (arrived twice through different peers).
    for (const [origin, q] of this.pending) {
      for (const seq of [...q.keys()]) {
        if (seq <= (working.get(origin) ?? 0)) {
          q.delete(seq);
          this.pendingCount--;
        }
      }
      if (q.size === 0) this.pending.delete(origin);
    }
    return ready;
  }

  /** Apply everything that is ready, in batches; single-flight. */
  drain(): Promise<void> {
    if (this.drainDone) {
      this.drainAgain = true;
      return this.drainDone;
    }
    this.drainDone = this.drainLoop().finally(() => {
      this.drainDone = null;
    });
    return this.drainDone;
  }

  private async drainLoop(): Promise<void> {
    do {
      this.drainAgain = false;
      while (!this.host.isPaused() && !this.host.isStopped() && this.pendingCount > 0) {
        const working = new Map(this.o.engine.applied);
        const ready = this.takeReady(working, applyBatchTxsMax);
        if (ready.length === 0) break;
        this.inBatch = ready.length;
        let ok: boolean;
        try {
          ok = await this.applyBatch(ready);
        } finally {
          this.inBatch = 0;
        }
        if (!ok) return;
      }
    } while (this.drainAgain && !this.host.isPaused() && !this.host.isStopped());
    this.host.stats.pendingTxs = this.pendingCount;
  }

  /** A monotonic clock (virtual in the simulation, where time stands still while code runs). */
  private nowMs(): number {
    return this.o.timers.monotonicMs?.() ?? this.o.timers.nowMs();
  }

  /**
   * Apply txs in one SQLite transaction under the writer lock, in slices of about applySliceMs
   * with the event loop served between them (the transaction stays open: readers see all of it or
   * none). Past applyBatchMsMax the batch commits at the next transaction boundary; the rest goes
   * back to the queue. False when the batch failed (retried later) or the replicator stopped.
   */
  private async applyBatch(txs: ReplTx[]): Promise<boolean> {
    const lock = this.o.writerLock;
    const wait = lock.acquire(this.lockOwner);
    if (wait) {
      try {
        await wait;
      } catch (e) {
        this.requeue(txs);
        this.host.fail(null, `waiting for the writer to apply: ${(e as Error).message}`);
        this.o.timers.after(applyRetryMs, () => this.drain());
        return false;
      }
    }
    const engine = this.o.engine;
    const applier = this.o.applier;
    let finished!: () => void;
    this.midBatch = new Promise<void>((resolve) => {
      finished = resolve;
    });
    let done = 0;
    try {
      if (this.host.isStopped()) throw new ApplyStopped();
      engine.beginApply();
      const start = this.nowMs();
      let sliceEnd = start + applySliceMs;
      const pause = (): boolean => this.nowMs() >= sliceEnd;
      for (const tx of txs) {
        if (done > 0 && pause()) {
          // A transaction boundary past the slice: commit when the batch ran long or changed the
          // schema (nobody may see that uncommitted), else let the event loop run.
          if (this.nowMs() - start >= applyBatchMsMax || !applier.canPause(null)) break;
          sliceEnd = await this.yieldSlice();
        }
        try {
          this.o.clock.update({ wallMs: tx.hlcWall, logical: tx.hlcLogical, nodeId: tx.origin });
        } catch (e) {
          this.o.logger.warn({ err: e, origin: tx.origin }, 'peer clock far ahead; applying anyway');
        }
        const progress = applier.begin(tx);
        while (!applier.step(progress, pause)) sliceEnd = await this.yieldSlice();
        done++;
      }
      const last = txs[done - 1];
      engine.commitApply(last ? () => applier.settleAllOrphans(last) : undefined);
      applier.afterCommit();
      this.host.stats.appliedTxs += done;
      this.host.stats.applyBatches++;
      this.host.stats.lastAppliedAtMs = this.o.timers.nowMs();
      if (done < txs.length) this.requeue(txs.slice(done));
    } catch (e) {
      if (engine.inWriteTransaction) engine.rollbackWrite();
      applier.invalidate();
      this.requeue(txs);
      if (e instanceof ApplyStopped) return false;
      this.host.stats.applyErrors++;
      this.host.fail(null, `applying ${txs.length} transactions failed: ${(e as Error).message}`);
      this.o.logger.error({ err: e }, 'apply batch failed; will retry');
      this.o.timers.after(applyRetryMs, () => this.drain());
      return false;
    } finally {
      lock.release(this.lockOwner);
      this.midBatch = null;
      finished();
    }
    this.host.applied(done);
    return true;
  }

  /** Let the event loop run (clients, heartbeats, peer messages); the end of the next slice. */
  private async yieldSlice(): Promise<number> {
    this.host.busy?.();
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.host.isStopped()) throw new ApplyStopped();
    return this.nowMs() + applySliceMs;
  }

  /** Resolves once no batch holds an open apply transaction (a stopping one rolls back first). */
  async settled(): Promise<void> {
    await this.midBatch;
  }

  private requeue(txs: ReplTx[]): void {
    for (const tx of txs) {
      let q = this.pending.get(tx.origin);
      if (!q) {
        q = new Map();
        this.pending.set(tx.origin, q);
      }
      if (!q.has(tx.seq)) {
        q.set(tx.seq, tx);
        this.pendingCount++;
      }
    }
  }
}
