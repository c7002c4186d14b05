// ALTER TABLE and ALTER TABLE ... RENAME analyzed against the catalog: each action checked as
// PostgreSQL checks it (columns exist, casts exist in assignment context, defaults and CHECK
// expressions typed) and given its SQLite pieces. What depends on the rows or on the table's
// stored constraints is checked by the session when the statement runs (session/ddl/alter.ts).

import type * as P from '@pgsql/types';
import { ChorusError, FeatureNotSupportedError } from '../../../errors.js';
import { publicSchema, splitStorageName, storageName } from '../../namespaces.js';
import { nodeOf } from '../../parse/parser.js';
import { declaredType, isStorable } from '../../types/declared-types.js';
import { formatType, isIntegerType, ref, T } from '../../types/pg-types.js';
import { bindMarker, type CatalogColumn, type CatalogRelation } from '../context.js';
import { coerce } from '../expr/coercion/coerce.js';
import { type Analyzer, pos, strings, typeOf } from '../level.js';
import { checkInternal, quoteId, Scope } from '../scope.js';
import { addColumnSql } from './add-column.js';
import { type AlterAction, type AlterPlan, sessionValueMarker } from './alter-plan.js';
import { type ColumnPlan, columnPlan, defaultSql, expressionText } from './columns.js';
import { keyColumnType, referencedColumns } from './constraints.js';
import type { DdlPlan } from './ddl.js';
import { callsVolatileFunction, checkDefaultExpression } from './default-expr.js';
import { foreignKey, refuseDeferrableKey } from './foreign-keys.js';
import { defaultComment } from './stored-text.js';

/** A plan with no SQLite text of its own: the session runs `alter`. */
function plan(table: string, alter: AlterPlan): DdlPlan {
  return { sql: '', table, unlogged: false, ifNotExists: false, alter };
}

function tableOf(an: Analyzer, rel: P.RangeVar, missingOk: boolean): CatalogRelation | null {
  const position = pos(an.st, rel.location);
  checkInternal(rel.relname!, position);
  const schema = rel.schemaname ?? null;
  if (schema !== null && schema !== publicSchema && !(an.st.catalog.schemaExists?.(schema) ?? false))
    throw new ChorusError('3F000', `schema "${schema}" does not exist`, { position });
  const t = an.st.catalog.relation(schema, rel.relname!);
  if (t && t.kind !== 'table') throw new ChorusError('42809', `"${rel.relname}" is not a table`);
  if (!t && !missingOk) {
    const shown = schema === null ? rel.relname! : `${schema}.${rel.relname!}`;
    throw new ChorusError('42P01', `relation "${shown}" does not exist`, { position });
  }
  return t ?? null;
}

function columnOf(table: CatalogRelation, name: string): CatalogColumn {
  const c = table.columns.find((x) => x.name === name);
  if (!c)
    throw new ChorusError(
      '42703',
      `column "${name}" of relation "${splitStorageName(table.name).name}" does not exist`,
    );
  return c;
}

/** The scope CHECK and USING expressions see: the table's columns. */
function rowScope(table: CatalogRelation): Scope {
  const scope = new Scope(null);
  scope.add({
    alias: table.name,
    visible: true,
    columns: table.columns.map((c) => ({ name: c.name, type: c.type ?? ref(T.text), sql: quoteId(c.name) })),
  });
  return scope;
}

/** A conversion's session values (TimeZone, transaction time) as markers the session fills in. */
function withSessionMarkers(an: Analyzer, sql: string): string {
  if (!sql.includes(bindMarker)) return sql;
  const parts = sql.split(bindMarker);
  let out = '';
  for (let i = 0; i < parts.length; i++) {
    if (i % 2 === 0) {
      out += parts[i];
      continue;
    }
    const source = an.st.sources[Number(parts[i])]!;
    if (source.kind !== 'timezone' && source.kind !== 'now')
      throw new FeatureNotSupportedError('parameters in ALTER COLUMN TYPE ... USING');
    out += sessionValueMarker(source.kind);
  }
  return out;
}

