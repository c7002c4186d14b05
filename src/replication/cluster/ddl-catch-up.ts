// DDL waiting to catch up: a lease found DDL its voters had applied and this node has not
// (DdlLease.missing); the statement waits here until the apply path brings it, or is refused.

import type { TimerHandle, Timers } from '../../clock/timers.js';
import { ChorusError } from '../../errors.js';
import type { Vector } from '../../log/records.js';

/** How long DDL waits to apply the DDL its voters had applied before it is refused. */
export const ddlCatchUpWaitMs = 10_000;
/** DDL statements waiting to catch up at once; more are refused. */
export const ddlCatchUpWaitersMax = 1_000;

interface Waiter {
  need: Vector;
  resolve: () => void;
  reject: (e: Error) => void;
  timer: TimerHandle;
}

/** The DDL statements of one node waiting for transactions to be applied. */
export class DdlCatchUp {
  private readonly waiters = new Set<Waiter>();

  constructor(
    private readonly timers: Timers,
    /** What of `need` this node has not applied yet (null: all of it is applied). */
    private readonly missingOf: (need: Vector) => Vector | null,
  ) {}

  /** Resolve once this node has applied `need` (what a lease found missing); 55000 past the wait. */
  wait(need: Vector, waitMs = ddlCatchUpWaitMs): Promise<void> {
    if (!this.missingOf(need)) return Promise.resolve();
    if (this.waiters.size >= ddlCatchUpWaitersMax)
      return Promise.reject(
        new ChorusError('53300', `too many DDL statements (${ddlCatchUpWaitersMax}) waiting`),
      );
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        need,
        resolve,
        reject,
        timer: this.timers.after(waitMs, () => {
          this.waiters.delete(w);
          const [origin, seq] = Object.entries(this.missingOf(need) ?? need)[0]!;
          reject(
            new ChorusError(
              '55000',
              `DDL of master "${origin}" (transaction ${seq}) has not been applied on this node yet`,
              {
                hint: 'DDL runs on one master at a time and after the DDL before it; retry when replication has caught up (replicate.status).',
              },
            ),
          );
        }),
      };
      this.waiters.add(w);
    });
  }

  /** Transactions were applied here: DDL waiting for them may go on. */
  onApplied(): void {
    for (const w of this.waiters) {
      if (this.missingOf(w.need)) continue;
      w.timer.cancel();
      this.waiters.delete(w);
      w.resolve();
    }
  }
}
