// Column definitions of CREATE TABLE and ADD COLUMN: the column's type (serial, CRDT and storable
// types), its column-level NOT NULL / DEFAULT / IDENTITY, and its SQLite definition, where integer
// primary keys become SQLite's rowid (sql/DESIGN.md, "Primary keys") and defaults keep their
// PostgreSQL text beside their SQLite form.

import type * as P from '@pgsql/types';
import { deparseSync } from 'pgsql-deparser';
import { ChorusError, FeatureNotSupportedError } from '../../../errors.js';
import { nodeOf } from '../../parse/parser.js';
import { crdtColumnTypes, declaredType, isStorable } from '../../types/declared-types.js';
import { isIntegerType, ref, T, type TypeRef } from '../../types/pg-types.js';
import { serialTypes } from '../../types/type-names.js';
import { bindMarker, type CatalogColumn, type CatalogRelation } from '../context.js';
import { type Analyzer, pos, strings, typeOf } from '../level.js';
import { quoteId } from '../scope.js';
import { callsVolatileFunction, checkDefaultExpression } from './default-expr.js';
import { defaultComment, identityComment } from './stored-text.js';

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
export function columnSql(
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
