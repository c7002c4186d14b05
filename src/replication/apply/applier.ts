// Applies replicated transactions to the local database and keeps row/column versions for local
// ones. Concurrency is decided from each transaction's dependency vector: a local write the origin
// had not seen when it committed is concurrent with it. Columns resolve by last-write-wins on the
// HLC (node id breaks ties); deletes win over concurrent writes and leave tombstones. The outcome
// depends only on the set of transactions, never on their arrival order.

import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { formatHlc } from '../../clock/hlc.js';
import { applyTwiceOneInTxs, dropOneInInserts, failpoints } from '../../config/failpoints.js';
import type { LogEntry, ReplTx, Vector } from '../../log/records.js';
import { quoteIdent } from '../../sql/lexer.js';
import { tableShape } from '../../storage/capture/capture.js';
import type { StorageEngine } from '../../storage/engine/engine.js';
import type { MembershipSink } from './admin-commands.js';
import { applyDdlEntry, applyKeylessInsert } from './apply-ddl.js';
import { type ConflictHost, resolveUnique, settleByResolver } from './conflict-rules.js';
import type { CrdtColumns } from './crdt-columns.js';
import { recordConversions, removeRefusedRow } from './ddl-rows.js';
import type { TouchedRow } from './fk-orphans.js';
import type { Resolvers } from './resolvers.js';
import type { ColClock, ConflictType, RowMeta } from './row-meta.js';
import { RowSettlement, type SettlementHost } from './row-settlement.js';
import {
  type ApplierStatements,
  colPath,
  fromJson,
  pkWhere,
  prepareApplierStatements,
  RowSql,
} from './row-sql.js';
import { ShapeUpgrader } from './shape-upgrade.js';

export interface ApplyStats {
  txs: number;
  rowChanges: number;
  conflicts: number;
  skipped: number;
  /** Rows left pointing at a parent deleted concurrently, removed or changed (fk-orphans.ts). */
  orphansSettled: number;
  /** Parked rows brought back by a later update from their origin (parked-rows.ts). */
  resurrected: number;
}

/** Log entries written between two pause checks while a large transaction is logged. */
export const logSliceEntries = 1_024;

/** A replicated transaction being applied in slices (Applier.begin / step). */
export interface TxProgress {
  readonly tx: ReplTx;
  /** What the origin had seen when it committed tx (its dependencies and tx itself). */
  readonly seen: Vector;
  /** tx's order key, compared by last-write-wins. */
  readonly hlc: string;
  /** Entries applied so far, then entries logged so far. */
  applied: number;
  logged: number;
  /** A DDL entry of tx was applied. */
  schemaChanged: boolean;
  /** Row changes of tables with foreign keys, checked for orphans once tx's entries are applied. */
  touched: TouchedRow[];
  orphansSettled: boolean;
  /** Rows tx itself deletes or updates (`tbl\0pk`), made when a delete sets off ON DELETE actions. */
  ownRows: Set<string> | null;
}

export class Applier implements ConflictHost, SettlementHost {
  private readonly db: Database.Database;
  private readonly settlement: RowSettlement;
  /** applyRow brought a parked row back (the orphan check then treats the change as an insert). */
  private resurrected = false;
  private readonly stmts: ApplierStatements;
  /** Cached per-table row statements (cleared after DDL). */
  private readonly rows: RowSql;
  private readonly upgrader: ShapeUpgrader;
  private readonly shapes = new Map<string, { columns: Set<string>; primaryKey: string[] } | null>();
  /** DDL was applied in the open apply transaction (caches are invalidated after COMMIT). */
  private schemaChangedInBatch = false;
  /** Membership commands (remove_master, set_read_only) arriving in the log; set by the node. */
  membership: MembershipSink | null = null;
  /** A DDL transaction was applied (the cluster DDL lock counts it); set by the node. */
  onDdlApplied: ((origin: string, seq: number) => void) | null = null;
  /** Counters of the planted bugs (src/config/failpoints.ts); unused unless one is on. */
  private failpointChanges = 0;
  private failpointTxs = 0;

  /** After the apply transaction committed: tell the node if the schema changed. */
  afterCommit(): void {
    if (this.schemaChangedInBatch) {
      this.schemaChangedInBatch = false;
      this.onSchemaChange();
    }
  }

