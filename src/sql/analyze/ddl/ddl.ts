// CREATE TABLE, CREATE INDEX and ALTER TABLE ... ADD COLUMN as SQLite DDL over the storage formats:
// PostgreSQL's types become the front end's declared types, constraints get PostgreSQL's names
// (t_pkey, t_col_key, t_col_check, t_col_fkey), defaults keep their PostgreSQL text beside their
// SQLite form, and integer primary keys become SQLite's rowid (sql/DESIGN.md, "Primary keys").

import type * as P from '@pgsql/types';
import { deparseSync } from 'pgsql-deparser';
import { ChorusError, FeatureNotSupportedError } from '../../../errors.js';
import { publicSchema, storageName } from '../../namespaces.js';
import { nodeOf } from '../../parse/parser.js';
import {
  crdtColumnTypes,
  declaredType,
  formatType,
  isIntegerType,
  isStorable,
  ref,
  serialTypes,
  T,
  type TypeRef,
} from '../../types/pg-types.js';
import { type BindSource, bindMarker, type CatalogColumn, type CatalogRelation } from '../context.js';
import { coerce } from '../expr/coercion/coerce.js';
import { storedEqualityIsPostgres } from '../expr/comparison/keys.js';
import { type Analyzer, pos, strings, typeOf } from '../level.js';
import { checkInternal, quoteId, Scope } from '../scope.js';
import type { AlterPlan } from './alter-plan.js';
import { callsVolatileFunction, checkDefaultExpression } from './default-expr.js';
import { sequenceNameOption } from './identity-options.js';
import { creationTarget } from './names.js';
import { defaultComment, identityComment } from './stored-text.js';

export interface DdlPlan {
  sql: string;
  table: string;
  unlogged: boolean;
  ifNotExists: boolean;
  /**
   * SQL expressions to evaluate before `sql` runs, each value replacing `constantMarker(i)` in it
   * as a literal: SQLite adds a column only with a constant default (ALTER TABLE ... ADD COLUMN).
   */
  constants?: string[];
  /** The catalog version the DDL was analyzed against (set by the session layer). */
  schemaVersion?: number;
  /** ALTER TABLE / RENAME the session runs itself (session/alter.ts); `sql` is then empty. */
  alter?: AlterPlan;
  /** Sequences of serial / identity columns, created with the table (session/sequence-ddl.ts). */
  sequences?: ColumnSequence[];
  /** A session's temporary table, view or index (session/temp/): never logged nor replicated. */
  temporary?: boolean;
  /** A NOTICE the statement gives when it runs. */
  notice?: string;
  /** CREATE TEMP TABLE ... ON COMMIT DELETE ROWS / DROP. */
  onCommit?: 'delete' | 'drop';
  /** CREATE TABLE ... AS / SELECT ... INTO (command tag SELECT n, or CREATE TABLE AS without data). */
  tableAs?: boolean;
  /** CREATE TABLE ... AS: the rows to insert once the table exists (ddl/table-as.ts). */
  populate?: PopulatePlan;
}

/** The query of CREATE TABLE ... AS, as an INSERT into the new table. */
export interface PopulatePlan {
  sql: string;
  bind: BindSource[];
  paramTypes: TypeRef[];
}

/** The sequence a serial or identity column takes its values from (PostgreSQL's t_col_seq). */
export interface ColumnSequence {
  /** SQLite-side name of the sequence. */
  name: string;
  column: string;
  /** int2 / int4 / int8. */
  type: string;
  /** 'serial', 'a' (GENERATED ALWAYS AS IDENTITY) or 'd' (BY DEFAULT). */
  identity: string;
  /** An identity column's sequence options. */
  options: P.Node[];
}

/** Where the value of DdlPlan.constants[i] goes in the DDL text. */
export function constantMarker(i: number): string {
  return `\u0001${i}\u0001`;
}

/** PostgreSQL's NAMEDATALEN - 1. */
const identifierBytesMax = 63;

