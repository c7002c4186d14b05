// The SQL values are compared by where PostgreSQL's equality or order is not the stored value's:
// GROUP BY, DISTINCT, set operations, PARTITION BY, window peers, ORDER BY and DISTINCT aggregates.
// Only the types whose storage is not canonical get a key (sql/DESIGN.md, "Equality and order"):
// unconstrained numeric (1.5 = 1.50), interval ('1 day' = '24 hours'), bpchar (trailing spaces do
// not count: 'a' = 'a  ', and E'a\t' sorts after 'a') and jsonb (1 = 1.0, its own type order).
// Everything else compares as stored, so plain columns stay plain (indexes, no function calls).

import { ChorusError } from '../../../../errors.js';
import { enumRankSql } from '../../../types/enum.js';
import { formatType, isIntegerType, numericTypmodParts, type PgType, T } from '../../../types/pg-types.js';
import type { Typed } from '../../context.js';

/** A bare column reference (`"t"."c"` or `"c"`): cheap to repeat in SQL. */
const plainColumn = /^(?:"[^"]*"\.)?"[^"]*"$/;

function numericKeySql(sql: string): string {
  return plainColumn.test(sql) ? `substr(${sql}, 1, length(${sql}) - 2)` : `pg_numeric_key(${sql})`;
}

/** SQL equal exactly when PostgreSQL's `=` says the values are equal (NULLs group together). */
export function groupKeySql(e: Typed): string {
  if (e.type.elem) return arrayTextIsCanonical(e.type.elem, e.typmod) ? e.sql : arrayKeySql(e);
  switch (e.type) {
    case T.numeric:
      return numericTypmodParts(e.typmod) === null ? numericKeySql(e.sql) : e.sql;
    case T.interval:
      return `substr(${e.sql}, 1, 16)`;
    case T.bpchar:
      // char(n) values are all padded to n: equal exactly when stored equal.
      return e.typmod < 0 ? `rtrim(${e.sql}, ' ')` : e.sql;
    case T.jsonb:
      return `pg_jsonb_key(${e.sql})`;
    default:
      return e.sql;
  }
}

/** SQL ordered as PostgreSQL orders the values (ties in any order): ORDER BY. */
export function sortKeySql(e: Typed): string {
  if (e.type.elem) return arrayKeySql(e);
  if (e.type.enumInfo) return enumRankSql(e.type, e.sql);
  switch (e.type) {
    case T.bpchar:
      return `rtrim(${e.sql}, ' ')`;
    case T.jsonb:
      return `pg_jsonb_key(${e.sql})`;
    default:
      // numeric and interval storage sorts by value first (order key, then the display form).
      return e.sql;
  }
}

/** SQL ordered as PostgreSQL orders the values and equal exactly when they are: window ORDER BY (peers). */
export function peerKeySql(e: Typed): string {
  if (e.type === T.bpchar || e.type === T.jsonb || e.type.elem || e.type.enumInfo) return sortKeySql(e);
  return groupKeySql(e);
}

/** Whether grouping by this value needs its key (groupKeySql) rather than the stored value. */
export function needsGroupKey(e: Typed): boolean {
  return groupKeySql(e) !== e.sql;
}

/** Types PostgreSQL has no equality / ordering operator for (42883 where one is needed). */
const noEquality: ReadonlySet<PgType> = new Set([T.json]);

/** PostgreSQL's 42883 when a value must be compared for equality (GROUP BY, DISTINCT, UNION ...). */
export function requireEquality(type: PgType, position?: number): void {
  if (noEquality.has(type.elem ?? type)) {
    throw new ChorusError('42883', `could not identify an equality operator for type ${formatType(type)}`, {
      position,
    });
  }
}

/** PostgreSQL's 42883 when a value must be ordered (ORDER BY, window ORDER BY). */
export function requireOrdering(type: PgType, position?: number): void {
  if (noEquality.has(type.elem ?? type)) {
    throw new ChorusError('42883', `could not identify an ordering operator for type ${formatType(type)}`, {
      position,
    });
  }
}

/**
 * Whether stored values of the type are equal exactly when PostgreSQL's `=` says so — what a
 * UNIQUE or PRIMARY KEY constraint (a SQLite index over the stored values) needs. Unconstrained
 * numeric (1.5 / 1.50), interval ('1 day' / '24 hours'), unconstrained bpchar ('a' / 'a ') and
 * jsonb (1 / 1.0) are not: numeric(p,s), char(n) and the other types are.
 */
export function storedEqualityIsPostgres(type: PgType, typmod: number): boolean {
  if (type.elem) return arrayTextIsCanonical(type.elem, typmod);
  switch (type) {
    case T.numeric:
      return numericTypmodParts(typmod) !== null;
    case T.bpchar:
      return typmod >= 0;
    case T.interval:
    case T.jsonb:
      return false;
    default:
      return true;
  }
}

/** The order/equality key of an array (runtime pg_array_key: element-wise, NULLs last, then length). */
export function arrayKeySql(e: Typed): string {
  const elem = e.type.elem!;
  if (elem.enumInfo) {
    // The runtime sees no catalog: the key of the array of the labels' positions.
    const ranks = `(SELECT json_group_array(${enumRankSql(elem, 'value')} ORDER BY key) FROM json_each(${e.sql}))`;
    return `CASE WHEN ${e.sql} IS NULL THEN NULL ELSE pg_array_key(${ranks}, ${T.int4.oid}) END`;
  }
  return `pg_array_key(${e.sql}, ${e.type.elem!.oid})`;
}

/**
 * Whether two arrays of this element type are equal exactly when their stored texts are: the
 * elements' stored values are canonical (storedEqualityIsPostgres) and not floats (-0 = 0).
 */
export function arrayTextIsCanonical(elem: PgType, typmod: number): boolean {
  return elem !== T.float4 && elem !== T.float8 && storedEqualityIsPostgres(elem, typmod);
}

/** Types whose stored values are equal exactly when PostgreSQL's `=` says so. */
export function nativeEquality(l: Typed, r: Typed): boolean {
  if (l.type.elem || r.type.elem) return l.type === r.type && arrayTextIsCanonical(l.type.elem!, -1);
  const plain = (t: PgType): boolean =>
    t !== T.numeric &&
    t !== T.interval &&
    t !== T.bpchar &&
    t !== T.jsonb &&
    t !== T.json &&
    t !== T.timestamp;
  if (l.type === r.type) return plain(l.type) || (l.type === T.timestamp && r.type === T.timestamp);
  return isIntegerType(l.type) && isIntegerType(r.type);
}
