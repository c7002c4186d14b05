// Subqueries in expressions: EXISTS, scalar subqueries, `x IN (SELECT ...)` and `x op ANY / ALL
// (SELECT ...)` with PostgreSQL's NULL semantics (ANY is NULL when nothing matched but a
// comparison was NULL; ALL likewise).

import type * as P from '@pgsql/types';
import { ChorusError, FeatureNotSupportedError } from '../../../errors.js';
import { T } from '../../types/pg-types.js';
import { type Typed, typed } from '../context.js';
import { type Level, merge, pos, strings } from '../level.js';
import { arraySubquery } from './arrays.js';
import { nativeEquality } from './comparison/keys.js';
import { binary } from './expr-operators.js';
import { resolveOperator } from './operators/operators.js';

type Walk = (n: P.Node, lv: Level) => Typed;

export function subLink(s: P.SubLink, lv: Level, walk: Walk): Typed {
  const st = lv.host.st;
  const position = pos(st, s.location);
  const sub = lv.host.subquery(s.subselect!, lv.scope);
  switch (s.subLinkType) {
    case 'EXISTS_SUBLINK':
      return typed(`EXISTS (${sub.sql})`, T.bool, -1, { colname: 'exists' });
    case 'EXPR_SUBLINK': {
      if (sub.columns.length !== 1) {
        throw new ChorusError('42601', 'subquery must return only one column', { position });
      }
      const c = sub.columns[0]!;
      // PostgreSQL refuses a second row (21000) where SQLite would take the first.
      return typed(
        `(SELECT pg_scalar_subquery("c1") FROM (SELECT "c1" FROM (${sub.sql}) LIMIT 2))`,
        c.type.type,
        c.type.typmod,
        { colname: c.name },
      );
    }
    case 'ANY_SUBLINK':
    case 'ALL_SUBLINK': {
      if (sub.columns.length !== 1) {
        throw new FeatureNotSupportedError('row comparisons with a subquery', { position });
      }
      const op = s.operName ? strings(s.operName).pop()! : '=';
      const x = walk(s.testexpr!, lv);
      const c = sub.columns[0]!;
      const alias = st.uniqueAlias();
      const colRef = typed(`"${alias}"."c1"`, c.type.type, c.type.typmod);
      if (s.subLinkType === 'ANY_SUBLINK' && op === '=') {
        const { l, r } = resolveOperator(st, '=', x, colRef, position);
        if (nativeEquality(l!, r)) {
          // Plain equality: IN has ANY's semantics exactly (NULL when nothing matched and a NULL was seen).
          const inner = r.sql.replaceAll(`"${alias}".`, '');
          return merge(typed(`(${l!.sql} IN (SELECT ${inner} FROM (${sub.sql})))`, T.bool), x);
        }
      }
      const cmp = binary(lv, op, x, colRef, s.location);
      const from = `FROM (${sub.sql}) AS "${alias}"`;
      const sql =
        s.subLinkType === 'ANY_SUBLINK'
          ? `CASE WHEN EXISTS (SELECT 1 ${from} WHERE ${cmp.sql}) THEN 1 WHEN EXISTS (SELECT 1 ${from} WHERE (${cmp.sql}) IS NULL) THEN NULL ELSE 0 END`
          : `CASE WHEN EXISTS (SELECT 1 ${from} WHERE NOT ${cmp.sql}) THEN 0 WHEN EXISTS (SELECT 1 ${from} WHERE (${cmp.sql}) IS NULL) THEN NULL ELSE 1 END`;
      return merge(typed(`(${sql})`, T.bool), x);
    }
    case 'ARRAY_SUBLINK':
      return arraySubquery(sub, position);
    default:
      throw new FeatureNotSupportedError(`${s.subLinkType?.replace('_SUBLINK', '')} subqueries`, {
        position,
      });
  }
}