  readonly stats: ApplyStats = {
    txs: 0,
    rowChanges: 0,
    conflicts: 0,
    skipped: 0,
    orphansSettled: 0,
    resurrected: 0,
  };

  /** @internal (conflict-rules.ts) the writer connection. */
  get internalDb(): Database.Database {
    return this.db;
  }

  get nodeId(): string {
    return this.engine.nodeId;
  }

  /** @internal (conflict-rules.ts) */
  warn(obj: object, msg: string): void {
    this.logger.warn(obj, msg);
  }

  /** @internal (conflict-rules.ts) the per-row savepoint around one replicated change. */
  rowSavepoint(step: 'begin' | 'release' | 'rollback'): void {
    if (step === 'begin') this.stmts.savepoint.run();
    else if (step === 'release') this.stmts.release.run();
    else this.stmts.rollbackTo.run();
  }

  constructor(
    private readonly engine: StorageEngine,
    private readonly logger: Logger,
    private readonly onSchemaChange: () => void,
    private readonly nowMs: () => number = Date.now,
    /** CRDT columns: joined on apply instead of last-write-wins. */
    readonly crdt: CrdtColumns | null = null,
    /** Custom conflict resolvers (per table, or the configured default). */
    readonly resolvers: Resolvers | null = null,
  ) {
    this.db = engine.writer;
    this.stmts = prepareApplierStatements(this.db);
    this.rows = new RowSql(this.db);
    this.upgrader = new ShapeUpgrader(this.db);
    this.settlement = new RowSettlement(this.db, this);
  }

  /**
   * Settle every orphan in the database (the apply transaction's COMMIT found a foreign key broken
   * that the per-transaction check did not reach); `tx` is named in the conflict records.
   */
  settleAllOrphans(tx: ReplTx): void {
    const n = this.settlement.settleAll(tx);
    this.stats.orphansSettled += n;
    this.logger.warn(
      { rows: n, origin: tx.origin, seq: tx.seq },
      'foreign keys broken at commit: orphans settled',
    );
  }

  /** @internal (row-settlement.ts) */
  hasMergedColumns(tbl: string): boolean {
    return (this.crdt?.kindsOf(tbl).size ?? 0) > 0;
  }

  /** @internal (row-settlement.ts) */
  shapeOf(tbl: string): { columns: Set<string>; primaryKey: string[] } | null {
    return this.shape(tbl);
  }

  /** @internal (conflict-rules.ts) */
  rowRemoved(tbl: string, pk: string): void {
    this.settlement.rowRemoved(tbl, pk);
  }

  /** @internal (conflict-rules.ts, fk-orphans.ts) */
  parkRow(tbl: string, pk: string, row: string, cols: RowMeta['cols']): void {
    this.settlement.park(tbl, pk, row, cols);
  }

  /** Forget cached table shapes and statements (after DDL). */
  invalidate(): void {
    this.rows.clear();
    this.shapes.clear();
    this.upgrader.invalidate();
    this.crdt?.invalidate();
    this.settlement.invalidate();
  }

  private shape(tbl: string): { columns: Set<string>; primaryKey: string[] } | null {
    if (!this.shapes.has(tbl)) {
      const exists = this.db
        .prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?")
        .get(tbl);
      if (!exists || this.engine.isLocalOnly(tbl)) this.shapes.set(tbl, null);
      else {
        const s = tableShape(this.db, tbl);
        this.shapes.set(tbl, { columns: new Set(s.columns), primaryKey: s.primaryKey });
      }
    }
    return this.shapes.get(tbl) ?? null;
  }

  /** @internal (conflict-rules.ts) */
  stmt(key: string, build: () => string): Database.Statement {
    return this.rows.stmt(key, build);
  }

  /** @internal (conflict-rules.ts) */
  pkWhere(pkCols: string[]): string {
    return pkWhere(pkCols);
  }

  /** @internal (conflict-rules.ts) */
  loadMeta(tbl: string, pk: string): RowMeta {
    const r = this.stmts.getMeta.get(tbl, pk) as
      | { vv: string; dels: string; deleted: number; cols: string }
      | undefined;
    return r
      ? {
          vv: JSON.parse(r.vv) as Vector,
          dels: JSON.parse(r.dels) as Vector,
          deleted: r.deleted === 1,
          cols: JSON.parse(r.cols) as Record<string, ColClock>,
          known: true,
        }
      : { vv: {}, dels: {}, deleted: false, cols: {}, known: false };
  }

