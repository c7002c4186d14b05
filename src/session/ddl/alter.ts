// ALTER TABLE on the origin: the analyzed actions (sql/analyze/ddl/alter-table.ts) run in
// PostgreSQL's order against the table as it is now — constraint names chosen as PostgreSQL
// chooses them, the rows checked with PostgreSQL's errors — and each step is logged as the table
// operation peers run to the same result (storage/tables/table-ops.ts, storage/tables/table-alter.ts).

import { ChorusError, FeatureNotSupportedError } from '../../errors.js';
import { type AlterAction, type AlterPlan, sessionValueMarker } from '../../sql/analyze/ddl/alter-plan.js';
import { constraintName } from '../../sql/analyze/ddl/constraints.js';
import { quoteId } from '../../sql/analyze/scope.js';
import { quoteLiteral } from '../../sql/lexer.js';
import { codecFor, type StorageValue, type ValueEnv } from '../../sql/types/values.js';
import { dropCaptureTriggers } from '../../storage/capture/capture.js';
import type { StorageEngine } from '../../storage/engine/engine.js';
import { isSqliteError } from '../../storage/sqlite-errors.js';
import { type StoredConstraint, storedConstraints } from '../../storage/tables/constraints.js';
import { recordShapeChange } from '../../storage/tables/shape-changes.js';
import { alterTable, type TableEdit } from '../../storage/tables/table-alter.js';
import { ConversionDuplicateError } from '../../storage/tables/table-convert.js';
import {
  addPrimaryKey,
  applyTableOp,
  shapeChangesOf,
  type TableOp,
  userTableName,
} from '../../storage/tables/table-ops.js';
import type { ConstraintCatalog } from '../constraint-errors.js';
import { type Notice, notice, result, type StatementResult } from '../result.js';
import { withConstants } from './ddl-constants.js';

type Db = StorageEngine['writer'];

/** A row check to make once the new definition is in place (PostgreSQL's phase 3). */
type Check =
  | { kind: 'not_null'; column: string }
  | { kind: 'check'; name: string; sql: string }
  | { kind: 'unique'; name: string; columns: string[] }
  | { kind: 'foreign'; name: string; columns: string[]; refTable: string; refColumns: string[] };

class AlterRun {
  readonly notices: Notice[] = [];
  private edits: TableEdit[] = [];
  private checks: Check[] = [];
  private readonly localOnly: boolean;
  private readonly db: Db;

  constructor(
    private readonly engine: StorageEngine,
    private readonly catalog: ConstraintCatalog,
    private table: string,
    private readonly env: ValueEnv,
  ) {
    this.db = engine.writer;
    this.localOnly = engine.isLocalOnly(table);
  }

  /** Run a table operation here and log it for the peers. */
  private op(table: string, op: TableOp): void {
    dropCaptureTriggers(this.db, table);
    if (op.kind === 'add_primary_key') addPrimaryKey(this.db, table, op.columns, op.constraint);
    else applyTableOp(this.db, table, op);
    if (this.engine.isLocalOnly(table) || this.engine.isLocalOnly(op.kind === 'rename_table' ? op.to : table))
      return;
    this.engine.logTableOp(table, op);
    for (const s of shapeChangesOf(table, op))
      recordShapeChange(this.db, s.table, this.engine.nodeId, this.engine.nextLocalSeq(), s.change);
  }

  /** SQL text DDL (ADD / DROP COLUMN), run and logged as text as before. */
  private sql(sql: string): void {
    dropCaptureTriggers(this.db, this.table);
    this.db.exec(sql);
    if (!this.localOnly) this.engine.logDdl(this.table, sql);
  }

  private constraints(): StoredConstraint[] {
    return storedConstraints(this.db, this.table);
  }

  /**
   * The table's constraint names once the edits gathered so far are made: a constraint dropped
   * earlier in the statement frees its name (PostgreSQL runs DROP before ADD).
   */
  private liveNames(): Set<string> {
    const names = new Set(this.constraints().map((c) => c.name));
    for (const e of this.edits) {
      if (e.kind === 'drop_constraint') names.delete(e.name);
      else if (e.kind === 'add_constraint' || e.kind === 'add_unique') names.add(e.name);
      else if (e.kind === 'rename_constraint') {
        names.delete(e.from);
        names.add(e.to);
      }
    }
    return names;
  }

