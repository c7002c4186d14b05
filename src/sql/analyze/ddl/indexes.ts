// CREATE INDEX: columns and expressions (translated like any expression, so the planner's SQL
// matches them), partial indexes, PostgreSQL's default index names (t_col_idx). B-tree is the
// only method; INCLUDE columns and CONCURRENTLY change nothing a client can see and are accepted.

import type * as P from '@pgsql/types';
import { ChorusError, FeatureNotSupportedError, UndefinedTableError } from '../../../errors.js';
import { storageName } from '../../namespaces.js';
import { nodeOf } from '../../parse/parser.js';
import { ref, T } from '../../types/pg-types.js';
import { bindMarker } from '../context.js';
import { coerce } from '../expr/coercion/coerce.js';
import { type Analyzer, pos, strings } from '../level.js';
import { checkInternal, quoteId, Scope } from '../scope.js';
import { expressionText } from './columns.js';
import { constraintName, keyColumnType } from './constraints.js';
import type { DdlPlan } from './ddl.js';
import { indexExprComment } from './stored-text.js';

export function createIndex(an: Analyzer, s: P.IndexStmt): DdlPlan {
  const st = an.st;
  const r = s.relation!;
  const position = pos(st, r.location);
  checkInternal(r.relname!, position);
  const rel = st.catalog.relation(r.schemaname ?? null, r.relname!);
  if (!rel) throw new UndefinedTableError(r.relname!, { position });
  if (rel.kind !== 'table') throw new ChorusError('42809', `"${rel.name}" is not a table`, { position });
  const method = s.accessMethod ?? 'btree';
  if (method !== 'btree' && method !== 'hash')
    throw new FeatureNotSupportedError(`index access method "${method}"`);
  if (s.nulls_not_distinct) throw new FeatureNotSupportedError('NULLS NOT DISTINCT');
  const scope = new Scope(null);
  scope.add({
    alias: rel.name,
    visible: true,
    relation: rel,
    columns: rel.columns.map((c) => ({ name: c.name, type: c.type ?? ref(T.text), sql: quoteId(c.name) })),
  });
  const lv = an.level(scope, 'index expressions');
  const nameParts: string[] = [];
  const keys = (s.indexParams ?? []).map((n) => {
    const ie = nodeOf(n)[1] as P.IndexElem;
    let sql: string;
    if (ie.name) {
      if (!rel.columns.some((c) => c.name === ie.name)) {
        throw new ChorusError('42703', `column "${ie.name}" does not exist`, { position });
      }
      sql = quoteId(ie.name);
      nameParts.push(ie.name);
      const t = rel.columns.find((c) => c.name === ie.name)!.type;
      if (s.unique && t) keyColumnType(ie.name, t, position);
    } else {
      const e = an.expr(ie.expr!, lv);
      if (e.sql.includes(bindMarker))
        throw new FeatureNotSupportedError('session-dependent expressions in an index');
      if (s.unique) keyColumnType(e.colname ?? 'expression', { type: e.type, typmod: e.typmod }, position);
      // PostgreSQL's text and the result type ride along for the catalog (pg_index, pg_get_indexdef).
      sql = `(${e.sql} ${indexExprComment(e.type.oid, expressionText(ie.expr!))})`;
      nameParts.push(e.colname && e.colname !== '?column?' ? e.colname : 'expr');
    }
    if (ie.ordering === 'SORTBY_DESC') sql += ' DESC';
    if (ie.nulls_ordering && ie.nulls_ordering !== 'SORTBY_NULLS_DEFAULT') {
      throw new FeatureNotSupportedError('NULLS FIRST / LAST in an index definition');
    }
    if (ie.opclass && ie.opclass.length > 0) {
      const oc = strings(ie.opclass).pop()!;
      if (!/_pattern_ops$|_ops$/.test(oc)) throw new FeatureNotSupportedError(`operator class "${oc}"`);
    }
    return sql;
  });
  let where = '';
  if (s.whereClause) {
    const w = coerce(
      st,
      an.expr(s.whereClause, an.level(scope, 'index predicates')),
      ref(T.bool),
      'implicit',
    );
    if (w.sql.includes(bindMarker))
      throw new FeatureNotSupportedError('session-dependent expressions in an index');
    where = ` WHERE ${w.sql}`;
  }
  const pgName = rel.schema ? rel.name.slice(rel.schema.length + 1) : rel.name;
  const name = s.idxname ?? constraintName(pgName, nameParts, 'idx', new Set());
  // An index lives in its table's schema.
  const stored = storageName(rel.schema ?? null, name);
  const sql = `CREATE ${s.unique ? 'UNIQUE ' : ''}INDEX ${s.if_not_exists ? 'IF NOT EXISTS ' : ''}${quoteId(stored)} ON ${quoteId(rel.name)} (${keys.join(', ')})${where}`;
  const plan: DdlPlan = { sql, table: rel.name, unlogged: false, ifNotExists: s.if_not_exists ?? false };
  return rel.temporary ? { ...plan, temporary: true } : plan;
}
