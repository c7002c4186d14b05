// Views. PostgreSQL expands a view where it is named (its rewriter); so does the front end: the
// view's query is kept as PostgreSQL text (with its column names and types) in a comment of the
// SQLite view, and analyzed as a subquery of the statement that names it — so now() and the
// session's TimeZone in a view mean what they mean in PostgreSQL. The SQLite view itself holds
// the translated query with session values as NULL (it exists so the schema lists the view).

import type * as P from '@pgsql/types';
import { deparseSync } from 'pgsql-deparser';
import { ChorusError, FeatureNotSupportedError } from '../../../errors.js';
import { nodeOf } from '../../parse/parser.js';
import { bindMarker } from '../context.js';
import { type Analyzer, pos, strings } from '../level.js';
import { selectStmt } from '../query/select.js';
import { checkInternal, quoteId, Scope } from '../scope.js';
import type { DdlPlan } from './ddl.js';
import { creationTarget } from './names.js';
import { viewMetaPrefix, viewMetaSuffix } from './stored-text.js';

export function createView(an: Analyzer, v: P.ViewStmt): DdlPlan {
  const st = an.st;
  const rel = v.view!;
  const position = pos(st, rel.location);
  checkInternal(rel.relname!, position);
  if (v.withCheckOption && v.withCheckOption !== 'NO_CHECK_OPTION')
    throw new FeatureNotSupportedError('WITH CHECK OPTION');
  const [tag, body] = nodeOf(v.query!);
  if (tag !== 'SelectStmt') throw new FeatureNotSupportedError(`a view over ${tag}`);
  const r = selectStmt(an, body as P.SelectStmt, new Scope(null));
  const aliases = strings(v.aliases);
  if (aliases.length > r.columns.length) {
    throw new ChorusError('42601', 'CREATE VIEW specifies more column names than columns');
  }
  const columns = r.columns.map((c, i) => ({
    name: aliases[i] ?? c.name,
    oid: c.type.type.oid,
    typmod: c.type.typmod,
  }));
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c.name)) throw new ChorusError('42701', `column "${c.name}" specified more than once`);
    seen.add(c.name);
  }
  const definition = deparseSync(v.query!, { pretty: false });
  const meta = JSON.stringify({ columns, definition }).replaceAll('*/', '*\\/');
  // Session values cannot live in a stored view: the SQLite copy has NULL there (see above).
  const stored = r.sql
    .split(bindMarker)
    .filter((_, i) => i % 2 === 0)
    .join('NULL');
  // A view over a temporary relation is temporary itself (PostgreSQL says so with a NOTICE).
  const overTemp = st.usesTemp && rel.relpersistence !== 't';
  if (overTemp && rel.schemaname && rel.schemaname !== 'pg_temp')
    throw new FeatureNotSupportedError('a view in a permanent schema over a temporary relation');
  const target = creationTarget(
    st.catalog,
    rel.schemaname,
    rel.relname!,
    position,
    rel.relpersistence === 't' || st.usesTemp,
  );
  const name = quoteId(target.stored);
  const create = `CREATE ${target.temporary ? 'TEMP ' : ''}VIEW ${name} AS ${viewMetaPrefix}${meta}${viewMetaSuffix} ${stored}`;
  const sql = v.replace ? `DROP VIEW IF EXISTS ${target.temporary ? 'temp.' : ''}${name}; ${create}` : create;
  const plan: DdlPlan = { sql, table: target.stored, unlogged: false, ifNotExists: false };
  if (!target.temporary) return plan;
  return {
    ...plan,
    temporary: true,
    ...(overTemp ? { notice: `view "${rel.relname}" will be a temporary view` } : {}),
  };
}
