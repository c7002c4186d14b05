// A session's own objects and what acts on them: SQL prepared statements (PREPARE / EXECUTE /
// DEALLOCATE), cursors (DECLARE / FETCH / MOVE / CLOSE), advisory locks, LISTEN / NOTIFY, DISCARD. The session
// calls run() for a LocalStatement and transactionEnded() / close() as its transactions and life end.

import type Database from 'better-sqlite3';
import { ChorusError, FeatureNotSupportedError } from '../../errors.js';
import type { Prepared } from '../planning/prepared.js';
import type { BindValue } from '../read-protocol.js';
import type { ColumnInfo, StatementResult } from '../result.js';
import { runAdvisoryCalls } from './advisory-calls.js';
import type { AdvisoryLocks } from './advisory-locks.js';
import type { CursorConnections } from './cursor-connections.js';
import { Cursor, IteratedRows, MemoryRows, type RowSource, sessionCursorsMax } from './cursors.js';
import { SessionNotifications } from './notifications.js';
import type { NotifyHub } from './notify-hub.js';
import { deallocate, executePrepared, prepareNamed, type SqlPrepared } from './sql-prepare.js';
import type { LocalArg, LocalStatement } from './statement.js';
import { type ReplayPosition, runWaitFor } from './wait-for.js';

/** Node-wide services the session-local objects use. */
export interface LocalServices {
  advisoryLocks: AdvisoryLocks;
  cursorConnections: CursorConnections;
  /** LISTEN / NOTIFY of the node's sessions (node-local). */
  notifyHub: NotifyHub;
}

/** What the session-local objects need from their session. */
export interface LocalHost {
  readonly services: LocalServices;
  /** The session (owner of its advisory locks). */
  readonly owner: object;
  /** A transaction block (explicit or a multi-statement query's implicit one) is open. */
  inBlock(): boolean;
  /** A standby (pg_is_in_recovery()): LISTEN only on chorus_ channels, no NOTIFY. */
  inRecovery(): boolean;
  /** The session's transaction holds the writer (it has written): reads must see its writes. */
  holdsWriter(): boolean;
  lockWait<T>(wait: Promise<T>): Promise<T>;
  /** Plan a statement against the session's schema. */
  prepare(sql: string, paramOids: readonly number[]): Prepared;
  /** Run a planned statement in the session; its result columns as the wire describes them. */
  run(p: Prepared, params: readonly BindValue[]): Promise<StatementResult>;
  /** A front-end plan's SQLite parameters, bound with the session's values. */
  bind(p: Prepared, params: readonly BindValue[]): unknown[];
  /** A front-end plan's result columns as the wire describes them. */
  columns(p: Prepared): ColumnInfo[];
  /** set_config(name, value, is_local) as the statement's own (see Settings.setConfig). */
  setConfig(name: string, value: string | null, isLocal: boolean): void;
  /** RESET ALL (DISCARD ALL). */
  resetSettings(): void;
  /** Drop the session's temporary tables and views (DISCARD TEMP / ALL). */
  discardTemp(): Promise<void>;
  /** A standby's applied position and a cancelable wait on it (WAIT FOR LSN); null elsewhere. */
  replay(): ReplayPosition | null;
}

/** A set_config() argument's text (a constant's, or its parameter's). */
function argText(a: LocalArg, params: readonly BindValue[]): string | null {
  const v = 'param' in a ? params[a.param - 1] : a.text;
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? v : v instanceof Uint8Array ? Buffer.from(v).toString() : String(v);
}

/** A boolean's text as PostgreSQL reads it; 22P02 otherwise. */
function boolText(v: string): boolean {
  const t = v.trim().toLowerCase();
  if (t.length > 0 && ('true'.startsWith(t) || 'yes'.startsWith(t) || t === 'on' || t === '1')) return true;
  if (t.length > 0 && ('false'.startsWith(t) || 'no'.startsWith(t) || t === 'of' || t === 'off' || t === '0'))
    return false;
  throw new ChorusError('22P02', `invalid input syntax for type boolean: "${v}"`);
}

const done = (tag: string): StatementResult => ({ tag, columns: null, rows: [], notices: [] });

export class SessionLocal {
  private readonly prepared: SqlPrepared = new Map();
  private readonly cursors = new Map<string, Cursor>();
  /** Told when DISCARD ALL runs (the extended protocol drops its prepared statements too). */
  private readonly discardListeners: (() => void)[] = [];
  /** The open transaction took transaction-level advisory locks. */
  private xactLocks = false;
  /** LISTEN / UNLISTEN / NOTIFY (notifications.ts); the connection sends what it receives. */
  readonly notifications: SessionNotifications;

