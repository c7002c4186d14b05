// Where each row of a replicated table without a primary key came from (_chorus_keyless_rows: the
// origin and origin sequence of the transaction that inserted it, by rowid, node-local), and the
// TRUNCATE that uses it: a replicated TRUNCATE removes exactly the rows its vector covers.

import type Database from 'better-sqlite3';
import { quoteIdent } from '../sql/lexer.js';
import { userTableName } from './table-ops.js';

/** An applied vector: for each origin, the highest origin sequence applied (contiguous). */
export type SeenVector = Readonly<Record<string, number>>;

/**
 * Whether the row a transaction (origin, seq) inserted precedes a TRUNCATE that had seen `seen`.
 * A row without an origin (written before this metadata existed) precedes every TRUNCATE.
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

/** Record the origin of a row a peer's transaction inserted (the applier; local rows: the trigger). */
export function recordKeylessRow(
  db: Database.Database,
  table: string,
  rowid: number | bigint,
  origin: string,
  seq: number,
): void {
  db.prepare('INSERT OR REPLACE INTO _chorus_keyless_rows (tbl, rid, origin, seq) VALUES (?, ?, ?, ?)').run(
    table,
    BigInt(rowid),
    origin,
    BigInt(seq),
  );
}

/**
 * TRUNCATE of a table without a primary key. `cover` null: every row goes (a local TRUNCATE: the
 * node's own vector covers every row it holds; or an entry from a version that sent no vector).
 * Otherwise only the rows whose origin `cover` covers, and rows without an origin; rows inserted
 * concurrently elsewhere stay. Returns the rows removed. The caller turns capture off.
 */
export function truncateKeyless(db: Database.Database, tableName: string, cover: SeenVector | null): number {
  const table = userTableName(db, tableName);
  const t = quoteIdent(table);
  if (cover === null) {
    db.prepare('DELETE FROM _chorus_keyless_rows WHERE tbl = ?').run(table);
    return Number(db.prepare(`DELETE FROM ${t}`).run().changes);
  }
  // The vector as a table: origin -> highest sequence covered. Rows kept: those with an origin
  // the vector does not cover (the same test as rowCovered).
  const vector = JSON.stringify(cover);
  const kept = `SELECT k.rid FROM _chorus_keyless_rows k
      WHERE k.tbl = :tbl AND k.seq > coalesce((SELECT v.value FROM json_each(:vector) v WHERE v.key = k.origin), 0)`;
  const removed = Number(
    db.prepare(`DELETE FROM ${t} WHERE rowid NOT IN (${kept})`).run({ tbl: table, vector }).changes,
  );
  db.prepare(`DELETE FROM _chorus_keyless_rows WHERE tbl = :tbl AND rid NOT IN (SELECT rowid FROM ${t})`).run(
    {
      tbl: table,
    },
  );
  return removed;
}

/**
 * Forget the origins of rows of tables that are gone or now have a primary key (syncSchema, after
 * any DDL). Steps from table name to table name through the key, so a large table costs nothing.
 */
export function forgetKeylessRows(db: Database.Database): void {
  const next = db.prepare('SELECT tbl FROM _chorus_keyless_rows WHERE tbl > ? ORDER BY tbl LIMIT 1').pluck();
  const stale = db.prepare(
    `SELECT NOT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = :tbl)
         OR EXISTS (SELECT 1 FROM pragma_table_info(:tbl) WHERE pk > 0) AS stale`,
  );
  const forget = db.prepare('DELETE FROM _chorus_keyless_rows WHERE tbl = ?');
  let tbl = next.get('') as string | undefined;
  while (tbl !== undefined) {
    const row = stale.get({ tbl }) as { stale: number | bigint };
    if (Number(row.stale) === 1) forget.run(tbl);
    tbl = next.get(tbl) as string | undefined;
  }
}
