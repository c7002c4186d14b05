// A row change written before a shape change it had not seen (a concurrent ALTER TABLE) arrives
// in the old shape: its table or columns may have been renamed, its values may be of a column's
// old type. It is put through those changes — in the order they were made here — before it is
// applied, so a write concurrent with an ALTER is not lost (see storage/tables/shape-changes.ts).

import type Database from 'better-sqlite3';
import { failpoints } from '../../../config/failpoints.js';
import type { LogEntry, Vector } from '../../../log/records.js';
import { loadShapeChanges, type RecordedShapeChange } from '../../../storage/tables/shape-changes.js';
import { colPath, fromJson } from '../rows/row-sql.js';

/** A value as JSON text: BLOBs as {"$b": hex}, -0.0 kept, as the capture triggers write them. */
function jsonText(v: string): string {
  return `CASE typeof(${v}) WHEN 'blob' THEN json_object('$b', hex(${v})) WHEN 'null' THEN 'null'
    WHEN 'real' THEN CASE WHEN ${v} = 0 AND atan2(${v}, -1) < 0 THEN '-0.0' ELSE json_quote(${v}) END
    ELSE json_quote(${v}) END`;
}

export class ShapeUpgrader {
  private changes: RecordedShapeChange[] | null = null;
  private readonly stmts = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  /** After DDL: the recorded changes are read again on next use. */
  invalidate(): void {
    this.changes = null;
    this.stmts.clear();
  }

  private stmt(sql: string): Database.Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  /**
   * The entry as the table is now (the entry itself when no unseen change concerns it), whether a
   * constraint it had not seen was added, and the values a conversion turned into NULL.
   */
  upgrade(e: LogEntry, seen: Vector): Upgraded {
    this.changes ??= loadShapeChanges(this.db);
    if (this.changes.length === 0) return { entry: e, constrained: false, nulled: [] };
    let tbl = e.tbl;
    let cols = e.cols;
    let constrained = false;
    const nulled: { column: string; old: string }[] = [];
    for (const r of this.changes) {
      if ((seen[r.origin] ?? 0) >= r.seq) continue;
      const c = r.change;
      if (c.kind === 'rename_table') {
        if (c.from === tbl) tbl = r.tbl;
        continue;
      }
      if (r.tbl !== tbl) continue;
      if (c.kind === 'constrain') {
        constrained = true;
        continue;
      }
      if (cols === null) continue;
      // Planted bug (chaos tests): the renamed column's value stays under a name the table lacks.
      if (c.kind === 'rename_column' && failpoints.oldShapeIgnoresRenames) continue;
      const from = colPath(c.kind === 'rename_column' ? c.from : c.column);
      const present = this.stmt('SELECT json_type(?, ?) IS NOT NULL').pluck().get(cols, from);
      if (!present) continue;
      if (c.kind === 'rename_column') {
        cols = this.stmt('SELECT json_set(json_remove(:cols, :a), :b, :cols -> :a)')
          .pluck()
          .get({ cols, a: from, b: colPath(c.to) }) as string;
        continue;
      }
      // The conversion ALTER COLUMN TYPE made; a value the new type cannot hold becomes NULL, as
      // the peers that held the row when the change arrived made it (storage/tables/table-alter.ts).
      const value = `(SELECT ${jsonText('v')} FROM (SELECT ${c.sql} AS v FROM (SELECT ${fromJson(':cols', from)} AS "${c.column.replaceAll('"', '""')}")))`;
      try {
        cols = this.stmt(`SELECT json_set(:cols, :p, json(${value}))`)
          .pluck()
          .get({ cols, p: from }) as string;
      } catch {
        nulled.push({
          column: c.column,
          old: this.stmt('SELECT json_object(:c, :cols -> :p)')
            .pluck()
            .get({ c: c.column, cols, p: from }) as string,
        });
        cols = this.stmt("SELECT json_set(:cols, :p, json('null'))").pluck().get({ cols, p: from }) as string;
      }
    }
    return { entry: tbl === e.tbl && cols === e.cols ? e : { ...e, tbl, cols }, constrained, nulled };
  }
}

export interface Upgraded {
  entry: LogEntry;
  /** A constraint the change had not seen was added to its table since (see shape-changes.ts). */
  constrained: boolean;
  /** Values the table's new type could not hold, set to NULL ({column: old value} as JSON). */
  nulled: { column: string; old: string }[];
}
