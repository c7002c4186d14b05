// Table operations PostgreSQL has and SQLite cannot do in place: TRUNCATE of a replicated table,
// ALTER TABLE ... ADD PRIMARY KEY (SQLite's documented rebuild: create the new shape, copy the
// rows, drop the old table, rename, re-create indexes and triggers), the other ALTER TABLE edits
// (table-alter.ts) and renames with the node's metadata (shape-changes.ts). All run on the origin
// inside the client's write transaction and again, from the log, on every peer (applyTableOp).

import type Database from 'better-sqlite3';
import { ChorusError, FeatureNotSupportedError, UndefinedTableError } from '../../errors.js';
import { isKeyword, quoteIdent, significant, type Token, tokenize } from '../../sql/lexer.js';
import { internalPrefix } from '../../sql/namespaces.js';
import { tableShape } from '../capture/capture.js';
import { isSqliteError } from '../sqlite-errors.js';
import { renameColumn, renameTable, type ShapeChange } from './shape-changes.js';
import { type AlterOutcome, alterTable, type PeerRows, type TableEdit } from './table-alter.js';

/** A table operation as it travels in the replication log (a DDL entry's `tableOp`). */
export type TableOp =
  /**
   * TRUNCATE of a table without a primary key; `seen`: the origin's applied vector when it ran
   * (absent from versions before it: every row goes).
   */
  | { kind: 'truncate'; seen?: Record<string, number> }
  | { kind: 'add_primary_key'; columns: string[]; constraint: string | null }
  | { kind: 'alter'; edits: TableEdit[] }
  | { kind: 'rename_table'; to: string }
  | { kind: 'rename_column'; from: string; to: string };

/** What a row change written before the operation must go through when it arrives later. */
export function shapeChangesOf(table: string, op: TableOp): { table: string; change: ShapeChange }[] {
  if (op.kind === 'rename_table') return [{ table: op.to, change: { kind: 'rename_table', from: table } }];
  if (op.kind === 'rename_column')
    return [{ table, change: { kind: 'rename_column', from: op.from, to: op.to } }];
  if (op.kind !== 'alter') return [];
  const out: { table: string; change: ShapeChange }[] = op.edits.flatMap((e) =>
    e.kind === 'set_type' && e.convert !== null
      ? [{ table, change: { kind: 'convert' as const, column: e.column, sql: e.convert } }]
      : [],
  );
  const constrains = op.edits.some(
    (e) =>
      e.kind === 'add_constraint' ||
      e.kind === 'add_unique' ||
      e.kind === 'set_type' ||
      (e.kind === 'set_not_null' && e.notNull),
  );
  if (constrains) out.push({ table, change: { kind: 'constrain' } });
  return out;
}

/** Name of the table a rebuild copies into before it takes the old table's name. */
const rebuildTable = `${internalPrefix}rebuild`;

/** The stored name of a user table (names are case-insensitive); 42P01 when there is none. */
export function userTableName(db: Database.Database, name: string): string {
  const row = db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name = ? COLLATE NOCASE")
    .get(name) as { name: string } | undefined;
  if (!row || row.name.toLowerCase().startsWith(internalPrefix)) throw new UndefinedTableError(name);
  return row.name;
}

/** Delete every row of a table (the caller decides whether the deletes are captured). */
export function deleteAllRows(db: Database.Database, table: string): number {
  return Number(db.prepare(`DELETE FROM ${quoteIdent(userTableName(db, table))}`).run().changes);
}

/** Forget AUTOINCREMENT counters of the named tables (TRUNCATE ... RESTART IDENTITY). */
export function restartIdentity(db: Database.Database, tables: string[]): void {
  const hasSequence = db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_sequence'").get();
  if (!hasSequence || tables.length === 0) return;
  db.prepare(`DELETE FROM main.sqlite_sequence WHERE name IN (${tables.map(() => '?').join(', ')})`).run(
    ...tables,
  );
}