  constructor(private readonly host: LocalHost) {
    this.notifications = new SessionNotifications({
      hub: host.services.notifyHub,
      inBlock: () => host.inBlock(),
      inRecovery: () => host.inRecovery(),
    });
  }

  onDiscardAll(listener: () => void): void {
    this.discardListeners.push(listener);
  }

  async run(st: LocalStatement, params: readonly BindValue[]): Promise<StatementResult> {
    switch (st.kind) {
      case 'advisory': {
        const locks = this.host.services.advisoryLocks;
        const inBlock = this.host.inBlock();
        for (const c of st.settings) {
          const name = argText(c.name, params);
          const isLocal = argText(c.isLocal, params);
          // set_config is strict in its name and is_local: a NULL there makes a NULL, changing nothing.
          if (name !== null && isLocal !== null)
            this.host.setConfig(name, argText(c.value, params), boolText(isLocal));
        }
        const out = await runAdvisoryCalls(
          { locks, owner: this.host.owner, lockWait: (w) => this.host.lockWait(w) },
          st.calls,
          params,
          inBlock,
        );
        if (out.xactLocks && inBlock) this.xactLocks = true;
        return { tag: out.tag, columns: out.columns, rows: out.rows, notices: out.notices };
      }
      case 'prepare':
        prepareNamed(this.prepared, st.name, () => this.plan(st.query, st.queryOffset, st.paramOids));
        return done('PREPARE');
      case 'execute': {
        const { prepared, values } = executePrepared(this.prepared, st.name, st.args, params);
        return this.host.run(prepared, values);
      }
      case 'deallocate':
        deallocate(this.prepared, st.name);
        return done(st.name === null ? 'DEALLOCATE ALL' : 'DEALLOCATE');
      case 'declare':
        await this.declare(st);
        return done('DECLARE CURSOR');
      case 'fetch': {
        const c = this.cursors.get(st.name);
        if (!c) throw new ChorusError('34000', `cursor "${st.name}" does not exist`);
        const { rows, count } = c.fetch(st.direction, st.count, st.move);
        if (st.move) return done(`MOVE ${count}`);
        return { tag: `FETCH ${count}`, columns: c.columns, rows, notices: [] };
      }
      case 'close':
        if (st.name === null) {
          this.closeCursors(() => true);
          return done('CLOSE CURSOR ALL');
        }
        if (!this.cursors.has(st.name)) throw new ChorusError('34000', `cursor "${st.name}" does not exist`);
        this.closeCursors((c) => c.name === st.name);
        return done('CLOSE CURSOR');
      case 'discard':
        if (st.target === 'all' && this.host.inBlock())
          throw new ChorusError('25001', 'DISCARD ALL cannot run inside a transaction block');
        if (st.target === 'all' || st.target === 'temp') await this.host.discardTemp();
        return this.discard(st.target);
      case 'notification':
        return this.notifications.run(st.st, params);
      case 'wait_for_lsn':
        return runWaitFor(st, this.host.replay(), this.host.inBlock());
    }
  }

  /**
   * The columns a session statement returns, for a Describe of it before it runs (drivers that
   * describe statements, postgres.js, name the rows' fields by them); undefined when not known here.
   */
  describe(st: LocalStatement, inner: (p: Prepared) => ColumnInfo[] | null): ColumnInfo[] | null | undefined {
    switch (st.kind) {
      case 'execute': {
        const p = this.prepared.get(st.name);
        return p ? inner(p) : undefined;
      }
      case 'fetch':
        if (st.move) return null;
        return this.cursors.get(st.name)?.columns;
      case 'notification':
        return this.notifications.describe(st.st);
      default:
        return undefined;
    }
  }

  private async declare(st: Extract<LocalStatement, { kind: 'declare' }>): Promise<void> {
    if (!st.hold && !this.host.inBlock())
      throw new ChorusError('25P01', 'DECLARE CURSOR can only be used in transaction blocks');
    if (st.binary)
      throw new FeatureNotSupportedError('DECLARE BINARY CURSOR', {
        hint: 'Use a text cursor, or the extended protocol with binary result formats.',
      });
    if (this.cursors.has(st.name)) throw new ChorusError('42P03', `cursor "${st.name}" already exists`);
    if (this.cursors.size >= sessionCursorsMax)
      throw new ChorusError('54000', `too many open cursors in this session (limit ${sessionCursorsMax})`);
    const p = this.plan(st.query, st.queryOffset, []);
    if (p.paramCount > 0) throw new ChorusError('42P02', 'there is no parameter $1');
    if (p.cls.kind !== 'select')
      throw new FeatureNotSupportedError('DECLARE CURSOR must not contain data-modifying statements in WITH');
    const { source, columns } = await this.rowSource(p);
    const scroll = st.scroll !== 'no-scroll';
    this.cursors.set(st.name, new Cursor(st.name, columns, source, scroll, st.hold, this.host.inBlock()));
  }

