// What one client session holds — its transaction state, settings, schema view and write routing —
// and what every part of it uses: the values bound into plans, lock_timeout and CancelRequest.
// Session (session.ts) is built on it in layers: writes, transaction control, simple queries.

import type { AdminRegistry } from '../admin/registry.js';
import { wallClockUs } from '../clock/clock.js';
import { ChorusError, QueryCanceledError } from '../errors.js';
import type { DdlLease, DdlLock } from '../replication/cluster/ddl-lock.js';
import type { ValueEnv } from '../sql/types/values.js';
import type { StorageEngine } from '../storage/engine/engine.js';
import type { WriterLock } from '../storage/engine/writer-lock.js';
import type { BindContext } from './bind.js';
import type { GroupCommitter } from './group-commit.js';
import type { LocalServices, SessionLocal } from './local/session-local.js';
import type { Prepared } from './planning/prepared.js';
import { type SchemaView, SessionSchema } from './planning/schema-view.js';
import type { AdminExecutor } from './readers/admin-executor.js';
import type { ReaderPool } from './readers/reader-pool.js';
import type { StatementResult } from './result.js';
import { settingMs } from './settings/setting-defs.js';
import { SessionSettings } from './settings/settings.js';
import type { StatementCache } from './statement-cache.js';
import { TempObjects } from './temp/temp-objects.js';
import { SessionRouter, type WriteRouting } from './write-routing/write-route.js';

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

let nextSessionId = 1;
/** Numbers executions of statements (BindSource 'execution'). */
let nextExecution = 1;
/** txid_current() values start here (the process's start in ms x 1000), so they keep increasing across restarts. */
const xactIdBase = BigInt(Date.now()) * 1000n;

/** A session's state; the layers above it (session-writes.ts and on) run statements with it. */
export abstract class SessionState {
  readonly id = nextSessionId++;
  protected state: 'idle' | 'tx' | 'failed' = 'idle';
  /** The open block's txid_current(), made when first asked. */
  private xact: { startUs: bigint; id: bigint } | null = null;
  protected holdsWriter = false;
  /** The writer is held as a block inside a commit group (holdsWriter is true as well). */
  protected groupBlock = false;
  /**
   * Set by the connection: whether the open transaction's end already arrived in the current batch
   * of messages (so it may run in a commit group). Simple queries set their own while they run.
   */
  batchHint: (() => boolean) | null = null;
  protected savepoints = 0;
  /** A query (not SET/SHOW/transaction control) ran in the open block. */
  protected txQueried = false;
  /** Savepoints of a read-only block that never took the writer (nothing to roll back). */
  protected readOnlySavepoints: string[] = [];
  protected readOnlyTx = false;
  protected canceled = false;
  /** The running statement has a statement_timeout. */
  protected deadline = false;
  /** Why the running statement was canceled (CancelRequest, statement_timeout, lock_timeout). */
  protected cancelReason: ChorusError = new QueryCanceledError();
  /** close() ran: nothing may take the writer any more. */
  protected closed = false;
  protected readonly cancelWaiters = new Set<(e: Error) => void>();
  /** DDL ran in the current write transaction: invalidate statement caches after it ends. */
  protected schemaChanged = false;
  /** The cluster DDL lock the open write transaction holds (released when it ends). */
  protected ddlLease: DdlLease | null = null;
  /** The schema this session plans against (its own view while its DDL is uncommitted). */
  readonly schema: SessionSchema;
  readonly settings: SessionSettings;
  /** The user name the client connected as (recorded by admin functions that change state). */
  readonly user: string;
  /** Start of the open transaction block (PostgreSQL's now()), µs since the epoch. */
  protected txStartUs: bigint | null = null;
  /** Cursors, SQL prepared statements, advisory locks (see local/session-local.ts). */
  abstract readonly local: SessionLocal;
  /** Position of this session's last commit (replicate.last_commit_lsn()): local, or routed. */
  protected ownCommitLsn: number | null = null;
  /** Write routing on a standby (write-route.ts). */
  protected readonly route: SessionRouter | null;
  /** The text of the simple-protocol statement running now (sent as is when it is routed). */
  protected simpleText: string | null = null;

  constructor(
    protected readonly host: SessionHost,
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
  }

  /** Position of this session's last commit (the primary's commit count), or null. */
  get lastCommitLsn(): number | null {
    return this.route?.lastCommitLsn ?? this.ownCommitLsn;
  }

  get txStatus(): TxStatus {
    return this.state === 'idle' ? 'I' : this.state === 'tx' ? 'T' : 'E';
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

  /**
   * A wait for the writer, bounded by lock_timeout (55P03) as PostgreSQL bounds lock waits, and
   * abandoned on CancelRequest. The timer ends with the wait or the cancel, whichever comes first
   * (a wait that never settles must not leave a timer to cancel a later statement).
   */
  protected lockWait<T>(wait: Promise<T>): Promise<T> {
    const ms = settingMs(this.settings.get('lock_timeout'));
    const raced = this.cancelable(wait);
    if (ms <= 0) return raced;
    const timer = setTimeout(
      () => this.cancel(new ChorusError('55P03', 'canceling statement due to lock timeout')),
      ms,
    );
    return raced.finally(() => clearTimeout(timer));
  }

  /** timestamp_source = client_timestamp: see clientTimestampOf (below). */
  protected clientTimestampMs(): number | null {
    return this.host.clientTimestamps
      ? clientTimestampOf(this.settings.get('chorus.client_timestamp'))
      : null;
  }

  /** Race a wait against CancelRequest. */
  protected cancelable<T>(wait: Promise<T>): Promise<T> {
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
}

/**
 * The client-supplied timestamp last-write-wins orders a session's writes by, when
 * timestamp_source = client_timestamp: `SET chorus.client_timestamp = '2025-01-02T03:04:05Z'` (or
 * epoch milliseconds). Null without one: the commit's HLC wall time is used.
 */
function clientTimestampOf(v: string | undefined): number | null {
  if (v === undefined || v === '') return null;
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(n) || n < 0) {
    throw new ChorusError('22007', `chorus.client_timestamp: cannot read "${v}" as a timestamp`);
  }
  return n;
}
