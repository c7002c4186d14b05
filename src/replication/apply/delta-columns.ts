// Delta columns: an integer column whose concurrent changes add up instead of the later write
// winning (`ALTER TABLE t ALTER COLUMN c SET REPLICATION CONFLICT_RESOLVER = 'delta'`). The column
// keeps its SQL type; for replication it is a CRDT counter (crdt-columns.ts): each change ships as
// the difference from the value it replaced, and peers add the differences, so `c = c + 1` on two
// masters at once counts twice everywhere. Which columns are delta is kept in _chorus_delta_columns;
// turning one on seeds each existing row's counter with the value it holds (the `$base` entry).

import type Database from 'better-sqlite3';
import { type CounterState, canonical } from '../../crdt/crdt.js';
import { ChorusError } from '../../errors.js';
import { quoteIdent } from '../../sql/lexer.js';
import { typeOfDeclared } from '../../sql/types/pg-types.js';
import { tableShape } from '../../storage/capture.js';

/** The counter entry that holds a row's value from before its column became a delta column. */
export const deltaBaseOrigin = '$base';
/** Declared integer types a delta column may have (values stay exact as JavaScript numbers). */
const integerOids = new Set([20, 21, 23]);

/** Reads and changes which columns are delta columns (the table and the rows' counter states). */
export class DeltaColumnStore {
  private readonly stmts;

  constructor(private readonly db: Database.Database) {
    this.stmts = {
      list: db.prepare('SELECT col FROM _chorus_delta_columns WHERE tbl = ?').pluck(),
      put: db.prepare('INSERT OR REPLACE INTO _chorus_delta_columns (tbl, col) VALUES (?, ?)'),
      del: db.prepare('DELETE FROM _chorus_delta_columns WHERE tbl = ? AND col = ?'),
      delStates: db.prepare('DELETE FROM _chorus_crdt WHERE tbl = ? AND col = ?'),
      putState: db.prepare('INSERT OR REPLACE INTO _chorus_crdt (tbl, pk, col, state) VALUES (?, ?, ?, ?)'),
      all: db.prepare('SELECT tbl, col FROM _chorus_delta_columns ORDER BY tbl, col'),
    };
  }

  /** The delta columns of a table that still exist in it. */
  columnsOf(tbl: string): string[] {
    const cols = this.stmts.list.all(tbl) as string[];
    if (cols.length === 0) return cols;
    const present = new Set(tableShape(this.db, tbl).columns);
    return cols.filter((c) => present.has(c));
  }

  /** Every delta column, for replicate.delta_columns. */
  all(): { tbl: string; col: string }[] {
    return this.stmts.all.all() as { tbl: string; col: string }[];
  }

  /**
   * Make `col` a delta column (on) or an ordinary last-write-wins one again (off). Refused (and
   * nothing changed) unless it is a NOT NULL integer column outside the primary key.
   */
  set(tbl: string, col: string, on: boolean): void {
    if (!on) {
      this.stmts.del.run(tbl, col);
      this.stmts.delStates.run(tbl, col);
      return;
    }
    const shape = tableShape(this.db, tbl);
    if (!shape.columns.includes(col))
      throw new ChorusError('42703', `column "${col}" of relation "${tbl}" does not exist`);
    if (shape.primaryKey.length === 0)
      throw new ChorusError('0A000', `a delta column needs a table with a primary key ("${tbl}" has none)`);
    if (shape.primaryKey.includes(col))
      throw new ChorusError('0A000', `primary key column "${col}" cannot be a delta column`);
    const declared = shape.types.get(col) ?? '';
    const type = typeOfDeclared(declared);
    if (!type || !integerOids.has(type.type.oid))
      throw new ChorusError(
        '0A000',
        `a delta column must be smallint, integer or bigint; "${col}" is ${declared || 'untyped'}`,
        { hint: 'numeric delta columns are not supported yet.' },
      );
    const notNull = (
      this.db.pragma(`table_info(${quoteIdent(tbl)})`) as { name: string; notnull: number }[]
    ).find((c) => c.name === col)?.notnull;
    if (!notNull)
      throw new ChorusError('55000', `a delta column must be NOT NULL; "${col}" of "${tbl}" allows NULL`, {
        hint: `UPDATE ${tbl} SET ${col} = 0 WHERE ${col} IS NULL; ALTER TABLE ${tbl} ALTER COLUMN ${col} SET NOT NULL; then set the resolver.`,
      });
    const pk = `json_array(${shape.primaryKey.map(quoteIdent).join(', ')})`;
    const rows = this.db
      .prepare(`SELECT ${pk} AS pk, ${quoteIdent(col)} AS v FROM ${quoteIdent(tbl)}`)
      .safeIntegers(true)
      .all() as { pk: string; v: bigint | number }[];
    this.stmts.delStates.run(tbl, col);
    for (const r of rows) {
      const v = Number(r.v);
      if (!Number.isSafeInteger(v))
        throw new ChorusError(
          '22003',
          `value ${String(r.v)} of "${col}" is out of the exact range of a delta column`,
        );
      const state: CounterState = {
        k: 'counter',
        n: v < 0 ? { [deltaBaseOrigin]: -v } : {},
        p: v > 0 ? { [deltaBaseOrigin]: v } : {},
      };
      this.stmts.putState.run(tbl, r.pk, col, canonical(state));
    }
    this.stmts.put.run(tbl, col);
  }
}

/** A delta column's new value, checked: delta columns hold exact integers, never NULL. */
export function checkDeltaValue(tbl: string, col: string, value: unknown): void {
  if (value === null || value === undefined)
    throw new ChorusError('23502', `null value in delta column "${col}" of relation "${tbl}"`);
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n))
    throw new ChorusError(
      '22003',
      `value ${String(value)} of delta column "${col}" is out of its exact range`,
    );
}