/** The column definitions and table constraints of a CREATE TABLE text, split at top-level commas. */
function splitCreate(sql: string): { head: string; items: Token[][]; tail: string } {
  const tokens = tokenize(sql);
  const open = tokens.findIndex((t) => t.kind === 'lparen');
  let depth = 0;
  let close = -1;
  const items: Token[][] = [[]];
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'lparen' && depth++ === 0) continue;
    if (t.kind === 'rparen' && --depth === 0) {
      close = i;
      break;
    }
    if (t.kind === 'comma' && depth === 1) items.push([]);
    else items[items.length - 1]!.push(t);
  }
  if (open < 0 || close < 0) throw new ChorusError('XX000', `cannot parse the definition of a table: ${sql}`);
  return {
    head: tokens
      .slice(0, open)
      .map((t) => t.text)
      .join(''),
    items,
    tail: tokens
      .slice(close + 1)
      .map((t) => t.text)
      .join(''),
  };
}

function identText(t: Token | undefined): string | null {
  if (!t) return null;
  if (t.kind === 'qident') return t.value;
  if (t.kind === 'ident') return t.text;
  return null;
}

/**
 * The table's CREATE statement for its new name, with a PRIMARY KEY table constraint and NOT NULL
 * on the key columns (PostgreSQL makes primary-key columns NOT NULL).
 */
function createWithPrimaryKey(
  sql: string,
  newName: string,
  key: string[],
  constraint: string | null,
): string {
  const { items, tail } = splitCreate(sql);
  const lowerKey = new Set(key.map((c) => c.toLowerCase()));
  const defs = items.map((item) => {
    const text = item
      .map((t) => t.text)
      .join('')
      .trim();
    const sig = significant(item);
    const first = sig[0];
    const isConstraint = isKeyword(first, 'CONSTRAINT', 'PRIMARY', 'UNIQUE', 'CHECK', 'FOREIGN');
    const name = isConstraint ? null : identText(first);
    if (name === null || !lowerKey.has(name.toLowerCase())) return text;
    const notNull = sig.some((t, i) => isKeyword(t, 'NOT') && isKeyword(sig[i + 1], 'NULL'));
    return notNull ? text : `${text} NOT NULL`;
  });
  const named = constraint ? `CONSTRAINT ${quoteIdent(constraint)} ` : '';
  defs.push(`${named}PRIMARY KEY (${key.map(quoteIdent).join(', ')})`);
  return `CREATE TABLE ${quoteIdent(newName)} (${defs.join(', ')})${tail}`;
}

function keyText(db: Database.Database, table: string, key: string[]): string {
  const cols = key.map(quoteIdent).join(', ');
  const dup = db
    .prepare(`SELECT ${cols} FROM ${quoteIdent(table)} GROUP BY ${cols} HAVING count(*) > 1 LIMIT 1`)
    .raw()
    .get() as unknown[] | undefined;
  return dup ? `Key (${key.join(', ')})=(${dup.map((v) => String(v)).join(', ')}) is duplicated.` : '';
}

/**
 * ALTER TABLE t ADD [CONSTRAINT name] PRIMARY KEY (cols): rebuild the table with the key, keeping
 * its rows, indexes and user triggers. Capture triggers are re-generated by the caller
 * (StorageEngine.syncSchema). Runs inside the caller's transaction; an error leaves nothing changed.
 */
