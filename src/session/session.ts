// One client session: PostgreSQL transaction semantics over SQLite. Reads outside a write
// transaction go to reader threads; the first write statement takes the single writer (bounded
// wait) and holds it until COMMIT/ROLLBACK; an error inside a block fails the block (25P02).

import type { AdminRegistry } from '../admin/registry.js';
import { wallClockUs } from '../clock/clock.js';
import {
  ActiveTransactionError,
  ChorusError,
  FeatureNotSupportedError,
  InFailedTransactionError,
  QueryCanceledError,
  ReadOnlyTransactionError,
} from '../errors.js';
import type { DdlLease, DdlLock } from '../replication/cluster/ddl-lock.js';
import { commandTag, isDdl } from '../sql/classify.js';
import { isKeyword, type Token } from '../sql/lexer.js';
import { vacuumWithoutRewriteSql } from '../sql/pg-dialect.js';
import type { StorageValue, ValueEnv } from '../sql/types/values.js';
import type { CommitInfo, StorageEngine } from '../storage/engine.js';
import { toChorusError } from '../storage/sqlite-errors.js';
import type { WriterLock } from '../storage/writer-lock.js';
import type { AdminExecutor } from './readers/admin-executor.js';
import { type BindContext, bindPlan } from './bind.js';
import { diagnoseConstraint } from './constraint-errors.js';
import { runDdl } from './ddl/ddl.js';
import { resultTypeChanged } from './planning/front-end.js';
import type { GroupCommitter } from './group-commit.js';
import { type LocalServices, SessionLocal } from './local/session-local.js';
import type { PlannedStatement } from './planning/plan-cache.js';
import type { Prepared } from './planning/prepare.js';
import type { BindParams, BindValue } from './read-protocol.js';
import type { ReaderPool } from './readers/reader-pool.js';
import type { Notice, StatementResult } from './result.js';
import { type SchemaView, SessionSchema } from './planning/schema-view.js';
import {
  clientTimestampOf,
  planColumns,
  queryEndsTransaction,
  readOnlySavepoint,
  result,
  runAdminCall,
  sameColumns,
  savepointKinds,
  toBindParams,
  typedByView,
} from './session-helpers.js';
import { settingMs } from './settings/setting-defs.js';
import { SessionSettings } from './settings/settings.js';
import type { StatementCache } from './statement-cache.js';
import { runTempDdl } from './temp/temp-ddl.js';
import { dropTempAtClose, TempObjects } from './temp/temp-objects.js';
import { isRouteOnly, SessionRouter, type WriteRouting } from './write-routing/write-route.js';

export { planColumns, savepointKinds, toBindParams, typedByView } from './session-helpers.js';

export type TxStatus = 'I' | 'T' | 'E';

/** What a session needs from its node. */
export interface SessionHost {
  engine: StorageEngine;
  writerLock: WriterLock;
  writerCache: StatementCache;
  readers: ReaderPool;
  admin: AdminExecutor;
  groupCommit: GroupCommitter;
  registry: AdminRegistry;
  isReadOnlyNode(): boolean;
  /** A standby (pg_is_in_recovery): writes are refused as PostgreSQL's hot standby refuses them. */
  inRecovery?(): boolean;
  /** Multi-primary: some DDL cannot be replicated safely and is refused. */
  multiPrimary: boolean;
  /** timestamp_source = client_timestamp: sessions may set chorus.client_timestamp. */
  clientTimestamps: boolean;
  onCommit(info: { captured: boolean }): void;
  onStatement(kind: string, ok: boolean): void;
  /**
   * Commit acknowledgement: quorum writes (multi-primary with require_quorum_for_writes) or the
   * primary's sync mode (`syncCommit`: the session's synchronous_commit); null otherwise.
   */
  quorum?: {
    checkWritable(syncCommit?: string): void;
    wait(seq: number, syncCommit?: string): Promise<void>;
    /** A primary in a sync mode: a statement's rows wait until the standbys hold what they may show. */
    readBarrier?(): Promise<void> | null;
  } | null;
  /** The cluster DDL lock (multi-primary with ddl_locking); null otherwise. */
  ddlLock?: Pick<DdlLock, 'acquire' | 'waitCovered'> | null;
  /** DDL ran: compiled statements everywhere may describe old columns. */
  onSchemaChange(): void;
  /** The committed schema: the node's catalog and plan cache (see schema-view.ts). */
  schema: SchemaView;
  /** A private view of the schema over the writer connection, for a transaction that ran DDL. */
  openWriterView(): SchemaView;
  /** Replication DDL SQLite does not know (ALTER TABLE ... SET REPLICATION ...); null when not one. */
  customDdl?(p: Prepared): StatementResult | null;
  /** Advisory locks and cursor connections (see local/). */
  local: LocalServices;
  /** Write routing to the primary (a standby); null elsewhere (write-route.ts). */
  writeRouting?: WriteRouting | null;
}

