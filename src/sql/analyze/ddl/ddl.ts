// CREATE TABLE as SQLite DDL over the storage formats, and the DDL plan every DDL analysis returns:
// columns (columns.ts) and constraints with PostgreSQL's names (t_pkey, t_col_key, t_col_check,
// t_col_fkey: constraints.ts, foreign-keys.ts), and the sequences of serial / identity columns.

import type * as P from '@pgsql/types';
import { ChorusError, FeatureNotSupportedError } from '../../../errors.js';
import { publicSchema, storageName } from '../../namespaces.js';
import { nodeOf } from '../../parse/parser.js';
import { isIntegerType, ref, T, type TypeRef } from '../../types/pg-types.js';
import { type BindSource, bindMarker } from '../context.js';
import { coerce } from '../expr/coercion/coerce.js';
import { type Analyzer, pos, strings } from '../level.js';
import { checkInternal, quoteId, Scope } from '../scope.js';
import type { AlterPlan } from './alter-plan.js';
import { type ColumnPlan, columnPlan, columnSql, expressionText } from './columns.js';
import { constraintName, keyColumnType, referencedColumns } from './constraints.js';
import {
  foreignKey,
  refuseDeferrableKey,
  type SelfReference,
  withConstraintAttributes,
} from './foreign-keys.js';
import { sequenceNameOption } from './identity-options.js';
import { creationTarget } from './names.js';
import { defaultComment } from './stored-text.js';

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
  /** ALTER TABLE / RENAME the session runs itself (session/ddl/alter.ts); `sql` is then empty. */
  alter?: AlterPlan;
  /** Sequences of serial / identity columns, created with the table (session/ddl/sequence-ddl.ts). */
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
      for (const c of withConstraintAttributes(an, cd.constraints))
        columnConstraints.push({ col: col.name, c });
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
        refuseDeferrableKey(an, c);
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
        refuseDeferrableKey(an, c);
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

function duplicateName(constraints: readonly string[]): string | null {
  const seen = new Set<string>();
  for (const c of constraints) {
    const name = /^CONSTRAINT "((?:[^"]|"")*)"/.exec(c)?.[1]?.replaceAll('""', '"') ?? '';
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return null;
}