  /** Names a new constraint may not take: the table's constraints and every relation's name. */
  private taken(): Set<string> {
    const dropped = new Set(this.constraints().map((c) => c.name));
    for (const n of this.liveNames()) dropped.delete(n);
    const names = (this.db.prepare('SELECT name FROM sqlite_schema').pluck().all() as string[]).filter(
      (n) => !dropped.has(n),
    );
    return new Set([...names, ...this.liveNames()]);
  }

  private named(name: string | null, columns: string[], label: string, isIndex: boolean): string {
    if (name === null) return constraintName(this.table, columns, label, this.taken());
    const live = this.liveNames();
    // An index-backed constraint's name is a relation's name too, checked first (as PostgreSQL);
    // an index-backed constraint dropped earlier in the statement frees it.
    const freed = this.constraints().some((c) => c.name === name) && !live.has(name);
    const indexBacked =
      live.has(name) &&
      (this.constraints().some((c) => c.name === name && (c.type === 'p' || c.type === 'u')) ||
        this.edits.some((e) => e.kind === 'add_unique' && e.name === name));
    const relation = !freed && this.db.prepare('SELECT 1 FROM sqlite_schema WHERE name = ?').get(name);
    if (isIndex && (relation || indexBacked))
      throw new ChorusError('42P07', `relation "${name}" already exists`);
    if (live.has(name))
      throw new ChorusError('42710', `constraint "${name}" for relation "${this.table}" already exists`);
    return name;
  }

  /** Run the edits gathered so far as one table operation, checking the rows before it commits. */
  flush(): void {
    if (this.edits.length === 0) return;
    const edits = this.edits;
    const checks = this.checks;
    this.edits = [];
    this.checks = [];
    dropCaptureTriggers(this.db, this.table);
    try {
      alterTable(this.db, this.table, edits, 'origin', () => this.verify(checks));
    } catch (e) {
      throw this.explain(e);
    }
    if (this.localOnly) return;
    const op: TableOp = { kind: 'alter', edits };
    this.engine.logTableOp(this.table, op);
    for (const s of shapeChangesOf(this.table, op))
      recordShapeChange(this.db, s.table, this.engine.nodeId, this.engine.nextLocalSeq(), s.change);
  }

  /** A SQLite constraint error met while values were converted, as PostgreSQL words it. */
  private explain(e: unknown): unknown {
    if (e instanceof ConversionDuplicateError) {
      return new ChorusError(e.sqlstate, e.message, {
        table: this.table,
        constraint: e.constraintName,
        detail: `Key ${this.keyText(e.columns, e.values as StorageValue[])} is duplicated.`,
      });
    }
    if (!isSqliteError(e)) return e;
    const t = this.table;
    const notNull = /NOT NULL constraint failed: [^.]+\.(.+)$/.exec(e.message);
    if (notNull)
      return new ChorusError('23502', `column "${notNull[1]}" of relation "${t}" contains null values`, {
        table: t,
        column: notNull[1],
      });
    const check = /CHECK constraint failed: (.+)$/.exec(e.message);
    if (check)
      return new ChorusError(
        '23514',
        `check constraint "${check[1]}" of relation "${t}" is violated by some row`,
        {
          table: t,
          constraint: check[1],
        },
      );
    return e;
  }

  private text(column: string, v: StorageValue): string {
    const rel = this.catalog.relation(null, this.table);
    const type = rel?.columns.find((c) => c.name === column)?.type;
    if (v === null) return 'null';
    if (!type) return String(v);
    try {
      return codecFor(type.type).output(v, type.typmod, this.env);
    } catch {
      return String(v);
    }
  }

  private keyText(columns: readonly string[], values: readonly StorageValue[]): string {
    return `(${columns.join(', ')})=(${values.map((v, i) => this.text(columns[i]!, v)).join(', ')})`;
  }