/** Times DDL waits for the DDL its lock's voters had applied before it is refused (40001). */
const ddlCatchUpAttemptsMax = 3;

let nextSessionId = 1;
/** Numbers executions of statements (BindSource 'execution'). */
let nextExecution = 1;
/** txid_current() values start here (the process's start in ms x 1000), so they keep increasing across restarts. */
const xactIdBase = BigInt(Date.now()) * 1000n;

export class Session {
  readonly id = nextSessionId++;
  private state: 'idle' | 'tx' | 'failed' = 'idle';
  /** The open block's txid_current(), made when first asked. */
  private xact: { startUs: bigint; id: bigint } | null = null;
  private holdsWriter = false;
  /** The writer is held as a block inside a commit group (holdsWriter is true as well). */
  private groupBlock = false;
  /**
   * Set by the connection: whether the open transaction's end already arrived in the current batch
   * of messages (so it may run in a commit group). Simple queries set their own while they run.
   */
  batchHint: (() => boolean) | null = null;
  private savepoints = 0;
  /** A query (not SET/SHOW/transaction control) ran in the open block. */
  private txQueried = false;
  /** Savepoints of a read-only block that never took the writer (nothing to roll back). */
  private readOnlySavepoints: string[] = [];
  private readOnlyTx = false;
  private canceled = false;
  /** The running statement has a statement_timeout. */
  private deadline = false;
  /** Why the running statement was canceled (CancelRequest, statement_timeout, lock_timeout). */
  private cancelReason: ChorusError = new QueryCanceledError();
  /** close() ran: nothing may take the writer any more. */
  private closed = false;
  private readonly cancelWaiters = new Set<(e: Error) => void>();
  /** DDL ran in the current write transaction: invalidate statement caches after it ends. */
  private schemaChanged = false;
  /** The cluster DDL lock the open write transaction holds (released when it ends). */
  private ddlLease: DdlLease | null = null;
  /** The schema this session plans against (its own view while its DDL is uncommitted). */
  readonly schema: SessionSchema;
  readonly settings: SessionSettings;
  /** The user name the client connected as (recorded by admin functions that change state). */
  readonly user: string;
  /** Start of the open transaction block (PostgreSQL's now()), µs since the epoch. */
  private txStartUs: bigint | null = null;
  /** Cursors, SQL prepared statements, advisory locks (see local/session-local.ts). */
  readonly local: SessionLocal;
  /** Position of this session's last commit (replicate.last_commit_lsn()): local, or routed. */
  private ownCommitLsn: number | null = null;
  /** Write routing on a standby (write-route.ts). */
  private readonly route: SessionRouter | null;
  /** The text of the simple-protocol statement running now (sent as is when it is routed). */
  private simpleText: string | null = null;

  constructor(
    private readonly host: SessionHost,
    startupParams: Record<string, string> = {},
  ) {
    this.settings = new SessionSettings(startupParams);
    this.user = startupParams.user ?? 'embedded';
    this.route = host.writeRouting
      ? new SessionRouter(
          host.writeRouting,
          this.user,
          startupParams,
          () => this.settings.sessionValues(),
          (name) => this.settings.get(name),
          () => this.settings.localValues(),
        )
      : null;
    this.schema = new SessionSchema(
      host.schema,
      () => host.openWriterView(),
      () => this.settings.get('search_path'),
      this.user,
      new TempObjects(host.engine.writer, host.registry, this.id),
    );
    const run = async (p: Prepared, params: readonly BindValue[]): Promise<StatementResult> => {
      // EXECUTE of a write on a standby: its statement runs on the primary (write-route.ts).
      if (this.route?.takes(p, this.readOnlyTx)) return this.routed(p, params);
      const q = this.current(p);
      const r = await this.dispatch(q, params, wallClockUs());
      return q.plan && r.columns ? { ...r, columns: planColumns(q) } : r;
    };
    this.local = new SessionLocal({
      services: host.local,
      owner: this,
      inBlock: () => this.state !== 'idle',
      inRecovery: () => host.inRecovery?.() ?? false,
      holdsWriter: () => this.holdsWriter,
      lockWait: (wait) => this.lockWait(wait),
      prepare: (sql, oids) => this.schema.planner.prepareOne(sql, oids),
      run,
      bind: (p, params) => bindPlan(p.plan!, params, this.bindContext(wallClockUs())),
      columns: planColumns,
      setConfig: (name, value, isLocal) => {
        this.settings.setConfig(name, value, isLocal, this.state !== 'idle');
      },
      resetSettings: () => this.settings.apply('RESET ALL', false),
      discardTemp: () => this.discardTemp(),
      replay: () => {
        const c = this.host.writeRouting?.client;
        return c
          ? { position: () => c.position(), waitFor: (lsn, ms) => this.cancelable(c.waitFor(lsn, ms)) }
          : null;
      },
    });
  }

