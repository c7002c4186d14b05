// The node's advisory lock table (pg_advisory_lock and friends): exclusive and shared locks on
// application-chosen keys, owned by sessions, with FIFO waiters and deadlock detection. Node-local:
// in a multi-primary cluster two nodes do not see each other's advisory locks.

import { ChorusError } from '../../errors.js';

/** Sessions waiting for advisory locks, node-wide, before new waits are refused (54000). */
export const advisoryLockWaitersMax = 10_000;
/** Distinct advisory locks one session may hold at once (PostgreSQL: max_locks_per_transaction). */
export const advisoryLocksPerSessionMax = 10_000;

export type LockMode = 'exclusive' | 'shared';
/** Session-level locks outlive transactions; transaction-level ones end with the transaction. */
export type LockScope = 'session' | 'xact';

/** One owner's holds on one lock: re-entrant, counted per mode and scope. */
interface Holds {
  exclusive: { session: number; xact: number };
  shared: { session: number; xact: number };
}

interface Waiter {
  owner: object;
  mode: LockMode;
  scope: LockScope;
  grant: () => void;
}

interface LockEntry {
  holders: Map<object, Holds>;
  waiters: Waiter[];
}

/** A pending acquisition: resolves when granted; `abandon` withdraws it (or undoes a late grant). */
export interface LockWait {
  granted: Promise<void>;
  abandon(): void;
}

const held = (h: Holds, mode: LockMode): number => h[mode].session + h[mode].xact;

export class AdvisoryLocks {
  private readonly locks = new Map<string, LockEntry>();
  /** The lock each waiting owner waits for (an owner waits for at most one). */
  private readonly waitingFor = new Map<object, string>();
  /** Keys each owner holds something on. */
  private readonly owned = new Map<object, Set<string>>();

  /**
   * Take a lock now if nothing conflicts, else null (try variants), unless `wait`: then queue and
   * return the wait. A wait that would close a cycle of waiting sessions fails at once (40P01).
   */
  acquire(owner: object, key: string, mode: LockMode, scope: LockScope, wait: true): LockWait | 'granted';
  acquire(owner: object, key: string, mode: LockMode, scope: LockScope, wait: false): 'granted' | null;
  acquire(
    owner: object,
    key: string,
    mode: LockMode,
    scope: LockScope,
    wait: boolean,
  ): LockWait | 'granted' | null {
    const keys = this.owned.get(owner);
    if (!keys?.has(key) && (keys?.size ?? 0) >= advisoryLocksPerSessionMax)
      throw new ChorusError('53200', 'out of shared memory', {
        hint: `A session holds at most ${advisoryLocksPerSessionMax} advisory locks.`,
      });
    const entry = this.entry(key);
    if (this.grantable(entry, owner, mode)) {
      this.hold(entry, owner, key, mode, scope);
      return 'granted';
    }
    if (!wait) {
      this.dropIfUnused(key, entry);
      return null;
    }
    if (this.waitingFor.size >= advisoryLockWaitersMax)
      throw new ChorusError(
        '54000',
        `too many sessions waiting for advisory locks (limit ${advisoryLockWaitersMax})`,
      );
    if (this.closesCycle(owner, entry))
      throw new ChorusError('40P01', 'deadlock detected', {
        detail: 'Sessions wait for advisory locks held by each other.',
        hint: 'See server log for query details.',
      });
    let settled = false;
    let waiter!: Waiter;
    const granted = new Promise<void>((resolve) => {
      waiter = {
        owner,
        mode,
        scope,
        grant: () => {
          settled = true;
          resolve();
        },
      };
    });
    entry.waiters.push(waiter);
    this.waitingFor.set(owner, key);
    return {
      granted,
      abandon: () => {
        if (settled) {
          this.release(owner, key, mode, scope);
          return;
        }
        settled = true;
        const at = entry.waiters.indexOf(waiter);
        if (at >= 0) entry.waiters.splice(at, 1);
        this.waitingFor.delete(owner);
        this.wake(key, entry);
      },
    };
  }

