// ALTER COLUMN TYPE's conversion of stored values, in two steps so that every conversion is known
// before any row is written: the new values go into a scratch table first (an error there leaves
// the table untouched), then the table takes them. Like PostgreSQL, which rewrites the whole table
// and only then builds its unique indexes, a UNIQUE column may pass through values that collide
// row by row (`n + 1` over 1, 2, 3): when one UPDATE meets such a collision the column first takes
// a unique placeholder per row, then its new value, and real duplicates are reported by name.

import type Database from 'better-sqlite3';
import { ChorusError } from '../../errors.js';
import { quoteIdent } from '../../sql/lexer.js';
import { isSqliteError } from '../sqlite-errors.js';
import { storedConstraints } from './constraints.js';

/** The scratch table holding the converted values (rid: the row's rowid; v0, v1, ...: values). */
export const convertTable = '_chorus_convert';
/** A placeholder no converted value equals: the rowid alias takes a negative integer far below. */
const aliasPlaceholderBase = '-4611686018427387904';

export interface Conversion {
  column: string;
  /** SQL over the row's columns giving the new value. */
  sql: string;
}

/** A converted column's values collide in a unique constraint (23505, named as PostgreSQL names it). */
export class ConversionDuplicateError extends ChorusError {
  constructor(
    readonly tableName: string,
    readonly constraintName: string,
    readonly columns: string[],
    readonly values: unknown[],
  ) {
    super('23505', `could not create unique index "${constraintName}"`, {
      table: tableName,
      constraint: constraintName,
    });
  }
}

/**
 * The converted values into temp.`convertTable`. On the origin an error is PostgreSQL's (22P02 ...);
 * with `onFailure`, a value that cannot be converted becomes NULL and is reported (peers).
 */
export function stageConversions(
  db: Database.Database,
  table: string,
  sets: readonly Conversion[],
  onFailure: ((rowid: number, column: string, old: unknown) => void) | null,
): void {
  const t = quoteIdent(table);
  db.exec(`DROP TABLE IF EXISTS temp.${quoteIdent(convertTable)}`);
  const values = sets.map((s, i) => `${s.sql} AS v${i}`).join(', ');
  const create = `CREATE TEMP TABLE ${quoteIdent(convertTable)} AS SELECT rowid AS rid, ${values} FROM ${t}`;
  if (!onFailure) {
    db.exec(create);
    return;
  }
  db.exec('SAVEPOINT chorus_convert');
  try {
    db.exec(create);
    db.exec('RELEASE chorus_convert');
    return;
  } catch {
    db.exec('ROLLBACK TO chorus_convert');
    db.exec('RELEASE chorus_convert');
  }
  // A value written concurrently with the change that the new type cannot hold: row by row, it
  // becomes NULL (the same on every node: it fails everywhere) and is reported.
  db.exec(
    `CREATE TEMP TABLE ${quoteIdent(convertTable)} (rid INTEGER PRIMARY KEY, ${sets.map((_, i) => `v${i}`).join(', ')})`,
  );
  const rowids = db.prepare(`SELECT rowid FROM ${t}`).pluck().all() as number[];
  const one = sets.map((s) => {
    const stmt = db.prepare(`SELECT ${s.sql} FROM ${t} WHERE rowid = ?`).pluck();
    stmt.safeIntegers(true);
    return stmt;
  });
  const old = sets.map((s) => {
    const stmt = db.prepare(`SELECT ${quoteIdent(s.column)} FROM ${t} WHERE rowid = ?`).pluck();
    stmt.safeIntegers(true);
    return stmt;
  });
  const insert = db.prepare(
    `INSERT INTO temp.${quoteIdent(convertTable)} VALUES (?, ${sets.map(() => '?').join(', ')})`,
  );
  insert.safeIntegers(true);
  for (const rowid of rowids) {
    const row: unknown[] = [rowid];
    sets.forEach((s, i) => {
      try {
        row.push(one[i]!.get(rowid));
      } catch {
        onFailure(rowid, s.column, old[i]!.get(rowid));
        row.push(null);
      }
    });
    insert.run(...row);
  }
}

/** The unique indexes of a table that cover a converted column: name and columns. */
function uniqueIndexes(
  db: Database.Database,
  table: string,
  columns: readonly string[],
): { name: string; columns: string[] }[] {
  const out: { name: string; columns: string[] }[] = [];
  const list = db.prepare(`SELECT name, origin FROM pragma_index_list(?) WHERE "unique" = 1`).all(table) as {
    name: string;
    origin: string;
  }[];
  for (const ix of list) {
    const cols = (
      db.prepare('SELECT name FROM pragma_index_info(?) ORDER BY seqno').all(ix.name) as {
        name: string | null;
      }[]
    ).map((r) => r.name);
    if (cols.some((c) => c === null) || !cols.some((c) => columns.includes(c!))) continue;
    out.push({ name: ix.name, columns: cols as string[] });
  }
  const alias = rowidAlias(db, table);
  if (alias && columns.includes(alias)) out.push({ name: '', columns: [alias] });
  return out;
}

