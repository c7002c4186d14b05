// What the Applier does around rows a conflict rule removes or a foreign key leaves without its
// parent (fk-orphans.ts, parked-rows.ts): collect the row changes of each transaction that touch
// tables with foreign keys, record what ON DELETE actions reach before a replicated DELETE, settle
// orphans once the transaction's entries are applied, and park removed rows and bring them back.

import type Database from 'better-sqlite3';
import { failpoints } from '../../../config/failpoints.js';
import type { LogEntry, ReplTx, Vector } from '../../../log/records.js';
import type { RowMeta } from '../rows/row-meta.js';
import {
  cascadeRecordDepthMax,
  type OrphanBook,
  recordCascadeLosses,
  settleAllOrphans,
  settleOrphans,
  type TouchedRow,
} from './fk-orphans.js';
import { type LostChild, lostValueChildren } from './fk-unique-refs.js';
import { type ForeignKey, ForeignKeyMap, rowActions } from './foreign-keys.js';
import { ParkedRows, type ParkHost } from './parked-rows.js';

type Shape = { columns: Set<string>; primaryKey: string[] };

/** Children settled at the end of p's transaction. */
function addLost(p: SettlementProgress, lost: LostChild[]): void {
  if (lost.length === 0) return;
  if (p.lost) p.lost.push(...lost);
  else p.lost = lost;
}

/** What a transaction had seen: its dependencies and itself. */
const seenBy = (tx: ReplTx): Vector => ({ ...tx.deps, [tx.origin]: tx.seq });

/** What of the Applier settling needs (the Applier itself). */
export interface SettlementHost extends OrphanBook, ParkHost {
  loadMeta(tbl: string, pk: string): RowMeta;
  saveMeta(tbl: string, pk: string, m: RowMeta): void;
  /** Whether `tbl` has CRDT or delta columns (their merged states go with a removed row: not parked). */
  hasMergedColumns(tbl: string): boolean;
  shapeOf(tbl: string): Shape | null;
  rowJson(tbl: string, shape: Shape, pk: string): string | null;
}

/** One transaction being applied, as settling sees it. */
export interface SettlementProgress {
  readonly tx: ReplTx;
  /** Row changes of tables with foreign keys, checked for orphans once tx's entries are applied. */
  touched: TouchedRow[];
  orphansSettled: boolean;
  /** Rows tx itself deletes or updates (`tbl\0pk`), made when a delete sets off ON DELETE actions. */
  ownRows: Set<string> | null;
  /** Children whose parent row lost the UNIQUE values they reference in tx (fk-unique-refs.ts). */
  lost?: LostChild[];
  /** Rows (`tbl\0pk`) brought back from parking in tx. */
  restored?: Set<string>;
}

export class RowSettlement {
  private readonly fks: ForeignKeyMap;
  private readonly parked: ParkedRows;
  /** The transaction being applied, for the rows conflict rules remove along the way. */
  private current: SettlementProgress | null = null;

  constructor(
    private readonly db: Database.Database,
    private readonly host: SettlementHost,
  ) {
    this.fks = new ForeignKeyMap(db);
    this.parked = new ParkedRows(db);
  }

  invalidate(): void {
    this.fks.invalidate();
    this.parked.invalidate();
  }

  /** tx's entries start (again) being applied. */
  begin(p: SettlementProgress): void {
    this.current = p;
  }

  /**
   * Before a replicated DELETE or UPDATE of a keyed row: the children that lose the UNIQUE values
   * they reference if the change goes through (for `afterChange`), and (DELETE) record the rows its
   * ON DELETE actions reach that tx had not seen.
   */
  beforeChange(p: SettlementProgress, e: LogEntry): LostChild[] | null {
    if (failpoints.foreignKeysPerStatement || !this.fks.involves(e.tbl)) return null;
    const incoming = this.fks.incoming(e.tbl);
    const lost: LostChild[] = [];
    const written = e.op === 'UPDATE' ? Object.keys(JSON.parse(e.cols ?? '{}') as object) : null;
    let row: string | null | undefined;
    for (const fk of incoming) {
      if (fk.byParentKey) continue;
      // SQLite's own ON DELETE action reaches the children of a deleted row (recorded below).
      if (written === null ? rowActions.has(fk.onDelete) : !fk.to.some((c) => written.includes(c))) continue;
      if (row === undefined) {
        const shape = this.host.shapeOf(e.tbl);
        row = shape ? this.host.rowJson(e.tbl, shape, e.pk!) : null;
      }
      if (row === null) break;
      lost.push(...lostValueChildren(this.host, fk, row, seenBy(p.tx)));
    }
    if (e.op === 'DELETE') this.beforeDelete(p, e.tbl, e.pk!);
    return lost.length > 0 ? lost : null;
  }

  /**
   * The change beforeChange saw went through: its lost children are settled at the end of the
   * transaction — for an UPDATE, those of the keys whose referenced columns it won (a write that lost
   * to a later one changed nothing).
   */
  afterChange(p: SettlementProgress, e: LogEntry, lost: LostChild[]): void {
    const { origin, seq } = p.tx;
    const clocks = e.op === 'UPDATE' ? this.host.loadMeta(e.tbl, e.pk!).cols : null;
    const won = (fk: ForeignKey): boolean =>
      clocks === null || fk.to.some((c) => clocks[c]?.[1] === origin && clocks[c]?.[2] === seq);
    addLost(
      p,
      lost.filter((l) => won(l.fk)),
    );
  }

