// A session's writes: taking the single writer (bounded by lock_timeout) or joining a commit group,
// running write statements and DDL on it, the cluster DDL lock, and releasing it with COMMIT or ROLLBACK.

import { wallClockUs } from '../clock/clock.js';
import { ChorusError, ReadOnlyTransactionError } from '../errors.js';
import { commandTag } from '../sql/classify.js';
import type { StorageValue } from '../sql/types/values.js';
import type { CommitInfo } from '../storage/engine/local-commit.js';
import { toChorusError } from '../storage/sqlite-errors.js';
import { bindPlan } from './bind.js';
import { diagnoseConstraint } from './constraint-errors.js';
import { runDdl } from './ddl/ddl.js';
import type { Prepared } from './planning/prepared.js';
import type { BindParams } from './read-protocol.js';
import { result, type StatementResult } from './result.js';
import { SessionState } from './session-state.js';
import { runTempDdl } from './temp/temp-ddl.js';

/** Times DDL waits for the DDL its lock's voters had applied before it is refused (40001). */
const ddlCatchUpAttemptsMax = 3;

/** The write path of a session (see DESIGN.md: writer taken at the first write, group commit). */
export abstract class SessionWrites extends SessionState {
  protected compile(sql: string) {
    try {
      return this.host.writerCache.get(sql);
    } catch (e) {
      throw toChorusError(e);
    }
  }

  protected async acquireWriter(): Promise<void> {
    const wait = this.host.writerLock.acquire(this);
    if (wait) await this.lockWait(wait);
    if (this.canceled) {
      this.host.writerLock.release(this);
      throw this.cancelReason;
    }
  }

  /** A write on a read-only node; on a standby in PostgreSQL's words ("cannot execute INSERT in a read-only transaction"). */
  private readOnlyNodeError(what: () => string): ReadOnlyTransactionError {
    return new ReadOnlyTransactionError(
      this.host.inRecovery?.()
        ? `cannot execute ${what()} in a read-only transaction`
        : 'this node is read-only',
    );
  }

  protected async ensureWriter(mayJoinGroup = true, what = (): string => 'a write'): Promise<void> {
    // Checked even when the writer is held: the block may have become read only after a write.
    if (this.readOnlyTx)
      throw new ReadOnlyTransactionError(`cannot execute ${what()} in a read-only transaction`);
    if (this.holdsWriter) return;
    if (this.host.isReadOnlyNode()) throw this.readOnlyNodeError(what);
    this.host.quorum?.checkWritable(this.settings.get('synchronous_commit'));
    // A block whose COMMIT/ROLLBACK already arrived with it (no output can reach the client first)
    // runs inside a commit group; see group-commit.ts.
    // Never with user savepoints: after an error the client may ROLLBACK TO one and go on
    // interactively, which a block in a group must not do.
    // ON COMMIT actions of temporary tables run at this session's own COMMIT.
    const own = this.schema.temp?.hasOnCommit;
    if (
      mayJoinGroup &&
      !own &&
      this.state === 'tx' &&
      this.clientTimestampMs() === null &&
      this.batchHint?.()
    ) {
      await this.host.groupCommit.joinBlock(this, (wait) => this.lockWait(wait));
      if (this.closed || this.canceled) {
        // The connection went away (or was canceled) while this block waited: give the group back.
        this.host.groupCommit.leaveBlock(this, false);
        throw this.cancelReason;
      }
      this.groupBlock = true;
      this.holdsWriter = true;
      return;
    }
    await this.acquireWriter();
    try {
      this.host.engine.beginWrite();
    } catch (e) {
      this.host.writerLock.release(this);
      throw e;
    }
    this.holdsWriter = true;
  }

  /** Running a transaction block inside a commit group (its output must wait for the group). */
  get inGroupBlock(): boolean {
    return this.groupBlock;
  }

  /** End a block that ran in a commit group: kept blocks resolve once the group is durable. */
  private leaveGroupBlock(keep: boolean): Promise<CommitInfo | null> | null {
    this.holdsWriter = false;
    this.groupBlock = false;
    this.savepoints = 0;
    const schemaChanged = this.schemaChanged;
    this.schemaChanged = false;
    this.schema.ended();
    const done = this.host.groupCommit.leaveBlock(this, keep);
    if (!done) {
      // Rolled back: nothing of the block's DDL remains, but compiled statements may describe it.
      if (schemaChanged) this.host.onSchemaChange();
      return null;
    }
    return done.then((info) => {
      // Other connections may only re-read the schema once the group has committed.
      if (schemaChanged) this.host.onSchemaChange();
      return info;
    });
  }