  /** Release one hold of (mode, scope); false when the owner holds none (PostgreSQL warns). */
  release(owner: object, key: string, mode: LockMode, scope: LockScope): boolean {
    const entry = this.locks.get(key);
    const h = entry?.holders.get(owner);
    if (!entry || !h || h[mode][scope] === 0) return false;
    h[mode][scope]--;
    if (held(h, 'exclusive') + held(h, 'shared') === 0) {
      entry.holders.delete(owner);
      this.owned.get(owner)?.delete(key);
    }
    this.wake(key, entry);
    return true;
  }

  /** Release every hold of a scope (the transaction ended, or pg_advisory_unlock_all). */
  releaseAll(owner: object, scope: LockScope): void {
    for (const key of [...(this.owned.get(owner) ?? [])]) {
      const entry = this.locks.get(key)!;
      const h = entry.holders.get(owner)!;
      h.exclusive[scope] = 0;
      h.shared[scope] = 0;
      if (held(h, 'exclusive') + held(h, 'shared') === 0) {
        entry.holders.delete(owner);
        this.owned.get(owner)!.delete(key);
      }
      this.wake(key, entry);
    }
    if (this.owned.get(owner)?.size === 0) this.owned.delete(owner);
  }

  /** How many locks the table tracks (tests, metrics). */
  get size(): number {
    return this.locks.size;
  }

  private entry(key: string): LockEntry {
    let e = this.locks.get(key);
    if (!e) {
      e = { holders: new Map(), waiters: [] };
      this.locks.set(key, e);
    }
    return e;
  }

  /**
   * Compatible with every other owner's holds, and — as PostgreSQL's lock manager does, so that a
   * stream of shared lockers cannot starve an exclusive one — not jumping waiters ahead unless
   * the owner already holds the lock.
   */
  private grantable(entry: LockEntry, owner: object, mode: LockMode, ignoreQueue = false): boolean {
    for (const [o, h] of entry.holders) {
      if (o === owner) continue;
      if (held(h, 'exclusive') > 0 || (mode === 'exclusive' && held(h, 'shared') > 0)) return false;
    }
    if (ignoreQueue || entry.holders.has(owner)) return true;
    return entry.waiters.length === 0;
  }

  private hold(entry: LockEntry, owner: object, key: string, mode: LockMode, scope: LockScope): void {
    let h = entry.holders.get(owner);
    if (!h) {
      h = { exclusive: { session: 0, xact: 0 }, shared: { session: 0, xact: 0 } };
      entry.holders.set(owner, h);
    }
    h[mode][scope]++;
    let keys = this.owned.get(owner);
    if (!keys) {
      keys = new Set();
      this.owned.set(owner, keys);
    }
    keys.add(key);
  }

  /** Grant waiters in order while they fit. */
  private wake(key: string, entry: LockEntry): void {
    while (entry.waiters.length > 0) {
      const w = entry.waiters[0]!;
      if (!this.grantable(entry, w.owner, w.mode, true)) break;
      entry.waiters.shift();
      this.waitingFor.delete(w.owner);
      this.hold(entry, w.owner, key, w.mode, w.scope);
      w.grant();
    }
    this.dropIfUnused(key, entry);
  }

  private dropIfUnused(key: string, entry: LockEntry): void {
    if (entry.holders.size === 0 && entry.waiters.length === 0) this.locks.delete(key);
  }

  /** Would `owner` waiting on `entry` close a cycle (a holder waits, transitively, on `owner`)? */
  private closesCycle(owner: object, entry: LockEntry): boolean {
    const seen = new Set<object>();
    const stack = [...entry.holders.keys()].filter((o) => o !== owner);
    while (stack.length > 0) {
      const o = stack.pop()!;
      if (o === owner) return true;
      if (seen.has(o)) continue;
      seen.add(o);
      const k = this.waitingFor.get(o);
      const e = k === undefined ? undefined : this.locks.get(k);
      if (e) for (const h of e.holders.keys()) if (h !== o) stack.push(h);
    }
    return false;
  }
}