  /** Before a replicated DELETE of a keyed row: record the rows its ON DELETE actions reach that tx had not seen. */
  private beforeDelete(p: SettlementProgress, tbl: string, pk: string): void {
    if (!this.fks.hasActions(tbl)) return;
    if (!p.ownRows) {
      p.ownRows = new Set();
      for (const x of p.tx.entries)
        if (x.op !== 'INSERT' && x.pk !== null) p.ownRows.add(`${x.tbl}\0${x.pk}`);
    }
    const own = p.ownRows;
    recordCascadeLosses(this.db, this.fks, this.host, p.tx, tbl, pk, (t, k) => own.has(`${t}\0${k}`));
  }

  /** Whether changes of `tbl` are collected for the orphan check (it has or is named by a foreign key). */
  involves(tbl: string): boolean {
    return this.fks.involves(tbl);
  }

  /**
   * A conflict rule removed a row (`row`: its values before, log JSON form): rows referencing it are
   * settled at the end of the transaction.
   */
  rowRemoved(tbl: string, pk: string, row: string | null): void {
    const p = this.current;
    if (!p || !this.fks.involves(tbl)) return;
    p.touched.push({ tbl, op: 'DELETE', pk, cols: null, removeOnly: false });
    if (row === null) return;
    for (const fk of this.fks.incoming(tbl))
      if (!fk.byParentKey) addLost(p, lostValueChildren(this.host, fk, row, seenBy(p.tx)));
  }

  /** p's entries are all applied: settle the orphans they left, once. Returns the rows settled. */
  afterEntries(p: SettlementProgress): number {
    if (p.orphansSettled || failpoints.foreignKeysPerStatement) return 0;
    p.orphansSettled = true;
    return p.touched.length > 0 || p.lost
      ? settleOrphans(this.db, this.fks, this.host, p.tx, p.touched, p.lost, p.restored)
      : 0;
  }

  /** Settle every orphan in the database (a COMMIT found a foreign key broken). */
  settleAll(tx: ReplTx): number {
    return settleAllOrphans(this.db, this.fks, this.host, tx);
  }

  park(tbl: string, pk: string, row: string, cols: RowMeta['cols']): void {
    this.parked.park(tbl, pk, row, cols);
  }

  /** The key got a row again, or was deleted: what was parked for it no longer applies. */
  forget(tbl: string, pk: string): void {
    this.parked.drop(tbl, pk);
  }

  /** Put the parked row of `pk` back with its clocks (in `m`); false when none, or it collides. */
  restore(tbl: string, pk: string, shape: Shape, m: RowMeta): boolean {
    if (this.host.hasMergedColumns(tbl)) return false;
    const r = this.parked.get(tbl, pk);
    if (!r || !this.parked.restore(this.host, tbl, shape, r)) return false;
    this.noteRestored(tbl, pk);
    m.cols = JSON.parse(r.cols) as RowMeta['cols'];
    m.deleted = false;
    return true;
  }

  /**
   * An UPDATE of a row that is not here: bring it back if it is parked, with the update over it,
   * and the rows parked because they referenced it. Returns the rows brought back (0: none).
   */
  resurrect(e: LogEntry, shape: Shape, tx: ReplTx, hlc: string, m: RowMeta): number {
    if (this.host.hasMergedColumns(e.tbl) || !this.parked.resurrect(this.host, e, shape, tx, hlc, m))
      return 0;
    this.noteRestored(e.tbl, e.pk!);
    return 1 + this.bringBackChildren(e.tbl, e.pk!, 0);
  }

  private noteRestored(tbl: string, pk: string): void {
    const p = this.current;
    if (!p) return;
    if (!p.restored) p.restored = new Set();
    p.restored.add(`${tbl}\0${pk}`);
  }

  /** A parked row came back: rows parked because they referenced it come back too, when they fit. */
  private bringBackChildren(tbl: string, pk: string, depth: number): number {
    if (depth >= cascadeRecordDepthMax) return 0;
    let n = 0;
    for (const fk of this.fks.incoming(tbl)) {
      if (!fk.byParentKey || fk.childKey.length === 0 || this.host.hasMergedColumns(fk.child)) continue;
      const shape = this.host.shapeOf(fk.child);
      if (!shape) continue;
      for (const r of this.parked.parkedChildren(this.host, fk.child, fk.from, pk)) {
        if (!this.parked.restore(this.host, fk.child, shape, r)) continue;
        this.noteRestored(fk.child, r.pk);
        const m = this.host.loadMeta(fk.child, r.pk);
        this.host.saveMeta(fk.child, r.pk, {
          ...m,
          deleted: false,
          cols: JSON.parse(r.cols) as RowMeta['cols'],
        });
        n += 1 + this.bringBackChildren(fk.child, r.pk, depth + 1);
      }
    }
    return n;
  }
}