/** ChooseRelationName: name1_name2_label, each part shortened until the whole fits in 63 bytes. */
export function constraintName(
  table: string,
  columns: readonly string[],
  label: string,
  taken: Set<string>,
): string {
  const build = (t: string, c: string): string => [t, c, label].filter((x) => x !== '').join('_');
  let t = table;
  let c = columns.join('_');
  while (Buffer.byteLength(build(t, c)) > identifierBytesMax) {
    if (Buffer.byteLength(t) >= Buffer.byteLength(c)) t = t.slice(0, -1);
    else c = c.slice(0, -1);
  }
  let name = build(t, c);
  for (let n = 1; taken.has(name); n++) {
    const suffix = String(n);
    let base = build(t, c);
    while (Buffer.byteLength(base) + suffix.length > identifierBytesMax) base = base.slice(0, -1);
    name = base + suffix;
  }
  taken.add(name);
  return name;
}

/** A default's text as kept beside its SQLite form: `/* pg: ... *\/` can hold anything but `*\/`. */
export interface ColumnPlan {
  name: string;
  type: TypeRef | null;
  crdt?: string;
  serial: boolean;
  notNull: boolean;
  /** A serial primary key's constraint name (declared on the column, see columnSql). */
  primaryName?: string;
  defaultPg: string | null;
  /** The default calls a volatile function (random(), clock_timestamp(), ...). */
  defaultVolatile?: boolean;
  /**
   * GENERATED ALWAYS ('a') / BY DEFAULT ('d') AS IDENTITY with its sequence options (the kind is
   * also kept as a comment in the table's SQL, for the catalog).
   */
  identity?: { kind: string; options: P.Node[] };
}

/** The PostgreSQL text of an expression (PostgreSQL's own spelling, from the parse tree). */
export function expressionText(n: P.Node): string {
  return deparseSync(n, { pretty: false });
}

