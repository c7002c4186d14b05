// The simple-query path: the statements of one Query message, each planned when its turn comes, in
// an implicit transaction block when there are several (PostgreSQL's rules with transaction control).

import { wallClockUs } from '../clock/clock.js';
import { ChorusError } from '../errors.js';
import { commandTag, isDdl } from '../sql/classify.js';
import { isKeyword } from '../sql/lexer.js';
import { toChorusError } from '../storage/sqlite-errors.js';
import type { PlannedStatement } from './planning/plan-cache.js';
import type { Prepared } from './planning/prepared.js';
import type { BindValue } from './read-protocol.js';
import { type Notice, result, type StatementResult } from './result.js';
import { andChain, SessionTransactions } from './transaction-control.js';

/** Simple-protocol queries of a session, over its transaction control. */
export abstract class SimpleQuerySession extends SessionTransactions {
  /** Execute one prepared statement with its bound values (session.ts). */
  abstract execute(prepared: Prepared, params?: readonly BindValue[]): Promise<StatementResult>;

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

/** Statements that make a transaction block unfit for a commit group (see Session.ensureWriter). */
export const savepointKinds: ReadonlySet<string> = new Set(['savepoint', 'rollback_to', 'release']);

/**
 * Whether the transaction open while running items[next - 1] of one simple Query ends in that same
 * query (a later COMMIT/ROLLBACK, or the implicit transaction's end) with nothing in between that
 * makes the client answer first (COPY) or lets it go on interactively after an error (savepoints).
 */
function queryEndsTransaction(
  items: readonly { prepared: Prepared }[],
  next: number,
  implicit: boolean,
): boolean {
  // DDL never runs inside a commit group: later members would be planned against the committed
  // schema and run against the block's uncommitted one.
  if (
    items.some(
      (i) =>
        isKeyword(i.prepared.cls.sig[0], 'COPY') ||
        savepointKinds.has(i.prepared.cls.kind) ||
        isDdl(i.prepared.cls.kind) ||
        i.prepared.cls.kind === 'truncate',
    )
  )
    return false;
  return (
    implicit ||
    items.slice(next).some((i) => i.prepared.cls.kind === 'commit' || i.prepared.cls.kind === 'rollback')
  );
}