  /** Position of this session's last commit (the primary's commit count), or null. */
  get lastCommitLsn(): number | null {
    return this.route?.lastCommitLsn ?? this.ownCommitLsn;
  }

  /** Extended-protocol Parse: plan `sql`, or keep it as text for the primary (write-route.ts). */
  prepareForParse(sql: string, oids: number[]): Prepared {
    try {
      return this.schema.planner.prepareOne(sql, oids);
    } catch (e) {
      if (!this.route) throw e;
      return this.route.unplanned(sql, oids, e);
    }
  }

  /** On a standby: wait until it applied this session's last routed commit (read-your-writes). */
  async waitOwnWrites(): Promise<void> {
    if (this.route?.behind) await this.route.waitOwnWrites();
  }

  /** Wait for this standby to apply position `lsn` (replicate.wait_for_lsn); false on timeout. */
  waitForLsn(lsn: number, timeoutMs: number): Promise<boolean> {
    const client = this.host.writeRouting?.client;
    if (!client) throw new ChorusError('55000', 'replicate.wait_for_lsn() runs on a standby');
    return client.waitFor(lsn, timeoutMs);
  }

  get txStatus(): TxStatus {
    return this.state === 'idle' ? 'I' : this.state === 'tx' ? 'T' : 'E';
  }

  /** Execute one prepared statement with its bound values. */
  async execute(prepared: Prepared, params: readonly BindValue[] = []): Promise<StatementResult> {
    this.canceled = false;
    const kind = prepared.cls.kind;
    if (this.state === 'failed' && kind !== 'rollback' && kind !== 'commit' && kind !== 'rollback_to') {
      throw new InFailedTransactionError();
    }
    if (this.route) {
      if (this.route.takes(prepared, this.readOnlyTx)) return this.routed(prepared, params);
      if (this.route.behind) await this.route.waitOwnWrites();
    }
    let p: Prepared;
    try {
      // Any error here fails an open transaction block, as an error anywhere in one does.
      // Parse could not plan it here (a routed block's): planned now, with its error if any.
      p = isRouteOnly(prepared)
        ? this.schema.planner.prepareOne(prepared.text, prepared.declaredOids)
        : this.current(prepared);
      if (params.length !== p.paramCount) {
        throw new ChorusError(
          '08P01',
          `bind message supplies ${params.length} parameters, but prepared statement requires ${p.paramCount}`,
        );
      }
    } catch (e) {
      this.onError();
      throw toChorusError(e);
    }
    let ok = false;
    const statementUs = wallClockUs();
    const timeoutMs = settingMs(this.settings.get('statement_timeout'));
    const timer =
      timeoutMs > 0
        ? setTimeout(
            () => this.cancel(new QueryCanceledError('canceling statement due to statement timeout')),
            timeoutMs,
          )
        : null;
    this.deadline = timer !== null;
    try {
      const result = await this.dispatch(p, params, statementUs);
      // Only a sync primary holds reads; elsewhere no extra await on the hot path.
      const held = result.columns ? this.host.quorum?.readBarrier?.() : null;
      if (held) await held;
      ok = true;
      this.settings.statementEnded(true);
      if (p.plan) return result.columns ? { ...result, columns: planColumns(p) } : result;
      return p.viewColumnTypes && result.columns ? typedByView(result, p.viewColumnTypes) : result;
    } catch (e) {
      const err = toChorusError(e);
      this.settings.statementEnded(false);
      this.onError();
      throw err;
    } finally {
      if (timer) clearTimeout(timer);
      this.host.onStatement(kind, ok);
    }
  }

  /**
   * Run `p` once per row of values (COPY FROM): on a standby that routes it, as one request to the
   * primary (write-route.ts); here, row by row.
   */
  async executeBatch(p: Prepared, rows: readonly (readonly BindValue[])[]): Promise<void> {
    if (this.state === 'failed') throw new InFailedTransactionError();
    if (this.route?.takes(p, this.readOnlyTx)) {
      await this.routed(p, [], rows);
      return;
    }
    for (const row of rows) await this.execute(p, row);
  }

  /** Run a statement on the primary (write-route.ts); this session's block follows the primary's. */
  private async routed(
    p: Prepared,
    params: readonly BindValue[],
    batch?: readonly (readonly BindValue[])[],
  ): Promise<StatementResult> {
    const route = this.route!;
    const stmt = route.statement(p, params, this.simpleText, batch);
    // A block that only read so far starts upstream at its first write.
    const begin = !route.open && this.state !== 'idle';
    const stmts = begin ? [{ text: 'BEGIN', simple: true, params: [], oids: [] }, stmt] : [stmt];
    let ok = false;
    try {
      const { results, status } = await route.run(stmts, begin ? 1 : 0);
      this.mirror(status, p.cls.kind === 'commit');
      ok = true;
      if (results.length !== 1) throw new ChorusError('XX000', 'a routed statement gave no single result');
      return results[0]!;
    } catch (e) {
      // Open upstream: the routed block failed there. Closed: an autocommit statement failed, the
      // block ended (COMMIT / ROLLBACK), or the link dropped and the primary rolled the block back.
      const kind = p.cls.kind;
      if (route.open) this.mirror('E', false);
      else if (kind === 'commit' || kind === 'rollback') this.mirror('I', false);
      else if (this.state !== 'idle') this.state = 'failed';
      throw toChorusError(e);
    } finally {
      this.host.onStatement(p.cls.kind, ok);
    }
  }