export function createTable(an: Analyzer, s: P.CreateStmt): DdlPlan {
  const st = an.st;
  const rel = s.relation!;
  const table = rel.relname!;
  const position = pos(st, rel.location);
  checkInternal(table, position);
  const target = creationTarget(st.catalog, rel.schemaname, table, position, rel.relpersistence === 't');
  if (
    !target.temporary &&
    !st.catalog.relation(target.schema, table) &&
    st.catalog.enumType?.(target.schema, table)
  ) {
    // A table's row type would take the name (PostgreSQL: heap_create_with_catalog).
    throw new ChorusError('42710', `type "${table}" already exists`, {
      hint: "A relation has an associated type of the same name, so you must use a name that doesn't conflict with any existing type.",
    });
  }
  const onCommit = onCommitAction(s.oncommit, target.temporary);
  if (s.inhRelations?.length) throw new FeatureNotSupportedError('INHERITS');
  if (s.partspec) throw new FeatureNotSupportedError('PARTITION BY');
  if (s.ofTypename) throw new FeatureNotSupportedError('CREATE TABLE OF type');
  const taken = new Set<string>();
  const columns: ColumnPlan[] = [];
  const constraints: string[] = [];
  const columnConstraints: { col: string; c: P.Constraint }[] = [];
  const tableConstraints: P.Constraint[] = [];
  for (const e of s.tableElts ?? []) {
    const [tag, body] = nodeOf(e);
    if (tag === 'ColumnDef') {
      const cd = body as P.ColumnDef;
      const col = columnPlan(an, cd);
      if (columns.some((c) => c.name === col.name)) {
        throw new ChorusError('42701', `column "${col.name}" specified more than once`, {
          position: pos(st, cd.location),
        });
      }
      columns.push(col);
      for (const cn of cd.constraints ?? [])
        columnConstraints.push({ col: col.name, c: nodeOf(cn)[1] as P.Constraint });
    } else if (tag === 'Constraint') tableConstraints.push(body as P.Constraint);
    else if (tag === 'TableLikeClause') throw new FeatureNotSupportedError('CREATE TABLE ... (LIKE ...)');
    else throw new FeatureNotSupportedError(`${tag} in CREATE TABLE`);
  }
  // The scope CHECK and generated expressions see: the new table's columns, by name.
  const scope = new Scope(null);
  scope.add({
    alias: table,
    visible: true,
    columns: columns.map((c) => ({ name: c.name, type: c.type ?? ref(T.text), sql: quoteId(c.name) })),
  });
  const lv = an.level(scope, 'check constraints');
  const checkSql = (expr: P.Node): string => {
    const e = coerce(st, an.expr(expr, lv), ref(T.bool), 'implicit');
    if (e.sql.includes(bindMarker))
      throw new FeatureNotSupportedError('session-dependent expressions in CHECK constraints');
    return e.sql;
  };
  let primary: string[] | null = null;
  const primaryName = (): string => constraintName(table, [], 'pkey', taken);
  const all = [
    ...columnConstraints.map((x) => ({ cols: [x.col], c: x.c, columnLevel: true })),
    ...tableConstraints.map((c) => ({ cols: strings(c.keys), c, columnLevel: false })),
  ];
  // A foreign key may reference the table being created (a tree: `parent_id REFERENCES t`).
  const self: SelfReference = {
    schema: target.schema,
    name: table,
    primaryKey: all.find((x) => x.c.contype === 'CONSTR_PRIMARY')?.cols ?? [],
    uniques: all
      .filter((x) => x.c.contype === 'CONSTR_PRIMARY' || x.c.contype === 'CONSTR_UNIQUE')
      .map((x) => x.cols),
  };
  for (const { cols, c, columnLevel } of all) {
    const colList = (names: readonly string[]): string => `(${names.map(quoteId).join(', ')})`;
    const checkColumns = (names: readonly string[]): void => {
      for (const n of names) {
        if (!columns.some((x) => x.name === n)) {
          throw new ChorusError('42703', `column "${n}" named in key does not exist`, {
            position: pos(st, c.location),
          });
        }
      }
    };
    const checkKey = (names: readonly string[]): void => {
      checkColumns(names);
      for (const n of names) {
        const t = columns.find((x) => x.name === n)!.type;
        if (t) keyColumnType(n, t, pos(st, c.location));
      }
    };
    switch (c.contype) {
      case 'CONSTR_PRIMARY': {
        if (primary) {
          throw new ChorusError('42P16', `multiple primary keys for table "${table}" are not allowed`, {
            position: pos(st, c.location),
          });
        }
        checkKey(cols);
        primary = cols;
        const key = cols.length === 1 ? columns.find((x) => x.name === cols[0])! : null;
        if (key?.serial && key.type && isIntegerType(key.type.type)) {
          // A serial key is declared on its column: INTEGER PRIMARY KEY AUTOINCREMENT (see columnSql).
          key.primaryName = c.conname ?? primaryName();
        } else {
          constraints.push(`CONSTRAINT ${quoteId(c.conname ?? primaryName())} PRIMARY KEY ${colList(cols)}`);
        }
        for (const n of cols) columns.find((x) => x.name === n)!.notNull = true;
        break;
      }
      case 'CONSTR_UNIQUE': {
        checkKey(cols);
        const name = c.conname ?? constraintName(table, cols, 'key', taken);
        constraints.push(`CONSTRAINT ${quoteId(name)} UNIQUE ${colList(cols)}`);
        break;
      }
      case 'CONSTR_CHECK': {
        const referenced = columnLevel ? cols : referencedColumns(c.raw_expr!, columns);
        const name = c.conname ?? constraintName(table, referenced.slice(0, 1), 'check', taken);
        constraints.push(
          `CONSTRAINT ${quoteId(name)} CHECK (${checkSql(c.raw_expr!)}) ${defaultComment(expressionText(c.raw_expr!))}`,
        );
        break;
      }
      case 'CONSTR_FOREIGN': {
        const fkCols = columnLevel ? cols : strings(c.fk_attrs);
        checkColumns(fkCols);
        const name = c.conname ?? constraintName(table, fkCols, 'fkey', taken);
        constraints.push(`CONSTRAINT ${quoteId(name)} ${foreignKey(an, c, fkCols, target.temporary, self)}`);
        break;
      }
      case 'CONSTR_EXCLUSION':
        throw new FeatureNotSupportedError('EXCLUDE constraints');
      default:
        break; // column-level NOT NULL, NULL, DEFAULT, IDENTITY, GENERATED: in columnPlan
    }
  }
  const dup = duplicateName(constraints);
  if (dup) throw new ChorusError('42710', `constraint "${dup}" for relation "${table}" already exists`);
  const defs = columns.map((c) => columnSql(an, table, c, primary));
  const sql = `CREATE ${target.temporary ? 'TEMP ' : ''}TABLE ${s.if_not_exists ? 'IF NOT EXISTS ' : ''}${quoteId(target.stored)} (${[...defs, ...constraints].join(', ')})`;
  // Each serial / identity column gets its sequence, named as PostgreSQL names it (t_col_seq).
  const seqNames = new Set<string>();
  const sequences: ColumnSequence[] = columns
    .filter((c) => c.serial && c.type)
    .map((c) => {
      const given = sequenceNameOption(c.identity?.options ?? []);
      if (given.name !== null) {
        // SEQUENCE NAME [schema.]name: that name, in that schema (else the table's).
        const schema = given.schema ?? target.schema;
        if (given.schema && given.schema !== publicSchema && !st.catalog.schemaExists?.(given.schema))
          throw new ChorusError('3F000', `schema "${given.schema}" does not exist`);
        const name = given.name;
        if (
          seqNames.has(name) ||
          st.catalog.sequence?.(schema, name) ||
          st.catalog.relation(schema, name) ||
          (schema === target.schema && name === table)
        )
          throw new ChorusError('42P07', `relation "${name}" already exists`);
        seqNames.add(name);
        return {
          name: storageName(schema, name),
          column: c.name,
          type: c.type!.type.name,
          identity: c.identity?.kind ?? 'serial',
          options: given.rest,
        };
      }
      let name = constraintName(table, [c.name], 'seq', seqNames);
      while (st.catalog.sequence?.(target.schema, name) || st.catalog.relation(target.schema, name)) {
        seqNames.add(name);
        name = constraintName(table, [c.name], 'seq', seqNames);
      }
      return {
        name: storageName(target.schema, name),
        column: c.name,
        type: c.type!.type.name,
        identity: c.identity?.kind ?? 'serial',
        options: c.identity?.options ?? [],
      };
    });
  if (target.temporary) {
    // A temporary serial key is SQLite's AUTOINCREMENT alone: no sequence in the replicated schema.
    return {
      sql,
      table: target.stored,
      unlogged: false,
      ifNotExists: s.if_not_exists ?? false,
      temporary: true,
      onCommit,
    };
  }
  return {
    sql,
    table: target.stored,
    unlogged: rel.relpersistence === 'u',
    ifNotExists: s.if_not_exists ?? false,
    sequences,
  };
}

