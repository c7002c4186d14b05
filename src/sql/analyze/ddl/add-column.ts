// ALTER TABLE ... ADD COLUMN as SQLite DDL: the column declared as CREATE TABLE declares it, with a
// constant default evaluated when the statement runs (SQLite adds a column only with a constant).

import type * as P from '@pgsql/types';
import { ChorusError, FeatureNotSupportedError } from '../../../errors.js';
import { publicSchema } from '../../namespaces.js';
import { nodeOf } from '../../parse/parser.js';
import type { CatalogRelation } from '../context.js';
import { type Analyzer, pos } from '../level.js';
import { checkInternal, quoteId } from '../scope.js';
import { columnPlan, columnSql, defaultSql } from './columns.js';
import { constantMarker, type DdlPlan } from './ddl.js';
import { withConstraintAttributes } from './foreign-keys.js';

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
  for (const c of withConstraintAttributes(an, cd.constraints)) {
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
