// Where the rows of a replicated table without a primary key came from, and the TRUNCATE that uses
// it: _chorus_keyless_ranges holds, per table, rowid ranges [lo, hi] with the origin and origin
// sequence of the transaction that inserted them (node-local: rowids are); a replicated TRUNCATE
// removes exactly the rows whose transaction its vector covers.
//
// Why ranges written once per transaction: the INSERT trigger only notes each row's rowid in memory
// (KeylessNotes, a JS call, no write), and the engine writes one range per table when the transaction
// commits (local) or is logged (a peer's) — so COPY and bulk INSERT cost what they did. A range holds
// only that transaction's rows: SQLite gives a new row max(rowid) + 1 (a keyless table has no
// INTEGER PRIMARY KEY, so no AUTOINCREMENT and no explicit rowids), there is one writer, and a TRUNCATE
// inside the transaction starts its note again. A rowid reused after rows at the top were removed
// starts a range that trims the older ones (rows at or above it no longer existed then). Rebuilds copy
// rowids and VACUUM keeps them (test/unit/keyless-truncate.test.ts).

import type Database from 'better-sqlite3';
import { quoteIdent } from '../../sql/lexer.js';
import { userTableName } from './table-ops.js';

/** An applied vector: for each origin, the highest origin sequence applied (contiguous). */
export type SeenVector = Readonly<Record<string, number>>;

/**
 * Whether the rows a transaction (origin, seq) inserted precede a TRUNCATE that had seen `seen`.
 * Rows without an origin (written before origins were kept) precede every TRUNCATE.
 */
export function rowCovered(seen: SeenVector, origin: string | null, seq: number | null): boolean {
  if (origin === null || seq === null) return true;
  return (seen[origin] ?? 0) >= seq;
}

/**
 * What a TRUNCATE logged by transaction (origin, seq) removes on a peer: the rows of every
 * transaction its node had applied (`seen`), and those of its own transaction written before it
 * (entries apply in order, so the ones after it are not there yet).
 */
export function truncateCover(seen: SeenVector, origin: string, seq: number): SeenVector {
  return { ...seen, [origin]: Math.max(seen[origin] ?? 0, seq) };
}

/** The rowids each keyless table got in the open transaction (lowest and highest), in memory. */
export class KeylessNotes {
  private readonly tables = new Map<string, { lo: bigint; hi: bigint }>();

  /** The INSERT trigger: a row of `table` got `rowid`. */
  note(table: string, rowid: bigint): void {
    const r = this.tables.get(table);
    if (!r) this.tables.set(table, { lo: rowid, hi: rowid });
    else {
      if (rowid < r.lo) r.lo = rowid;
      if (rowid > r.hi) r.hi = rowid;
    }
  }

  /** The table was emptied in this transaction: rows noted so far are gone. */
  forget(table: string): void {
    this.tables.delete(table);
  }

  clear(): void {
    this.tables.clear();
  }

  /** Write one range per table for the transaction (origin, seq), and start again. */
  flush(db: Database.Database, origin: string, seq: number): void {
    for (const [table, r] of this.tables) writeRange(db, table, r.lo, r.hi, origin, seq);
    this.tables.clear();
  }
}

const rangeStatements = new WeakMap<
  Database.Database,
  Record<'trimAbove' | 'trimAcross' | 'insert', Database.Statement>
>();

/** Record rows [lo, hi] of `table` as written by (origin, seq), trimming older ranges at or above lo. */
export function writeRange(
  db: Database.Database,
  table: string,
  lo: bigint,
  hi: bigint,
  origin: string,
  seq: number,
): void {
  let s = rangeStatements.get(db);
  if (!s) {
    s = {
      trimAbove: db.prepare('DELETE FROM _chorus_keyless_ranges WHERE tbl = ? AND lo >= ?'),
      // Ranges do not overlap: only the last one starting below lo can reach it (an index seek, not
      // a scan of every range of the table — one per transaction that inserted into it).
      trimAcross: db.prepare(
        `UPDATE _chorus_keyless_ranges SET hi = ? WHERE tbl = ? AND hi >= ? AND lo =
           (SELECT max(lo) FROM _chorus_keyless_ranges WHERE tbl = ? AND lo < ?)`,
      ),
      insert: db.prepare(
        'INSERT INTO _chorus_keyless_ranges (tbl, lo, hi, origin, seq) VALUES (?, ?, ?, ?, ?)',
      ),
    };
    rangeStatements.set(db, s);
  }
  s.trimAbove.run(table, lo);
  s.trimAcross.run(lo - 1n, table, lo, table, lo);
  s.insert.run(table, lo, hi, origin, BigInt(seq));
}

/**
 * TRUNCATE of a table without a primary key. `cover` null: every row goes (a local TRUNCATE: the
 * node's own vector covers every row it holds; or an entry from a version that sent no vector).
 * Otherwise the rows whose range `cover` covers and rows in no range; rows inserted concurrently
 * elsewhere stay. Returns the rows removed. The caller turns capture off and forgets the table's
 * note (KeylessNotes.forget) when it empties it.
 */
export function truncateKeyless(db: Database.Database, tableName: string, cover: SeenVector | null): number {
  const table = userTableName(db, tableName);
  const t = quoteIdent(table);
  if (cover === null) {
    db.prepare('DELETE FROM _chorus_keyless_ranges WHERE tbl = ?').run(table);
    return Number(db.prepare(`DELETE FROM ${t}`).run().changes);
  }
  const ranges = db
    .prepare('SELECT lo, hi, origin, seq FROM _chorus_keyless_ranges WHERE tbl = ? ORDER BY lo')
    .safeIntegers(true)
    .all(table) as { lo: bigint; hi: bigint; origin: string; seq: bigint }[];
  const between = db.prepare(`DELETE FROM ${t} WHERE rowid >= ? AND rowid <= ?`);
  const above = db.prepare(`DELETE FROM ${t} WHERE rowid >= ?`);
  const dropRange = db.prepare('DELETE FROM _chorus_keyless_ranges WHERE tbl = ? AND lo = ?');
  let removed = 0;
  // Walk the ranges in rowid order: everything from `from` up to the next kept range goes.
  let from = -(2n ** 63n);
  for (const r of ranges) {
    if (rowCovered(cover, r.origin, Number(r.seq))) {
      dropRange.run(table, r.lo);
      continue;
    }
    if (r.lo > from) removed += Number(between.run(from, r.lo - 1n).changes);
    from = r.hi + 1n;
  }
  removed += Number(above.run(from).changes);
  return removed;
}

/**
 * Forget the ranges of tables that are gone or now have a primary key (syncSchema, after any DDL).
 * Steps from table name to table name through the key, so a long table of ranges costs nothing.
 */
export function forgetKeylessRows(db: Database.Database): void {
  const next = db
    .prepare('SELECT tbl FROM _chorus_keyless_ranges WHERE tbl > ? ORDER BY tbl LIMIT 1')
    .pluck();
  const stale = db.prepare(
    `SELECT NOT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = :tbl)
         OR EXISTS (SELECT 1 FROM pragma_table_info(:tbl) WHERE pk > 0) AS stale`,
  );
  const forget = db.prepare('DELETE FROM _chorus_keyless_ranges WHERE tbl = ?');
  let tbl = next.get('') as string | undefined;
  while (tbl !== undefined) {
    const row = stale.get({ tbl }) as { stale: number | bigint };
    if (Number(row.stale) === 1) forget.run(tbl);
    tbl = next.get(tbl) as string | undefined;
  }
}