  /** @internal (conflict-rules.ts) */
  saveMeta(tbl: string, pk: string, m: RowMeta): void {
    this.stmts.putMeta.run(
      tbl,
      pk,
      JSON.stringify(m.vv),
      JSON.stringify(m.dels),
      m.deleted ? 1 : 0,
      JSON.stringify(m.cols),
    );
  }

  /** Keep versions for a local transaction (called inside it, before COMMIT). */
  recordLocal(txid: number, origin: string, seq: number, orderKey: string): void {
    this.stmts.recordLocal.run({ txid, origin, seq, key: orderKey, path: `$."${origin}"` });
  }

  /** Apply one replicated transaction inside the engine's open apply transaction, then log it. */
  apply(tx: ReplTx): void {
    this.step(this.begin(tx), () => false);
  }

  /** Start applying tx in slices (step); nothing is written yet. */
  begin(tx: ReplTx): TxProgress {
    if (failpoints.foreignKeysPerStatement) this.db.pragma('defer_foreign_keys = OFF');
    const seen: Vector = { ...tx.deps, [tx.origin]: tx.seq };
    // Last-write-wins compares order keys (HLC text by default; see timestamp_source).
    const hlc = tx.orderKey || formatHlc({ wallMs: tx.hlcWall, logical: tx.hlcLogical, nodeId: tx.origin });
    return {
      tx,
      seen,
      hlc,
      applied: 0,
      logged: 0,
      schemaChanged: false,
      touched: [],
      orphansSettled: false,
      ownRows: null,
    };
  }

  /**
   * Whether the open apply transaction may pause (yield to the event loop) now: not once it changed
   * the schema, which sessions planning meanwhile on the writer connection would see uncommitted.
   */
  canPause(p: TxProgress | null): boolean {
    return !this.schemaChangedInBatch && !(p?.schemaChanged ?? false);
  }

  /**
   * Apply tx's entries, then log them, from where p stands; `pause()` is asked after each entry (and
   * each logged slice) and stops the step where the transaction may pause. True once tx is applied
   * and logged; false when paused (call step again, in the same apply transaction).
   */
  step(p: TxProgress, pause: () => boolean): boolean {
    const { tx } = p;
    const n = tx.entries.length;
    this.settlement.begin(p);
    while (p.applied < n) {
      if (this.applyEntry(p, tx.entries[p.applied]!)) p.schemaChanged = true;
      p.applied++;
      if (p.applied < n && pause() && this.canPause(p)) return false;
    }
    this.stats.orphansSettled += this.settlement.afterEntries(p);
    if (
      p.logged === 0 &&
      p.applied === n &&
      failpoints.applyRemoteTwice &&
      ++this.failpointTxs % applyTwiceOneInTxs === 0
    ) {
      for (const e of tx.entries) if (this.applyEntry(p, e)) p.schemaChanged = true;
    }
    while (n - p.logged > logSliceEntries && this.canPause(p)) {
      this.engine.recordRemoteEntries(tx, p.logged, p.logged + logSliceEntries);
      p.logged += logSliceEntries;
      if (pause()) return false;
    }
    this.engine.recordRemote(tx, p.logged);
    p.logged = n;
    this.stats.txs++;
    if (p.schemaChanged) {
      this.invalidate();
      this.schemaChangedInBatch = true;
    }
    return true;
  }

