// Constraint violations as PostgreSQL reports them. SQLite says only "UNIQUE constraint failed:
// t.a" (or less: "FOREIGN KEY constraint failed"); PostgreSQL names the constraint and shows the
// key or the failing row. When a front-end statement fails so, the statement is run once more in a
// savepoint with a temporary BEFORE trigger that records the rows it writes; the failing row gives
// the detail, the catalog the constraint's name. Everything is rolled back; the error is the same
// SQLSTATE with PostgreSQL's message, detail and schema / table / column / constraint fields.

import type Database from 'better-sqlite3';
import { ChorusError } from '../errors.js';
import type { CatalogRelation } from '../sql/analyze/context.js';
import { quoteId } from '../sql/analyze/scope.js';
import type { Plan } from '../sql/analyze/statement.js';
import { splitStorageName } from '../sql/namespaces.js';
import { T } from '../sql/types/pg-types.js';
import { codecFor, type StorageValue, type ValueEnv } from '../sql/types/values.js';

/** Rows of one statement the diagnosis looks at (a bound on the re-run's memory). */
const diagnosedRowsMax = 10_000;

export interface ForeignKey {
  name: string;
  table: string;
  columns: string[];
  refTable: string;
  refColumns: string[];
}

/** What the diagnosis needs from the catalog. */
export interface ConstraintCatalog {
  relation(schema: string | null, name: string): CatalogRelation | undefined;
  foreignKeys(table: string): ForeignKey[];
  /** Foreign keys of other tables that reference `table`. */
  referencing(table: string): ForeignKey[];
}

let captured: StorageValue[][] = [];

/** The function the temporary trigger calls (registered on the writer connection). */
export function registerDiagnosisFunction(db: Database.Database): void {
  db.function(
    '_chorus_diag_row',
    { varargs: true, safeIntegers: true, deterministic: false },
    (...v: unknown[]) => {
      if (captured.length < diagnosedRowsMax) captured.push(v as StorageValue[]);
      return null;
    },
  );
}

/** One field of a "Failing row contains (...)" detail: as printed, unquoted (ExecBuildSlotValueDescription). */
function recordField(text: string | null): string {
  return text ?? 'null';
}

function valueText(rel: CatalogRelation, col: string, v: StorageValue, env: ValueEnv): string | null {
  if (v === null) return null;
  const c = rel.columns.find((x) => x.name === col);
  const type = c?.type ?? { type: T.text, typmod: -1 };
  try {
    return codecFor(type.type).output(v, type.typmod, env);
  } catch {
    return String(v);
  }
}

/**
 * Runs the re-run so that it draws the failed statement's own sequence values and leaves the
 * sequences as the failed statement did (SequenceStore.replay): nextval is not transactional.
 */
export type Replay = <T>(fn: () => T) => T;

interface CapturedRows {
  /** The rows written (for DELETE: the rows deleted). */
  rows: StorageValue[][];
  /** UPDATE: each written row as it was before. */
  old: StorageValue[][];
}

/** Re-run the statement with a trigger that records every row it writes (or deletes). */
function captureRows(
  db: Database.Database,
  rel: CatalogRelation,
  plan: Plan,
  bind: readonly StorageValue[],
  replay: Replay,
): CapturedRows {
  const event = plan.kind === 'insert' ? 'INSERT' : plan.kind === 'update' ? 'UPDATE' : 'DELETE';
  const row = plan.kind === 'delete' ? 'OLD' : 'NEW';
  const names = rel.columns.map((c) => `${row}.${quoteId(c.name)}`);
  if (plan.kind === 'update') names.push(...rel.columns.map((c) => `OLD.${quoteId(c.name)}`));
  const cols = names.join(', ');
  captured = [];
  db.exec('SAVEPOINT _chorus_diag');
  try {
    db.exec(
      `CREATE TEMP TRIGGER "_chorus_diag" BEFORE ${event} ON ${rel.temporary ? 'temp' : 'main'}.${quoteId(rel.name)} BEGIN SELECT _chorus_diag_row(${cols}); END`,
    );
    try {
      const stmt = db.prepare(plan.sql);
      replay(() => (stmt.reader ? stmt.all(...(bind as unknown[])) : stmt.run(...(bind as unknown[]))));
    } catch {
      // the violation again: the last rows captured are the ones that tripped it
    }
  } finally {
    db.exec('ROLLBACK TO _chorus_diag');
    db.exec('RELEASE _chorus_diag');
    db.exec('DROP TRIGGER IF EXISTS temp."_chorus_diag"');
  }
  const all = captured;
  captured = [];
  const n = rel.columns.length;
  return plan.kind === 'update'
    ? { rows: all.map((r) => r.slice(0, n)), old: all.map((r) => r.slice(n)) }
    : { rows: all, old: [] };
}

