// Delta columns: an integer column whose concurrent changes add up instead of the later write
// winning (`ALTER TABLE t ALTER COLUMN c SET REPLICATION CONFLICT_RESOLVER = 'delta'`). The column
// keeps its SQL type; for replication it is a CRDT counter (crdt-columns.ts): each change ships as
// the difference from the value it replaced, and peers add the differences, so `c = c + 1` on two
// masters at once counts twice everywhere. Which columns are delta is kept in _chorus_delta_columns;
// turning one on seeds each existing row's counter with the value it holds (the `$base` entry).

import type Database from 'better-sqlite3';
import { type CounterState, canonical } from '../../../crdt/crdt.js';
import { ChorusError } from '../../../errors.js';
import { quoteIdent } from '../../../sql/lexer.js';
import { tableShape } from '../../../storage/capture/capture.js';
import { deltaColumnTypeOk } from '../../../storage/capture/delta-registry.js';

/** The counter entry that holds a row's value from before its column became a delta column. */
export const deltaBaseOrigin = '$base';

/** Reads and changes which columns are delta columns (the table and the rows' counter states). */
export class DeltaColumnStore {
  private readonly stmts;

  constructor(private readonly db: Database.Database) {
    this.stmts = {
      list: db.prepare('SELECT col FROM _chorus_delta_columns WHERE tbl = ?').pluck(),
      put: db.prepare('INSERT OR REPLACE INTO _chorus_delta_columns (tbl, col) VALUES (?, ?)'),
      del: db.prepare('DELETE FROM _chorus_delta_columns WHERE tbl = ? AND col = ?'),
      putState: db.prepare('INSERT OR REPLACE INTO _chorus_crdt (tbl, pk, col, state) VALUES (?, ?, ?, ?)'),
    };
  }

  /** The delta columns of a table that still exist in it. */
  columnsOf(tbl: string): string[] {
    const cols = this.stmts.list.all(tbl) as string[];
    if (cols.length === 0) return cols;
    const present = new Set(tableShape(this.db, tbl).columns);
    return cols.filter((c) => present.has(c));
  }

  /**
   * Make `col` a delta column (on) or an ordinary last-write-wins one again (off). Refused (and
   * nothing changed) unless it is a NOT NULL integer column outside the primary key. Off keeps the
   * rows' counter states: a delta still on its way counts, and turning the column on again takes
   * each row's value as the sum of what the state holds plus a new base (value minus the
   * counted changes), so nothing is counted twice.
   */
  set(tbl: string, col: string, on: boolean): void {
    if (!on) {
      this.stmts.del.run(tbl, col);
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
    if (!deltaColumnTypeOk(declared))
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
      .prepare(
        `SELECT ${pk} AS pk, ${quoteIdent(col)} AS v, c.state AS state FROM ${quoteIdent(tbl)}
          LEFT JOIN _chorus_crdt c ON c.tbl = ? AND c.col = ? AND c.pk = ${pk}`,
      )
      .safeIntegers(true)
      .all(tbl, col) as { pk: string; v: bigint | number; state: string | null }[];
    // All or nothing: a row that cannot be seeded leaves no half-seeded column behind.
    this.db.exec('SAVEPOINT chorus_delta_column');
    try {
      for (const r of rows) this.stmts.putState.run(tbl, r.pk, col, canonical(seeded(col, r.v, r.state)));
      this.stmts.put.run(tbl, col);
      this.db.exec('RELEASE chorus_delta_column');
    } catch (e) {
      this.db.exec('ROLLBACK TO chorus_delta_column; RELEASE chorus_delta_column');
      throw e;
    }
  }
}

/** A row's counter state when its column becomes delta: what it counted so far, and a base for the rest. */
export function seeded(col: string, raw: bigint | number, stateText: string | null): CounterState {
  const v = Number(raw);
  if (!Number.isSafeInteger(v))
    throw new ChorusError(
      '22003',
      `value ${String(raw)} of "${col}" is out of the exact range of a delta column`,
    );
  const p: Record<string, number> = {};
  const n: Record<string, number> = {};
  let counted = 0;
  const old = stateText ? (JSON.parse(stateText) as Partial<CounterState>) : null;
  if (old?.k === 'counter') {
    for (const [origin, x] of Object.entries(old.p ?? {}))
      if (origin !== deltaBaseOrigin) {
        p[origin] = x;
        counted += x;
      }
    for (const [origin, x] of Object.entries(old.n ?? {}))
      if (origin !== deltaBaseOrigin) {
        n[origin] = x;
        counted -= x;
      }
  }
  const base = v - counted;
  if (base > 0) p[deltaBaseOrigin] = base;
  if (base < 0) n[deltaBaseOrigin] = -base;
  return { k: 'counter', n, p };
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

/**
 * A delta column's counter after a local change: its per-node totals only grow (a reset adds to
 * both sides), so they must stay exact too — past 2^53 the value would be rounded on every node.
 */
export function checkDeltaState(tbl: string, col: string, state: CounterState): void {
  for (const x of [...Object.values(state.p), ...Object.values(state.n)])
    if (!Number.isSafeInteger(x))
      throw new ChorusError(
        '22003',
        `the changes of delta column "${col}" of relation "${tbl}" add up past the exact range (2^53)`,
        {
          hint: 'A delta column counts every change since it was turned on; values this large need numeric, which delta columns do not support yet.',
        },
      );
}
