// The registry of delta columns (_chorus_delta_columns, see replication/apply/columns/delta-columns.ts)
// kept true to the schema: after every schema change a registered column that was dropped, made
// nullable or given a non-integer type stops being a delta column, and the counter states of
// tables that no longer exist are forgotten (a table created again under the name starts afresh).
// Every node runs this after the same replicated DDL, so every node forgets the same entries.

import type Database from 'better-sqlite3';
import { quoteIdent } from '../../sql/lexer.js';
import { typeOfDeclared } from '../../sql/types/declared-types.js';

/** Declared integer types a delta column may have: int8, int2, int4 (values exact in JavaScript). */
export const deltaColumnTypeOids: ReadonlySet<number> = new Set([20, 21, 23]);

/** Whether a declared column type can hold a delta column. */
export function deltaColumnTypeOk(declared: string): boolean {
  const t = typeOfDeclared(declared);
  return t !== null && deltaColumnTypeOids.has(t.type.oid);
}

/** After a schema change; `dropped`: the replicated tables it removed (their counter states go, by key range). */
export function forgetStaleDeltaColumns(db: Database.Database, dropped: readonly string[]): void {
  const forgetTable = db.prepare('DELETE FROM _chorus_crdt WHERE tbl = ?');
  for (const t of dropped) forgetTable.run(t);
  const registered = db.prepare('SELECT tbl, col FROM _chorus_delta_columns').all() as {
    tbl: string;
    col: string;
  }[];
  if (registered.length === 0) return;
  const forget = db.prepare('DELETE FROM _chorus_delta_columns WHERE tbl = ? AND col = ?');
  const forgetStates = db.prepare('DELETE FROM _chorus_crdt WHERE tbl = ? AND col = ?');
  const columns = new Map<string, Map<string, { type: string; notnull: number }>>();
  for (const { tbl, col } of registered) {
    let cols = columns.get(tbl);
    if (!cols) {
      const info = db.pragma(`table_info(${quoteIdent(tbl)})`) as {
        name: string;
        type: string;
        notnull: number;
      }[];
      cols = new Map(info.map((c) => [c.name, c]));
      columns.set(tbl, cols);
    }
    const c = cols.get(col);
    if (c?.notnull && deltaColumnTypeOk(c.type)) continue;
    forget.run(tbl, col);
    // A column still there and still an integer keeps what it counted (as turning it off does):
    // a difference on its way from another master must not count from zero.
    if (!c || !deltaColumnTypeOk(c.type)) forgetStates.run(tbl, col);
  }
}