  /** The routed transaction's state upstream is this session's. */
  private mirror(status: TxStatus, committed: boolean): void {
    if (status === 'I') {
      if (this.state !== 'idle') {
        this.state = 'idle';
        this.txStartUs = null;
        this.readOnlyTx = false;
        this.endBlock(committed);
        if (committed) this.local.committed();
      }
      return;
    }
    if (this.state === 'idle') {
      this.txStartUs = wallClockUs();
      this.settings.begin(false);
    }
    this.state = status === 'T' ? 'tx' : 'failed';
  }

  /** An error found outside the session (e.g. bad COPY data) fails the open transaction block. */
  failTransaction(): void {
    this.onError();
  }

  private onError(): void {
    if (this.state === 'tx') {
      this.state = 'failed';
      // Without savepoints nothing can be salvaged: free the writer for others right away.
      if (this.holdsWriter && this.savepoints === 0) this.releaseWriter(false);
    } else if (this.state === 'idle' && this.holdsWriter) {
      this.releaseWriter(false);
    }
  }

  /**
   * A statement of a simple query, planned again if the statements ahead of it changed the schema
   * (or planned for the first time if it could not be before they ran). Its result columns may
   * change: they are described when it runs.
   */
  private planInTurn(item: PlannedStatement): PlannedStatement {
    const stale = this.schema.isStale(item.prepared);
    if (!item.source || !(item.pending || stale) || this.state === 'failed') return item;
    try {
      return this.schema.planner.planInQuery(item.source);
    } catch (e) {
      this.onError();
      throw toChorusError(e);
    }
  }

  /** A front-end plan made against an older schema is made again (0A000 if its result columns changed). */
  private current(p: Prepared): Prepared {
    if (!this.schema.isStale(p)) return p;
    const fresh = this.schema.planner.refresh(p);
    if (!sameColumns(p, fresh)) throw resultTypeChanged();
    return fresh;
  }

  /** What values are printed with: the session's TimeZone (and the transaction's time). */
  valueEnv(): ValueEnv {
    return { timeZone: this.settings.get('timezone') ?? 'UTC', nowUs: this.txStartUs ?? 0n };
  }

  /** Session values of a plan: the transaction's time, TimeZone, settings. */
  bindContext(statementUs: bigint): BindContext {
    let statementXact: bigint | null = null;
    return {
      env: { timeZone: this.settings.get('timezone') ?? 'UTC', nowUs: this.txStartUs ?? statementUs },
      statementUs,
      execution: BigInt(nextExecution++),
      clockUs: wallClockUs,
      setting: (name) =>
        name === 'session_user'
          ? this.user
          : name === 'session_id'
            ? String(this.id)
            : this.settings.get(name),
      xactId: () => {
        // Outside a block the statement is the transaction; a block is known by its start time.
        if (this.txStartUs === null) {
          statementXact ??= xactIdBase + BigInt(nextExecution++);
          return statementXact;
        }
        if (this.xact?.startUs !== this.txStartUs)
          this.xact = { startUs: this.txStartUs, id: xactIdBase + BigInt(nextExecution++) };
        return this.xact.id;
      },
      setConfig: (name, value, isLocal) =>
        this.settings.setConfig(name, value, isLocal, this.state !== 'idle'),
    };
  }

