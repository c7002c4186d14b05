// The two ways a table's definition is replaced: rewriting its stored CREATE TABLE text in place
// (SQLite's documented procedure for changes that leave the file format alone: constraints,
// defaults, NOT NULL, declared types) and, when the format changes, copying it into a new table
// (SQLite's 12-step rebuild). Both run inside the caller's transaction. See DESIGN.md.

import type Database from 'better-sqlite3';
import { ChorusError, FeatureNotSupportedError } from '../../errors.js';
import { isTrivia, quoteIdent, tokenize } from '../../sql/lexer.js';
import { internalPrefix } from '../../sql/namespaces.js';
import { columnIndex, type TableDef, tableDefSql } from './table-def.js';

/** Name of the table a rebuild copies into, and of the scratch table that checks a new text. */
const rebuildName = `${internalPrefix}rebuild`;
const checkName = `${internalPrefix}alter_check`;

interface ColumnInfo {
  name: string;
  type: string;
  pk: number;
  hidden: number;
}

function columnsOf(db: Database.Database, schema: string, table: string): ColumnInfo[] {
  const stmt = db.prepare(`SELECT name, type, pk, hidden FROM pragma_table_xinfo(?, ?)`);
  stmt.safeIntegers(false);
  return stmt.all(table, schema) as ColumnInfo[];
}

/**
 * Replace a table's CREATE TABLE text without touching its rows. Only for a text whose columns,
 * primary key and UNIQUE constraints are the table's own (the caller checks the constraints): the
 * text is first created as a scratch TEMP table, and its columns compared, so a text SQLite
 * cannot read never reaches the schema.
 */
export function writeTableText(db: Database.Database, table: string, sql: string): void {
  const scratch = sql.replace(
    /^CREATE TABLE ("(?:[^"]|"")+"|\S+)/,
    `CREATE TEMP TABLE ${quoteIdent(checkName)}`,
  );
  db.exec(`DROP TABLE IF EXISTS temp.${quoteIdent(checkName)}`);
  db.exec(scratch);
  try {
    const want = columnsOf(db, 'main', table).map((c) => `${c.name}|${c.pk}|${c.hidden}`);
    const got = columnsOf(db, 'temp', checkName).map((c) => `${c.name}|${c.pk}|${c.hidden}`);
    if (want.join(',') !== got.join(','))
      throw new ChorusError('XX000', `internal error: a new definition of "${table}" changes its columns`);
  } finally {
    db.exec(`DROP TABLE temp.${quoteIdent(checkName)}`);
  }
  const version = Number(db.pragma('schema_version', { simple: true }));
  // better-sqlite3 opens connections in SQLite's defensive mode, which forbids writing the schema.
  db.unsafeMode(true);
  try {
    db.pragma('writable_schema = ON');
    try {
      db.prepare("UPDATE sqlite_schema SET sql = ? WHERE type = 'table' AND name = ?").run(sql, table);
      // Every connection re-reads the schema when it sees the new version.
      db.pragma(`schema_version = ${version + 1}`);
    } finally {
      db.pragma('writable_schema = OFF');
    }
  } finally {
    db.unsafeMode(false);
  }
}

/** A default SQLite evaluates once to the same value: literals only (no function, no column). */
function constantDefault(text: string): boolean {
  return tokenize(text).every(
    (t) => isTrivia(t) || t.kind !== 'ident' || /^(NULL|TRUE|FALSE)$/.test(t.value),
  );
}

/**
 * Before a column's DEFAULT text changes in place: write the value into every row that was stored
 * before the column was added. SQLite does not store such a row's missing trailing columns and reads
 * them as the column's current default, so a new default would silently change them (PostgreSQL
 * keeps what they held). Rewriting a row stores all its columns. Only rows reading the old default
 * can be short; a default that is not a literal cannot be compared, so every row is rewritten.
 * The table's user triggers are set aside meanwhile (the rows do not change); the caller has
 * dropped its capture triggers.
 */
