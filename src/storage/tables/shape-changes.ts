// Renames of tables and columns with the node's own metadata about them (row versions, column
// clocks, CRDT states, resolver bindings, the table registry, owned sequences), and the record of shape changes a
// row change written before them is put through when it arrives later (replication/apply/ddl/shape-upgrade.ts).

import type Database from 'better-sqlite3';
import { quoteIdent } from '../../sql/lexer.js';

/** A change of a table's shape, as recorded for row changes that had not seen it. */
export type ShapeChange =
  | { kind: 'rename_table'; from: string }
  | { kind: 'rename_column'; from: string; to: string }
  /** ALTER COLUMN TYPE: `sql` turns the old value (the column's name in it) into the new form. */
  | { kind: 'convert'; column: string; sql: string }
  /**
   * A constraint the table did not have (NOT NULL, CHECK, FOREIGN KEY, UNIQUE, a new type): a row
   * change that had not seen it and that it refuses removes the row, as peers remove such rows.
   */
  | { kind: 'constrain' };

export interface RecordedShapeChange {
  id: number;
  /** The table's name once the change is made. */
  tbl: string;
  origin: string;
  seq: number;
  change: ShapeChange;
}

/** Remember a shape change made by the DDL transaction (origin, seq). */
export function recordShapeChange(
  db: Database.Database,
  table: string,
  origin: string,
  seq: number,
  change: ShapeChange,
): void {
  db.prepare('INSERT INTO _chorus_shape_changes (tbl, origin, seq, change) VALUES (?, ?, ?, ?)').run(
    table,
    origin,
    seq,
    JSON.stringify(change),
  );
}

export function loadShapeChanges(db: Database.Database): RecordedShapeChange[] {
  const stmt = db.prepare('SELECT id, tbl, origin, seq, change FROM _chorus_shape_changes ORDER BY id');
  stmt.safeIntegers(false);
  return (stmt.all() as { id: number; tbl: string; origin: string; seq: number; change: string }[]).map(
    (r) => ({
      ...r,
      change: JSON.parse(r.change) as ShapeChange,
    }),
  );
}

/**
 * ALTER TABLE t RENAME TO u, and every internal row that names the table — but recorded shape
 * changes, which keep the name the table had when each was made (they are replayed in order).
 */
export function renameTable(db: Database.Database, from: string, to: string): void {
  db.exec(`ALTER TABLE ${quoteIdent(from)} RENAME TO ${quoteIdent(to)}`);
  for (const [table, column] of [
    ['_chorus_rowmeta', 'tbl'],
    ['_chorus_crdt', 'tbl'],
    ['_chorus_table_resolvers', 'tbl'],
    ['_chorus_delta_columns', 'tbl'],
    ['_chorus_tables', 'name'],
    ['_chorus_keyless_ranges', 'tbl'],
    ['_chorus_parked', 'tbl'],
    // Sequences owned by its columns stay theirs under their own names (PostgreSQL's t_id_seq).
    ['_chorus_sequences', 'owner_table'],
  ] as const) {
    db.prepare(`UPDATE ${table} SET ${column} = ? WHERE ${column} = ?`).run(to, from);
  }
}

/** ALTER TABLE t RENAME COLUMN a TO b, and the column's clocks, CRDT states and parked values. */
export function renameColumn(db: Database.Database, table: string, from: string, to: string): void {
  db.exec(`ALTER TABLE ${quoteIdent(table)} RENAME COLUMN ${quoteIdent(from)} TO ${quoteIdent(to)}`);
  const a = `$."${from.replaceAll('"', '\\"')}"`;
  const b = `$."${to.replaceAll('"', '\\"')}"`;
  db.prepare(
    `UPDATE _chorus_rowmeta SET cols = json_set(json_remove(cols, :a), :b, cols -> :a)
      WHERE tbl = :t AND json_type(cols, :a) IS NOT NULL`,
  ).run({ a, b, t: table });
  for (const field of ['row', 'cols'])
    db.prepare(
      `UPDATE _chorus_parked SET ${field} = json_set(json_remove(${field}, :a), :b, ${field} -> :a)
        WHERE tbl = :t AND json_type(${field}, :a) IS NOT NULL`,
    ).run({ a, b, t: table });
  db.prepare('UPDATE _chorus_crdt SET col = ? WHERE tbl = ? AND col = ?').run(to, table, from);
  db.prepare('UPDATE _chorus_delta_columns SET col = ? WHERE tbl = ? AND col = ?').run(to, table, from);
  db.prepare('UPDATE _chorus_sequences SET owner_column = ? WHERE owner_table = ? AND owner_column = ?').run(
    to,
    table,
    from,
  );
}