/** The INTEGER PRIMARY KEY column that is the rowid, if any. */
export function rowidAlias(db: Database.Database, table: string): string | null {
  const pk = db.prepare('SELECT name, type FROM pragma_table_info(?) WHERE pk > 0').all(table) as {
    name: string;
    type: string;
  }[];
  if (pk.length !== 1 || pk[0]!.type.toUpperCase() !== 'INTEGER') return null;
  const sql = (db
    .prepare("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?")
    .pluck()
    .get(table) ?? '') as string;
  return /WITHOUT\s+ROWID\s*$/i.test(sql) ? null : pk[0]!.name;
}

/** PostgreSQL's name for a unique index: its constraint's name (autoindexes have none of their own). */
function constraintNameOf(
  db: Database.Database,
  table: string,
  ix: { name: string; columns: string[] },
): string {
  const key = ix.columns.join('\u0000');
  const c = storedConstraints(db, table).find(
    (x) => (x.type === 'p' || x.type === 'u') && x.columns.join('\u0000') === key,
  );
  return c?.name ?? ix.name;
}

/**
 * Groups of rowids whose values (after conversion) collide in a unique index covering a converted
 * column: for peers, which resolve them; the origin reports the first as PostgreSQL does.
 */
export function convertedDuplicates(
  db: Database.Database,
  table: string,
  sets: readonly Conversion[],
): { constraint: string; columns: string[]; values: unknown[]; rowids: number[] }[] {
  const t = quoteIdent(table);
  const x = quoteIdent(convertTable);
  const converted = new Map(sets.map((s, i) => [s.column, `x.v${i}`]));
  const out: { constraint: string; columns: string[]; values: unknown[]; rowids: number[] }[] = [];
  for (const ix of uniqueIndexes(db, table, [...converted.keys()])) {
    const cols = ix.columns.map((c) => converted.get(c) ?? `${t}.${quoteIdent(c)}`);
    const stmt = db
      .prepare(
        `SELECT json_group_array(${t}.rowid) AS rowids, ${cols.map((c, i) => `${c} AS k${i}`).join(', ')}
           FROM ${t} JOIN temp.${x} x ON x.rid = ${t}.rowid
          WHERE ${cols.map((c) => `${c} IS NOT NULL`).join(' AND ')}
          GROUP BY ${cols.join(', ')} HAVING count(*) > 1`,
      )
      .raw();
    stmt.safeIntegers(true);
    for (const row of stmt.all() as unknown[][]) {
      out.push({
        constraint: constraintNameOf(db, table, ix),
        columns: ix.columns,
        values: row.slice(1),
        rowids: (JSON.parse(String(row[0])) as number[]).map(Number),
      });
    }
  }
  return out;
}

/** The staged values written into the table (the rows left in the scratch table). */
export function writeConversions(db: Database.Database, table: string, sets: readonly Conversion[]): void {
  const t = quoteIdent(table);
  const x = `temp.${quoteIdent(convertTable)}`;
  const assign = (key: string): string =>
    `UPDATE ${t} SET ${sets.map((s, i) => `${quoteIdent(s.column)} = chorus_cv.v${i}`).join(', ')} FROM ${x} chorus_cv WHERE chorus_cv.rid = ${key}`;
  db.exec('SAVEPOINT chorus_convert_write');
  try {
    db.exec(assign(`${t}.rowid`));
    db.exec('RELEASE chorus_convert_write');
    return;
  } catch (e) {
    db.exec('ROLLBACK TO chorus_convert_write');
    db.exec('RELEASE chorus_convert_write');
    if (!isSqliteError(e) || !/UNIQUE|PRIMARYKEY/.test(e.code)) throw e;
  }
  // Values that collide only row by row: every converted unique column takes a placeholder of its
  // own per row first (CHECK constraints set aside for that step), then its new value.
  const dups = convertedDuplicates(db, table, sets);
  if (dups.length > 0) {
    const d = dups[0]!;
    throw new ConversionDuplicateError(table, d.constraint, d.columns, d.values);
  }
  const alias = rowidAlias(db, table);
  const tag = `chorus-${Math.floor(Math.random() * 2 ** 32).toString(16)}:`;
  const placeholders = sets
    .map((s) =>
      s.column === alias
        ? `${quoteIdent(s.column)} = ${aliasPlaceholderBase} - rowid`
        : `${quoteIdent(s.column)} = CAST('${tag}' || rowid AS BLOB)`,
    )
    .join(', ');
  const ignoring = Number(db.pragma('ignore_check_constraints', { simple: true }));
  db.pragma('ignore_check_constraints = ON');
  try {
    db.exec(`UPDATE ${t} SET ${placeholders}`);
  } finally {
    db.pragma(`ignore_check_constraints = ${ignoring ? 'ON' : 'OFF'}`);
  }
  const converted = sets.some((s) => s.column === alias);
  db.exec(assign(converted ? `(${aliasPlaceholderBase} - ${t}.rowid)` : `${t}.rowid`));
}

/** Drop the scratch table (end of the ALTER). */
export function dropStaged(db: Database.Database): void {
  db.exec(`DROP TABLE IF EXISTS temp.${quoteIdent(convertTable)}`);
}
