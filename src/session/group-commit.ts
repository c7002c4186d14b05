// Group commit for autocommit writes. The fsync of a COMMIT blocks the only thread that runs
// SQLite; autocommit statements that arrive while a group is open run in the same SQLite
// transaction (each inside its own savepoint, so a failing statement undoes only itself), and one
// COMMIT makes the whole group durable before any member is acknowledged. Nothing is visible to
// readers before that COMMIT, so no client can see data that a crash could still lose.

import type { CommitInfo, StorageEngine } from '../storage/engine.js';
import type { WriterLock } from './writer-lock.js';

/** Statements in one group before it is committed regardless of arrivals. */
export const groupCommitStatementsMax = 64;

interface Member {
  resolve: (info: CommitInfo | null) => void;
  reject: (e: unknown) => void;
}

export class GroupCommitter {
  private members: Member[] = [];
  private open = false;
  /** The one pending acquisition of the writer that every early arrival waits on. */
  private opening: Promise<void> | null = null;
  groups = 0;
  statements = 0;

  constructor(
    private readonly engine: StorageEngine,
    private readonly lock: WriterLock,
    private readonly onCommit: (captured: boolean) => void,
  ) {}

  /**
   * Run `fn` (one autocommit statement, synchronous) in the current group, or open one. Resolves
   * with fn's result and the group's commit (null when nothing replicated was written) once the
   * group has committed; rejects at once if fn itself fails.
   */
  async run<T>(
    fn: () => T,
    cancelable: (wait: Promise<void>) => Promise<void> = (w) => w,
  ): Promise<{ value: T; commit: CommitInfo | null }> {
    while (!this.open) {
      this.opening ??= this.openGroup().finally(() => {
        this.opening = null;
      });
      // A canceled caller stops waiting; the group still opens for the others.
      await cancelable(this.opening);
    }
    const db = this.engine.writer;
    db.exec('SAVEPOINT chorus_group_member');
    let value: T;
    try {
      value = fn();
      db.exec('RELEASE chorus_group_member');
    } catch (e) {
      db.exec('ROLLBACK TO chorus_group_member');
      db.exec('RELEASE chorus_group_member');
      throw e;
    }
    this.statements++;
    const done = new Promise<CommitInfo | null>((resolve, reject) => this.members.push({ resolve, reject }));
    if (this.members.length >= groupCommitStatementsMax) this.commit();
    return { value, commit: await done };
  }

  private async openGroup(): Promise<void> {
    const wait = this.lock.acquire(this);
    if (wait) await wait;
    try {
      this.engine.beginWrite();
    } catch (e) {
      this.lock.release(this);
      throw e;
    }
    this.open = true;
    setImmediate(() => this.commit());
  }

  /** Commit the open group now (shutdown). */
  flush(): void {
    this.commit();
  }

  private commit(): void {
    if (!this.open) return;
    this.open = false;
    const members = this.members;
    this.members = [];
    try {
      const info = this.engine.commitWrite();
      this.groups++;
      this.onCommit(info !== null);
      for (const m of members) m.resolve(info);
    } catch (e) {
      for (const m of members) m.reject(e);
    } finally {
      this.lock.release(this);
    }
  }

  /** Whether a group transaction is open on the writer right now. */
  get active(): boolean {
    return this.open;
  }
}
