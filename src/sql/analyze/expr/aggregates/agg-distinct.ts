// DISTINCT aggregates by PostgreSQL's rules: the rows are distinct by the arguments' equality
// (1.5 = 1.50, '1 day' = '24 hours', 'a' = 'a  ', jsonb 1 = 1.0) and reach the aggregate in the
// arguments' order (or the call's ORDER BY, whose items must be arguments): string_agg(DISTINCT x,
// ',') lists x sorted. SQLite's own DISTINCT serves where neither matters (one canonical argument,
// an aggregate insensitive to order); elsewhere the runtime's `<aggregate>_distinct` form
// (runtime/aggregate-functions.ts) receives each argument's key and sorts and dedupes them.

import type * as P from '@pgsql/types';
import { ChorusError, FeatureNotSupportedError } from '../../../../errors.js';
import { nodeOf } from '../../../parse/parser.js';
import type { Typed } from '../../context.js';
import { type Level, pos } from '../../level.js';
import { needsGroupKey, peerKeySql, requireEquality } from '../comparison/keys.js';

/** Aggregates whose result does not depend on the order of their input (exact arithmetic). */
const orderInsensitive = new Set([
  'count',
  'sum',
  'min',
  'max',
  'total',
  'pg_int8_sum',
  'pg_int_avg',
  'pg_int_var_samp',
  'pg_int_var_pop',
  'pg_int_stddev_samp',
  'pg_int_stddev_pop',
  'pg_numeric_sum',
  'pg_numeric_avg',
  'pg_numeric_var_samp',
  'pg_numeric_var_pop',
  'pg_numeric_stddev_samp',
  'pg_numeric_stddev_pop',
  'pg_bit_and',
  'pg_bit_or',
]);

/** Runtime aggregates standing for SQLite built-ins in their DISTINCT form. */
const runtimeName: Record<string, string> = { group_concat: 'pg_string_agg' };

function fingerprint(n: P.Node): string {
  return JSON.stringify(n, (k, v) => (k === 'location' ? undefined : v));
}

/** Direction letter of an aggregate's ORDER BY item (see runtime/aggregate-functions.ts). */
function directionCode(s: P.SortBy): string {
  if (s.sortby_dir === 'SORTBY_USING') throw new FeatureNotSupportedError('ORDER BY ... USING');
  const desc = s.sortby_dir === 'SORTBY_DESC';
  const nullsFirst =
    s.sortby_nulls === 'SORTBY_NULLS_DEFAULT' || s.sortby_nulls === undefined
      ? desc
      : s.sortby_nulls === 'SORTBY_NULLS_FIRST';
  return desc ? (nullsFirst ? 'd' : 'D') : nullsFirst ? 'A' : 'a';
}

/**
 * An aggregate call with DISTINCT. `sql` is the call as filled from its template, `args` the
 * arguments as the user wrote them (coerced to the signature), `orderSql` the ORDER BY list for
 * SQLite's form. Returns the call without FILTER.
 */
export function distinctAggregateSql(
  sql: string,
  fc: P.FuncCall,
  args: readonly Typed[],
  lv: Level,
  orderSql: () => string,
): string {
  const st = lv.host.st;
  const position = pos(st, fc.location);
  if (fc.over) throw new FeatureNotSupportedError('DISTINCT for window functions', { position });
  for (const a of args) requireEquality(a.type, position);
  const m = /^([a-z_0-9]+)\(([\s\S]*)\)$/.exec(sql);
  if (!m) throw new FeatureNotSupportedError(`DISTINCT in ${sql}`, { position });
  const fname = m[1]!;
  const inner = m[2]!;
  // Which argument each ORDER BY item is (PostgreSQL: 42P10 when it is none of them).
  const argPrints = (fc.args ?? []).map(fingerprint);
  const order: { index: number; dir: string }[] = [];
  for (const n of fc.agg_order ?? []) {
    const s = nodeOf(n)[1] as P.SortBy;
    const i = argPrints.indexOf(fingerprint(s.node!));
    if (i < 0) {
      throw new ChorusError(
        '42P10',
        'in an aggregate with DISTINCT, ORDER BY expressions must appear in argument list',
        { position: pos(st, s.location) },
      );
    }
    if (!order.some((o) => o.index === i)) order.push({ index: i, dir: directionCode(s) });
  }
  const single = args.length === 1 && inner === args[0]!.sql;
  if (fname === 'count' || (single && orderInsensitive.has(fname) && !needsGroupKey(args[0]!))) {
    const ordered = (fc.agg_order?.length ?? 0) > 0 ? ` ORDER BY ${orderSql()}` : '';
    return `${fname}(DISTINCT ${inner}${ordered})`;
  }
  for (let i = 0; i < args.length; i++) {
    if (!order.some((o) => o.index === i)) order.push({ index: i, dir: 'a' });
  }
  const keys = order.map((o) => peerKeySql(args[o.index]!));
  const dirs = order.map((o) => o.dir).join('');
  return `${runtimeName[fname] ?? fname}_distinct('${dirs}', ${keys.join(', ')}, ${inner})`;
}

/** Runtime aggregates with a separate window form (they keep the frame's values). */
const windowForm = new Set([
  'pg_min',
  'pg_max',
  'pg_float_sum',
  'pg_float_avg',
  'pg_float_stat',
  'pg_bit_and',
  'pg_bit_or',
  'pg_json_agg',
  'pg_string_agg',
  'pg_regr',
  'pg_regr_count',
  'pg_array_agg',
]);

/** An aggregate call used as a window function: its window form where it has one. */
export function windowAggregateSql(sql: string): string {
  const m = /^([a-z_0-9]+)\(/.exec(sql);
  return m && windowForm.has(m[1]!) ? `${m[1]}_w${sql.slice(m[1]!.length)}` : sql;
}
