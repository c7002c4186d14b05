// Group commit. The fsync of a COMMIT blocks the only thread that runs SQLite; writes that arrive
// while a group is open run in the same SQLite transaction, each inside its own savepoint (a failing
// member undoes only itself), and one COMMIT makes the whole group durable before any member is
// acknowledged. Members are autocommit statements and whole transaction blocks whose end (COMMIT or
// ROLLBACK) had already arrived with them — a pipeline, or a multi-statement query — so their
// client cannot receive any output before the group is durable. Nothing is visible to readers
// before that COMMIT either, so no client can see data that a crash could still lose.

import { ChorusError, InternalError } from '../errors.js';
import { writerWaitersMax } from '../limits.js';
import type { StorageEngine } from '../storage/engine/engine.js';
import type { CommitInfo } from '../storage/engine/local-commit.js';
import type { WriterLock } from '../storage/engine/writer-lock.js';

/** Members (statements or transaction blocks) in one group before it is committed regardless of arrivals. */
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
  /** The member running a transaction block in the group now (others wait for it). */
  private block: object | null = null;
  /** Callers waiting for the block to end. */
  private waiting: (() => void)[] = [];
  /** The group was due to commit while a block ran: commit when it ends. */
  private commitDue = false;
  groups = 0;
  statements = 0;
  blocks = 0;

  constructor(
    private readonly engine: StorageEngine,
    private readonly lock: WriterLock,
    private readonly onCommit: (captured: boolean) => void,
  ) {}

  /**
   * Wait until a group is open and no block runs in it. Callers re-check `ready` after the await
   * (another caller may have taken the group in between) — see run() and joinBlock().
   */
  private async enter(cancelable: (wait: Promise<void>) => Promise<void>): Promise<void> {
    for (;;) {
      if (!this.open) {
        this.opening ??= this.openGroup().finally(() => {
          this.opening = null;
        });
        // A canceled caller stops waiting; the group still opens for the others.
        await cancelable(this.opening);
        continue;
      }
      if (this.block === null) return;
      if (this.waiting.length >= writerWaitersMax)
        throw new ChorusError('53300', `too many writers (${writerWaitersMax}) waiting for a commit group`);
      await cancelable(new Promise<void>((resolve) => this.waiting.push(resolve)));
    }
  }

  /** A group is open and free: checked synchronously right before a member starts. */
  private get ready(): boolean {
    return this.open && this.block === null;
  }

  private joined(): Promise<CommitInfo | null> {
    const done = new Promise<CommitInfo | null>((resolve, reject) => this.members.push({ resolve, reject }));
    if (this.members.length >= groupCommitStatementsMax) this.commit();
    return done;
  }

  /**
   * Run `fn` (one autocommit statement, synchronous) in the current group, or open one. Resolves
   * with fn's result and the group's commit (null when nothing replicated was written) once the
   * group has committed; rejects at once if fn itself fails.
   */
  async run<T>(
    fn: () => T,
    cancelable: (wait: Promise<void>) => Promise<void> = (w) => w,
  ): Promise<{ value: T; commit: CommitInfo | null }> {
    while (!this.ready) await this.enter(cancelable);
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
    return { value, commit: await this.joined() };
  }

  /** Start a transaction block inside the group (it holds the group until leaveBlock). */
  async joinBlock(
    owner: object,
    cancelable: (wait: Promise<void>) => Promise<void> = (w) => w,
  ): Promise<void> {
    while (!this.ready) await this.enter(cancelable);
    this.engine.writer.exec('SAVEPOINT chorus_group_block');
    this.block = owner;
  }

  /**
   * End the block: kept (RELEASE) or undone (ROLLBACK TO). A kept block resolves, like a statement,
   * once the group has committed; an undone one returns null.
   */
  leaveBlock(owner: object, keep: boolean): Promise<CommitInfo | null> | null {
    if (this.block !== owner) throw new InternalError('leaveBlock by a session that holds no block');
    const db = this.engine.writer;
    let done: Promise<CommitInfo | null> | null = null;
    try {
      if (keep) {
        db.exec('RELEASE chorus_group_block');
        this.blocks++;
        this.block = null; // before joined(): a full group commits there, which a running block defers
        done = this.joined();
      } else {
        db.exec('ROLLBACK TO chorus_group_block');
        db.exec('RELEASE chorus_group_block');
      }
    } finally {
      this.block = null;
      this.handOver();
    }
    return done;
  }

  /** After a block: commit the group if it came due meanwhile, else let the waiters in. */
  private handOver(): void {
    if (this.open && (this.commitDue || this.members.length >= groupCommitStatementsMax)) this.commit();
    else this.wakeAll();
  }

  private wakeAll(): void {
    const w = this.waiting;
    this.waiting = [];
    for (const resolve of w) resolve();
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
    if (this.block !== null) {
      this.commitDue = true;
      return;
    }
    this.open = false;
    this.commitDue = false;
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
      this.wakeAll();
    }
  }

  /** Whether a group transaction is open on the writer right now. */
  get active(): boolean {
    return this.open;
  }
}
