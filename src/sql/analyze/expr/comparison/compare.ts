// Comparison operators over the storage formats. Most types compare natively in SQLite (integers,
// floats with NaN stored as TEXT, text in C collation, dates and timestamps as integers, uuid,
// bytea); numeric and interval compare by their order keys (sql/DESIGN.md), char(n) without its
// padding, jsonb by its own ordering (runtime pg_jsonb_cmp / pg_jsonb_key), and cross-type
// date/timestamp/timestamptz comparisons convert one side first.

import { isIntegerType, numericTypmodParts, T } from '../../../types/pg-types.js';
import { numericBoundsSql } from '../../../types/values.js';
import type { AnalyzeState, Typed } from '../../context.js';
import { enumCompareSql } from './enum-values.js';
import { arrayKeySql, arrayTextIsCanonical } from './keys.js';

/** Bytes of the order key at the start of an interval's storage BLOB. */
export const intervalKeyBytes = 16;
/** Bytes of the display scale at the end of a numeric's storage BLOB. */
const numericScaleBytes = 2;

const mirrored: Record<string, string> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '=': '=', '<>': '<>' };

/** `l op r` for op in = <> < <= > >= IS (NOT DISTINCT) and IS NOT (DISTINCT), with l and r already of the operator's argument types. */
export function compareSql(st: AnalyzeState, l: Typed, op: string, r: Typed): string {
  const lt = l.type;
  const rt = r.type;
  if (lt.elem && rt === lt) {
    // Arrays: stored texts where they are canonical and only equality is asked, else order keys.
    const eq = op === '=' || op === '<>' || op === 'IS' || op === 'IS NOT';
    if (eq && arrayTextIsCanonical(lt.elem, -1)) return `(${l.sql} ${op} ${r.sql})`;
    return `(${arrayKeySql(l)} ${op} ${arrayKeySql(r)})`;
  }
  if (lt.enumInfo && rt.oid === lt.oid) return enumCompareSql(l, op, r);
  if (lt === T.numeric && rt === T.numeric) return numericCompare(l, op, r);
  if (lt === T.interval && rt === T.interval) {
    return `(substr(${l.sql}, 1, ${intervalKeyBytes}) ${op} substr(${r.sql}, 1, ${intervalKeyBytes}))`;
  }
  if (lt === T.bpchar && rt === T.bpchar) return `(rtrim(${l.sql}, ' ') ${op} rtrim(${r.sql}, ' '))`;
  if (lt === T.jsonb && rt === T.jsonb) {
    // IS [NOT] DISTINCT FROM: by the order/equality keys (1 = 1.0), NULLs included.
    if (op === 'IS' || op === 'IS NOT') return `(pg_jsonb_key(${l.sql}) ${op} pg_jsonb_key(${r.sql}))`;
    return `(pg_jsonb_cmp(${l.sql}, ${r.sql}) ${op} 0)`;
  }
  if (lt !== rt && isDateTime(lt) && isDateTime(rt)) {
    // Convert toward timestamptz (then timestamp): PostgreSQL's cross-type operators compare so.
    const target = lt === T.timestamptz || rt === T.timestamptz ? T.timestamptz : T.timestamp;
    const conv = (e: Typed): string =>
      e.type === target
        ? e.sql
        : `pg_cast(${e.sql}, ${e.type.oid}, ${target.oid}, ${st.marker({ kind: 'timezone' })})`;
    return `(${conv(l)} ${op} ${conv(r)})`;
  }
  if (lt === rt || (isIntegerType(lt) && isIntegerType(rt)) || (isFloat(lt) && isFloat(rt))) {
    return `(${l.sql} ${op} ${r.sql})`;
  }
  return `(${l.sql} ${op} ${r.sql})`;
}

function isFloat(t: Typed['type']): boolean {
  return t === T.float4 || t === T.float8;
}

function isDateTime(t: Typed['type']): boolean {
  return t === T.date || t === T.timestamp || t === T.timestamptz;
}

function fixedScale(e: Typed): number | null {
  return numericTypmodParts(e.typmod)?.scale ?? null;
}

function keyOf(sql: string): string {
  return `substr(${sql}, 1, length(${sql}) - ${numericScaleBytes})`;
}

/**
 * Numeric comparison: values of one fixed scale compare as stored (index-friendly); against a
 * constant, by the constant's key bounds (still index-friendly); otherwise by keys alone.
 */
function numericCompare(l: Typed, op: string, r: Typed): string {
  const ls = fixedScale(l);
  if (ls !== null && ls === fixedScale(r)) return `(${l.sql} ${op} ${r.sql})`;
  if (op === 'IS' || op === 'IS NOT') return `(${keyOf(l.sql)} ${op} ${keyOf(r.sql)})`;
  if (r.constant instanceof Uint8Array) return boundsCompare(l.sql, op, r.constant);
  if (l.constant instanceof Uint8Array) return boundsCompare(r.sql, mirrored[op]!, l.constant);
  return `(${keyOf(l.sql)} ${op} ${keyOf(r.sql)})`;
}

function boundsCompare(x: string, op: string, c: Uint8Array): string {
  const { low, high } = numericBoundsSql(c);
  switch (op) {
    case '<':
      return `(${x} < ${low})`;
    case '<=':
      return `(${x} <= ${high})`;
    case '>':
      return `(${x} > ${high})`;
    case '>=':
      return `(${x} >= ${low})`;
    case '=':
      return `(${x} BETWEEN ${low} AND ${high})`;
    default:
      return `(NOT (${x} BETWEEN ${low} AND ${high}))`;
  }
}