function failingRow(rel: CatalogRelation, row: StorageValue[], env: ValueEnv): string {
  return `Failing row contains (${rel.columns.map((c, i) => recordField(valueText(rel, c.name, row[i] ?? null, env))).join(', ')}).`;
}

function keyText(rel: CatalogRelation, cols: readonly string[], row: StorageValue[], env: ValueEnv): string {
  const values = cols.map(
    (c) => valueText(rel, c, row[rel.columns.findIndex((x) => x.name === c)] ?? null, env) ?? 'null',
  );
  return `(${cols.join(', ')})=(${values.join(', ')})`;
}

/** Whether a row of `table` holds `values` in `cols` — other than the row `except` names, if given. */
function rowExists(
  db: Database.Database,
  table: string,
  database: 'main' | 'temp',
  cols: readonly string[],
  values: readonly StorageValue[],
  except?: { cols: readonly string[]; values: readonly StorageValue[] },
): boolean {
  let where = cols.map((c) => `${quoteId(c)} IS ?`).join(' AND ');
  const args = [...values];
  if (except && except.cols.length > 0) {
    where += ` AND NOT (${except.cols.map((c) => `${quoteId(c)} IS ?`).join(' AND ')})`;
    args.push(...except.values);
  }
  return (
    db
      .prepare(`SELECT 1 FROM ${database}.${quoteId(table)} WHERE ${where} LIMIT 1`)
      .get(...(args as unknown[])) !== undefined
  );
}

/**
 * PostgreSQL's error for a constraint violation of a front-end statement, or the error as it was
 * when it is not one (or the statement cannot be diagnosed).
 */
export function diagnoseConstraint(
  db: Database.Database,
  catalog: ConstraintCatalog,
  plan: Plan,
  bind: readonly StorageValue[],
  err: ChorusError,
  env: ValueEnv,
  replay: Replay = (fn) => fn(),
): ChorusError {
  if (!plan.table || !err.sqlstate.startsWith('23') || plan.kind === 'select' || err.constraint !== undefined)
    return err;
  const raw = err.cause instanceof Error ? err.cause.message : err.message;
  if (err.sqlstate === '23502' && err.column !== undefined) return err; // pg_not_null's own error
  const rel = catalog.relation(null, plan.table);
  if (!rel) return err;
  let rows: StorageValue[][];
  let old: StorageValue[][];
  try {
    ({ rows, old } = captureRows(db, rel, plan, bind, replay));
  } catch {
    return err;
  }
  const base = { schema: splitStorageName(rel.name).schema, table: pgName(rel.name) };
  const colIndex = (c: string): number => rel.columns.findIndex((x) => x.name === c);
  switch (err.sqlstate) {
    case '23505': {
      const m = /constraint failed: (.+)$/.exec(raw);
      const row = rows[rows.length - 1];
      // PostgreSQL checks the unique constraints in the order they were made: the first one an
      // existing row (not the updated row itself) already holds is the one it reports.
      const self = old[old.length - 1];
      const except =
        self && rel.primaryKey.length > 0
          ? { cols: rel.primaryKey, values: rel.primaryKey.map((c) => self[colIndex(c)] ?? null) }
          : undefined;
      const held = row
        ? rel.uniques.find((u) => {
            const values = u.columns.map((c) => row[colIndex(c)] ?? null);
            return (
              !values.some((v) => v === null) &&
              rowExists(db, rel.name, rel.temporary ? 'temp' : 'main', u.columns, values, except)
            );
          })
        : undefined;
      // A unique index on an expression: SQLite names the index, not its columns.
      const expressionIndex = m ? /^index '(.+)'$/.exec(m[1]!)?.[1] : undefined;
      const cols =
        held?.columns ??
        (m && !expressionIndex
          ? m[1]!
              .split(', ')
              .map((x) =>
                x.startsWith(`${rel.name}.`) ? x.slice(rel.name.length + 1) : x.slice(x.indexOf('.') + 1),
              )
          : []);
      const u =
        held ??
        rel.uniques.find((x) => x.columns.length === cols.length && x.columns.every((c, i) => c === cols[i]));
      const name = u?.name ?? expressionIndex ?? `${rel.name}_${cols.join('_')}_key`;
      return new ChorusError('23505', `duplicate key value violates unique constraint "${name}"`, {
        ...base,
        constraint: name,
        detail: row && cols.length > 0 ? `Key ${keyText(rel, cols, row, env)} already exists.` : undefined,
      });
    }
    case '23502': {
      // SQLite names the column as table.column; a table outside public has a dot in its name.
      const failed = /NOT NULL constraint failed: (.+)$/.exec(raw)?.[1];
      const col = failed?.startsWith(`${rel.name}.`)
        ? failed.slice(rel.name.length + 1)
        : (/^[^.]+\.(.+)$/.exec(failed ?? '')?.[1] ?? err.column ?? '');
      const row = rows.find((r) => (r[colIndex(col)] ?? null) === null) ?? rows[rows.length - 1];
      return new ChorusError(
        '23502',
        `null value in column "${col}" of relation "${pgName(rel.name)}" violates not-null constraint`,
        {
          ...base,
          column: col,
          detail: row ? failingRow(rel, row, env) : undefined,
        },
      );
    }
    case '23514': {
      const m = /CHECK constraint failed: (.+)$/.exec(raw);
      const name = m?.[1] ?? '';
      const row = rows[rows.length - 1];
      return new ChorusError(
        '23514',
        `new row for relation "${pgName(rel.name)}" violates check constraint "${name}"`,
        {
          ...base,
          constraint: name,
          detail: row ? failingRow(rel, row, env) : undefined,
        },
      );
    }
    case '23503':
      return foreignKeyError(db, catalog, rel, plan, rows, old, env) ?? err;
    default:
      return err;
  }
}