  private async dispatch(
    p: Prepared,
    params: readonly BindValue[],
    statementUs: bigint,
  ): Promise<StatementResult> {
    if (p.local) return this.local.run(p.local, params);
    const kind = p.cls.kind;
    switch (kind) {
      case 'empty':
        return result('', null);
      case 'begin':
        return this.begin(p.cls.sig, statementUs);
      case 'commit':
      case 'rollback': {
        // COMMIT / ROLLBACK AND CHAIN: a new block with the same characteristics starts at once.
        const chain = andChain(p.cls.sig);
        if (chain && this.state === 'idle') {
          const what = kind === 'commit' ? 'COMMIT' : 'ROLLBACK';
          throw new ChorusError('25P01', `${what} AND CHAIN can only be used in transaction blocks`);
        }
        const readOnly = this.readOnlyTx;
        const r = kind === 'commit' ? await this.commit() : this.rollback();
        if (chain) this.begin([], statementUs, readOnly);
        return r;
      }
      case 'set':
      case 'reset': {
        const { notices, transaction } = this.settings.apply(p.text, this.state !== 'idle');
        if (transaction?.readOnly !== undefined) this.setReadOnly(transaction.readOnly);
        return { ...result(kind === 'set' ? 'SET' : 'RESET', null), notices };
      }
      case 'show': {
        const shown = this.settings.show(p.text);
        return {
          tag: 'SHOW',
          columns: shown.columns.map((name) => ({ name, declType: 'TEXT', table: null })),
          rows: shown.rows,
          notices: [],
        };
      }
      default:
    }
    if (p.route.type === 'admin-call') {
      // Its effects (peers, settings, snapshots) would not roll back with the block.
      if (p.route.fn.mutates && this.state !== 'idle')
        throw new ActiveTransactionError(
          `replicate.${p.route.fn.name}() cannot run inside a transaction block`,
        );
      return runAdminCall(this.host.registry, this.user, p, params, this);
    }
    const bind: BindParams = p.plan
      ? bindPlan(p.plan, params, this.bindContext(statementUs))
      : toBindParams(p, params);
    if (p.route.type === 'sql' && p.route.onAdmin) {
      // After DDL in this transaction the catalog reads the writer's (uncommitted) schema.
      const out = this.host.admin.query(
        p.execSql,
        bind,
        this.schemaChanged && this.holdsWriter ? this.host.engine.writer : undefined,
        { user: this.user, session: this },
      );
      return { tag: commandTag(p.cls, out.rows.length), columns: out.columns, rows: out.rows, notices: [] };
    }
    switch (kind) {
      case 'savepoint':
      case 'release':
      case 'rollback_to':
        return this.savepoint(p);
      case 'vacuum':
        if (this.state !== 'idle')
          throw new ActiveTransactionError('VACUUM cannot run inside a transaction block');
        if (p.execSql === vacuumWithoutRewriteSql) return result('VACUUM', null);
        await this.acquireWriter();
        try {
          this.host.engine.writer.exec(p.execSql);
        } finally {
          this.host.writerLock.release(this);
        }
        return result('VACUUM', null);
      default:
    }
    // A query ran in this block: its read/write mode is fixed from here on.
    this.txQueried = this.state !== 'idle';
    // Temporary tables live on the writer connection (see temp/DESIGN.md).
    if (p.plan?.temporary && p.plan.kind === 'select' && !this.holdsWriter && !p.plan.locksRows)
      return this.readTemp(p, bind);
    const ddl = isDdl(kind) || kind === 'truncate';
    if (this.host.multiPrimary && kind === 'create_trigger') {
      throw new FeatureNotSupportedError(
        'CREATE TRIGGER on a replicated node (multi-primary, primary or standby mode)',
        {
          hint: 'A trigger would run again on every node that applies the replicated change. Put the logic in the application or in a replicated write.',
        },
      );
    }
    if (!ddl && !this.holdsWriter && !p.plan?.locksRows) {
      if (p.isRead === undefined) {
        // A front-end SELECT only reads (data-modifying WITH is refused); other statements are
        // compiled on the writer to ask SQLite.
        if (p.plan) p.isRead = p.plan.kind === 'select';
        else {
          const stmt = this.compile(p.execSql);
          p.isRead = stmt.readonly && stmt.reader;
        }
      }
      if (p.isRead) {
        // A cancel (or statement_timeout) answers at once; the reader's result is discarded.
        // Under statement_timeout the read is raced against the deadline (its result discarded if
        // late); otherwise a cancel replaces the result when it arrives (no extra promise per read).
        const reading = this.host.readers.read(p.execSql, bind, p.mayBlock);
        const out = await (this.deadline ? this.cancelable(reading) : reading);
        if (this.canceled) throw this.cancelReason;
        return { tag: commandTag(p.cls, out.rows.length), columns: out.columns, rows: out.rows, notices: [] };
      }
    }
    // The schema may change while a write waits for the writer: planned again if so (with its
    // parameters bound again), before it runs.
    const latest = (): [Prepared, BindParams] => {
      const q = this.current(p);
      return q === p || !q.plan ? [q, bind] : [q, bindPlan(q.plan, params, this.bindContext(statementUs))];
    };
    return this.write(latest, ddl);
  }

  private compile(sql: string) {
    try {
      return this.host.writerCache.get(sql);
    } catch (e) {
      throw toChorusError(e);
    }
  }

  private async acquireWriter(): Promise<void> {
    const wait = this.host.writerLock.acquire(this);
    if (wait) await this.lockWait(wait);
    if (this.canceled) {
      this.host.writerLock.release(this);
      throw this.cancelReason;
    }
  }

  /**
   * A wait for the writer, bounded by lock_timeout (55P03) as PostgreSQL bounds lock waits, and
   * abandoned on CancelRequest. The timer ends with the wait or the cancel, whichever comes first
   * (a wait that never settles must not leave a timer to cancel a later statement).
   */
  private lockWait<T>(wait: Promise<T>): Promise<T> {
    const ms = settingMs(this.settings.get('lock_timeout'));
    const raced = this.cancelable(wait);
    if (ms <= 0) return raced;
    const timer = setTimeout(
      () => this.cancel(new ChorusError('55P03', 'canceling statement due to lock timeout')),
      ms,
    );
    return raced.finally(() => clearTimeout(timer));
  }

