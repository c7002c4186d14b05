// SELECT DISTINCT ON (exprs): the first row of each group of rows whose DISTINCT ON values are
// equal, first in ORDER BY order — PostgreSQL's rule, with its check that the DISTINCT ON
// expressions match the leading ORDER BY items (42P10). SQLite has no DISTINCT ON: the query's
// rows are numbered within each group by a window over the ORDER BY keys, and the first of each
// group kept. ORDER BY items that are not output columns ride along as hidden columns.

import type * as P from '@pgsql/types';
import { ChorusError } from '../../../errors.js';
import { nodeOf } from '../../parse/parser.js';
import type { Typed } from '../context.js';
import {
  groupKeySql,
  peerKeySql,
  requireEquality,
  requireOrdering,
  sortKeySql,
} from '../expr/comparison/keys.js';
import { type Analyzer, exprPos, type Level, pos, strings } from '../level.js';
import { direction } from './order.js';

interface Target {
  e: Typed;
  name: string;
}

/** An item of DISTINCT ON or ORDER BY: an output column or a hidden one, by what it computes. */
interface Item {
  identity: string;
  /** The value over the inner query's columns ("cN" / "hN"). */
  e: Typed;
  position: number | undefined;
}

/** The DISTINCT ON expressions of a SELECT (plain DISTINCT has none). */
export function distinctOnItems(s: P.SelectStmt): P.Node[] {
  return (s.distinctClause ?? []).filter((n) => Object.keys(n).length > 0);
}

/**
 * The whole SELECT for DISTINCT ON. `body`: the select list (as "c1".."cN") with FROM ... WINDOW;
 * `limit`: the LIMIT / OFFSET clause, applied to the kept rows.
 */
export function distinctOnSql(
  an: Analyzer,
  s: P.SelectStmt,
  sel: Level,
  targets: readonly Target[],
  distinctOn: readonly P.Node[],
  body: { list: string; rest: string },
  limit: string,
): string {
  const st = an.st;
  const hidden: string[] = [];
  const resolve = (n: P.Node): Item => {
    const [tag, b] = nodeOf(n);
    if (tag === 'A_Const' && (b as P.A_Const).ival !== undefined) {
      const k = (b as P.A_Const).ival!.ival ?? 0;
      if (k < 1 || k > targets.length) {
        throw new ChorusError('42P10', `SELECT DISTINCT ON position ${k} is not in select list`, {
          position: pos(st, (b as P.A_Const).location),
        });
      }
      return output(k - 1, pos(st, (b as P.A_Const).location));
    }
    if (tag === 'ColumnRef') {
      const fields = strings((b as P.ColumnRef).fields);
      const k = fields.length === 1 ? targets.findIndex((t) => t.name === fields[0]) : -1;
      if (k >= 0) return output(k, pos(st, (b as P.ColumnRef).location));
    }
    const e = an.expr(n, sel);
    const k = targets.findIndex((t) => t.e.sql === e.sql);
    if (k >= 0) return output(k, exprPos(st, n));
    hidden.push(`${e.sql} AS "h${hidden.length + 1}"`);
    return { identity: `e:${e.sql}`, e: { ...e, sql: `"h${hidden.length}"` }, position: exprPos(st, n) };
  };
  const output = (k: number, position: number | undefined): Item => ({
    identity: `o:${k}`,
    e: { ...targets[k]!.e, sql: `"c${k + 1}"` },
    position,
  });

  const keys = distinctOn.map(resolve);
  for (const k of keys) requireEquality(k.e.type, k.position);
  const sorts = (s.sortClause ?? []).map((n) => nodeOf(n)[1] as P.SortBy);
  const order = sorts.map((sb) => ({ item: resolve(sb.node!), sb }));
  // The DISTINCT ON expressions must be the leading ORDER BY items (in any order among themselves).
  if (order.length > 0) {
    const leading = new Set(order.slice(0, keys.length).map((o) => o.item.identity));
    const mismatch = keys.find((k) => !leading.has(k.identity));
    if (mismatch) {
      throw new ChorusError(
        '42P10',
        'SELECT DISTINCT ON expressions must match initial ORDER BY expressions',
        {
          position: mismatch.position,
        },
      );
    }
  }
  const orderSql = order
    .map(({ item, sb }, i) => {
      requireOrdering(item.e.type, item.position);
      const key = i === order.length - 1 ? sortKeySql(item.e) : peerKeySql(item.e);
      return `${key}${direction(sb)}`;
    })
    .join(', ');
  const inner = `SELECT ${[body.list, ...hidden].join(', ')}${body.rest}`;
  const partition = keys.map((k) => groupKeySql(k.e)).join(', ');
  const window = `row_number() OVER (PARTITION BY ${partition}${orderSql ? ` ORDER BY ${orderSql}` : ''})`;
  const cols = targets.map((_, i) => `"c${i + 1}"`).join(', ');
  return (
    `SELECT ${cols} FROM (SELECT *, ${window} AS "dn" FROM (${inner})) WHERE "dn" = 1` +
    `${orderSql ? ` ORDER BY ${orderSql}` : ''}${limit}`
  );
}