  /** One row change or DDL entry of p's transaction; true when it changed the schema. */
  private applyEntry(p: TxProgress, entry: LogEntry): boolean {
    const { tx, seen, hlc } = p;
    if (entry.op === 'DDL') {
      const changed = this.applyDdl(entry, tx);
      this.onDdlApplied?.(tx.origin, tx.seq);
      return changed;
    }
    // Written before an ALTER TABLE it had not seen: renamed and converted as the table now is.
    const up = this.upgrader.upgrade(entry, seen);
    const e = up.entry;
    if (e.pk === null) return false;
    recordConversions(this, e.tbl, e.pk, tx, up.nulled);
    const shape = this.shape(e.tbl);
    if (!shape) {
      this.stats.skipped++;
      return false;
    }
    this.stats.rowChanges++;
    if (
      failpoints.dropReplicatedChange &&
      e.op === 'INSERT' &&
      ++this.failpointChanges % dropOneInInserts === 0
    )
      return false;
    const keyless = shape.primaryKey.length === 0;
    this.resurrected = false;
    this.stmts.savepoint.run();
    try {
      if (e.op === 'DELETE' && !keyless) this.settlement.beforeDelete(p, e.tbl, e.pk);
      const rowid = keyless ? this.applyKeylessInsert(e, shape) : null;
      if (!keyless) this.applyRow(e, shape, tx, seen, hlc);
      this.stmts.release.run();
      if (this.settlement.involves(e.tbl))
        p.touched.push({
          tbl: e.tbl,
          op: this.resurrected ? 'INSERT' : e.op,
          pk: keyless ? null : e.pk,
          rowid,
          cols: e.cols,
          removeOnly: up.constrained,
        });
    } catch (err) {
      this.stmts.rollbackTo.run();
      this.stmts.release.run();
      const code = (err as { code?: string }).code ?? '';
      if (
        code === 'SQLITE_CONSTRAINT_UNIQUE' &&
        e.op !== 'DELETE' &&
        !keyless &&
        resolveUnique(this, e, shape, tx, seen, hlc)
      )
        return false;
      const type: ConflictType =
        code === 'SQLITE_CONSTRAINT_UNIQUE' ? 'unique_conflict' : 'constraint_conflict';
      this.logger.warn(
        { err, table: e.tbl, pk: e.pk, origin: tx.origin, seq: tx.seq },
        'replicated change refused by a constraint',
      );
      // A constraint added concurrently refuses it: the row goes, as on the nodes that held the
      // change when the constraint arrived (replication/apply/ddl-rows.ts).
      const removed =
        up.constrained && !keyless && e.op !== 'DELETE' ? removeRefusedRow(this, e.tbl, shape, e.pk) : null;
      this.recordConflict(e.tbl, e.pk, this.engine.nodeId, tx, type, removed, e.cols, null, 0);
      if (keyless) return false;
      const m = this.loadMeta(e.tbl, e.pk);
      if (removed !== null) m.cols = {};
      m.vv[tx.origin] = Math.max(m.vv[tx.origin] ?? 0, tx.seq);
      this.saveMeta(e.tbl, e.pk, m);
    }
    return false;
  }

  /** Plain values written into delta columns (by a master that did not know them as such): see CrdtColumns.rebaseDelta. */
  private rebaseDeltas(
    tbl: string,
    pk: string,
    written: string[],
    merged: { crdtCols: Set<string> } | null,
  ): void {
    const crdt = this.crdt;
    const deltas = crdt?.deltaColumns(tbl);
    if (!crdt || !deltas || deltas.size === 0) return;
    for (const c of written) if (!merged?.crdtCols.has(c) && deltas.has(c)) crdt.rebaseDelta(tbl, pk, c);
  }

  /** A row of a table without a primary key (see apply-ddl.ts). */
  private applyKeylessInsert(e: LogEntry, shape: { columns: Set<string> }): bigint | null {
    const rowid = applyKeylessInsert(this.rows, e, shape);
    if (rowid === null) this.stats.skipped++;
    return rowid;
  }

  private applyDdl(e: LogEntry, tx: ReplTx): boolean {
    const changed = applyDdlEntry(
      {
        db: this.db,
        engine: this.engine,
        logger: this.logger,
        resolvers: this.resolvers,
        crdt: this.crdt,
        membership: this.membership,
        rows: this,
      },
      e,
      tx,
    );
    this.invalidate();
    return changed;
  }