export function materializeDefaults(
  db: Database.Database,
  table: string,
  before: TableDef,
  after: TableDef,
): void {
  const changed = before.columns.filter((c) => {
    const i = columnIndex(after, c.name);
    return i >= 0 && after.columns[i]!.default !== c.default;
  });
  if (changed.length === 0) return;
  const triggers = db
    .prepare(
      `SELECT name, sql FROM sqlite_schema
        WHERE tbl_name = ? AND type = 'trigger' AND sql IS NOT NULL AND name NOT LIKE ? ESCAPE '\\'`,
    )
    .all(table, `${internalPrefix.replaceAll('_', '\\_')}%`) as { name: string; sql: string }[];
  for (const t of triggers) db.exec(`DROP TRIGGER ${quoteIdent(t.name)}`);
  for (const c of changed) {
    const col = quoteIdent(c.name);
    const old = c.default ?? 'NULL';
    const where = constantDefault(old) ? ` WHERE ${col} IS (${old})` : '';
    db.exec(`UPDATE ${quoteIdent(table)} SET ${col} = ${col}${where}`);
  }
  for (const t of triggers) db.exec(t.sql);
}

/**
 * Copy a table into a new definition (same columns, by name), keeping its rows, indexes and user
 * triggers. Refused for a table other tables reference: dropping it would fire their ON DELETE
 * actions, and foreign keys cannot be switched off inside a transaction.
 */
export function rebuildTable(db: Database.Database, table: string, def: TableDef): void {
  const referencing = db
    .prepare(
      `SELECT m.name AS name FROM sqlite_schema m, pragma_foreign_key_list(m.name) f
        WHERE m.type = 'table' AND m.name <> ? AND f."table" = ? COLLATE NOCASE LIMIT 1`,
    )
    .get(table, table) as { name: string } | undefined;
  if (referencing) {
    throw new FeatureNotSupportedError(
      `changing the keys of "${table}", which table "${referencing.name}" references`,
      { hint: 'SQLite copies the table to change its keys; drop the referencing foreign keys first.' },
    );
  }
  const objects = db
    .prepare(
      `SELECT type, name, sql FROM sqlite_schema
        WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL AND name NOT LIKE ? ESCAPE '\\'`,
    )
    .all(table, `${internalPrefix.replaceAll('_', '\\_')}%`) as { type: string; name: string; sql: string }[];
  const info = columnsOf(db, 'main', table);
  let cols = info
    .filter((c) => c.hidden === 0)
    .map((c) => quoteIdent(c.name))
    .join(', ');
  // Rows keep their rowids (ALTER COLUMN TYPE's staged values are keyed by them), unless a column
  // is the rowid already or the table has none.
  const alias =
    info.filter((c) => c.pk > 0).length === 1 && info.find((c) => c.pk > 0)!.type.toUpperCase() === 'INTEGER';
  if (!alias && !/WITHOUT\s+ROWID\s*$/i.test(def.tail)) cols = `rowid, ${cols}`;
  db.exec(`DROP TABLE IF EXISTS ${quoteIdent(rebuildName)}`);
  db.exec(tableDefSql(def, rebuildName));
  db.exec(`INSERT INTO ${quoteIdent(rebuildName)} (${cols}) SELECT ${cols} FROM ${quoteIdent(table)}`);
  // Legacy renaming leaves views and other tables' text alone: they name the table, which exists
  // again under the same name once the rename is done.
  const legacy = db.pragma('legacy_alter_table', { simple: true });
  db.pragma('legacy_alter_table = ON');
  try {
    db.exec(`DROP TABLE ${quoteIdent(table)}`);
    db.exec(`ALTER TABLE ${quoteIdent(rebuildName)} RENAME TO ${quoteIdent(table)}`);
  } finally {
    db.pragma(`legacy_alter_table = ${Number(legacy) ? 'ON' : 'OFF'}`);
  }
  for (const o of objects) db.exec(o.sql);
}
