// Operators over arrays (PostgreSQL's anyarray / anycompatiblearray operators): comparisons element
// by element, @> <@ && (containment and overlap), || (concatenation, append, prepend); and the
// element type of a call with anyarray / anyelement arguments.
// The element types of both sides are resolved to a common type, as PostgreSQL's anycompatible does;
// an untyped literal or parameter beside an array is an array of that type.

import { ChorusError } from '../../../../errors.js';
import { runtimeType } from '../../../types/enum.js';
import { arrayTypeOf, type PgType, ref, T, type TypeRef } from '../../../types/pg-types.js';
import { type AnalyzeState, type Typed, typed } from '../../context.js';
import { coerce, commonType } from '../coercion/coerce.js';
import { anyArray, anyElement, anyNonArray } from '../coercion/resolve.js';
import { compareSql } from '../comparison/compare.js';

const comparisons = new Set(['=', '<>', '<', '<=', '>', '>=']);
const setOps: Record<string, string> = {
  '@>': 'array_contains',
  '<@': 'array_contained',
  '&&': 'array_overlap',
};

export interface ArrayOperator {
  code: string;
  result: PgType;
  l: Typed;
  r: Typed;
}

function elemOf(e: Typed): Typed {
  return typed('', e.type.elem ?? e.type, e.typmod);
}

/** The common element type of the given values (arrays give their elements), or null when none. */
function commonElem(items: readonly Typed[]): { type: PgType; typmod: number } | null {
  try {
    const t = commonType(items.map(elemOf), 'ARRAY');
    return arrayTypeOf(t.type) ? t : null;
  } catch (e) {
    if (e instanceof ChorusError && e.sqlstate === '42804') return null;
    throw e;
  }
}

/** `left name right` where one side is an array; null when no array operator applies. */
export function resolveArrayOperator(
  st: AnalyzeState,
  name: string,
  left: Typed,
  right: Typed,
  position?: number,
): ArrayOperator | null {
  const la = left.type.elem !== undefined;
  const ra = right.type.elem !== undefined;
  const lu = left.type === T.unknown;
  const ru = right.type === T.unknown;
  const toArray = (e: Typed, elem: { type: PgType; typmod: number }): Typed =>
    coerce(
      st,
      e,
      { type: arrayTypeOf(elem.type)!, typmod: e.type.elem ? elem.typmod : -1 },
      'implicit',
      position,
    );
  const toElem = (e: Typed, elem: { type: PgType; typmod: number }): Typed =>
    coerce(st, e, { type: elem.type, typmod: -1 }, 'implicit', position);
  if (comparisons.has(name) || setOps[name]) {
    // anyarray op anyarray: both sides of one array type (PostgreSQL has no cross-type ones).
    if (!((la || lu) && (ra || ru))) return null;
    if (la && ra && left.type !== right.type) return null;
    const elem = commonElem([left, right].filter((e) => e.type !== T.unknown));
    if (!elem) return null;
    return {
      code: comparisons.has(name) ? 'array_cmp' : setOps[name]!,
      result: T.bool,
      l: toArray(left, elem),
      r: toArray(right, elem),
    };
  }
  if (name !== '||') return null;
  if ((la && (ra || ru)) || (lu && ra)) {
    const elem = commonElem([left, right].filter((e) => e.type !== T.unknown));
    if (!elem) return null;
    const a = arrayTypeOf(elem.type)!;
    return { code: 'array_cat', result: a, l: toArray(left, elem), r: toArray(right, elem) };
  }
  if (la) {
    const elem = commonElem([left, right].filter((e) => e.type !== T.unknown));
    if (!elem) return null;
    return {
      code: 'array_append',
      result: arrayTypeOf(elem.type)!,
      l: toArray(left, elem),
      r: toElem(right, elem),
    };
  }
  if (ra) {
    const elem = commonElem([left, right].filter((e) => e.type !== T.unknown));
    if (!elem) return null;
    return {
      code: 'array_prepend',
      result: arrayTypeOf(elem.type)!,
      l: toElem(left, elem),
      r: toArray(right, elem),
    };
  }
  return null;
}

/** SQL of a resolved array operator (`name` is the operator as written, for comparisons). */
export function emitArrayOperator(st: AnalyzeState, name: string, code: string, l: Typed, r: Typed): string {
  const elem = (code === 'array_prepend' ? r : l).type.elem!;
  switch (code) {
    case 'array_cmp':
      return compareSql(st, l, name, r);
    case 'array_contains':
      return `pg_array_contains(${l.sql}, ${r.sql}, ${runtimeType(elem).oid})`;
    case 'array_contained':
      return `pg_array_contains(${r.sql}, ${l.sql}, ${runtimeType(elem).oid})`;
    case 'array_overlap':
      return `pg_array_overlap(${l.sql}, ${r.sql}, ${runtimeType(elem).oid})`;
    case 'array_cat':
      return `pg_array_cat(${l.sql}, ${r.sql}, ${runtimeType(elem).oid})`;
    case 'array_append':
      return `pg_array_append(${l.sql}, ${r.sql}, ${runtimeType(elem).oid})`;
    default:
      return `pg_array_prepend(${l.sql}, ${r.sql}, ${runtimeType(elem).oid})`;
  }
}

/**
 * The element type of a call with anyarray / anynonarray arguments: the common type of the array
 * arguments' elements and the element arguments (PostgreSQL 15's anycompatible rules).
 */
export function arrayElementType(
  name: string,
  declared: readonly PgType[],
  args: readonly Typed[],
  position?: number,
): TypeRef {
  const items: Typed[] = [];
  args.forEach((a, i) => {
    if (a.type === T.unknown) return;
    const d = declared[i];
    if (d === anyArray) items.push(typed('', a.type.elem!, a.typmod));
    else if (d === anyElement || d === anyNonArray) items.push(a);
  });
  if (items.length === 0) {
    if (declared.includes(anyArray)) {
      throw new ChorusError('42804', 'could not determine polymorphic type because input has type unknown', {
        position,
      });
    }
    return ref(T.text);
  }
  return commonType(items, name, position);
}