export function addPrimaryKey(
  db: Database.Database,
  tableName: string,
  columns: string[],
  constraint: string | null,
): void {
  const table = userTableName(db, tableName);
  const shape = tableShape(db, table);
  if (shape.primaryKey.length > 0)
    throw new ChorusError('42P16', `multiple primary keys for table "${table}" are not allowed`);
  const key = columns.map((c) => {
    const found = shape.columns.find((col) => col.toLowerCase() === c.toLowerCase());
    if (!found) throw new ChorusError('42703', `column "${c}" of relation "${table}" does not exist`);
    return found;
  });
  const referencing = db
    .prepare(
      `SELECT m.name AS name FROM sqlite_schema m, pragma_foreign_key_list(m.name) f
        WHERE m.type = 'table' AND m.name <> ? AND f."table" = ? COLLATE NOCASE LIMIT 1`,
    )
    .get(table, table) as { name: string } | undefined;
  if (referencing) {
    throw new FeatureNotSupportedError(
      `ALTER TABLE ... ADD PRIMARY KEY on "${table}", which table "${referencing.name}" references`,
      { hint: 'SQLite rebuilds the table to add a key; drop the referencing foreign keys first.' },
    );
  }
  const nullCol = key.find(
    (c) =>
      db.prepare(`SELECT 1 FROM ${quoteIdent(table)} WHERE ${quoteIdent(c)} IS NULL LIMIT 1`).get() !==
      undefined,
  );
  if (nullCol)
    throw new ChorusError('23502', `column "${nullCol}" of relation "${table}" contains null values`);

  const objects = db
    .prepare(
      `SELECT type, name, sql FROM sqlite_schema
        WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL AND name NOT LIKE ? ESCAPE '\\'`,
    )
    .all(table, `${internalPrefix.replaceAll('_', '\\_')}%`) as { type: string; name: string; sql: string }[];
  const { sql } = db
    .prepare("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?")
    .get(table) as {
    sql: string;
  };
  const cols = shape.columns.map(quoteIdent).join(', ');
  db.exec(`DROP TABLE IF EXISTS ${quoteIdent(rebuildTable)}`);
  db.exec(createWithPrimaryKey(sql, rebuildTable, key, constraint));
  try {
    db.exec(`INSERT INTO ${quoteIdent(rebuildTable)} (${cols}) SELECT ${cols} FROM ${quoteIdent(table)}`);
  } catch (e) {
    if (isSqliteError(e) && /UNIQUE|PRIMARYKEY/.test(e.code)) {
      const name = constraint ?? `${table}_pkey`;
      throw new ChorusError('23505', `could not create unique index "${name}"`, {
        detail: keyText(db, table, key),
        cause: e,
      });
    }
    throw e;
  }
  // Legacy renaming leaves views and other tables' text alone: they name the table, which exists
  // again under the same name once the rename is done.
  const legacy = db.pragma('legacy_alter_table', { simple: true });
  db.pragma('legacy_alter_table = ON');
  try {
    db.exec(`DROP TABLE ${quoteIdent(table)}`);
    db.exec(`ALTER TABLE ${quoteIdent(rebuildTable)} RENAME TO ${quoteIdent(table)}`);
  } finally {
    db.pragma(`legacy_alter_table = ${Number(legacy) ? 'ON' : 'OFF'}`);
  }
  for (const o of objects) db.exec(o.sql);
}

/**
 * Run a replicated table operation on a peer (inside the applier's transaction, capture off; the
 * caller drops the table's capture triggers first and syncs them after).
 */
export function applyTableOp(
  db: Database.Database,
  table: string,
  op: TableOp,
  /** Peers: how rows the origin never saw are treated (table-alter.ts PeerRows). */
  peerRows?: (table: string) => PeerRows,
): AlterOutcome | null {
  switch (op.kind) {
    case 'truncate':
      // Replicated TRUNCATEs of keyless tables are applied by truncateKeyless with their vector.
      deleteAllRows(db, table);
      return null;
    case 'add_primary_key':
      addPrimaryKey(db, table, op.columns, op.constraint);
      return null;
    case 'alter': {
      const name = userTableName(db, table);
      return alterTable(db, name, op.edits, 'peer', undefined, peerRows?.(name));
    }
    case 'rename_table':
      renameTable(db, userTableName(db, table), op.to);
      return null;
    case 'rename_column':
      renameColumn(db, userTableName(db, table), op.from, op.to);
      return null;
  }
}

/** For log readers: the SQL text a table operation stands for. */
export function tableOpSql(table: string, op: TableOp): string {
  if (op.kind === 'truncate') return `TRUNCATE ${quoteIdent(table)}`;
  if (op.kind === 'rename_table') return `ALTER TABLE ${quoteIdent(table)} RENAME TO ${quoteIdent(op.to)}`;
  if (op.kind === 'rename_column')
    return `ALTER TABLE ${quoteIdent(table)} RENAME COLUMN ${quoteIdent(op.from)} TO ${quoteIdent(op.to)}`;
  if (op.kind === 'alter')
    return `ALTER TABLE ${quoteIdent(table)} /* ${op.edits.map((e) => e.kind).join(', ')} */`;
  const named = op.constraint ? `CONSTRAINT ${quoteIdent(op.constraint)} ` : '';
  return `ALTER TABLE ${quoteIdent(table)} ADD ${named}PRIMARY KEY (${op.columns.map(quoteIdent).join(', ')})`;
}