function foreignKeyError(
  db: Database.Database,
  catalog: ConstraintCatalog,
  rel: CatalogRelation,
  plan: Plan,
  rows: StorageValue[][],
  old: StorageValue[][],
  env: ValueEnv,
): ChorusError | null {
  const colIndex = (r: CatalogRelation, c: string): number => r.columns.findIndex((x) => x.name === c);
  if (plan.kind !== 'delete') {
    for (const fk of catalog.foreignKeys(rel.name)) {
      for (const row of rows) {
        const values = fk.columns.map((c) => row[colIndex(rel, c)] ?? null);
        if (values.some((v) => v === null)) continue;
        if (rowExists(db, fk.refTable, rel.temporary ? 'temp' : 'main', fk.refColumns, values)) continue;
        return new ChorusError(
          '23503',
          `insert or update on table "${pgName(rel.name)}" violates foreign key constraint "${fk.name}"`,
          {
            schema: splitStorageName(rel.name).schema,
            table: pgName(rel.name),
            constraint: fk.name,
            detail: `Key ${keyText(rel, fk.columns, row, env)} is not present in table "${pgName(fk.refTable)}".`,
          },
        );
      }
    }
  }
  if (plan.kind !== 'insert') {
    // DELETE: the deleted rows; UPDATE: the rows as they were, where the referenced key changed.
    const before = plan.kind === 'update' ? old : rows;
    for (const fk of catalog.referencing(rel.name)) {
      for (const [i, row] of before.entries()) {
        const values = fk.refColumns.map((c) => row[colIndex(rel, c)] ?? null);
        if (plan.kind === 'update') {
          const after = fk.refColumns.map((c) => rows[i]?.[colIndex(rel, c)] ?? null);
          if (after.every((v, k) => v === values[k])) continue;
        }
        if (!rowExists(db, fk.table, rel.temporary ? 'temp' : 'main', fk.columns, values)) continue;
        return new ChorusError(
          '23503',
          `update or delete on table "${pgName(rel.name)}" violates foreign key constraint "${fk.name}" on table "${pgName(fk.table)}"`,
          {
            schema: splitStorageName(fk.table).schema,
            table: pgName(fk.table),
            constraint: fk.name,
            detail: `Key ${keyText(rel, fk.refColumns, row, env)} is still referenced from table "${pgName(fk.table)}".`,
          },
        );
      }
    }
  }
  return null;
}

/** A relation's PostgreSQL name from its SQLite-side name. */
function pgName(stored: string): string {
  return splitStorageName(stored).name;
}
