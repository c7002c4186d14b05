// SQL helpers for replicated row changes: the Applier's fixed statements, a per-table statement
// cache, primary-key WHERE clauses and JSON encoding/decoding of column values.
import type Database from 'better-sqlite3';
import { quoteIdent } from '../../../sql/lexer.js';
import { jsonValue } from '../../../storage/capture/capture.js';

/** SQL reading JSON value at `path` of parameter `param` back into a SQLite value (BLOBs decoded). */
export function fromJson(param: string, path: string): string {
  const p = `'${path.replaceAll("'", "''")}'`;
  return `CASE WHEN json_type(${param}, ${p}) = 'object' THEN unhex(json_extract(${param}, ${p} || '."$b"')) ELSE json_extract(${param}, ${p}) END`;
}

export function colPath(col: string): string {
  return `$."${col}"`;
}

/**
 * SQL of the JSON object text :row with the named keys set to those of :cols, copied as JSON (`->`),
 * so every value stays as written (reading it as a SQLite value would turn -0.0 into 0.0).
 */
export function overlaySql(keys: string[]): string {
  const pairs = keys.map((c) => {
    const p = `'${colPath(c).replaceAll("'", "''")}'`;
    return `${p}, :cols -> ${p}`;
  });
  return `SELECT json_set(:row${pairs.map((x) => `, ${x}`).join('')}) AS j`;
}

/**
 * SQL of a row's key as the log writes it (JSON array of `columns` of the row `alias`, BLOBs as
 * {"$b": hex}); "'[]'" for a table without a key. `alias` '' names the columns bare.
 */
export function keyJsonSql(columns: readonly string[], alias = ''): string {
  if (columns.length === 0) return "'[]'";
  const at = alias ? `${alias}.` : '';
  return `json_array(${columns.map((c) => jsonValue(`${at}${quoteIdent(c)}`)).join(', ')})`;
}

/** SQL of a row's columns as a JSON object, as the log writes them (see keyJsonSql). */
export function rowJsonSql(columns: Iterable<string>, alias = ''): string {
  const at = alias ? `${alias}.` : '';
  const pairs = [...columns].map(
    (c) => `'${c.replaceAll("'", "''")}', ${jsonValue(`${at}${quoteIdent(c)}`)}`,
  );
  return `json_object(${pairs.join(', ')})`;
}

/** WHERE clause matching a row by its primary key, from the JSON array parameter :pk. */
export function pkWhere(pkCols: string[]): string {
  return pkCols.map((c, i) => `${quoteIdent(c)} IS ${fromJson(':pk', `$[${i}]`)}`).join(' AND ');
}

/** The Applier's fixed statements (row metadata, savepoints, conflict log). */
export type ApplierStatements = Record<
  | 'getMeta'
  | 'putMeta'
  | 'recordLocal'
  | 'savepoint'
  | 'release'
  | 'rollbackTo'
  | 'entriesOf'
  | 'insertConflict',
  Database.Statement
>;

export function prepareApplierStatements(db: Database.Database): ApplierStatements {
  const prep = (sql: string): Database.Statement => {
    const s = db.prepare(sql);
    s.safeIntegers(false);
    return s;
  };
  return {
    getMeta: prep('SELECT vv, dels, deleted, cols FROM _chorus_rowmeta WHERE tbl = ? AND pk = ?'),
    putMeta: prep(
      'INSERT INTO _chorus_rowmeta (tbl, pk, vv, dels, deleted, cols) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tbl, pk) DO UPDATE SET vv = excluded.vv, dels = excluded.dels, deleted = excluded.deleted, cols = excluded.cols',
    ),
    // Versions of a local transaction, in one statement: every entry in log order, merged into
    // the row's metadata (several entries for one row apply one after another).
    recordLocal: prep(
      `INSERT INTO _chorus_rowmeta (tbl, pk, vv, dels, deleted, cols)
       SELECT l.tbl, l.pk, json_object(:origin, :seq),
              CASE WHEN l.op = 'DELETE' THEN json_object(:origin, :seq) ELSE '{}' END,
              l.op = 'DELETE',
              CASE WHEN l.op = 'DELETE' THEN '{}'
                   ELSE (SELECT json_group_object(j.key, json_array(:key, :origin, :seq)) FROM json_each(l.cols) j) END
         FROM _chorus_log l WHERE l.txid = :txid AND l.op <> 'DDL' AND l.pk IS NOT NULL AND l.pk <> '[]' ORDER BY l.lsn
       ON CONFLICT (tbl, pk) DO UPDATE SET
         vv = json_set(vv, :path, :seq),
         dels = CASE WHEN excluded.deleted THEN json_set(dels, :path, :seq) ELSE dels END,
         deleted = excluded.deleted,
         cols = CASE WHEN excluded.deleted THEN '{}' ELSE json_patch(cols, excluded.cols) END`,
    ),
    savepoint: prep('SAVEPOINT chorus_apply_row'),
    release: prep('RELEASE chorus_apply_row'),
    rollbackTo: prep('ROLLBACK TO chorus_apply_row'),
    entriesOf: prep('SELECT tbl, op, pk, cols FROM _chorus_log WHERE txid = ? ORDER BY lsn'),
    insertConflict: prep(
      `INSERT INTO _chorus_conflicts (table_name, row_id, master_1_id, master_2_id, conflict_type, master_1_value,
        master_2_value, resolved_value, resolution_strategy, detected_at, resolution_latency_ms, origin_seq,
        status, error, local_order_key, remote_order_key)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
  };
}

/** Statements built per table and column list, cached until the schema changes. */
export class RowSql {
  private readonly cache = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  /** Forget cached statements (after DDL). */
  clear(): void {
    this.cache.clear();
  }

  /** A cached statement (integers read as BigInt), built on first use. */
  stmt(key: string, build: () => string): Database.Statement {
    let s = this.cache.get(key);
    if (!s) {
      s = this.db.prepare(build());
      s.safeIntegers(true);
      this.cache.set(key, s);
    }
    return s;
  }

  /** JSON text of a row's columns (all, or the named ones), BLOBs as {"$b": hex}. */
  rowJson(
    tbl: string,
    shape: { columns: Set<string>; primaryKey: string[] },
    pk: string,
    only?: string[],
  ): string | null {
    const cols = only ?? [...shape.columns];
    const key = `${tbl}|json|${cols.join(',')}`;
    const row = this.stmt(
      key,
      () => `SELECT ${rowJsonSql(cols)} AS j FROM ${quoteIdent(tbl)} WHERE ${pkWhere(shape.primaryKey)}`,
    ).get({ pk }) as { j: string } | undefined;
    return row?.j ?? null;
  }

  /**
   * JSON object of the named keys of a JSON object text. Values are copied as JSON (`->`), not read
   * as SQLite values and written again: SQLite would write the REAL -0.0 as 0.0.
   */
  subset(colsJson: string, keys: string[]): string {
    const key = `subset|${keys.join(',')}`;
    const row = this.stmt(key, () => {
      const pairs = keys.map(
        (c) => `'${c.replaceAll("'", "''")}', :cols -> '${colPath(c).replaceAll("'", "''")}'`,
      );
      return `SELECT json_object(${pairs.join(', ')}) AS j`;
    }).get({ cols: colsJson }) as { j: string };
    return row.j;
  }
}