function setType(an: Analyzer, table: CatalogRelation, cmd: P.AlterTableCmd): AlterAction {
  const st = an.st;
  const name = cmd.name!;
  const col = columnOf(table, name);
  const cd = nodeOf(cmd.def!)[1] as P.ColumnDef;
  const to = typeOf(st, cd.typeName!);
  if (!isStorable(to.type)) throw new FeatureNotSupportedError(`columns of type ${to.type.name}`);
  if (col.crdt || !col.type) throw new FeatureNotSupportedError(`changing the type of CRDT column "${name}"`);
  if (cd.collClause) throw new FeatureNotSupportedError('ALTER COLUMN TYPE ... COLLATE');
  const target = formatType(to.type, to.typmod);
  const inKey = table.uniques.some((u) => u.columns.includes(name));
  if (inKey) keyColumnType(name, to);
  const lv = an.level(rowScope(table), 'transform expressions');
  let convert: string;
  const reads = cd.raw_default
    ? referencedColumns(cd.raw_default, table.columns).filter((c) => c !== name)
    : [];
  if (cd.raw_default) {
    const e = an.expr(cd.raw_default, lv);
    try {
      convert = coerce(st, e, to, 'assignment').sql;
    } catch {
      throw new ChorusError(
        '42804',
        `result of USING clause for column "${name}" cannot be cast automatically to type ${target}`,
        { hint: 'You might need to add an explicit cast.' },
      );
    }
  } else {
    try {
      convert = coerce(
        st,
        { sql: quoteId(name), type: col.type.type, typmod: col.type.typmod },
        to,
        'assignment',
      ).sql;
    } catch {
      throw new ChorusError('42804', `column "${name}" cannot be cast automatically to type ${target}`, {
        hint: `You might need to specify "USING ${name}::${target}".`,
      });
    }
  }
  convert = withSessionMarkers(an, convert);
  if (col.rowidKey) {
    // SQLite's rowid: only another integer type keeps it (its PostgreSQL type is in the default).
    if (!isIntegerType(to.type))
      throw new FeatureNotSupportedError(`changing integer primary key "${name}" to type ${target}`);
    return {
      kind: 'set_type',
      column: name,
      type: to,
      declared: 'INTEGER',
      convert: convert === quoteId(name) ? null : convert,
      default: to.type === T.int4 ? null : `(CAST(NULL AS ${declaredType(to)}))`,
      ...(reads.length > 0 ? { reads } : {}),
    };
  }
  if (table.primaryKey.includes(name) && !(isIntegerType(col.type.type) && isIntegerType(to.type))) {
    // Peers name rows by their key's stored form: a key whose values change form would orphan them.
    throw new FeatureNotSupportedError(`changing the type of primary-key column "${name}" to ${target}`, {
      hint: 'Only integer keys may change to another integer type.',
    });
  }
  let newDefault: string | null | undefined;
  if (col.defaultPg) {
    const plan: ColumnPlan = { name, type: to, serial: false, notNull: false, defaultPg: col.defaultPg };
    try {
      newDefault = `(${defaultSql(an, table.name, plan)} ${defaultComment(col.defaultPg)})`;
    } catch {
      throw new ChorusError(
        '42804',
        `default for column "${name}" cannot be cast automatically to type ${target}`,
      );
    }
  }
  return {
    kind: 'set_type',
    column: name,
    type: to,
    declared: declaredType(to),
    convert: convert === quoteId(name) ? null : convert,
    ...(newDefault !== undefined ? { default: newDefault } : {}),
    ...(reads.length > 0 ? { reads } : {}),
  };
}

function setDefault(an: Analyzer, table: CatalogRelation, cmd: P.AlterTableCmd): AlterAction {
  const name = cmd.name!;
  const col = columnOf(table, name);
  if (col.rowidKey) {
    throw new FeatureNotSupportedError(`changing the default of integer primary key "${name}"`, {
      hint: 'SQLite assigns its values (serial, identity) or the client gives them.',
    });
  }
  if (!cmd.def) return { kind: 'set_default', column: name, default: null };
  checkDefaultExpression(cmd.def, pos(an.st, undefined));
  const pg = expressionText(cmd.def);
  const plan: ColumnPlan = {
    name,
    type: col.type,
    serial: false,
    notNull: false,
    defaultPg: pg,
    defaultVolatile: callsVolatileFunction(cmd.def),
  };
  return {
    kind: 'set_default',
    column: name,
    default: `(${defaultSql(an, table.name, plan)} ${defaultComment(pg)})`,
  };
}

