// Change capture: for each replicated table, AFTER INSERT/UPDATE/DELETE triggers that append the
// row change to _chorus_log inside the writing transaction. Regenerated whenever a table's shape
// changes, so the triggers always list the table's current columns.

import type Database from 'better-sqlite3';
import { ChorusError } from '../../errors.js';
import { quoteIdent, quoteLiteral } from '../../sql/lexer.js';
import { internalPrefix } from '../../sql/namespaces.js';

/** SQL function the triggers call: the id of the current write transaction (marks it captured). */
export const captureTxidFunction = '_chorus_txid';
/**
 * SQL function the BEFORE UPDATE/DELETE triggers of a table without a primary key call with the
 * table name and 'update' | 'delete': it raises 55000 for a local change (such rows cannot be
 * identified on peers) and lets the node's own bulk deletes (TRUNCATE, applying one) through.
 */
export const keylessGuardFunction = '_chorus_keyless_guard';
/**
 * SQL function the INSERT trigger of a table without a primary key calls with the table name and
 * the new rowid: noted in memory, written as one range per transaction (storage/tables/keyless-rows.ts).
 */
export const keylessRowFunction = '_chorus_keyless_row';
const triggerPrefix = `${internalPrefix}cap_`;
const skipKey = `${internalPrefix}skip`;
/** Message of the trigger that refuses primary-key updates of replicated rows in multi-primary mode. */
export const pkUpdateRefused =
  'chorus: changing the primary key of a replicated row is not supported in multi-primary mode; delete and insert instead';

export interface TableShape {
  name: string;
  columns: string[];
  primaryKey: string[];
  /** Declared type of each column (as written, e.g. 'CRDT_COUNTER'), by column name. */
  types: Map<string, string>;
}

export function tableShape(db: Database.Database, table: string): TableShape {
  const stmt = db.prepare(`SELECT name, type, pk, hidden FROM pragma_table_xinfo(?)`);
  stmt.safeIntegers(false);
  const rows = stmt.all(table) as { name: string; type: string; pk: number; hidden: number }[];
  const columns = rows.filter((r) => r.hidden === 0).map((r) => r.name);
  const primaryKey = rows
    .filter((r) => r.pk > 0)
    .sort((a, b) => a.pk - b.pk)
    .map((r) => r.name);
  return { name: table, columns, primaryKey, types: new Map(rows.map((r) => [r.name, r.type])) };
}

/**
 * SQL that is true when the value `ref` is the REAL -0.0. SQLite compares -0.0 equal to 0 and prints
 * it as 0.0 (CAST, quote(), printf, and JSON all drop the sign); atan2(-0.0, -1) is -pi, atan2(0.0,
 * -1) is pi (better-sqlite3 builds SQLite with its math functions).
 */
export function negativeZeroSql(ref: string): string {
  return `(typeof(${ref}) = 'real' AND ${ref} = 0 AND atan2(${ref}, -1) < 0)`;
}

/**
 * A value as JSON-safe SQL: BLOBs become {"$b": hex}, the REAL -0.0 the JSON number -0.0 (SQLite's
 * JSON writes it as 0.0; json_extract reads -0.0 back as -0.0), everything else stays as is. Every
 * other REAL survives SQLite's JSON exactly (17 significant digits; ±Infinity as ±9.0e+999).
 */
export function jsonValue(ref: string): string {
  return `CASE typeof(${ref}) WHEN 'blob' THEN json_object('$b', hex(${ref})) WHEN 'real' THEN CASE WHEN ${ref} = 0 AND atan2(${ref}, -1) < 0 THEN json('-0.0') ELSE ${ref} END ELSE ${ref} END`;
}

/**
 * SQL that is true when two values differ as stored: `IS NOT`, and also a different storage class
 * (1 IS 1.0 in SQLite) or the other sign of a REAL zero (-0.0 IS 0.0 in SQLite). Cheap on the common
 * path: a value that changed stops at `IS NOT`; atan2 runs only for a REAL zero.
 */
export function storedDifferentSql(a: string, b: string): string {
  return `CASE WHEN ${a} IS NOT ${b} THEN 1 WHEN typeof(${a}) = 'real' THEN typeof(${b}) <> 'real' OR (${a} = 0 AND atan2(${a}, -1) <> atan2(${b}, -1)) ELSE typeof(${a}) <> typeof(${b}) END`;
}

function jsonPath(column: string): string {
  return quoteLiteral(`$."${column}"`);
}

