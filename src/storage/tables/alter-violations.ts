// Rows a peer holds that a replicated ALTER TABLE's new definition refuses: rows written on this
// node concurrently with the change (the origin checked every row it had). Found before the new
// definition is written — SQLite would take a NOT NULL or CHECK over violating rows without a word
// and fail integrity_check later — over the rows as they will be (converted values included).
// The caller treats each as the origin treats such a row arriving after the change: recorded as a
// conflict and removed, so every node ends with the same rows.

import type Database from 'better-sqlite3';
import { quoteIdent } from '../../sql/lexer.js';
import { type StoredConstraint, tableTextConstraints } from './constraints.js';
import { type Conversion, convertedDuplicates, convertTable } from './table-convert.js';
import type { TableDef } from './table-def.js';

export interface RefusedRows {
  /** Rows a NOT NULL, CHECK or FOREIGN KEY of the new definition refuses, with the constraint. */
  refused: { rowid: number; constraint: string }[];
  /** Rows sharing the values of a unique constraint (the caller keeps one of each group). */
  duplicates: { rowids: number[]; constraint: string; columns: string[] }[];
}

/** The FROM clause of the rows as they will be: converted columns from the staged values. */
function newRows(table: string, def: TableDef, sets: readonly Conversion[]): string {
  const t = quoteIdent(table);
  const converted = new Map(sets.map((s, i) => [s.column, `x.v${i}`]));
  const cols = def.columns.map(
    (c) => `${converted.get(c.name) ?? `${t}.${quoteIdent(c.name)}`} AS ${quoteIdent(c.name)}`,
  );
  const join = sets.length > 0 ? ` JOIN temp.${quoteIdent(convertTable)} x ON x.rid = ${t}.rowid` : '';
  return `(SELECT ${t}.rowid AS chorus_rid, ${cols.join(', ')} FROM ${t}${join}) AS n`;
}

function rowids(db: Database.Database, sql: string): number[] {
  const stmt = db.prepare(sql).pluck();
  stmt.safeIntegers(false);
  return stmt.all() as number[];
}

function same(a: StoredConstraint, b: StoredConstraint): boolean {
  return a.name === b.name && a.body === b.body;
}

/**
 * What the definition `after` (replacing `before`, with `sets` staged) refuses among the rows. Only
 * what the change adds is checked: new NOT NULLs, new CHECKs and FOREIGN KEYs, new UNIQUE
 * constraints (`newUnique`), and every CHECK, NOT NULL and unique index over a converted column.
 */
export function refusedRows(
  db: Database.Database,
  table: string,
  before: TableDef,
  after: TableDef,
  sets: readonly Conversion[],
  newUnique: readonly { name: string; columns: string[] }[],
): RefusedRows {
  const out: RefusedRows = { refused: [], duplicates: [] };
  const from = newRows(table, after, sets);
  const converted = new Set(sets.map((s) => s.column));
  const seen = new Set<number>();
  const refuse = (ids: number[], constraint: string): void => {
    for (const rowid of ids) {
      if (seen.has(rowid)) continue;
      seen.add(rowid);
      out.refused.push({ rowid, constraint });
    }
  };
  for (const c of after.columns) {
    const was = before.columns.find((b) => b.name === c.name);
    if (!c.notNull || (was?.notNull && !converted.has(c.name))) continue;
    refuse(
      rowids(db, `SELECT chorus_rid FROM ${from} WHERE typeof(${quoteIdent(c.name)}) = 'null'`),
      `${c.name} NOT NULL`,
    );
  }
  const old = tableTextConstraints(before);
  for (const c of tableTextConstraints(after)) {
    const isNew = !old.some((o) => same(o, c));
    if (c.type === 'c' && (isNew || sets.length > 0)) {
      const expr = c.body.replace(/^\s*CHECK\s*/i, '');
      refuse(rowids(db, `SELECT chorus_rid FROM ${from} WHERE NOT coalesce(${expr}, 1)`), c.name);
    }
    if (c.type === 'f' && isNew && c.refTable !== null) {
      const refColumns =
        c.refColumns.length > 0
          ? c.refColumns
          : (db
              .prepare('SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk')
              .pluck()
              .all(c.refTable) as string[]);
      if (refColumns.length !== c.columns.length) continue;
      const cols = c.columns.map((x) => `n.${quoteIdent(x)}`);
      const match = refColumns.map((x, i) => `r.${quoteIdent(x)} = ${cols[i]}`).join(' AND ');
      refuse(
        rowids(
          db,
          `SELECT chorus_rid FROM ${from} WHERE ${cols.map((x) => `${x} IS NOT NULL`).join(' AND ')}
             AND NOT EXISTS (SELECT 1 FROM ${quoteIdent(c.refTable)} r WHERE ${match})`,
        ),
        c.name,
      );
    }
  }
  for (const u of newUnique) {
    const cols = u.columns.map((x) => `n.${quoteIdent(x)}`);
    const stmt = db
      .prepare(
        `SELECT json_group_array(chorus_rid) FROM ${from}
          WHERE ${cols.map((x) => `${x} IS NOT NULL`).join(' AND ')}
          GROUP BY ${cols.join(', ')} HAVING count(*) > 1`,
      )
      .pluck();
    for (const ids of stmt.all() as string[])
      out.duplicates.push({
        rowids: (JSON.parse(ids) as number[]).filter((r) => !seen.has(r)),
        constraint: u.name,
        columns: u.columns,
      });
  }
  if (sets.length > 0) {
    for (const d of convertedDuplicates(db, table, sets))
      out.duplicates.push({
        rowids: d.rowids.filter((r) => !seen.has(r)),
        constraint: d.constraint,
        columns: d.columns,
      });
  }
  out.duplicates = out.duplicates.filter((d) => d.rowids.length > 1);
  return out;
}
