// Rows a replicated change removed for a cause concurrent with writes of their own — a unique value
// another master's write won (conflict-rules.ts), a parent another master deleted (fk-orphans.ts) —
// are parked here with their column clocks. A later UPDATE of such a row comes from a master that
// had not yet heard of the cause, where the row still lives; there it may have moved the row off the
// cause (another value, another parent), so the row survives there. Bringing the parked row back
// with the update applied, and settling it again, ends the same on every node: removed again if the
// cause still holds (a unique collision keeps it parked; an orphan goes at the end of the
// transaction), kept if the update moved it off. Bounded: the oldest go past parkedRowsMax.

import type Database from 'better-sqlite3';
import type { LogEntry, ReplTx } from '../../log/records.js';
import { quoteIdent } from '../../sql/lexer.js';
import type { ColClock, RowMeta } from './row-meta.js';
import { colPath, fromJson, overlaySql } from './row-sql.js';

/** Parked rows kept at most; past it the oldest are forgotten (their late updates are then skipped). */
export const parkedRowsMax = 10_000;

export class ParkedRows {
  private readonly stmts;
  /** Tables with parked rows (loaded at first use): the apply path asks nothing of the others. */
  private tables: Set<string> | null = null;

  constructor(db: Database.Database) {
    this.stmts = {
      put: db.prepare(
        'INSERT INTO _chorus_parked (tbl, pk, row, cols) VALUES (?, ?, ?, ?) ON CONFLICT (tbl, pk) DO UPDATE SET row = excluded.row, cols = excluded.cols',
      ),
      get: db.prepare('SELECT row, cols FROM _chorus_parked WHERE tbl = ? AND pk = ?'),
      del: db.prepare('DELETE FROM _chorus_parked WHERE tbl = ? AND pk = ?'),
      evict: db.prepare('DELETE FROM _chorus_parked WHERE id <= (SELECT max(id) FROM _chorus_parked) - ?'),
      tables: db.prepare('SELECT DISTINCT tbl FROM _chorus_parked').pluck(),
      forget: db.prepare('DELETE FROM _chorus_parked WHERE tbl = ?'),
    };
  }

  /** Whether `tbl` has parked rows (as far as this process knows: a superset). */
  has(tbl: string): boolean {
    if (!this.tables) this.tables = new Set(this.stmts.tables.all() as string[]);
    return this.tables.has(tbl);
  }

  /** Park a removed row: its values (log JSON form) and column clocks. */
  park(tbl: string, pk: string, row: string, cols: Record<string, ColClock>): void {
    this.stmts.put.run(tbl, pk, row, JSON.stringify(cols));
    this.stmts.evict.run(parkedRowsMax);
    this.has(tbl);
    this.tables!.add(tbl);
  }

  /** The key got a row again, or was deleted: what was parked no longer applies. */
  drop(tbl: string, pk: string): void {
    if (this.has(tbl)) this.stmts.del.run(tbl, pk);
  }

  /** Forget the parked rows of tables that were dropped. */
  forgetTables(tbls: readonly string[]): void {
    for (const t of tbls) {
      this.stmts.forget.run(t);
      this.tables?.delete(t);
    }
  }

  /** Cached tables may be stale after a rollback or a snapshot: read them again at next use. */
  invalidate(): void {
    this.tables = null;
  }

  /**
   * An UPDATE `e` of a row that is not here: if it is parked, insert it back with e's columns over
   * it and its clocks restored (e's columns get e's clock), in `m`. False (nothing changed) when
   * nothing is parked or the row, with the update, still collides on a unique index.
   */
  resurrect(
    a: {
      stmt(key: string, build: () => string): Database.Statement;
      rowSavepoint(step: 'begin' | 'release' | 'rollback'): void;
    },
    e: LogEntry,
    shape: { columns: Set<string> },
    tx: ReplTx,
    hlc: string,
    m: RowMeta,
  ): boolean {
    const tbl = e.tbl;
    const pk = e.pk!;
    if (!this.has(tbl)) return false;
    const parked = this.stmts.get.get(tbl, pk) as { row: string; cols: string } | undefined;
    if (!parked) return false;
    const written = Object.keys(JSON.parse(e.cols ?? '{}') as object).filter((c) => shape.columns.has(c));
    const merged = a
      .stmt(`${tbl}|park-overlay|${written.join(',')}`, () => overlaySql(written))
      .pluck()
      .get({ row: parked.row, cols: e.cols ?? '{}' }) as string;
    const cols = Object.keys(JSON.parse(merged) as object).filter((c) => shape.columns.has(c));
    a.rowSavepoint('begin');
    try {
      a.stmt(
        `${tbl}|park-insert|${cols.join(',')}`,
        () =>
          `INSERT INTO ${quoteIdent(tbl)} (${cols.map(quoteIdent).join(', ')}) VALUES (${cols
            .map((c) => fromJson(':cols', colPath(c)))
            .join(', ')})`,
      ).run({ cols: merged });
      a.rowSavepoint('release');
    } catch (err) {
      a.rowSavepoint('rollback');
      a.rowSavepoint('release');
      if (String((err as { code?: unknown }).code ?? '').startsWith('SQLITE_CONSTRAINT')) return false;
      throw err;
    }
    this.stmts.del.run(tbl, pk);
    m.cols = JSON.parse(parked.cols) as Record<string, ColClock>;
    for (const c of written) m.cols[c] = [hlc, tx.origin, tx.seq];
    m.deleted = false;
    return true;
  }
}