  /** The rows against the new constraints, in PostgreSQL's order (indexes, then the scan, then keys). */
  private verify(checks: readonly Check[]): void {
    // The new definition is already in place: SQLite takes `c IS NULL` of a NOT NULL column as
    // false without reading the rows, so NULLs are found with typeof().
    const t = quoteId(this.table);
    const first = (sql: string): StorageValue[] | undefined => {
      const stmt = this.db.prepare(sql).raw();
      stmt.safeIntegers(true);
      return stmt.get() as StorageValue[] | undefined;
    };
    for (const c of checks) {
      if (c.kind !== 'unique') continue;
      const cols = c.columns.map(quoteId).join(', ');
      const notNull = c.columns.map((x) => `${quoteId(x)} IS NOT NULL`).join(' AND ');
      const dup = first(
        `SELECT ${cols} FROM ${t} WHERE ${notNull} GROUP BY ${cols} HAVING count(*) > 1 LIMIT 1`,
      );
      if (dup) {
        throw new ChorusError('23505', `could not create unique index "${c.name}"`, {
          table: this.table,
          constraint: c.name,
          detail: `Key ${this.keyText(c.columns, dup)} is duplicated.`,
        });
      }
    }
    for (const c of checks) {
      if (
        c.kind === 'not_null' &&
        first(`SELECT 1 FROM ${t} WHERE typeof(${quoteId(c.column)}) = 'null' LIMIT 1`)
      ) {
        throw new ChorusError(
          '23502',
          `column "${c.column}" of relation "${this.table}" contains null values`,
          {
            table: this.table,
            column: c.column,
          },
        );
      }
      if (c.kind === 'check' && first(`SELECT 1 FROM ${t} WHERE NOT coalesce((${c.sql}), 1) LIMIT 1`)) {
        throw new ChorusError(
          '23514',
          `check constraint "${c.name}" of relation "${this.table}" is violated by some row`,
          { table: this.table, constraint: c.name },
        );
      }
    }
    for (const c of checks) {
      if (c.kind !== 'foreign') continue;
      const cols = c.columns.map((x) => `${t}.${quoteId(x)}`);
      const match = c.refColumns.map((x, i) => `r.${quoteId(x)} = ${cols[i]}`).join(' AND ');
      const missing = first(
        `SELECT ${cols.join(', ')} FROM ${t} WHERE ${cols.map((x) => `${x} IS NOT NULL`).join(' AND ')}
           AND NOT EXISTS (SELECT 1 FROM ${quoteId(c.refTable)} r WHERE ${match}) LIMIT 1`,
      );
      if (missing) {
        throw new ChorusError(
          '23503',
          `insert or update on table "${this.table}" violates foreign key constraint "${c.name}"`,
          {
            table: this.table,
            constraint: c.name,
            detail: `Key ${this.keyText(c.columns, missing)} is not present in table "${c.refTable}".`,
          },
        );
      }
    }
  }

  /** A session value marker of a conversion replaced by the value, so peers convert alike. */
  private sessionValues(sql: string): string {
    return sql
      .replaceAll(sessionValueMarker('timezone'), quoteLiteral(this.env.timeZone))
      .replaceAll(sessionValueMarker('now'), String(this.env.nowUs));
  }

  private dropConstraint(a: Extract<AlterAction, { kind: 'drop_constraint' }>): void {
    const live = this.liveNames().has(a.name);
    const c = live ? this.constraints().find((x) => x.name === a.name) : undefined;
    if (!c) {
      if (live) {
        this.edits.push({ kind: 'drop_constraint', name: a.name });
        return;
      }
      if (a.missingOk) {
        this.notices.push(
          notice(`constraint "${a.name}" of relation "${this.table}" does not exist, skipping`),
        );
        return;
      }
      throw new ChorusError('42704', `constraint "${a.name}" of relation "${this.table}" does not exist`);
    }
    if (c.type === 'p' || c.type === 'u') {
      const dependents = this.catalog
        .referencing(this.table)
        .filter(
          (fk) =>
            fk.refColumns.length === c.columns.length && fk.refColumns.every((x) => c.columns.includes(x)),
        );
      if (dependents.length > 0 && !a.cascade) {
        throw new ChorusError(
          '2BP01',
          `cannot drop constraint ${c.name} on table ${this.table} because other objects depend on it`,
          {
            detail: dependents
              .map((fk) => `constraint ${fk.name} on table ${fk.table} depends on index ${c.name}`)
              .join('\n'),
            hint: 'Use DROP ... CASCADE to drop the dependent objects too.',
          },
        );
      }
      if (c.type === 'p' && !this.localOnly) {
        throw new FeatureNotSupportedError(`dropping the primary key of replicated table "${this.table}"`, {
          hint: 'Peers name rows by their key; add the new key in the same transaction instead.',
        });
      }
      for (const fk of dependents) {
        this.notices.push(notice(`drop cascades to constraint ${fk.name} on table ${fk.table}`));
        this.flush();
        this.op(fk.table, { kind: 'alter', edits: [{ kind: 'drop_constraint', name: fk.name }] });
      }
    }
    this.edits.push({ kind: 'drop_constraint', name: a.name });
  }