/** ON COMMIT of CREATE TABLE: only temporary tables take one (PRESERVE ROWS is the default). */
export function onCommitAction(
  action: P.OnCommitAction | undefined,
  temporary: boolean,
): 'delete' | 'drop' | undefined {
  if (action === undefined || action === 'ONCOMMIT_NOOP') return undefined;
  if (!temporary) throw new ChorusError('42P16', 'ON COMMIT can only be used on temporary tables');
  if (action === 'ONCOMMIT_DELETE_ROWS') return 'delete';
  if (action === 'ONCOMMIT_DROP') return 'drop';
  return undefined;
}

/**
 * A key column's type must compare stored values as PostgreSQL compares them: SQLite enforces
 * the key on stored values, and replication names rows by their key.
 */
export function keyColumnType(column: string, t: TypeRef, position?: number): void {
  if (storedEqualityIsPostgres(t.type, t.typmod)) return;
  const hint =
    t.type === T.numeric
      ? 'Declare it numeric(p,s): values then have one scale, and equal values are stored equal.'
      : t.type === T.bpchar
        ? 'Declare it char(n), varchar or text.'
        : 'Key on another column, or on a text column holding a canonical form.';
  throw new FeatureNotSupportedError(
    `a key (PRIMARY KEY, UNIQUE) on column "${column}" of type ${formatType(t.type, t.typmod)}`,
    {
      hint,
      position,
    },
  );
}

function duplicateName(constraints: readonly string[]): string | null {
  const seen = new Set<string>();
  for (const c of constraints) {
    const name = /^CONSTRAINT "((?:[^"]|"")*)"/.exec(c)?.[1]?.replaceAll('""', '"') ?? '';
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return null;
}

export function referencedColumns(n: P.Node, columns: readonly { name: string }[]): string[] {
  const out: string[] = [];
  const visit = (o: unknown): void => {
    if (Array.isArray(o)) o.forEach(visit);
    else if (o && typeof o === 'object') {
      const cr = (o as { ColumnRef?: P.ColumnRef }).ColumnRef;
      if (cr) {
        const name = strings(cr.fields).pop()!;
        if (columns.some((c) => c.name === name) && !out.includes(name)) out.push(name);
        return;
      }
      Object.values(o).forEach(visit);
    }
  };
  visit(n);
  return out;
}