  /** SET TRANSACTION READ ONLY / READ WRITE (or SET transaction_read_only) in an open block. */
  private setReadOnly(readOnly: boolean): void {
    if (readOnly) {
      this.readOnlyTx = true;
      this.settings.markReadOnly();
      return;
    }
    if (!this.readOnlyTx) return;
    if (this.txQueried)
      throw new ChorusError('25001', 'transaction read-write mode must be set before any query');
    this.readOnlyTx = false;
    this.settings.markReadWrite();
  }

  /** A write on a read-only node; on a standby in PostgreSQL's words ("cannot execute INSERT in a read-only transaction"). */
  private readOnlyNodeError(what: () => string): ReadOnlyTransactionError {
    return new ReadOnlyTransactionError(
      this.host.inRecovery?.()
        ? `cannot execute ${what()} in a read-only transaction`
        : 'this node is read-only',
    );
  }

  private async ensureWriter(mayJoinGroup = true, what = (): string => 'a write'): Promise<void> {
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

  private releaseWriter(commit: boolean): CommitInfo | null | Promise<CommitInfo | null> {
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

  private async write(latest: () => [Prepared, BindParams], ddl: boolean): Promise<StatementResult> {
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

  private runWriterStatement(p: Prepared, bind: BindParams): StatementResult {
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

  private begin(sig: Token[], statementUs: bigint, chainedReadOnly?: boolean): StatementResult {
    const tag = isKeyword(sig[0], 'START') ? 'START TRANSACTION' : 'BEGIN';
    if (this.state !== 'idle') {
      return {
        ...result(tag, null),
        notices: [
          { severity: 'WARNING', code: '25001', message: 'there is already a transaction in progress' },
        ],
      };
    }
    this.state = 'tx';
    this.txQueried = false;
    this.readOnlySavepoints = [];
    this.txStartUs = statementUs;
    const mode = sig.findIndex((t, i) => isKeyword(t, 'READ') && isKeyword(sig[i + 1], 'ONLY', 'WRITE'));
    this.readOnlyTx =
      chainedReadOnly ??
      (mode >= 0
        ? isKeyword(sig[mode + 1], 'ONLY')
        : this.settings.get('default_transaction_read_only') === 'on');
    this.settings.begin(this.readOnlyTx);
    return result(tag, null);
  }

  private async commit(): Promise<StatementResult> {
    if (this.state === 'idle')
      return {
        ...result('COMMIT', null),
        notices: [{ severity: 'WARNING', code: '25P01', message: 'there is no transaction in progress' }],
      };
    const failed = this.state === 'failed';
    this.state = 'idle';
    this.txStartUs = null;
    this.readOnlyTx = false;
    const syncCommit = this.settings.get('synchronous_commit'); // a SET LOCAL one counts: read before the block ends
    this.endBlock(!failed);
    await this.awaitQuorum(this.releaseWriter(!failed), syncCommit, true);
    return result(failed ? 'ROLLBACK' : 'COMMIT', null);
  }

  /** A transaction block ended: its SET LOCALs, cursors and transaction-level locks end with it. */
  private endBlock(committed: boolean): void {
    this.settings.end(committed);
    this.local.transactionEnded(committed);
  }

  /** Quorum writes: the commit is acknowledged once enough nodes hold it (see replication/cluster/quorum.ts). */
  private async awaitQuorum(
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

  private rollback(): StatementResult {
    if (this.state === 'idle')
      return {
        ...result('ROLLBACK', null),
        notices: [{ severity: 'WARNING', code: '25P01', message: 'there is no transaction in progress' }],
      };
    this.state = 'idle';
    this.txStartUs = null;
    this.readOnlyTx = false;
    this.endBlock(false);
    this.releaseWriter(false);
    return result('ROLLBACK', null);
  }

  private async savepoint(p: Prepared): Promise<StatementResult> {
    const kind = p.cls.kind;
    if (this.state === 'idle') {
      throw new ChorusError(
        '25P01',
        `${kind === 'savepoint' ? 'SAVEPOINT' : kind === 'release' ? 'RELEASE SAVEPOINT' : 'ROLLBACK TO SAVEPOINT'} can only be used in transaction blocks`,
      );
    }
    const last = p.cls.sig[p.cls.sig.length - 1];
    const name = last?.kind === 'qident' ? last.value : (last?.text ?? '').toLowerCase();
    this.local.savepoint(kind, name);
    if (!this.holdsWriter && this.readOnlyTx) {
      if (readOnlySavepoint(this.readOnlySavepoints, this.settings, kind, name)) this.state = 'tx';
      return result(commandTag(p.cls, 0), null);
    }
    if (kind === 'savepoint' && !this.holdsWriter) await this.ensureWriter(false);
    if (!this.holdsWriter) throw new ChorusError('3B001', `savepoint "${name}" does not exist`);
    this.host.engine.writer.exec(p.execSql);
    if (kind === 'rollback_to') this.schema.temp?.rolledBack();
    if (kind === 'rollback_to' && this.schemaChanged) {
      // DDL after the savepoint was undone: this session's statements see the schema as it is now.
      this.host.writerCache.clear();
      this.schema.changed();
    }
    if (kind === 'savepoint') {
      this.savepoints++;
      this.settings.savepoint(name);
    } else if (kind === 'release') {
      this.savepoints = Math.max(0, this.savepoints - 1);
      this.settings.release(name);
    } else this.settings.rollbackTo(name);
    if (kind === 'rollback_to') this.state = 'tx';
    return result(commandTag(p.cls, 0), null);
  }

  /**
   * Run the statements of one simple-protocol Query message. Several statements without explicit
   * transaction control run as one implicit transaction, as in PostgreSQL. onResult sees each
   * result before the next statement runs; the first error stops the rest and is thrown.
   */
  async executeSimple(
    items: readonly PlannedStatement[],
    onResult: (r: StatementResult, p: Prepared) => void,
    sql?: string,
  ): Promise<void> {
    const control = items.some((i) => transactionControl.has(i.prepared.cls.kind));
    if (items.length > 1 && control && !this.route) return this.executeMixed(items, onResult);
    const implicit = items.length > 1 && this.state === 'idle' && !control;
    if (implicit) this.openImplicit();
    const outer = this.batchHint;
    let next = 0;
    this.batchHint = () => queryEndsTransaction(items, next, implicit);
    try {
      for (const item of items) {
        next++;
        if (this.route?.takes(item.prepared, this.readOnlyTx)) {
          // Routed as the client wrote it (the primary plans it).
          this.simpleText =
            items.length === 1 && sql !== undefined ? sql : (item.source?.statement.sql ?? null);
          try {
            onResult(await this.execute(item.prepared, item.params), item.prepared);
          } finally {
            this.simpleText = null;
          }
          continue;
        }
        if (this.route?.behind) await this.route.waitOwnWrites();
        const it = this.planInTurn(item);
        onResult(await this.execute(it.prepared, it.params), it.prepared);
      }
    } catch (e) {
      if (implicit && this.route?.open) await this.endRoutedImplicit(false).catch(() => {});
      if (implicit && this.state !== 'idle') this.abortImplicit();
      throw e;
    } finally {
      this.batchHint = outer;
    }
    if (implicit && this.route?.open) await this.endRoutedImplicit(true);
    if (implicit && this.state === 'tx') await this.commitImplicit();
  }

  /** The implicit transaction block of a multi-statement query begins. */
  private openImplicit(): void {
    this.state = 'tx';
    this.txQueried = false;
    this.readOnlySavepoints = [];
    this.txStartUs = wallClockUs();
    this.readOnlyTx = this.settings.get('default_transaction_read_only') === 'on';
    this.settings.begin(this.readOnlyTx);
  }

  /**
   * A multi-statement query with transaction control, as PostgreSQL runs it: the statements outside
   * an explicit block run in an implicit one (rolled back by an error later in it); BEGIN turns the
   * implicit block into an explicit one (the statements before it belong to it); COMMIT / ROLLBACK
   * end it (with PostgreSQL's WARNING: no explicit block was open); the statements after them start
   * a new implicit block; savepoints and VACUUM cannot run in an implicit block.
   */
  private async executeMixed(
    items: readonly PlannedStatement[],
    onResult: (r: StatementResult, p: Prepared) => void,
  ): Promise<void> {
    let implicit = false;
    const outer = this.batchHint;
    let next = 0;
    this.batchHint = () => queryEndsTransaction(items, next, implicit);
    try {
      for (const item of items) {
        next++;
        const it = this.planInTurn(item);
        const kind = it.prepared.cls.kind;
        if (this.state === 'idle' && (!transactionControl.has(kind) || kind === 'vacuum')) {
          this.openImplicit();
          implicit = true;
        }
        if (!implicit || this.state !== 'tx') {
          onResult(await this.execute(it.prepared, it.params), it.prepared);
          continue;
        }
        const word =
          kind === 'savepoint'
            ? 'SAVEPOINT'
            : kind === 'release'
              ? 'RELEASE SAVEPOINT'
              : 'ROLLBACK TO SAVEPOINT';
        if (savepointKinds.has(kind))
          throw new ChorusError('25P01', `${word} can only be used in transaction blocks`);
        if (kind === 'vacuum') throw new ChorusError('25001', 'VACUUM cannot run inside a transaction block');
        if (kind === 'begin') {
          implicit = false;
          const mode = it.prepared.cls.sig.findIndex(
            (t, i, sig) => isKeyword(t, 'READ') && isKeyword(sig[i + 1], 'ONLY', 'WRITE'),
          );
          if (mode >= 0) this.setReadOnly(isKeyword(it.prepared.cls.sig[mode + 1], 'ONLY'));
          onResult(result(commandTag(it.prepared.cls, 0), null), it.prepared);
          continue;
        }
        if (kind === 'commit' || kind === 'rollback') {
          const what = kind === 'commit' ? 'COMMIT' : 'ROLLBACK';
          if (andChain(it.prepared.cls.sig))
            throw new ChorusError('25P01', `${what} AND CHAIN can only be used in transaction blocks`);
          implicit = false;
          const r = kind === 'commit' ? await this.commit() : this.rollback();
          const warning: Notice = {
            severity: 'WARNING',
            code: '25P01',
            message: 'there is no transaction in progress',
          };
          onResult({ ...r, notices: [...r.notices, warning] }, it.prepared);
          continue;
        }
        onResult(await this.execute(it.prepared, it.params), it.prepared);
      }
    } catch (e) {
      if (implicit && this.state !== 'idle') this.abortImplicit();
      throw e;
    } finally {
      this.batchHint = outer;
    }
    if (implicit && this.state === 'tx') await this.commitImplicit();
  }

  /** A multi-statement query whose writes were routed ends its implicit transaction upstream. */
  private async endRoutedImplicit(commit: boolean): Promise<void> {
    const { status } = await this.route!.run(
      [{ text: commit ? 'COMMIT' : 'ROLLBACK', simple: true, params: [], oids: [] }],
      1,
    );
    this.mirror(status, commit);
  }

  /** timestamp_source = client_timestamp: see clientTimestampOf (session-helpers.ts). */
  private clientTimestampMs(): number | null {
    return this.host.clientTimestamps
      ? clientTimestampOf(this.settings.get('chorus.client_timestamp'))
      : null;
  }

  /** Race a wait against CancelRequest. */
  private cancelable<T>(wait: Promise<T>): Promise<T> {
    let reject!: (e: Error) => void;
    const canceled = new Promise<never>((_, r) => {
      reject = r;
    });
    this.cancelWaiters.add(reject);
    return Promise.race([wait, canceled]).finally(() => this.cancelWaiters.delete(reject));
  }

  /**
   * CancelRequest (or a timeout): abandon a writer wait or a read now (the read's result is
   * discarded). A write that is running on the writer completes: SQLite cannot be interrupted
   * from this thread while it runs.
   */
  cancel(reason: ChorusError = new QueryCanceledError()): void {
    this.canceled = true;
    this.cancelReason = reason;
    this.host.writerLock.cancel(this, reason);
    for (const reject of this.cancelWaiters) reject(reason);
    this.route?.cancel();
  }

  /** Connection closed or node shutting down: roll back whatever is open. */
  close(): void {
    this.closed = true;
    this.route?.close();
    this.host.writerLock.cancel(this);
    for (const reject of this.cancelWaiters) reject(new QueryCanceledError('connection closed'));
    if (this.holdsWriter) this.releaseWriter(false);
    this.state = 'idle';
    this.local.close();
    this.host.engine.sequences.forgetSession(this.id);
    if (this.schema.temp?.active) void dropTempAtClose(this.host, this.schema.temp);
  }

  /** A SELECT of temporary tables: on the writer connection, which only holds them (temp/). */
  private async readTemp(p: Prepared, bind: BindParams): Promise<StatementResult> {
    await this.acquireWriter();
    try {
      return this.runWriterStatement(p, bind);
    } finally {
      this.host.writerLock.release(this);
    }
  }

  /** DISCARD TEMP / ALL: the session's temporary objects go, in its transaction if one is open. */
  private async discardTemp(): Promise<void> {
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

  /** A multi-statement query's implicit block ends well: committed, back to idle. */
  private async commitImplicit(): Promise<void> {
    this.state = 'idle';
    this.txStartUs = null;
    this.readOnlyTx = false;
    const syncCommit = this.settings.get('synchronous_commit');
    this.endBlock(true);
    await this.awaitQuorum(this.releaseWriter(true), syncCommit, true);
  }

  /** A multi-statement query's implicit block failed: back to idle, its writes undone. */
  private abortImplicit(): void {
    this.state = 'idle';
    this.txStartUs = null;
    this.readOnlyTx = false;
    this.endBlock(false);
    this.releaseWriter(false);
  }
}

/** COMMIT / ROLLBACK [WORK | TRANSACTION] AND CHAIN (not AND NO CHAIN). */
function andChain(sig: readonly Token[]): boolean {
  const i = sig.findIndex((t) => isKeyword(t, 'CHAIN'));
  return i > 0 && !isKeyword(sig[i - 1], 'NO');
}

/** Statements that begin or end blocks, or need one (a multi-statement query runs them in order). */
const transactionControl: ReadonlySet<string> = new Set([
  'begin',
  'commit',
  'rollback',
  'savepoint',
  'release',
  'rollback_to',
  'vacuum',
]);