export function captureTriggerSql(
  shape: TableShape,
  guardPrimaryKey = false,
): { name: string; sql: string }[] {
  for (const c of shape.columns) {
    if (c.includes('"')) {
      throw new ChorusError(
        '42602',
        `column name ${quoteIdent(c)} contains a double quote, which replicated tables do not allow`,
      );
    }
  }
  const t = quoteIdent(shape.name);
  const tl = quoteLiteral(shape.name);
  const pkOf = (row: 'NEW' | 'OLD'): string =>
    `json_array(${shape.primaryKey.map((c) => jsonValue(`${row}.${quoteIdent(c)}`)).join(', ')})`;
  const allCols = `json_object(${shape.columns.map((c) => `${quoteLiteral(c)}, ${jsonValue(`NEW.${quoteIdent(c)}`)}`).join(', ')})`;
  const skip = quoteLiteral(`$.${skipKey}`);
  const changedCols =
    `json_remove(json_insert('{}', ` +
    shape.columns
      .map((c) => {
        const nc = `NEW.${quoteIdent(c)}`;
        const oc = `OLD.${quoteIdent(c)}`;
        return `CASE WHEN ${storedDifferentSql(nc, oc)} THEN ${jsonPath(c)} ELSE ${skip} END, ${jsonValue(nc)}`;
      })
      .join(', ') +
    `), ${skip})`;
  // _chorus_txid() is NULL while the node applies a replicated transaction: that change is
  // logged verbatim as the origin wrote it, not as a new local change.
  const insertLog = (op: string, pk: string, cols: string): string =>
    `INSERT INTO _chorus_log (txid, tbl, op, pk, cols) SELECT x.txid, ${tl}, '${op}', ${pk}, ${cols} FROM (SELECT ${captureTxidFunction}() AS txid) x WHERE x.txid IS NOT NULL;`;
  const trigger = (op: string, event: string, body: string): { name: string; sql: string } => {
    const name = `${triggerPrefix}${op}_${shape.name}`;
    return {
      name,
      sql: `CREATE TRIGGER ${quoteIdent(name)} AFTER ${event} ON ${t} FOR EACH ROW BEGIN ${body} END`,
    };
  };
  if (shape.primaryKey.length === 0) {
    // No primary key: inserts replicate (keyed by nothing: peers insert the row as is); updates
    // and deletes are refused, as PostgreSQL refuses them on published tables without a replica
    // identity. TRUNCATE is replicated as a statement (see truncateTables).
    const refuse = (op: 'update' | 'delete'): { name: string; sql: string } => {
      const name = `${triggerPrefix}k${op[0]}_${shape.name}`;
      return {
        name,
        sql: `CREATE TRIGGER ${quoteIdent(name)} BEFORE ${op.toUpperCase()} ON ${t} FOR EACH ROW BEGIN SELECT ${keylessGuardFunction}(${tl}, '${op}'); END`,
      };
    };
    // Each row's origin, for TRUNCATE (keyless-rows.ts): the rowid is noted (no write per row).
    const origin = `SELECT ${keylessRowFunction}(${tl}, NEW.rowid);`;
    return [
      trigger('i', 'INSERT', `${insertLog('INSERT', "'[]'", allCols)} ${origin}`),
      refuse('update'),
      refuse('delete'),
    ];
  }
  const guards = guardPrimaryKey
    ? [
        {
          name: `${triggerPrefix}pk_${shape.name}`,
          sql: `CREATE TRIGGER ${quoteIdent(`${triggerPrefix}pk_${shape.name}`)} BEFORE UPDATE ON ${t} FOR EACH ROW WHEN ${shape.primaryKey
            .map((c) => `NEW.${quoteIdent(c)} IS NOT OLD.${quoteIdent(c)}`)
            .join(' OR ')} BEGIN SELECT RAISE(ABORT, '${pkUpdateRefused}'); END`,
        },
      ]
    : [];
  return [
    ...guards,
    trigger('i', 'INSERT', insertLog('INSERT', pkOf('NEW'), allCols)),
    trigger('u', 'UPDATE', insertLog('UPDATE', pkOf('OLD'), changedCols)),
    trigger('d', 'DELETE', insertLog('DELETE', pkOf('OLD'), 'NULL')),
  ];
}

interface TriggerRow {
  name: string;
  tbl_name: string;
  sql: string;
}

/**
 * Drop a table's capture triggers before an ALTER TABLE that SQLite checks against them (DROP
 * COLUMN refuses a column a trigger names); syncCaptureTriggers makes them again afterwards.
 */
export function dropCaptureTriggers(db: Database.Database, table: string): void {
  const names = db
    .prepare(
      `SELECT name FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = ? AND name LIKE '${triggerPrefix}%'`,
    )
    .pluck()
    .all(table) as string[];
  for (const name of names) db.exec(`DROP TRIGGER IF EXISTS ${quoteIdent(name)}`);
}

/** Whether DDL text is an ALTER TABLE (its capture triggers are dropped first, see above). */
export function isAlterTable(sql: string): boolean {
  return /^\s*alter\s+table\b/i.test(sql);
}

/**
 * Make the capture triggers match the schema: every replicated table has exactly the triggers its
 * current shape calls for; triggers of dropped, renamed or local-only tables are removed.
 * Runs inside the caller's transaction.
 */
export function syncCaptureTriggers(
  db: Database.Database,
  replicatedTables: readonly string[],
  guardPrimaryKey = false,
): void {
  const existing = db
    .prepare(
      `SELECT name, tbl_name, sql FROM sqlite_schema WHERE type = 'trigger' AND name LIKE '${triggerPrefix}%'`,
    )
    .all() as TriggerRow[];
  const wanted = new Map<string, string>();
  for (const table of replicatedTables) {
    for (const trigger of captureTriggerSql(tableShape(db, table), guardPrimaryKey))
      wanted.set(trigger.name, trigger.sql);
  }
  for (const row of existing) {
    if (wanted.get(row.name) !== row.sql) db.exec(`DROP TRIGGER IF EXISTS ${quoteIdent(row.name)}`);
  }
  const after = new Set(
    (
      db
        .prepare(`SELECT name FROM sqlite_schema WHERE type = 'trigger' AND name LIKE '${triggerPrefix}%'`)
        .all() as { name: string }[]
    ).map((r) => r.name),
  );
  for (const [triggerName, sql] of wanted) {
    if (!after.has(triggerName)) db.exec(sql);
  }
}