const fkActions: Record<string, string> = {
  a: 'NO ACTION',
  r: 'RESTRICT',
  c: 'CASCADE',
  n: 'SET NULL',
  d: 'SET DEFAULT',
};

/** The table a CREATE TABLE makes, for its foreign keys that reference itself. */
export interface SelfReference {
  schema: string;
  name: string;
  primaryKey: string[];
  uniques: string[][];
}

export function foreignKey(
  an: Analyzer,
  c: P.Constraint,
  fkCols: readonly string[],
  temporary = false,
  self: SelfReference | null = null,
): string {
  const target = c.pktable!;
  checkInternal(target.relname!, pos(an.st, target.location));
  const pkCols = strings(c.pk_attrs);
  const refd = an.st.catalog.relation(target.schemaname ?? null, target.relname!);
  if (
    !refd &&
    self &&
    target.relname === self.name &&
    (target.schemaname == null || target.schemaname === self.schema)
  )
    return selfForeignKey(c, fkCols, pkCols, self);
  if (refd && (refd.temporary ?? false) !== temporary)
    throw new ChorusError(
      '42P16',
      temporary
        ? 'constraints on temporary tables may reference only temporary tables'
        : 'constraints on permanent tables may reference only permanent tables',
    );
  let cols = pkCols;
  if (cols.length === 0) {
    if (!refd || refd.primaryKey.length === 0) {
      throw new ChorusError('42704', `there is no primary key for referenced table "${target.relname}"`);
    }
    cols = refd.primaryKey;
  }
  if (cols.length !== fkCols.length) {
    throw new ChorusError('42830', 'number of referencing and referenced columns for foreign key disagree');
  }
  if (refd?.kind === 'table' && pkCols.length > 0) {
    for (const n of pkCols) {
      if (!refd.columns.some((x) => x.name === n))
        throw new ChorusError('42703', `column "${n}" referenced in foreign key constraint does not exist`);
    }
    // SQLite would take the key and refuse every later write with "foreign key mismatch".
    const matching = refd.uniques.some(
      (u) => u.columns.length === pkCols.length && pkCols.every((x) => u.columns.includes(x)),
    );
    if (!matching) {
      throw new ChorusError(
        '42830',
        `there is no unique constraint matching given keys for referenced table "${refd.name}"`,
      );
    }
  }
  const refName = refd?.name ?? storageName(target.schemaname ?? null, target.relname!);
  return foreignKeySql(c, fkCols, refName, cols);
}

/** A foreign key of a new table to itself: checked against the keys the statement declares. */
function selfForeignKey(
  c: P.Constraint,
  fkCols: readonly string[],
  pkCols: string[],
  self: SelfReference,
): string {
  let cols = pkCols;
  if (cols.length === 0) {
    if (self.primaryKey.length === 0)
      throw new ChorusError('42704', `there is no primary key for referenced table "${self.name}"`);
    cols = self.primaryKey;
  }
  if (cols.length !== fkCols.length)
    throw new ChorusError('42830', 'number of referencing and referenced columns for foreign key disagree');
  if (
    pkCols.length > 0 &&
    !self.uniques.some((u) => u.length === pkCols.length && pkCols.every((x) => u.includes(x)))
  )
    throw new ChorusError(
      '42830',
      `there is no unique constraint matching given keys for referenced table "${self.name}"`,
    );
  const refName = storageName(self.schema, self.name);
  return foreignKeySql(c, fkCols, refName, cols);
}

function foreignKeySql(
  c: P.Constraint,
  fkCols: readonly string[],
  refName: string,
  cols: readonly string[],
): string {
  let sql = `FOREIGN KEY (${fkCols.map(quoteId).join(', ')}) REFERENCES ${quoteId(refName)} (${cols.map(quoteId).join(', ')})`;
  if (c.fk_del_action && c.fk_del_action !== 'a') sql += ` ON DELETE ${fkActions[c.fk_del_action]}`;
  if (c.fk_upd_action && c.fk_upd_action !== 'a') sql += ` ON UPDATE ${fkActions[c.fk_upd_action]}`;
  if (c.deferrable)
    sql += c.initdeferred ? ' DEFERRABLE INITIALLY DEFERRED' : ' DEFERRABLE INITIALLY IMMEDIATE';
  return sql;
}