  /**
   * On demand from a connection of the cursor's own (a snapshot taken now) when the plan can run
   * there; the rows themselves when the transaction has written (its writes are visible only on the
   * writer) or the statement runs elsewhere (admin relations, catalog queries, FOR UPDATE).
   */
  private async rowSource(p: Prepared): Promise<{ source: RowSource; columns: ColumnInfo[] }> {
    const pool = this.host.services.cursorConnections;
    const plan = p.plan;
    // Temporary tables exist only on the writer connection.
    const onOwnConnection =
      p.route.type === 'sql' && !p.route.onAdmin && !plan?.locksRows && !plan?.temporary;
    if (plan && onOwnConnection && !this.host.holdsWriter() && pool.available) {
      {
        const bind = this.host.bind(p, []);
        const db = pool.take();
        let stmt: Database.Statement;
        try {
          stmt = db.prepare(p.execSql);
          if (!stmt.reader) throw new ChorusError('XX000', 'a cursor query returns no rows');
          stmt.raw(true);
        } catch (e) {
          pool.give(db);
          throw e;
        }
        const source = new IteratedRows(db, stmt, bind, (d) => pool.give(d));
        return { source, columns: this.host.columns(p) };
      }
    }
    const r = await this.host.run(p, []);
    return { source: new MemoryRows(r.rows), columns: r.columns ?? [] };
  }

  /** Plan the query of a PREPARE or DECLARE; its errors point into the whole statement. */
  private plan(query: string, offset: number, paramOids: readonly number[]): Prepared {
    try {
      return this.host.prepare(query, paramOids);
    } catch (e) {
      throw e instanceof ChorusError ? e.shifted(offset) : e;
    }
  }

  private closeCursors(which: (c: Cursor) => boolean): void {
    for (const c of [...this.cursors.values()]) {
      if (!which(c)) continue;
      this.cursors.delete(c.name);
      c.close();
    }
  }

  private discard(target: 'all' | 'plans' | 'sequences' | 'temp'): StatementResult {
    if (target === 'all') {
      if (this.host.inBlock())
        throw new ChorusError('25001', 'DISCARD ALL cannot run inside a transaction block');
      this.closeCursors(() => true);
      this.prepared.clear();
      const locks = this.host.services.advisoryLocks;
      locks.releaseAll(this.host.owner, 'session');
      locks.releaseAll(this.host.owner, 'xact');
      this.notifications.unlistenAll();
      this.host.resetSettings();
      for (const l of this.discardListeners) l();
      return done('DISCARD ALL');
    }
    // Plans are shared and re-made after DDL (nothing session-local to drop); no sequence values
    // are cached per session; temporary objects went before (discardTemp).
    return done(
      target === 'plans' ? 'DISCARD PLANS' : target === 'sequences' ? 'DISCARD SEQUENCES' : 'DISCARD TEMP',
    );
  }

  /** The transaction ended: its cursors close (WITH HOLD ones survive a COMMIT), its xact locks go. */
  transactionEnded(committed: boolean): void {
    this.notifications.transactionEnded(committed);
    if (this.cursors.size > 0) {
      this.closeCursors((c) => !c.hold || (!committed && c.inOpenBlock));
      for (const c of this.cursors.values()) c.inOpenBlock = false;
    }
    if (this.xactLocks) {
      this.xactLocks = false;
      this.host.services.advisoryLocks.releaseAll(this.host.owner, 'xact');
    }
  }

  /** The transaction's COMMIT is durable (after transactionEnded(true)): its notifications go out. */
  committed(): void {
    this.notifications.committed();
  }

  /** SAVEPOINT / RELEASE / ROLLBACK TO of the open block. */
  savepoint(kind: string, name: string): void {
    this.notifications.savepoint(kind, name);
  }

  /** The session ended: everything it held goes. */
  close(): void {
    this.notifications.close();
    this.closeCursors(() => true);
    this.prepared.clear();
    const locks = this.host.services.advisoryLocks;
    locks.releaseAll(this.host.owner, 'session');
    locks.releaseAll(this.host.owner, 'xact');
  }
}
