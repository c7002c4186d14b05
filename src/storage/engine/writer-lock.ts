// The single-writer lock: SQLite has one writer, so one session at a time owns the writer
// connection, from its first write statement to COMMIT/ROLLBACK. Others queue in FIFO order with a
// bounded wait; a waiter that times out or is canceled gets a clear error.

import { ChorusError, QueryCanceledError, WriterLockTimeoutError } from '../../errors.js';
import { writerWaitersMax } from '../../limits.js';

interface Waiter {
  owner: object;
  resolve: () => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class WriterLock {
  private owner: object | null = null;
  private readonly waiters: Waiter[] = [];
  /** Times the lock was handed to a session after it had to wait. */
  contended = 0;

  constructor(private readonly timeoutMs: number) {}

  get heldBy(): object | null {
    return this.owner;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** Acquire for owner. Resolves at once when free; otherwise waits up to the timeout. */
  acquire(owner: object): Promise<void> | undefined {
    if (this.owner === owner) return undefined;
    if (this.owner === null && this.waiters.length === 0) {
      this.owner = owner;
      return undefined;
    }
    if (this.waiters.length >= writerWaitersMax) {
      return Promise.reject(
        new ChorusError('53300', `too many sessions (${writerWaitersMax}) waiting for the writer`),
      );
    }
    this.contended++;
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        owner,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.remove(waiter);
          reject(new WriterLockTimeoutError(this.timeoutMs));
        }, this.timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  release(owner: object): void {
    if (this.owner !== owner) return;
    this.owner = null;
    const next = this.waiters.shift();
    if (next) {
      clearTimeout(next.timer);
      this.owner = next.owner;
      next.resolve();
    }
  }

  /** Abandon a pending acquire (CancelRequest, connection closed). */
  cancel(owner: object, reason: Error = new QueryCanceledError()): void {
    const w = this.waiters.find((x) => x.owner === owner);
    if (w) {
      this.remove(w);
      w.reject(reason);
    }
  }

  private remove(w: Waiter): void {
    clearTimeout(w.timer);
    const i = this.waiters.indexOf(w);
    if (i >= 0) this.waiters.splice(i, 1);
  }
}