export function columnPlan(an: Analyzer, cd: P.ColumnDef): ColumnPlan {
  const st = an.st;
  const names = strings(cd.typeName!.names);
  const base = names[names.length - 1]!;
  const serial = serialTypes.get(base);
  const crdt = crdtColumnTypes.has(base.toUpperCase()) ? base.toUpperCase() : undefined;
  let type: TypeRef | null;
  if (serial) type = ref(serial);
  else if (crdt) type = null;
  else type = typeOf(st, cd.typeName!);
  if (type && !isStorable(type.type)) {
    throw new FeatureNotSupportedError(`columns of type ${type.type.name}`, {
      position: pos(st, cd.location),
    });
  }
  const plan: ColumnPlan = {
    name: cd.colname!,
    type,
    crdt,
    serial: serial !== undefined,
    notNull: serial !== undefined,
    defaultPg: null,
  };
  for (const cn of cd.constraints ?? []) {
    const c = nodeOf(cn)[1] as P.Constraint;
    switch (c.contype) {
      case 'CONSTR_NOTNULL':
        plan.notNull = true;
        break;
      case 'CONSTR_NULL':
        break;
      case 'CONSTR_DEFAULT':
        if (plan.serial)
          throw new ChorusError('42601', `multiple default values specified for column "${plan.name}"`);
        checkDefaultExpression(c.raw_expr!, pos(st, c.location));
        plan.defaultPg = expressionText(c.raw_expr!);
        plan.defaultVolatile = callsVolatileFunction(c.raw_expr!);
        break;
      case 'CONSTR_IDENTITY':
        if (!type || !isIntegerType(type.type)) {
          throw new ChorusError('22023', 'identity column type must be smallint, integer, or bigint');
        }
        plan.serial = true;
        plan.notNull = true;
        plan.identity = { kind: c.generated_when ?? 'a', options: c.options ?? [] };
        break;
      case 'CONSTR_GENERATED':
        throw new FeatureNotSupportedError('generated columns (GENERATED ALWAYS AS ... STORED)', {
          position: pos(st, c.location),
        });
      default:
        break;
    }
  }
  if (cd.collClause) {
    const coll = strings(cd.collClause.collname).pop();
    if (coll !== 'C' && coll !== 'default' && coll !== 'POSIX')
      throw new FeatureNotSupportedError(`collation "${coll}"`);
  }
  return plan;
}

/** One column's SQLite definition. */
function columnSql(
  an: Analyzer,
  table: string,
  c: ColumnPlan,
  primary: string[] | null,
  defaultValueSql?: string,
): string {
  const rowid =
    primary?.length === 1 && primary[0] === c.name && c.type !== null && isIntegerType(c.type.type);
  let decl: string;
  if (c.crdt) decl = c.crdt;
  else if (rowid) decl = 'INTEGER';
  else decl = declaredType(c.type!);
  let sql = `${quoteId(c.name)} ${decl}`;
  // A serial key is never reused after a delete, like a sequence's values (SQLite's AUTOINCREMENT).
  if (c.primaryName !== undefined) {
    sql += ` CONSTRAINT ${quoteId(c.primaryName)} PRIMARY KEY AUTOINCREMENT`;
    if (c.identity) sql += ` ${identityComment(c.identity.kind === 'a' ? 'a' : 'd')}`;
  }
  // A serial rowid key may be omitted (SQLite assigns it); any other NOT NULL is SQLite's to enforce.
  if (c.notNull && !(rowid && c.serial)) sql += ' NOT NULL';
  if (c.serial && !rowid) {
    throw new FeatureNotSupportedError(
      `serial or identity column "${c.name}" that is not the table's single-column primary key`,
      {
        hint: 'Make it the primary key, or use a plain integer column.',
      },
    );
  }
  if (rowid && c.type!.type !== T.int4) {
    sql += ` DEFAULT (CAST(NULL AS ${declaredType(c.type!)}))`;
    if (c.defaultPg) throw new FeatureNotSupportedError(`a default on the integer primary key "${c.name}"`);
  } else if (c.defaultPg) {
    sql += ` DEFAULT (${defaultValueSql ?? defaultSql(an, table, c)} ${defaultComment(c.defaultPg)})`;
  }
  return sql;
}

