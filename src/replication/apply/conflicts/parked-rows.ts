// Rows a replicated change removed for a cause concurrent with writes of their own — a unique value
// another master's write won (conflict-rules.ts), a parent another master deleted (fk-orphans.ts) —
// are parked here with their column clocks. A later UPDATE of such a row comes from a master that
// had not yet heard of the cause, where the row still lives; there it may have moved the row off the
// cause (another value, another parent), so the row survives there. Bringing the parked row back
// with the update applied, and settling it again, ends the same on every node: removed again if the
// cause still holds (a unique collision keeps it parked; an orphan goes at the end of the
// transaction), kept if the update moved it off. Bounded: the oldest go past parkedRowsMax.

import type Database from 'better-sqlite3';
import type { LogEntry, ReplTx } from '../../../log/records.js';
import { quoteIdent } from '../../../sql/lexer.js';
import type { ColClock, RowMeta } from '../rows/row-meta.js';
import { colPath, fromJson, overlaySql } from '../rows/row-sql.js';

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

  /**
   * Read the tables again at next use (after DDL: a DROP TABLE forgets its rows in
   * StorageEngine.syncSchema; between, the cached set may name a table with none left, which costs
   * one lookup).
   */
  invalidate(): void {
    this.tables = null;
  }

  /**
   * An UPDATE `e` of a row that is not here: if it is parked, insert it back with e's columns over
   * it and its clocks restored (e's columns get e's clock), in `m`. False (nothing changed here) when
   * nothing is parked, or when the row with the update still collides on a unique index — then the
   * update is kept in the parked row, so a later resurrection carries it.
   */
  resurrect(
    a: ParkHost,
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
    const clocks = JSON.parse(parked.cols) as Record<string, ColClock>;
    for (const c of written) clocks[c] = [hlc, tx.origin, tx.seq];
    if (!this.insertBack(a, tbl, shape, merged)) {
      this.stmts.put.run(tbl, pk, merged, JSON.stringify(clocks));
      return false;
    }
    this.stmts.del.run(tbl, pk);
    m.cols = clocks;
    m.deleted = false;
    return true;
  }

  /**
   * Rows parked in `child` because they referenced the parent row `parentKey` (values of the
   * parent's key, JSON array) through the columns `from`: the candidates to come back with it.
   */
  parkedChildren(
    a: ParkHost,
    child: string,
    from: string[],
    parentKey: string,
  ): { pk: string; row: string; cols: string }[] {
    if (!this.has(child)) return [];
    return a
      .stmt(`${child}|parked-children|${from.join(',')}`, () => {
        const match = from
          .map(
            (f, i) =>
              `json_extract(row, '${colPath(f).replaceAll("'", "''")}') IS json_extract(:parent, '$[${i}]')`,
          )
          .join(' AND ');
        return `SELECT pk, row, cols FROM _chorus_parked WHERE tbl = :child AND ${match}`;
      })
      .all({ child, parent: parentKey }) as { pk: string; row: string; cols: string }[];
  }

  /** The parked row of a key, if any. */
  get(tbl: string, pk: string): { pk: string; row: string; cols: string } | null {
    if (!this.has(tbl)) return null;
    const r = this.stmts.get.get(tbl, pk) as { row: string; cols: string } | undefined;
    return r ? { pk, row: r.row, cols: r.cols } : null;
  }

  /** Put a parked row back as it was parked; false (still parked) when it collides. */
  restore(
    a: ParkHost,
    tbl: string,
    shape: { columns: Set<string> },
    parked: { pk: string; row: string },
  ): boolean {
    if (!this.insertBack(a, tbl, shape, parked.row)) return false;
    this.stmts.del.run(tbl, parked.pk);
    return true;
  }

  /** Insert a row (log JSON form) in a savepoint; false when a constraint refuses it. */
  private insertBack(a: ParkHost, tbl: string, shape: { columns: Set<string> }, row: string): boolean {
    const cols = Object.keys(JSON.parse(row) as object).filter((c) => shape.columns.has(c));
    a.rowSavepoint('begin');
    try {
      a.stmt(
        `${tbl}|park-insert|${cols.join(',')}`,
        () =>
          `INSERT INTO ${quoteIdent(tbl)} (${cols.map(quoteIdent).join(', ')}) VALUES (${cols
            .map((c) => fromJson(':cols', colPath(c)))
            .join(', ')})`,
      ).run({ cols: row });
      a.rowSavepoint('release');
      return true;
    } catch (err) {
      a.rowSavepoint('rollback');
      a.rowSavepoint('release');
      if (String((err as { code?: unknown }).code ?? '').startsWith('SQLITE_CONSTRAINT')) return false;
      throw err;
    }
  }
}

/** What of the applier parking uses (the Applier itself). */
export interface ParkHost {
  stmt(key: string, build: () => string): Database.Statement;
  rowSavepoint(step: 'begin' | 'release' | 'rollback'): void;
}