function addConstraint(an: Analyzer, table: CatalogRelation, c: P.Constraint): AlterAction {
  const st = an.st;
  if (c.skip_validation) throw new FeatureNotSupportedError('NOT VALID constraints');
  if (c.indexname) throw new FeatureNotSupportedError('ADD CONSTRAINT ... USING INDEX');
  const name = c.conname ?? null;
  const checkColumns = (names: readonly string[]): void => {
    for (const n of names) {
      if (!table.columns.some((x) => x.name === n))
        throw new ChorusError('42703', `column "${n}" named in key does not exist`, {
          position: pos(st, c.location),
        });
    }
  };
  switch (c.contype) {
    case 'CONSTR_PRIMARY':
    case 'CONSTR_UNIQUE': {
      const columns = strings(c.keys);
      checkColumns(columns);
      for (const n of columns) {
        const t = table.columns.find((x) => x.name === n)!.type;
        if (t) keyColumnType(n, t, pos(st, c.location));
      }
      refuseDeferrableKey(an, c);
      return c.contype === 'CONSTR_PRIMARY'
        ? { kind: 'add_primary_key', name, columns }
        : { kind: 'add_unique', name, columns };
    }
    case 'CONSTR_CHECK': {
      const e = coerce(
        st,
        an.expr(c.raw_expr!, an.level(rowScope(table), 'check constraints')),
        ref(T.bool),
        'implicit',
      );
      if (e.sql.includes(bindMarker))
        throw new FeatureNotSupportedError('session-dependent expressions in CHECK constraints');
      return {
        kind: 'add_check',
        name,
        sql: e.sql,
        pg: expressionText(c.raw_expr!),
        columns: referencedColumns(c.raw_expr!, table.columns),
      };
    }
    case 'CONSTR_FOREIGN': {
      const columns = strings(c.fk_attrs);
      checkColumns(columns);
      const target = c.pktable!;
      const refd = an.st.catalog.relation(target.schemaname ?? null, target.relname!);
      if (refd?.kind !== 'table')
        throw new ChorusError('42P01', `relation "${target.relname}" does not exist`, {
          position: pos(st, target.location),
        });
      const body = foreignKey(an, c, columns);
      const refColumns = strings(c.pk_attrs).length > 0 ? strings(c.pk_attrs) : refd.primaryKey;
      return { kind: 'add_foreign', name, body, columns, refTable: refd.name, refColumns };
    }
    case 'CONSTR_EXCLUSION':
      throw new FeatureNotSupportedError('EXCLUDE constraints');
    default:
      throw new FeatureNotSupportedError(`ALTER TABLE ... ADD ${c.contype}`);
  }
}

function action(
  an: Analyzer,
  table: CatalogRelation,
  cmd: P.AlterTableCmd,
  constants: string[],
): AlterAction | null {
  switch (cmd.subtype) {
    case 'AT_AddColumn': {
      const sql = addColumnSql(an, table, cmd, constants);
      if (sql === null) return null;
      // Later actions of the statement see the new column (PostgreSQL adds columns first).
      const cd = nodeOf(cmd.def!)[1] as P.ColumnDef;
      const col = columnPlan(an, cd);
      table.columns.push({
        name: col.name,
        type: col.type,
        notNull: col.notNull,
        defaultSql: null,
        defaultPg: col.defaultPg,
        rowidKey: false,
        generated: false,
        attnum: table.columns.length + 1,
      });
      return { kind: 'add_column', sql, constants: [] };
    }
    case 'AT_DropColumn':
      return {
        kind: 'drop_column',
        column: cmd.name!,
        missingOk: cmd.missing_ok ?? false,
        cascade: cmd.behavior === 'DROP_CASCADE',
      };
    case 'AT_AlterColumnType':
      return setType(an, table, cmd);
    case 'AT_ColumnDefault':
      return setDefault(an, table, cmd);
    case 'AT_SetNotNull':
    case 'AT_DropNotNull': {
      const col = columnOf(table, cmd.name!);
      if (cmd.subtype === 'AT_DropNotNull' && table.primaryKey.includes(col.name))
        throw new ChorusError('42P16', `column "${col.name}" is in a primary key`);
      return { kind: 'set_not_null', column: col.name, notNull: cmd.subtype === 'AT_SetNotNull' };
    }
    case 'AT_AddConstraint':
      return addConstraint(an, table, nodeOf(cmd.def!)[1] as P.Constraint);
    case 'AT_DropConstraint':
      return {
        kind: 'drop_constraint',
        name: cmd.name!,
        missingOk: cmd.missing_ok ?? false,
        cascade: cmd.behavior === 'DROP_CASCADE',
      };
    default:
      throw new FeatureNotSupportedError(`ALTER TABLE ... ${(cmd.subtype ?? '').replace(/^AT_/, '')}`);
  }
}