  /** @internal (conflict-rules.ts) */
  applyRow(
    e: LogEntry,
    shape: { columns: Set<string>; primaryKey: string[] },
    tx: ReplTx,
    seen: Vector,
    hlc: string,
  ): void {
    const t0 = performance.now();
    const tbl = e.tbl;
    const pk = e.pk!;
    const m = this.loadMeta(tbl, pk);
    const concurrentWith = (v: Vector): boolean => Object.entries(v).some(([o, s]) => s > (seen[o] ?? 0));
    const where = this.pkWhere(shape.primaryKey);
    // A key with no metadata has never been replicated here: for an INSERT (the bulk case) skip the
    // lookup; the insert below upserts in case the row predates replication.
    let exists =
      !m.known && e.op === 'INSERT'
        ? false
        : this.stmt(`${tbl}|exists`, () => `SELECT 1 FROM ${quoteIdent(tbl)} WHERE ${where}`).get({ pk }) !==
          undefined;

    if (e.op === 'DELETE' || (e.op === 'INSERT' && exists)) this.settlement.forget(tbl, pk);
    if (e.op === 'DELETE') {
      if (exists) {
        if (concurrentWith(m.vv)) {
          const local = this.rowJson(tbl, shape, pk);
          this.recordConflict(
            tbl,
            pk,
            this.lastWriter(m, seen),
            tx,
            'delete_conflict',
            local,
            null,
            null,
            performance.now() - t0,
          );
        }
        this.stmt(`${tbl}|delete`, () => `DELETE FROM ${quoteIdent(tbl)} WHERE ${where}`).run({ pk });
        this.crdt?.deleteRow(tbl, pk);
      }
      m.vv[tx.origin] = Math.max(m.vv[tx.origin] ?? 0, tx.seq);
      m.dels[tx.origin] = Math.max(m.dels[tx.origin] ?? 0, tx.seq);
      m.deleted = true;
      m.cols = {};
      this.saveMeta(tbl, pk, m);
      return;
    }

    m.vv[tx.origin] = Math.max(m.vv[tx.origin] ?? 0, tx.seq);
    if (concurrentWith(m.dels)) {
      // A delete this transaction had not seen wins over it: the row stays deleted everywhere.
      this.recordConflict(
        tbl,
        pk,
        this.lastDeleter(m, seen),
        tx,
        'delete_conflict',
        null,
        e.cols,
        null,
        performance.now() - t0,
      );
      this.saveMeta(tbl, pk, m);
      return;
    }
    const cols = Object.keys(JSON.parse(e.cols ?? '{}') as object).filter((c) => shape.columns.has(c));
    // CRDT columns carry deltas: join them into the states and write the merged values.
    const merged = e.cols ? (this.crdt?.mergeRemote(tbl, pk, e.cols, tx.origin, tx.seq) ?? null) : null;
    const colsText = merged?.cols ?? e.cols;
    // An insert of a key removed here for a cause its writer had not seen (parked-rows.ts): merged
    // with the removed row, clock by clock, as where the row was never removed; then settled again.
    if (!exists && e.op === 'INSERT' && this.settlement.restore(tbl, pk, shape, m)) {
      exists = true;
      this.resurrected = true;
    }
    if (!exists) {
      if (e.op === 'INSERT') {
        const key = `${tbl}|insert|${cols.join(',')}`;
        this.stmt(key, () => {
          const names = cols.map(quoteIdent).join(', ');
          const values = cols.map((c) => fromJson(':cols', colPath(c))).join(', ');
          const pkCols = shape.primaryKey.map(quoteIdent).join(', ');
          const sets = cols
            .filter((c) => !shape.primaryKey.includes(c))
            .map((c) => `${quoteIdent(c)} = excluded.${quoteIdent(c)}`);
          const upsert = sets.length > 0 ? `DO UPDATE SET ${sets.join(', ')}` : 'DO NOTHING';
          return `INSERT INTO ${quoteIdent(tbl)} (${names}) VALUES (${values}) ON CONFLICT (${pkCols}) ${upsert}`;
        }).run({ cols: colsText });
        m.cols = {};
        for (const c of cols) m.cols[c] = [hlc, tx.origin, tx.seq];
        m.deleted = false;
        this.rebaseDeltas(tbl, pk, cols, merged);
      } else {
        // Removed here for a cause its origin had not heard of: back, with this update (parked-rows.ts);
        // else an update of a row this node does not have (removed by a change that won): nothing to do.
        const back = this.settlement.resurrect(e, shape, tx, hlc, m);
        if (back > 0) this.resurrected = true;
        else this.stats.skipped++;
        this.stats.resurrected += back;
      }
      this.saveMeta(tbl, pk, m);
      return;
    }
    const win: string[] = [];
    const conflicting: string[] = [];
    let localWriter = '';
    let localKey = '';
    const resolver = this.resolvers?.forTable(tbl) ?? null;
    for (const c of cols) {
      const cm = m.cols[c];
      if (merged?.crdtCols.has(c)) win.push(c);
      else if (cm && cm[2] > (seen[cm[1]] ?? 0)) {
        conflicting.push(c);
        localWriter ||= cm[1];
        if (cm[0] > localKey) localKey = cm[0];
        // With a custom resolver the conflicting columns are settled below, not by LWW.
        if (!resolver && (hlc > cm[0] || failpoints.lwwArrivalOrder)) win.push(c);
      } else win.push(c);
    }
    const before = conflicting.length > 0 ? this.rowJson(tbl, shape, pk, conflicting) : null;
    const fullBefore = conflicting.length > 0 && resolver ? this.rowJson(tbl, shape, pk) : null;
    if (win.length > 0) {
      const key = `${tbl}|update|${win.join(',')}`;
      this.stmt(key, () => {
        const sets = win.map((c) => `${quoteIdent(c)} = ${fromJson(':cols', colPath(c))}`).join(', ');
        return `UPDATE ${quoteIdent(tbl)} SET ${sets} WHERE ${where}`;
      }).run({ cols: colsText, pk });
      for (const c of win) m.cols[c] = [hlc, tx.origin, tx.seq];
      this.rebaseDeltas(tbl, pk, win, merged);
    }
    let status: { strategy: string; status: string; error: string | null } = {
      strategy: 'last_write_wins',
      status: 'resolved',
      error: null,
    };
    if (conflicting.length > 0 && resolver) {
      status = settleByResolver(
        this,
        resolver,
        tbl,
        pk,
        shape,
        where,
        m,
        conflicting,
        fullBefore!,
        colsText!,
        {
          localKey,
          localWriter,
          remoteKey: hlc,
          tx,
        },
      );
    }
    m.deleted = false;
    this.saveMeta(tbl, pk, m);
    if (conflicting.length > 0) {
      const remote = this.rows.subset(e.cols!, conflicting);
      const resolved = this.rowJson(tbl, shape, pk, conflicting);
      this.recordConflict(
        tbl,
        pk,
        localWriter,
        tx,
        'write_conflict',
        before,
        remote,
        resolved,
        performance.now() - t0,
        { ...status, localKey, remoteKey: hlc },
      );
    }
  }