/** A default's SQLite form: the value itself when constant, else NULL (the front end fills it in). */
export function defaultSql(an: Analyzer, table: string, c: ColumnPlan): string {
  const rel: CatalogRelation = {
    name: table,
    kind: 'table',
    columns: [],
    primaryKey: [],
    uniques: [],
    fromSql: quoteId(table),
  };
  const col: CatalogColumn = {
    name: c.name,
    type: c.type,
    notNull: false,
    defaultSql: null,
    defaultPg: c.defaultPg,
    rowidKey: false,
    generated: false,
    attnum: 0,
  };
  const sql = an.defaultExpr(rel, col);
  return sql.includes(bindMarker) ? 'NULL' : sql;
}

/**
 * ALTER TABLE t ADD [COLUMN] [IF NOT EXISTS] c type [constraints]: the column declared as CREATE
 * TABLE declares it. SQLite adds a column only with a constant default (existing rows take it), so
 * a session-dependent default (now()) is refused rather than left NULL in existing rows.
 */
export function alterTableAddColumn(an: Analyzer, s: P.AlterTableStmt): DdlPlan {
  const st = an.st;
  const rel = s.relation!;
  const position = pos(st, rel.location);
  checkInternal(rel.relname!, position);
  const table = st.catalog.relation(rel.schemaname ?? null, rel.relname!);
  if (table?.kind !== 'table') {
    if (
      rel.schemaname &&
      rel.schemaname !== publicSchema &&
      !(st.catalog.schemaExists?.(rel.schemaname) ?? false)
    )
      throw new ChorusError('3F000', `schema "${rel.schemaname}" does not exist`, { position });
    const shown = rel.schemaname ? `${rel.schemaname}.${rel.relname!}` : rel.relname!;
    throw new ChorusError('42P01', `relation "${shown}" does not exist`, { position });
  }
  const adds: string[] = [];
  const constants: string[] = [];
  for (const n of s.cmds ?? []) {
    const cmd = nodeOf(n)[1] as P.AlterTableCmd;
    if (cmd.subtype !== 'AT_AddColumn')
      throw new FeatureNotSupportedError('ALTER TABLE with several kinds of actions');
    const sql = addColumnSql(an, table, cmd, constants);
    if (sql !== null) adds.push(sql);
  }
  return { sql: adds.join('; '), table: table.name, unlogged: false, ifNotExists: false, constants };
}

/**
 * One ADD COLUMN action as SQLite DDL (null when IF NOT EXISTS finds the column); a constant
 * default is pushed on `constants` and its marker stands in the text.
 */
export function addColumnSql(
  an: Analyzer,
  table: CatalogRelation,
  cmd: P.AlterTableCmd,
  constants: string[],
): string | null {
  const st = an.st;
  const cd = nodeOf(cmd.def!)[1] as P.ColumnDef;
  if (table.columns.some((c) => c.name === cd.colname)) {
    if (cmd.missing_ok) return null;
    throw new ChorusError('42701', `column "${cd.colname}" of relation "${table.name}" already exists`);
  }
  const col = columnPlan(an, cd);
  for (const cn of cd.constraints ?? []) {
    const c = nodeOf(cn)[1] as P.Constraint;
    if (['CONSTR_PRIMARY', 'CONSTR_UNIQUE', 'CONSTR_CHECK', 'CONSTR_FOREIGN'].includes(c.contype ?? '')) {
      throw new FeatureNotSupportedError('constraints on a column added by ALTER TABLE', {
        position: pos(st, c.location),
      });
    }
  }
  if (col.serial) throw new FeatureNotSupportedError('adding a serial or identity column');
  let marker: string | undefined;
  if (col.defaultVolatile) {
    // PostgreSQL rewrites the table, calling it once per existing row; SQLite adds a column
    // with one constant value for all of them.
    throw new FeatureNotSupportedError(`ADD COLUMN with a volatile default (${col.defaultPg})`, {
      hint: 'Add the column without a default, then fill it with UPDATE.',
    });
  }
  if (col.defaultPg) {
    const sql = defaultSql(an, table.name, col);
    if (sql === 'NULL' && col.defaultPg.toUpperCase() !== 'NULL') {
      throw new FeatureNotSupportedError(
        `ADD COLUMN with a default that depends on the session (${col.defaultPg})`,
      );
    }
    // Evaluated when the statement runs; its value is the literal default (existing rows take it).
    marker = constantMarker(constants.length);
    constants.push(sql);
  }
  return `ALTER TABLE ${quoteId(table.name)} ADD COLUMN ${columnSql(an, table.name, col, null, marker)}`;
}
