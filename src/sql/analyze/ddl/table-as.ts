// CREATE [TEMP] TABLE ... AS SELECT and SELECT ... INTO: a table whose columns are the query's
// output columns (names and types, no constraints), then filled by an INSERT of the query's rows
// that the session runs right after the CREATE (DdlPlan.populate).

import type * as P from '@pgsql/types';
import { ChorusError, FeatureNotSupportedError } from '../../../errors.js';
import { nodeOf } from '../../parse/parser.js';
import { declaredType, isStorable } from '../../types/declared-types.js';
import type { Analyzer } from '../level.js';
import { pos, strings } from '../level.js';
import { selectStmt } from '../query/select.js';
import { checkInternal, quoteId, Scope } from '../scope.js';
import { type DdlPlan, onCommitAction } from './ddl.js';
import { creationTarget } from './names.js';

export function createTableAs(an: Analyzer, s: P.CreateTableAsStmt): DdlPlan {
  if (s.objtype === 'OBJECT_MATVIEW') throw new FeatureNotSupportedError('CREATE MATERIALIZED VIEW');
  const [tag, body] = nodeOf(s.query!);
  if (tag !== 'SelectStmt') throw new FeatureNotSupportedError('CREATE TABLE ... AS EXECUTE');
  return tableAs(an, s.into!, body as P.SelectStmt, s.if_not_exists ?? false);
}

/** SELECT ... INTO t: CREATE TABLE t AS SELECT ... (PostgreSQL's own rewrite). */
export function selectInto(an: Analyzer, s: P.SelectStmt): DdlPlan {
  return tableAs(an, s.intoClause!, { ...s, intoClause: undefined }, false);
}

function tableAs(an: Analyzer, into: P.IntoClause, query: P.SelectStmt, ifNotExists: boolean): DdlPlan {
  const st = an.st;
  const rel = into.rel!;
  const position = pos(st, rel.location);
  checkInternal(rel.relname!, position);
  const target = creationTarget(
    st.catalog,
    rel.schemaname,
    rel.relname!,
    position,
    rel.relpersistence === 't',
  );
  const onCommit = onCommitAction(into.onCommit, target.temporary);
  if (into.accessMethod) throw new FeatureNotSupportedError('CREATE TABLE ... USING');
  const r = selectStmt(an, query, new Scope(null));
  const names = strings(into.colNames);
  if (names.length > r.columns.length) throw new ChorusError('42601', 'too many column names were specified');
  const columns = r.columns.map((c, i) => ({ name: names[i] ?? c.name, type: c.type }));
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c.name)) throw new ChorusError('42701', `column "${c.name}" specified more than once`);
    seen.add(c.name);
    if (!isStorable(c.type.type))
      throw new FeatureNotSupportedError(`columns of type ${c.type.type.name}`, { position });
  }
  const name = quoteId(target.stored);
  const defs = columns.map((c) => `${quoteId(c.name)} ${declaredType(c.type)}`).join(', ');
  const sql = `CREATE ${target.temporary ? 'TEMP ' : ''}TABLE ${ifNotExists ? 'IF NOT EXISTS ' : ''}${name} (${defs})`;
  const plan: DdlPlan = {
    sql,
    table: target.stored,
    unlogged: rel.relpersistence === 'u',
    ifNotExists,
    tableAs: true,
  };
  if (target.temporary) Object.assign(plan, { temporary: true, onCommit, unlogged: false });
  if (into.skipData) return plan;
  const insert = st.finishSql(
    `INSERT INTO ${name} (${columns.map((c) => quoteId(c.name)).join(', ')}) ${r.sql}`,
  );
  if (insert.bind.some((b) => b.kind === 'param'))
    throw new FeatureNotSupportedError('parameters in CREATE TABLE ... AS', {
      hint: 'Create the table, then INSERT INTO ... SELECT with the parameters.',
    });
  plan.populate = { sql: insert.sql, bind: insert.bind, paramTypes: [] };
  return plan;
}