  protected releaseWriter(commit: boolean): CommitInfo | null | Promise<CommitInfo | null> {
    if (!this.holdsWriter) return null;
    if (this.groupBlock) return this.leaveGroupBlock(commit);
    this.holdsWriter = false;
    this.savepoints = 0;
    let info: CommitInfo | null = null;
    const lease = this.ddlLease;
    this.ddlLease = null;
    try {
      if (commit && lease && !lease.valid()) {
        this.host.engine.rollbackWrite();
        throw new ChorusError(
          '40001',
          'the cluster DDL lock lapsed before COMMIT: the transaction was rolled back',
          {
            hint: 'The masters that granted it stopped answering (a partition?); retry the transaction.',
          },
        );
      }
      if (commit) {
        this.schema.temp?.beforeCommit();
        info = this.host.engine.commitWrite(this.clientTimestampMs());
        this.host.onCommit({ captured: info !== null });
      } else this.host.engine.rollbackWrite();
    } finally {
      lease?.release(info?.originSeq ?? null);
      this.host.writerLock.release(this);
      this.schema.ended();
      if (this.schemaChanged) {
        this.schemaChanged = false;
        this.host.onSchemaChange();
      }
    }
    return info;
  }

  protected async write(latest: () => [Prepared, BindParams], ddl: boolean): Promise<StatementResult> {
    // PostgreSQL names the command: "cannot execute INSERT in a read-only transaction".
    const what = (): string => commandTag(latest()[0].cls, 0).replace(/( \d+)+$/, '');
    if (this.state === 'idle' && this.settings.get('default_transaction_read_only') === 'on') {
      throw new ReadOnlyTransactionError(`cannot execute ${what()} in a read-only transaction`);
    }
    if (
      this.state === 'idle' &&
      !ddl &&
      !this.holdsWriter &&
      this.clientTimestampMs() === null &&
      !this.schema.temp?.hasOnCommit
    ) {
      if (this.host.isReadOnlyNode()) throw this.readOnlyNodeError(what);
      this.host.quorum?.checkWritable(this.settings.get('synchronous_commit'));
      const { value, commit } = await this.host.groupCommit.run(
        () => this.runWriterStatement(...latest()),
        (wait) => this.lockWait(wait),
      );
      if (commit) this.ownCommitLsn = commit.originSeq;
      if (commit && this.host.quorum)
        await this.host.quorum.wait(commit.originSeq, this.settings.get('synchronous_commit'));
      return value;
    }
    // A DDL statement never joins a commit group (see queryEndsTransaction).
    const fresh = !this.holdsWriter;
    await this.ensureWriter(!ddl, what);
    let out: StatementResult;
    try {
      // TRUNCATE and this session's temporary objects (never replicated) need no cluster DDL lock.
      const cls = latest()[0].cls;
      if (ddl && cls.kind !== 'truncate' && !cls.temporary) await this.lockDdl(fresh, what);
      out = ddl ? this.runDdl(...latest()) : this.runWriterStatement(...latest());
    } catch (e) {
      if (this.state === 'idle') this.releaseWriter(false);
      throw e;
    }
    if (this.state === 'idle') await this.awaitQuorum(this.releaseWriter(true));
    return out;
  }

  protected runWriterStatement(p: Prepared, bind: BindParams): StatementResult {
    const c = this.compile(p.execSql);
    const sequences = this.host.engine.sequences;
    sequences.markStatement();
    try {
      if (c.reader) {
        const rows = c.stmt.all(bind) as unknown[][];
        return { tag: commandTag(p.cls, rows.length), columns: c.columns, rows, notices: [] };
      }
      const info = c.stmt.run(bind);
      return result(commandTag(p.cls, Number(info.changes)), null);
    } catch (e) {
      const err = toChorusError(e);
      if (!p.plan || !err.sqlstate.startsWith('23')) throw err;
      // PostgreSQL's message, detail and fields for the violation (see constraint-errors.ts).
      throw diagnoseConstraint(
        this.host.engine.writer,
        this.schema.constraints,
        p.plan,
        bind as StorageValue[],
        err,
        this.valueEnv(),
        (fn) => sequences.replay(fn),
      );
    }
  }

