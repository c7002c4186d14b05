// Where a table's constraints live and what they are called: the one reader of stored constraint
// names and definitions (for DROP / RENAME CONSTRAINT, constraint errors and the catalog). Named
// constraints sit in the table's CREATE TABLE text; a UNIQUE constraint added by ALTER TABLE is a
// unique index of its name marked as a constraint (SQLite cannot add one to the table text).

import type Database from 'better-sqlite3';
import { quoteIdent } from '../../sql/lexer.js';
import { bodyColumns, type ConstraintKind, parseTableDef, type TableDef } from './table-def.js';

/** Marker inside the column list of a unique index that is a UNIQUE constraint (see file comment). */
export const constraintIndexMarker = '/* chorus: unique constraint */';

export interface StoredConstraint {
  name: string;
  /** PostgreSQL's contype: p(rimary), u(nique), c(heck), f(oreign). */
  type: 'p' | 'u' | 'c' | 'f';
  columns: string[];
  /** The constraint's SQLite text after its name (`CHECK (...)`, `FOREIGN KEY (...) REFERENCES ...`). */
  body: string;
  /** CHECK: the PostgreSQL text of the expression when the front end kept it (`/* pg: ... *\/`). */
  checkPg: string | null;
  /** FOREIGN KEY: the referenced table and columns (empty: its primary key). */
  refTable: string | null;
  refColumns: string[];
  /** Where it is stored: in the table text (column- or table-level) or as a unique index. */
  storage: 'table' | 'column' | 'index';
  /** The column holding a column-level constraint. */
  column?: string;
}

const typeOf: Record<ConstraintKind, StoredConstraint['type']> = {
  primary: 'p',
  unique: 'u',
  check: 'c',
  foreign: 'f',
};

const labels: Record<StoredConstraint['type'], string> = { p: 'pkey', u: 'key', c: 'check', f: 'fkey' };

/** PostgreSQL's name for an unnamed constraint (without the 63-byte shortening). */
function defaultName(table: string, type: StoredConstraint['type'], columns: readonly string[]): string {
  return type === 'p'
    ? `${table}_pkey`
    : [table, ...columns.slice(0, type === 'c' ? 1 : undefined), labels[type]].join('_');
}

/** The PostgreSQL text a CHECK kept in its comment, if any. */
export function checkPgText(body: string): string | null {
  const m = /\/\* pg: ([\s\S]*) \*\/\s*\)\s*$/.exec(body);
  return m ? m[1]!.replaceAll('*\\/', '*/') : null;
}

function describe(
  table: string,
  name: string | null,
  kind: ConstraintKind,
  body: string,
  storage: StoredConstraint['storage'],
  column?: string,
): StoredConstraint {
  const type = typeOf[kind];
  let columns = column !== undefined ? [column] : bodyColumns(body);
  if (type === 'c' && column === undefined) columns = [];
  let refTable: string | null = null;
  let refColumns: string[] = [];
  if (type === 'f') {
    const m = /REFERENCES\s+("(?:[^"]|"")+"|[\w$]+)\s*(\([^)]*\))?/i.exec(body);
    if (m) {
      refTable = m[1]!.startsWith('"') ? m[1]!.slice(1, -1).replaceAll('""', '"') : m[1]!;
      refColumns = m[2] ? bodyColumns(m[2]) : [];
    }
  }
  return {
    name: name ?? defaultName(table, type, columns),
    type,
    columns,
    body,
    checkPg: type === 'c' ? checkPgText(body) : null,
    refTable,
    refColumns,
    storage,
    ...(column !== undefined ? { column } : {}),
  };
}

/** Constraints of a column clause list (`CONSTRAINT "x" PRIMARY KEY AUTOINCREMENT`, `UNIQUE`, ...). */
function columnConstraints(table: string, column: string, clauses: readonly string[]): StoredConstraint[] {
  const out: StoredConstraint[] = [];
  for (const clause of clauses) {
    const m = /^\s*(?:CONSTRAINT\s+("(?:[^"]|"")+"|[\w$]+)\s+)?(PRIMARY|UNIQUE|CHECK|REFERENCES)\b/i.exec(
      clause,
    );
    if (!m) continue;
    const name = m[1] ? (m[1].startsWith('"') ? m[1].slice(1, -1).replaceAll('""', '"') : m[1]) : null;
    const word = m[2]!.toUpperCase();
    const kind: ConstraintKind =
      word === 'PRIMARY' ? 'primary' : word === 'UNIQUE' ? 'unique' : word === 'CHECK' ? 'check' : 'foreign';
    out.push(describe(table, name, kind, clause.slice(m[0].length - m[2]!.length), 'column', column));
  }
  return out;
}

/** Constraints of a table model (those in its CREATE TABLE text), in the order they are written. */
export function tableTextConstraints(def: TableDef): StoredConstraint[] {
  const out: StoredConstraint[] = [];
  for (const c of def.columns) out.push(...columnConstraints(def.name, c.name, c.other));
  for (const c of def.constraints) out.push(describe(def.name, c.name, c.kind, c.body, 'table'));
  return out;
}

/**
 * Every constraint of a table with its PostgreSQL name: those in its CREATE TABLE text, then the
 * UNIQUE constraints added by ALTER TABLE (constraint-marked unique indexes), oldest first.
 * NOT NULL is a column property in PostgreSQL (pg_attribute.attnotnull), not listed here.
 */
export function storedConstraints(db: Database.Database, table: string): StoredConstraint[] {
  const stmt = db.prepare("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?");
  stmt.safeIntegers(false);
  const row = stmt.get(table) as { sql: string } | undefined;
  if (!row) return [];
  const out = tableTextConstraints(parseTableDef(row.sql));
  out.push(...constraintIndexes(db, table));
  return out;
}

/** The UNIQUE constraints a table holds as constraint-marked unique indexes. */
export function constraintIndexes(db: Database.Database, table: string): StoredConstraint[] {
  const stmt = db.prepare(
    "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = ? AND sql LIKE ? ORDER BY rowid",
  );
  stmt.safeIntegers(false);
  const rows = stmt.all(table, `%${constraintIndexMarker}%`) as { name: string; sql: string }[];
  return rows.map((r) => {
    const body = `UNIQUE ${r.sql.slice(r.sql.indexOf('('))}`;
    return {
      ...describe(table, r.name, 'unique', body, 'index'),
      body: `UNIQUE (${bodyColumns(body).map(quoteIdent).join(', ')})`,
    };
  });
}

/** The CREATE UNIQUE INDEX text of a UNIQUE constraint kept as an index. */
export function constraintIndexSql(table: string, name: string, columns: readonly string[]): string {
  return `CREATE UNIQUE INDEX ${quoteIdent(name)} ON ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')} ${constraintIndexMarker})`;
}
