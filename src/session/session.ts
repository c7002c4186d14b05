// One client session: PostgreSQL transaction semantics over SQLite. Reads outside a write
// transaction go to reader threads; the first write statement takes the single writer (bounded
// wait) and holds it until COMMIT/ROLLBACK; an error inside a block fails the block (25P02).
// Built in layers: session-state.ts (what it holds), session-writes.ts, transaction-control.ts,
// simple-query.ts; this class runs one statement (both protocols) and routes writes on a standby.

import { wallClockUs } from '../clock/clock.js';
import {
  ActiveTransactionError,
  ChorusError,
  FeatureNotSupportedError,
  InFailedTransactionError,
  QueryCanceledError,
} from '../errors.js';
import { commandTag, isDdl } from '../sql/classify.js';
import { vacuumWithoutRewriteSql } from '../sql/pg-dialect.js';
import { toChorusError } from '../storage/sqlite-errors.js';
import { runAdminCall } from './admin-call.js';
import { bindPlan, toBindParams } from './bind.js';
import { SessionLocal } from './local/session-local.js';
import { resultTypeChanged } from './planning/front-end.js';
import type { Prepared } from './planning/prepared.js';
import type { BindParams, BindValue } from './read-protocol.js';
import { result, type StatementResult } from './result.js';
import type { SessionHost } from './session-state.js';
import { settingMs } from './settings/setting-defs.js';
import { SimpleQuerySession } from './simple-query.js';
import { planColumns, sameColumns, typedByView } from './statement-columns.js';
import { dropTempAtClose } from './temp/temp-objects.js';
import { andChain } from './transaction-control.js';
import { isRouteOnly } from './write-routing/write-route.js';

export { toBindParams } from './bind.js';
export { savepointKinds } from './simple-query.js';
export { planColumns, typedByView } from './statement-columns.js';

export class Session extends SimpleQuerySession {
  /** Cursors, SQL prepared statements, advisory locks (see local/session-local.ts). */
  readonly local: SessionLocal;

  constructor(host: SessionHost, startupParams: Record<string, string> = {}) {
    super(host, startupParams);
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

  /** Execute one prepared statement with its bound values. */
  /**
   * Runs one statement. `statementUs` is its statement_timestamp(), given when the statement is part
   * of a larger one (a COPY's rows); otherwise now.
   */
  async execute(
    prepared: Prepared,
    params: readonly BindValue[] = [],
    statementUs: bigint = wallClockUs(),
  ): Promise<StatementResult> {
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

  /** The COPY FROM running now: its statement_timestamp() and its statement_timeout timer. */
  private copy: { statementUs: bigint; timer: ReturnType<typeof setTimeout> | null } | null = null;

  /**
   * A COPY FROM starts: one statement, as in PostgreSQL — a cancel that arrived before it (while
   * nothing ran) is dropped, statement_timeout runs from here over all its rows, and every row has
   * the same statement_timestamp().
   */
  startCopy(): void {
    this.endCopy();
    this.canceled = false;
    const timeoutMs = settingMs(this.settings.get('statement_timeout'));
    this.copy = {
      statementUs: wallClockUs(),
      timer:
        timeoutMs > 0
          ? setTimeout(
              () => this.cancel(new QueryCanceledError('canceling statement due to statement timeout')),
              timeoutMs,
            )
          : null,
    };
  }

  /** The COPY ended (or the session closes): its timer stops. */
  endCopy(): void {
    if (this.copy?.timer) clearTimeout(this.copy.timer);
    this.copy = null;
  }

  /**
   * Run `p` once per row of values (COPY FROM): on a standby that routes it, as one request to the
   * primary (write-route.ts); here, the first row as a statement of its own (it takes the writer),
   * the rest inline (runBatchInline). A cancel or the COPY's statement_timeout stops it between
   * chunks (copy-handler.ts sends rows in chunks).
   */
  async executeBatch(p: Prepared, rows: readonly (readonly BindValue[])[]): Promise<void> {
    if (this.state === 'failed') throw new InFailedTransactionError();
    if (this.route?.takes(p, this.readOnlyTx)) {
      await this.routed(p, [], rows);
      return;
    }
    const statementUs = this.copy?.statementUs ?? wallClockUs();
    let i = 0;
    while (i < rows.length) {
      if (this.canceled) {
        this.onError();
        throw this.cancelReason;
      }
      if (this.batchRunsInline(p)) i = this.runBatchInline(p, rows, i, statementUs);
      else await this.execute(p, rows[i++]!, statementUs);
    }
  }

  /**
   * A planned INSERT in a block that holds the writer (COPY FROM after its first row): each row is
   * what execute() would do — bind, run, diagnose a violation — with nothing to wait for.
   */
  private batchRunsInline(p: Prepared): boolean {
    return (
      this.state === 'tx' &&
      this.holdsWriter &&
      p.plan?.kind === 'insert' &&
      !p.local &&
      p.route.type === 'sql' &&
      !p.route.onAdmin &&
      this.current(p) === p
    );
  }

  /**
   * Runs rows from `from` on in this turn of the event loop and returns the index after the last.
   * Counted with the COPY's first row, as one statement; an error fails the block as in execute().
   */
  private runBatchInline(
    p: Prepared,
    rows: readonly (readonly BindValue[])[],
    from: number,
    statementUs: bigint,
  ): number {
    const plan = p.plan!;
    try {
      const context = this.bindContext(statementUs);
      for (let i = from; i < rows.length; i++) {
        const row = rows[i]!;
        if (row.length !== p.paramCount)
          throw new ChorusError(
            '08P01',
            `bind message supplies ${row.length} parameters, but prepared statement requires ${p.paramCount}`,
          );
        this.runWriterStatement(p, bindPlan(plan, row, context));
      }
      this.settings.statementEnded(true);
      return rows.length;
    } catch (e) {
      const err = toChorusError(e);
      this.settings.statementEnded(false);
      this.onError();
      this.host.onStatement(p.cls.kind, false);
      throw err;
    }
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

  /** A front-end plan made against an older schema is made again (0A000 if its result columns changed). */
  private current(p: Prepared): Prepared {
    if (!this.schema.isStale(p)) return p;
    const fresh = this.schema.planner.refresh(p);
    if (!sameColumns(p, fresh)) throw resultTypeChanged();
    return fresh;
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

  /** Connection closed or node shutting down: roll back whatever is open. */
  close(): void {
    this.closed = true;
    this.endCopy();
    this.route?.close();
    this.host.writerLock.cancel(this);
    for (const reject of this.cancelWaiters) reject(new QueryCanceledError('connection closed'));
    if (this.holdsWriter) this.releaseWriter(false);
    this.state = 'idle';
    this.local.close();
    this.host.engine.sequences.forgetSession(this.id);
    if (this.schema.temp?.active) void dropTempAtClose(this.host, this.schema.temp);
  }
}