/** PostgreSQL's passes (tablecmds.c): drops, then type changes, then added columns, then the rest. */
function pass(a: AlterAction): number {
  if (a.kind === 'drop_column' || a.kind === 'drop_constraint') return 0;
  if (a.kind === 'set_not_null' && !a.notNull) return 0;
  if (a.kind === 'set_type') return 1;
  if (a.kind === 'add_column') return 2;
  return 3;
}

export function alterTable(an: Analyzer, s: P.AlterTableStmt): DdlPlan {
  const rel = s.relation!;
  if (s.objtype && s.objtype !== 'OBJECT_TABLE')
    throw new FeatureNotSupportedError(`ALTER ${s.objtype.replace(/^OBJECT_/, '')}`);
  const found = tableOf(an, rel, s.missing_ok ?? false);
  if (!found) return plan(rel.relname!, { table: rel.relname!, missing: true, actions: [] });
  // A copy: ADD COLUMN actions add to it for the actions after them.
  const table: CatalogRelation = { ...found, columns: [...found.columns] };
  const constants: string[] = [];
  const actions: AlterAction[] = [];
  for (const n of s.cmds ?? []) {
    const before = constants.length;
    const a = action(an, table, nodeOf(n)[1] as P.AlterTableCmd, constants);
    if (a?.kind === 'add_column') a.constants = constants.slice(before);
    if (a) actions.push(a);
  }
  // Each ADD COLUMN numbers its constants from 0 in its own text.
  let k = 0;
  for (const a of actions) {
    if (a.kind !== 'add_column') continue;
    a.constants.forEach((_, i) => {
      a.sql = a.sql.replace(`\u0001${k + i}\u0001`, `\u0001${i}\u0001`);
    });
    k += a.constants.length;
  }
  const ordered = actions.map((a, i) => ({ a, i })).sort((x, y) => pass(x.a) - pass(y.a) || x.i - y.i);
  return plan(table.name, { table: table.name, missing: false, actions: ordered.map((x) => x.a) });
}

export function renameStatement(an: Analyzer, s: P.RenameStmt): DdlPlan {
  const rel = s.relation!;
  const table = tableOf(an, rel, s.missing_ok ?? false);
  if (!table) return plan(rel.relname!, { table: rel.relname!, missing: true, actions: [] });
  const to = s.newname!;
  let a: AlterAction;
  switch (s.renameType) {
    case 'OBJECT_TABLE':
      checkInternal(to, undefined);
      {
        // The table stays in its schema (a temporary table's name is its own: session/temp/).
        const schema = table.temporary ? null : (table.schema ?? publicSchema);
        if (an.st.catalog.relation(schema, to))
          throw new ChorusError('42P07', `relation "${to}" already exists`);
        a = { kind: 'rename_table', to: storageName(schema, to) };
      }
      break;
    case 'OBJECT_COLUMN': {
      // RENAME COLUMN names no relation in its error (other actions do).
      const col = table.columns.find((x) => x.name === s.subname);
      if (!col) throw new ChorusError('42703', `column "${s.subname}" does not exist`);
      if (table.columns.some((c) => c.name === to))
        throw new ChorusError(
          '42701',
          `column "${to}" of relation "${splitStorageName(table.name).name}" already exists`,
        );
      a = { kind: 'rename_column', from: col.name, to };
      break;
    }
    case 'OBJECT_TABCONSTRAINT':
      a = { kind: 'rename_constraint', from: s.subname!, to };
      break;
    default:
      throw new FeatureNotSupportedError(
        `ALTER ... RENAME of ${String(s.renameType).replace(/^OBJECT_/, '')}`,
      );
  }
  return plan(table.name, { table: table.name, missing: false, actions: [a] });
}
