// Array expressions: ARRAY[...] constructors, ARRAY(SELECT ...), subscripts and slices (a[1],
// a[1:2]), and `x op ANY / ALL (array)` with PostgreSQL's NULL semantics, over the array storage
// form (a JSON array of element storage values; SQLite's json_each lists the elements).

import type * as P from '@pgsql/types';
import { ChorusError, FeatureNotSupportedError } from '../../../errors.js';
import { nodeOf } from '../../parse/parser.js';
import { elementSql, encodeArray } from '../../types/array/array-storage.js';
import { runtimeType } from '../../types/enum.js';
import { arrayTypeOf, formatType, ref, T, type TypeRef } from '../../types/pg-types.js';
import { type StorageValue, sqlLiteral } from '../../types/values.js';
import { type Typed, typed } from '../context.js';
import { type Level, merge, pos, strings } from '../level.js';
import { coerce, commonType } from './coercion/coerce.js';
import { nativeEquality } from './comparison/keys.js';
import { applyOperator, resolveOperator } from './operators/operators.js';

type Walk = (n: P.Node, lv: Level) => Typed;

/** ARRAY[a, b, ...]; `target` is the array type of an enclosing cast (ARRAY[]::int[]). */
export function arrayConstructor(a: P.A_ArrayExpr, lv: Level, walk: Walk, target?: TypeRef): Typed {
  const st = lv.host.st;
  const position = pos(st, a.location);
  const nodes = a.elements ?? [];
  if (nodes.some((n) => nodeOf(n)[0] === 'A_ArrayExpr')) {
    throw new FeatureNotSupportedError('a multidimensional array', {
      hint: 'ChorusDB supports one-dimensional arrays with lower bound 1.',
      position,
    });
  }
  const elems = nodes.map((n) => walk(n, lv));
  let elem: TypeRef;
  if (target?.type.elem) elem = { type: target.type.elem, typmod: -1 };
  else if (elems.length === 0) {
    throw new ChorusError('42P18', 'cannot determine type of empty array', {
      hint: 'Explicitly cast to the desired type, for example ARRAY[]::integer[].',
      position,
    });
  } else elem = commonType(elems, 'ARRAY', position);
  const arrayType = arrayTypeOf(elem.type);
  if (!arrayType)
    throw new FeatureNotSupportedError(`an array of type ${formatType(elem.type)}`, { position });
  const cs = elems.map((e) => coerce(st, e, elem, target ? 'explicit' : 'implicit', position));
  const out = ref(arrayType, elem.typmod);
  if (cs.every((c) => c.constant !== undefined)) {
    const v = encodeArray(
      cs.map((c) => c.constant as StorageValue),
      elem.type,
    );
    return merge(typed(sqlLiteral(v), out.type, out.typmod, { constant: v, colname: 'array' }), ...elems);
  }
  const sql = `pg_array(${runtimeType(elem.type).oid}${cs.map((c) => `, ${c.sql}`).join('')})`;
  return merge(typed(sql, out.type, out.typmod, { colname: 'array' }), ...elems);
}

/** ARRAY(SELECT ...): the subquery's single column as an array ('{}' when it has no rows). */
export function arraySubquery(
  sub: { sql: string; columns: { name: string; type: TypeRef }[] },
  position?: number,
): Typed {
  if (sub.columns.length !== 1) {
    throw new ChorusError('42601', 'subquery must return only one column', { position });
  }
  const c = sub.columns[0]!.type;
  const arrayType = arrayTypeOf(c.type);
  if (!arrayType) {
    throw new FeatureNotSupportedError(`an array of type ${formatType(c.type)}`, { position });
  }
  return typed(
    `(SELECT coalesce(pg_array_agg("c1", ${runtimeType(c.type).oid}), '[]') FROM (${sub.sql}))`,
    arrayType,
    c.typmod,
    { colname: 'array' },
  );
}