  run(a: AlterAction): void {
    switch (a.kind) {
      case 'add_column':
        this.flush();
        this.sql(withConstants(this.db, a.sql, a.constants));
        return;
      case 'drop_column': {
        this.flush();
        const exists = this.db
          .prepare('SELECT 1 FROM pragma_table_xinfo(?) WHERE name = ?')
          .get(this.table, a.column);
        if (!exists) {
          if (a.missingOk) {
            this.notices.push(
              notice(`column "${a.column}" of relation "${this.table}" does not exist, skipping`),
            );
            return;
          }
          throw new ChorusError('42703', `column "${a.column}" of relation "${this.table}" does not exist`);
        }
        this.sql(`ALTER TABLE ${quoteId(this.table)} DROP COLUMN ${quoteId(a.column)}`);
        return;
      }
      case 'add_primary_key':
        this.flush();
        this.op(this.table, { kind: 'add_primary_key', columns: a.columns, constraint: a.name });
        return;
      case 'set_type':
        if (a.reads && !this.localOnly && this.engine.multiPrimary) {
          // Peers convert a row change written before the ALTER on its own (shape-upgrade.ts): a
          // conversion reading another column would see that column's value of another moment.
          throw new FeatureNotSupportedError(
            `ALTER COLUMN TYPE ... USING an expression that reads other columns (${a.reads.join(', ')}) on replicated table "${this.table}"`,
            {
              hint: `Convert from "${a.column}" alone, or add a new column, fill it with UPDATE, then drop the old one.`,
            },
          );
        }
        this.edits.push({
          kind: 'set_type',
          column: a.column,
          type: a.declared,
          convert: a.convert === null ? null : this.sessionValues(a.convert),
          ...(a.default !== undefined ? { default: a.default } : {}),
        });
        return;
      case 'set_default':
        this.edits.push({ kind: 'set_default', column: a.column, default: a.default });
        return;
      case 'set_not_null':
        this.edits.push({ kind: 'set_not_null', column: a.column, notNull: a.notNull });
        if (a.notNull) this.checks.push({ kind: 'not_null', column: a.column });
        return;
      case 'add_check': {
        const name = this.named(a.name, a.columns.length === 1 ? a.columns : [], 'check', false);
        const pg = a.pg.replaceAll('*/', '*\\/');
        this.edits.push({ kind: 'add_constraint', name, body: `CHECK (${a.sql} /* pg: ${pg} */)` });
        this.checks.push({ kind: 'check', name, sql: a.sql });
        return;
      }
      case 'add_foreign': {
        const name = this.named(a.name, a.columns, 'fkey', false);
        this.edits.push({ kind: 'add_constraint', name, body: a.body });
        this.checks.push({
          kind: 'foreign',
          name,
          columns: a.columns,
          refTable: a.refTable,
          refColumns: a.refColumns,
        });
        return;
      }
      case 'add_unique': {
        const name = this.named(a.name, a.columns, 'key', true);
        this.edits.push({ kind: 'add_unique', name, columns: a.columns });
        this.checks.push({ kind: 'unique', name, columns: a.columns });
        return;
      }
      case 'drop_constraint':
        this.dropConstraint(a);
        return;
      case 'rename_constraint': {
        if (!this.liveNames().has(a.from))
          throw new ChorusError('42704', `constraint "${a.from}" for table "${this.table}" does not exist`);
        if (this.liveNames().has(a.to))
          throw new ChorusError('42710', `constraint "${a.to}" for relation "${this.table}" already exists`);
        this.edits.push({ kind: 'rename_constraint', from: a.from, to: a.to });
        return;
      }
      case 'rename_table':
        this.flush();
        this.op(this.table, { kind: 'rename_table', to: a.to });
        this.table = a.to;
        return;
      case 'rename_column':
        this.flush();
        this.op(this.table, { kind: 'rename_column', from: a.from, to: a.to });
        return;
    }
  }
}

/** Run an analyzed ALTER TABLE inside the session's write transaction. */
export function runAlter(
  engine: StorageEngine,
  catalog: ConstraintCatalog,
  plan: AlterPlan,
  env: ValueEnv,
): StatementResult {
  if (plan.missing) {
    return {
      ...result('ALTER TABLE', null),
      notices: [notice(`relation "${plan.table}" does not exist, skipping`)],
    };
  }
  const run = new AlterRun(engine, catalog, userTableName(engine.writer, plan.table), env);
  for (const a of plan.actions) run.run(a);
  run.flush();
  engine.syncSchema();
  return { ...result('ALTER TABLE', null), notices: run.notices };
}