  /** DDL: see ddl.ts. */
  private runDdl(p: Prepared, bind: BindParams): StatementResult {
    const custom = this.host.customDdl?.(p);
    if (custom) return custom;
    // CREATE TABLE ... AS: the query's session values (now(), settings).
    const values = p.ddl?.populate ? bindPlan(p.ddl.populate, [], this.bindContext(wallClockUs())) : bind;
    const temp = this.schema.temp;
    const tempOut =
      temp && runTempDdl(this.host.engine.writer, temp, p, values as unknown[], this.schema.pathCatalog);
    if (tempOut) return tempOut;
    const env = this.valueEnv();
    if (env.nowUs === 0n) env.nowUs = BigInt(Date.now()) * 1000n;
    const out = runDdl(this.host.engine, this.schema.constraints, p, values, this.schema.pathCatalog, env);
    if (out.schemaChanged) {
      // Other connections may only re-read the schema once this transaction has committed; this
      // session's next statements (on the writer) must see the change at once.
      this.schemaChanged = true;
      this.host.writerCache.clear();
      this.schema.changed();
    }
    return out.result;
  }

  /**
   * Multi-primary: take the cluster DDL lock for the open write transaction before its first DDL
   * (replication/cluster/ddl-lock.ts), after applying the DDL the masters that voted had applied. The
   * writer is given back while that DDL arrives, unless the transaction already wrote (then it is
   * refused: the writer cannot be given back mid-transaction, and applying needs it).
   */
  private async lockDdl(fresh: boolean, what: () => string): Promise<void> {
    const lock = this.host.ddlLock;
    if (!lock || this.ddlLease) return;
    if (this.groupBlock) throw new ChorusError('XX000', 'internal error: DDL inside a commit group');
    for (let attempt = 1; ; attempt++) {
      const lease = await lock.acquire(this.host.engine.nextLocalSeq());
      if (!lease) return;
      const missing = lease.missing();
      if (!missing) {
        this.ddlLease = lease;
        return;
      }
      lease.release(null);
      if (!fresh || attempt >= ddlCatchUpAttemptsMax) {
        const [origin, seq] = Object.entries(missing)[0]!;
        throw new ChorusError(
          '40001',
          `could not serialize DDL: DDL of master "${origin}" (transaction ${seq}) has not been applied on this node yet`,
          { hint: 'DDL runs after the DDL before it on every master; retry the transaction.' },
        );
      }
      // Nothing ran in this transaction yet: give the writer back so the missing DDL can apply.
      this.releaseWriter(false);
      await this.cancelable(lock.waitCovered(missing));
      await this.ensureWriter(false, what);
    }
  }

  /** Quorum writes: the commit is acknowledged once enough nodes hold it (see replication/cluster/quorum.ts). */
  protected async awaitQuorum(
    released: CommitInfo | null | Promise<CommitInfo | null>,
    syncCommit = this.settings.get('synchronous_commit'),
    /** A block ended: its notifications (and LISTENs) take effect once the commit is local, as in PostgreSQL (an 08007 below does not undo it). */
    blockEnded = false,
  ): Promise<void> {
    const commit = await released;
    if (blockEnded) this.local.committed();
    if (commit) this.ownCommitLsn = commit.originSeq;
    if (commit && this.host.quorum) await this.host.quorum.wait(commit.originSeq, syncCommit);
  }

  /** A SELECT of temporary tables: on the writer connection, which only holds them (temp/). */
  protected async readTemp(p: Prepared, bind: BindParams): Promise<StatementResult> {
    await this.acquireWriter();
    try {
      return this.runWriterStatement(p, bind);
    } finally {
      this.host.writerLock.release(this);
    }
  }

  /** DISCARD TEMP / ALL: the session's temporary objects go, in its transaction if one is open. */
  protected async discardTemp(): Promise<void> {
    const temp = this.schema.temp;
    if (!temp?.active) return;
    await this.ensureWriter(false, () => 'DISCARD');
    try {
      for (const sql of temp.dropAllSql()) this.host.engine.writer.exec(sql);
      temp.changed();
    } catch (e) {
      if (this.state === 'idle') this.releaseWriter(false);
      throw e;
    }
    if (this.state === 'idle') await this.awaitQuorum(this.releaseWriter(true));
  }
}