/** a[i], a[lo:hi] (one subscript: arrays here have one dimension). */
export function indirection(ind: P.A_Indirection, lv: Level, walk: Walk): Typed {
  const st = lv.host.st;
  const base = walk(ind.arg!, lv);
  const subs = ind.indirection ?? [];
  const [tag, body] = nodeOf(subs[0]!);
  const position = base.location ?? pos(st, (body as { location?: number }).location);
  if (tag !== 'A_Indices') {
    throw new FeatureNotSupportedError('field selection from composite values', { position });
  }
  if (!base.type.elem) {
    throw new ChorusError(
      '42804',
      `cannot subscript type ${formatType(base.type)} because it does not support subscripting`,
      { position },
    );
  }
  if (subs.length > 1) {
    throw new FeatureNotSupportedError('several subscripts (multidimensional arrays)', { position });
  }
  const idx = body as P.A_Indices;
  const sub = (n: P.Node | undefined, dflt: string): Typed =>
    n ? coerce(st, walk(n, lv), ref(T.int4), 'implicit', position) : typed(dflt, T.int4);
  const elem = base.type.elem;
  if (idx.is_slice) {
    const lo = sub(idx.lidx, '1');
    const hi = sub(idx.uidx, '2147483647');
    const sql = `pg_array_slice(${base.sql}, ${lo.sql}, ${hi.sql}, ${runtimeType(elem).oid})`;
    return merge(typed(sql, base.type, base.typmod, { colname: base.colname }), base, lo, hi);
  }
  const i = sub(idx.uidx, '1');
  const sql = `pg_array_get(${base.sql}, ${i.sql}, ${runtimeType(elem).oid})`;
  return merge(typed(sql, elem, base.typmod, { colname: base.colname }), base, i);
}

/** `x op ANY (array)` / `x op ALL (array)`. */
export function anyAllArray(a: P.A_Expr, lv: Level, walk: Walk): Typed {
  const st = lv.host.st;
  const position = pos(st, a.location);
  const names = strings(a.name);
  const op = names[names.length - 1]!;
  const isAny = a.kind === 'AEXPR_OP_ANY';
  const x = walk(a.lexpr!, lv);
  let arr = walk(a.rexpr!, lv);
  const alias = st.uniqueAlias();
  const value = (t: TypeRef): Typed => typed(elementSql(t.type, `"${alias}"."value"`), t.type, t.typmod);
  let elemRef: TypeRef;
  if (arr.type === T.unknown) {
    // PostgreSQL: the operator is resolved with the untyped right input, which becomes an array
    // of the operator's right argument type.
    const { r } = resolveOperator(st, op, x, typed('NULL', T.unknown), position);
    const arrayType = arrayTypeOf(r.type);
    if (!arrayType)
      throw new FeatureNotSupportedError(`an array of type ${formatType(r.type)}`, { position });
    arr = coerce(st, arr, ref(arrayType), 'implicit', position);
    elemRef = ref(r.type);
  } else if (arr.type.elem) elemRef = { type: arr.type.elem, typmod: arr.typmod };
  else {
    throw new ChorusError('42809', `op ANY/ALL (array) requires array on right side`, { position });
  }
  const { l, r } = resolveOperator(st, op, x, value(elemRef), position);
  const src = `json_each(coalesce(${arr.sql}, '[null]')) AS "${alias}"`;
  if (((isAny && op === '=') || (!isAny && op === '<>')) && nativeEquality(l!, r)) {
    // IN / NOT IN have ANY's / ALL's NULL semantics exactly; '[null]' makes a NULL array NULL.
    const sql = `(${l!.sql} ${isAny ? 'IN' : 'NOT IN'} (SELECT ${r.sql} FROM ${src}))`;
    return merge(typed(sql, T.bool), x, arr);
  }
  const cmp = applyOperator(st, op, x, value(elemRef), position).sql;
  const from = `FROM ${src}`;
  const sql = isAny
    ? `CASE WHEN EXISTS (SELECT 1 ${from} WHERE ${cmp}) THEN 1 WHEN EXISTS (SELECT 1 ${from} WHERE (${cmp}) IS NULL) THEN NULL ELSE 0 END`
    : `CASE WHEN EXISTS (SELECT 1 ${from} WHERE NOT ${cmp}) THEN 0 WHEN EXISTS (SELECT 1 ${from} WHERE (${cmp}) IS NULL) THEN NULL ELSE 1 END`;
  return merge(typed(`(${sql})`, T.bool), x, arr);
}
