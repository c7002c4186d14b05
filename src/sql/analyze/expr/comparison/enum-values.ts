// Enum types in expressions: the comparison operators (PostgreSQL's anyenum = < ... anyenum, both
// sides of one enum type), their SQL over the stored labels, and enum_first / enum_last /
// enum_range. Equality compares the labels as stored; order compares label positions, and against
// a constant becomes an IN list of the labels before or after it (an index on the column serves).

import { ChorusError, FeatureNotSupportedError } from '../../../../errors.js';
import { encodeArray } from '../../../types/array/array-storage.js';
import { enumLabelsSql, enumRankSql } from '../../../types/enum.js';
import { formatType, type PgType, T } from '../../../types/pg-types.js';
import { sqlLiteral } from '../../../types/values.js';
import { type AnalyzeState, type Typed, typed } from '../../context.js';
import { coerce } from '../coercion/coerce.js';

const comparisons: Record<string, string> = {
  '=': 'eq',
  '<>': 'ne',
  '<': 'lt',
  '<=': 'le',
  '>': 'gt',
  '>=': 'ge',
};

/**
 * `left op right` for a comparison with an enum on one side: when the other side is the same enum
 * type or untyped (then read as that type), the operator; null otherwise (no such operator: 42883).
 */
export function resolveEnumComparison(
  st: AnalyzeState,
  name: string,
  left: Typed,
  right: Typed,
  position?: number,
): { code: string; l: Typed; r: Typed; type: PgType } | null {
  const code = comparisons[name];
  const e = left.type.enumInfo ? left.type : right.type.enumInfo ? right.type : null;
  if (!code || !e) return null;
  const fits = (x: Typed): boolean => x.type.oid === e.oid || x.type === T.unknown;
  if (!fits(left) || !fits(right)) return null;
  if (code !== 'eq' && code !== 'ne' && st.storedExpressions !== null) {
    // The SQL holds the labels' order as of now; a later ADD VALUE ... BEFORE would not reach it.
    throw new FeatureNotSupportedError(`ordering enum values in ${st.storedExpressions}`, { position });
  }
  const to = { type: e, typmod: -1 };
  return {
    code: `enum_${code}`,
    l: coerce(st, left, to, 'implicit', position),
    r: coerce(st, right, to, 'implicit', position),
    type: e,
  };
}

const flipped: Record<string, string> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

/** SQL of `l op r` for two values of one enum type (op: = <> < <= > >= IS, IS NOT). */
export function enumCompareSql(l: Typed, op: string, r: Typed): string {
  if (op === '=' || op === '<>' || op === 'IS' || op === 'IS NOT') return `(${l.sql} ${op} ${r.sql})`;
  const type = l.type;
  if (typeof r.constant === 'string') return againstConstant(type, l.sql, op, r.constant);
  if (typeof l.constant === 'string') return againstConstant(type, r.sql, flipped[op]!, l.constant);
  return `(${enumRankSql(type, l.sql)} ${op} ${enumRankSql(type, r.sql)})`;
}

/** `x op 'label'` as `x IN (the labels that satisfy it)`: NULL stays NULL, an index serves. */
function againstConstant(type: PgType, x: string, op: string, label: string): string {
  const labels = type.enumInfo!.labels;
  const at = type.enumInfo!.rank.get(label)!;
  const keep = labels.filter((_, i) =>
    op === '<' ? i < at : op === '<=' ? i <= at : op === '>' ? i > at : i >= at,
  );
  if (keep.length === 0) return `(CASE WHEN ${x} IS NULL THEN NULL ELSE 0 END)`;
  return `(${x} IN (${keep.map(sqlLiteral).join(', ')}))`;
}

export const enumFunctionNames: ReadonlySet<string> = new Set(['enum_first', 'enum_last', 'enum_range']);

/** enum_first(e), enum_last(e), enum_range(e), enum_range(lo, hi): from the type's labels. */
export function enumFunction(
  st: AnalyzeState,
  name: string,
  args: readonly Typed[],
  position?: number,
): Typed {
  const shown = `${name}(${args.map((a) => (a.type === T.unknown ? 'unknown' : formatType(a.type))).join(', ')})`;
  const arity = name === 'enum_range' ? [1, 2] : [1];
  if (!arity.includes(args.length)) {
    throw new ChorusError('42883', `function ${shown} does not exist`, {
      hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
      position,
    });
  }
  const known = args.find((a) => a.type !== T.unknown);
  const type = known?.type ?? T.unknown;
  if (!type.enumInfo || args.some((a) => a.type !== T.unknown && a.type.oid !== type.oid)) {
    throw new ChorusError('42883', `function ${shown} does not exist`, {
      hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
      position,
    });
  }
  const labels = type.enumInfo.labels;
  const colname = name;
  if (name !== 'enum_range') {
    const label = name === 'enum_first' ? labels[0] : labels[labels.length - 1];
    const v = label ?? null;
    return typed(sqlLiteral(v), type, -1, { constant: v, colname });
  }
  const arrayType = type.enumInfo.arrayType;
  const [lo, hi] = args.map((a) => coerce(st, a, { type, typmod: -1 }, 'implicit', position));
  if (!hi) {
    const v = encodeArray(labels, T.text);
    return typed(sqlLiteral(v), arrayType, -1, { constant: v, colname });
  }
  const constant = (e: Typed): boolean => e.constant !== undefined;
  if (constant(lo!) && constant(hi)) {
    const rank = type.enumInfo.rank;
    const from = lo!.constant === null ? 0 : rank.get(lo!.constant as string)!;
    const to = hi.constant === null ? labels.length - 1 : rank.get(hi.constant as string)!;
    const v = encodeArray(labels.slice(from, to + 1), T.text);
    return typed(sqlLiteral(v), arrayType, -1, { constant: v, colname });
  }
  return typed(`pg_enum_range(${lo!.sql}, ${hi.sql}, ${enumLabelsSql(type)})`, arrayType, -1, { colname });
}