  private lastWriter(m: RowMeta, seen: Vector): string {
    return Object.entries(m.vv).find(([o, s]) => s > (seen[o] ?? 0))?.[0] ?? this.engine.nodeId;
  }

  private lastDeleter(m: RowMeta, seen: Vector): string {
    return Object.entries(m.dels).find(([o, s]) => s > (seen[o] ?? 0))?.[0] ?? this.engine.nodeId;
  }

  /** SHA-256 of a row's current content ('absent' when it does not exist): for divergence checks. */
  rowDigest(tbl: string, pk: string): string {
    const shape = this.shape(tbl);
    const text = shape ? (this.rowJson(tbl, shape, pk) ?? 'absent') : 'absent';
    return createHash('sha256').update(text).digest('hex').slice(0, 32);
  }

  /** JSON text of a row's columns (all, or the named ones), BLOBs as {"$b": hex}. */
  /** @internal (conflict-rules.ts) */
  rowJson(
    tbl: string,
    shape: { columns: Set<string>; primaryKey: string[] },
    pk: string,
    only?: string[],
  ): string | null {
    return this.rows.rowJson(tbl, shape, pk, only);
  }

  /** @internal (conflict-rules.ts) */
  recordConflict(
    tbl: string,
    pk: string,
    localOrigin: string,
    tx: ReplTx,
    type: ConflictType,
    localValue: string | null,
    remoteValue: string | null,
    resolved: string | null,
    latencyMs: number,
    extra: {
      strategy?: string;
      status?: string;
      error?: string | null;
      localKey?: string;
      remoteKey?: string;
    } = {},
  ): void {
    this.stats.conflicts++;
    this.stmts.insertConflict.run(
      tbl,
      pk,
      localOrigin,
      tx.origin,
      type,
      localValue,
      remoteValue,
      resolved,
      extra.strategy ?? 'last_write_wins',
      new Date(this.nowMs()).toISOString().replace('T', ' ').replace('Z', '+00:00'),
      // Milliseconds to the microsecond (performance.now() carries float noise beyond it).
      Math.round(latencyMs * 1000) / 1000,
      tx.seq,
      extra.status ?? 'resolved',
      extra.error ?? null,
      extra.localKey ?? null,
      extra.remoteKey ?? null,
    );
  }
}
