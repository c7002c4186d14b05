// Expressions: each parse-tree node typed by PostgreSQL's rules and emitted as SQLite over the
// storage formats. Operators and functions are resolved in operators.ts / functions.ts; this file
// holds constants, column and parameter references, casts, boolean logic, CASE and friends.

import type * as P from '@pgsql/types';
import { ChorusError, FeatureNotSupportedError } from '../../../errors.js';
import { errorPosition, nodeOf } from '../../parse/parser.js';
import { enumLabelOfRankSql, enumRankSql } from '../../types/enum.js';
import { ref, T } from '../../types/pg-types.js';
import { inputValue, sqlLiteral } from '../../types/values.js';
import { type AnalyzeState, type Typed, typed } from '../context.js';
import { type Level, merge, pos, strings, typeOf } from '../level.js';
import type { ScopeColumn } from '../scope.js';
import { arrayConstructor, indirection } from './arrays.js';
import { applyTypmod, coerce, commonType, requireBool } from './coercion/coerce.js';
import { aExpr, balanced } from './expr-operators.js';
import { subLink } from './expr-sublink.js';
import { currentSchema } from './functions/sequence-functions.js';
import { applyOperator } from './operators/operators.js';

export function expr(n: P.Node, lv: Level): Typed {
  const st = lv.host.st;
  if (lv.host.groupedMatch) {
    const g = lv.host.groupedMatch(n, lv);
    if (g) return g;
  }
  const [tag, body] = nodeOf(n);
  switch (tag) {
    case 'A_Const':
      return constant(body as P.A_Const, st);
    case 'ColumnRef':
      return columnRef(body as P.ColumnRef, lv);
    case 'ParamRef':
      return paramRef(st, body as P.ParamRef);
    case 'A_Expr':
      return aExpr(body as P.A_Expr, lv, expr);
    case 'BoolExpr':
      return boolExpr(body as P.BoolExpr, lv);
    case 'NullTest': {
      const t = body as P.NullTest;
      const a = expr(t.arg!, lv);
      return merge(typed(`(${a.sql} IS ${t.nulltesttype === 'IS_NOT_NULL' ? 'NOT ' : ''}NULL)`, T.bool), a);
    }
    case 'BooleanTest':
      return booleanTest(body as P.BooleanTest, lv);
    case 'TypeCast':
      return typeCast(body as P.TypeCast, lv);
    case 'FuncCall':
      return lv.host.call(body as P.FuncCall, lv);
    case 'CaseExpr':
      return caseExpr(body as P.CaseExpr, lv);
    case 'CoalesceExpr': {
      const args = ((body as P.CoalesceExpr).args ?? []).map((a) => expr(a, lv));
      const t = commonType(args, 'COALESCE');
      const cs = args.map((a) => coerce(st, a, t, 'implicit'));
      return merge(
        typed(`coalesce(${cs.map((c) => c.sql).join(', ')}, NULL)`, t.type, t.typmod, {
          colname: 'coalesce',
        }),
        ...args,
      );
    }
    case 'MinMaxExpr':
      return minMax(body as P.MinMaxExpr, lv);
    case 'SubLink':
      return subLink(body as P.SubLink, lv, expr);
    case 'SQLValueFunction':
      return sqlValueFunction(body as P.SQLValueFunction, lv);
    case 'CollateClause': {
      const c = body as P.CollateClause;
      const name = strings(c.collname).pop();
      if (name !== 'C' && name !== 'default' && name !== 'POSIX' && name !== 'ucs_basic') {
        throw new FeatureNotSupportedError(
          `collation "${name}" (this node compares text in the C collation)`,
        );
      }
      return expr(c.arg!, lv);
    }
    case 'RowExpr': {
      const args = ((body as P.RowExpr).args ?? []).map((a) => expr(a, lv));
      return merge(
        typed(`(${args.map((a) => a.sql).join(', ')})`, T.record, -1, { colname: 'row' }),
        ...args,
      );
    }
    case 'A_ArrayExpr':
      return arrayConstructor(body as P.A_ArrayExpr, lv, expr);
    case 'A_Indirection':
      return indirection(body as P.A_Indirection, lv, expr);
    default:
      throw new FeatureNotSupportedError(`expression ${tag}`);
  }
}

const int32Min = -2147483648n;
const int32Max = 2147483647n;
const int64Min = -9223372036854775808n;
const int64Max = 9223372036854775807n;

function constant(c: P.A_Const, st: AnalyzeState): Typed {
  const out = constantValue(c);
  out.location = errorPosition(st.text, c.location);
  return out;
}

function constantValue(c: P.A_Const): Typed {
  if (c.isnull) return typed('NULL', T.unknown, -1, { constant: null, colname: '?column?' });
  if (c.ival !== undefined) {
    const v = BigInt(c.ival.ival ?? 0);
    return typed(v.toString(), T.int4, -1, { constant: v, colname: '?column?' });
  }
  if (c.fval !== undefined) return numericLiteral(c.fval.fval ?? '0');
  if (c.boolval !== undefined) {
    const v = c.boolval.boolval ? 1n : 0n;
    return typed(v.toString(), T.bool, -1, { constant: v, colname: '?column?' });
  }
  if (c.sval !== undefined) {
    const s = c.sval.sval ?? '';
    return typed(sqlLiteral(s), T.unknown, -1, { unknownLiteral: s, colname: '?column?' });
  }
  throw new FeatureNotSupportedError('bit string constants');
}

/** A numeric-looking literal: int8 when it is an integer that fits, else numeric. */
export function numericLiteral(text: string): Typed {
  if (/^-?\d+$/.test(text)) {
    const v = BigInt(text);
    if (v >= int32Min && v <= int32Max)
      return typed(v.toString(), T.int4, -1, { constant: v, colname: '?column?' });
    if (v >= int64Min && v <= int64Max)
      return typed(v.toString(), T.int8, -1, { constant: v, colname: '?column?' });
  }
  const v = inputValue(ref(T.numeric), text);
  return typed(sqlLiteral(v), T.numeric, -1, { constant: v, colname: '?column?' });
}

/**
 * A whole-row reference (`t` naming a FROM item): a record, carried as its JSON text (PostgreSQL's
 * row_to_json form), which only the JSON functions take (see wholeRowValue's callers).
 */
function wholeRowValue(st: AnalyzeState, columns: readonly ScopeColumn[]): Typed {
  const tz = st.marker({ kind: 'timezone' });
  const parts = columns
    .filter((c) => !c.hidden)
    .map((c) => `${sqlLiteral(c.name)}, pg_to_json(${c.sql}, ${c.type.type.oid}, ${tz}, 0)`);
  return typed(`pg_record_json(${parts.join(', ')})`, T.record, -1, { colname: '?column?' });
}

function columnRef(c: P.ColumnRef, lv: Level): Typed {
  const fields = strings(c.fields);
  const position = pos(lv.host.st, c.location);
  if (fields[fields.length - 1] === '*') {
    throw new ChorusError('42601', 'a "*" is only allowed in a select list', { position });
  }
  if (fields.length === 1 && !lv.scope.hasColumn(fields[0]!)) {
    const whole = lv.scope.wholeRow(fields[0]!, position);
    if (whole) return wholeRowValue(lv.host.st, whole.item.columns);
  }
  const { col, item, levelsUp } = lv.scope.column(fields, position);
  if (levelsUp === 0 && lv.inAggregate === 0 && lv.grouped) lv.grouped.check(col.name, item.alias, position);
  return typed(col.sql, col.type.type, col.type.typmod, { colname: col.name });
}

function paramRef(st: AnalyzeState, p: P.ParamRef): Typed {
  const n = p.number ?? 0;
  const position = errorPosition(st.text, p.location);
  if (n < 1) throw new ChorusError('42P02', `there is no parameter $${n}`, { position });
  const literal = st.literalKind(n);
  // A simple query (literals given, perhaps none) has no parameters of its own.
  if (!literal && st.literals !== null)
    throw new ChorusError('42P02', `there is no parameter $${n}`, { position });
  const marker = st.paramMarker(n);
  if (literal) {
    // A literal of a normalized simple query: typed like the literal it replaced.
    const type =
      literal === 'int4'
        ? T.int4
        : literal === 'int8'
          ? T.int8
          : literal === 'numeric'
            ? T.numeric
            : T.unknown;
    if (type !== T.unknown) st.setParamType(n, ref(type));
    return typed(marker, type, -1, {
      colname: '?column?',
      param: type === T.unknown ? n : undefined,
      location: position,
    });
  }
  const known = st.paramTypes[n - 1];
  if (known && known.type !== T.unknown)
    return typed(marker, known.type, -1, { colname: '?column?', location: position });
  return typed(marker, T.unknown, -1, { param: n, colname: '?column?', location: position });
}

function boolOf(e: Typed, lv: Level, what: string): Typed {
  return requireBool(lv.host.st, e, what);
}

function boolExpr(b: P.BoolExpr, lv: Level): Typed {
  const what = b.boolop === 'AND_EXPR' ? 'AND' : b.boolop === 'OR_EXPR' ? 'OR' : 'NOT';
  const args = (b.args ?? []).map((a) => boolOf(expr(a, lv), lv, what));
  if (b.boolop === 'NOT_EXPR') return merge(typed(`(NOT ${args[0]!.sql})`, T.bool), ...args);
  return merge(
    typed(
      balanced(
        args.map((a) => a.sql),
        ` ${what} `,
      ),
      T.bool,
    ),
    ...args,
  );
}

function booleanTest(b: P.BooleanTest, lv: Level): Typed {
  const a = boolOf(expr(b.arg!, lv), lv, 'IS TRUE');
  const forms: Record<string, string> = {
    IS_TRUE: 'IS 1',
    IS_NOT_TRUE: 'IS NOT 1',
    IS_FALSE: 'IS 0',
    IS_NOT_FALSE: 'IS NOT 0',
    IS_UNKNOWN: 'IS NULL',
    IS_NOT_UNKNOWN: 'IS NOT NULL',
  };
  return merge(typed(`(${a.sql} ${forms[b.booltesttype ?? 'IS_TRUE']})`, T.bool), a);
}

function typeCast(c: P.TypeCast, lv: Level): Typed {
  const st = lv.host.st;
  const target = typeOf(st, c.typeName!);
  // ARRAY[...]::t[] gives its elements the element type (PostgreSQL's transformArrayExpr).
  const [argTag, argBody] = nodeOf(c.arg!);
  const inner =
    argTag === 'A_ArrayExpr' && target.type.elem
      ? arrayConstructor(argBody as P.A_ArrayExpr, lv, expr, target)
      : expr(c.arg!, lv);
  const position = pos(st, c.location);
  const out = coerce(st, inner, target, 'explicit', position);
  // PostgreSQL names a cast column after the type (`'1'::int` → int4) unless the inner has a name.
  // FigureColname: a strong inner name (a column, a function) survives the cast; else the type's.
  const strong = inner.colname !== undefined && inner.colname !== '?column?' && !inner.weakName;
  return merge(
    { ...out, colname: strong ? inner.colname : (target.type.elem ?? target.type).name, weakName: !strong },
    inner,
  );
}

function caseExpr(c: P.CaseExpr, lv: Level): Typed {
  const st = lv.host.st;
  const arg = c.arg ? expr(c.arg, lv) : null;
  const whens = (c.args ?? []).map((w) => nodeOf(w)[1] as P.CaseWhen);
  const results = whens.map((w) => expr(w.result!, lv));
  const elseE = c.defresult ? expr(c.defresult, lv) : null;
  const t = commonType([elseE ?? typed('NULL', T.unknown), ...results], 'CASE'); // ELSE first, as PostgreSQL
  const conds = whens.map((w) => {
    if (arg) return applyOperator(st, '=', arg, expr(w.expr!, lv), pos(st, c.location));
    return boolOf(expr(w.expr!, lv), lv, 'CASE/WHEN');
  });
  let sql = 'CASE';
  conds.forEach((cond, i) => {
    sql += ` WHEN ${cond.sql} THEN ${coerce(st, results[i]!, t, 'implicit').sql}`;
  });
  if (elseE) sql += ` ELSE ${coerce(st, elseE, t, 'implicit').sql}`;
  sql += ' END';
  return merge(
    // FigureColname: the ELSE's name when it is a strong one (a column, a function), else "case".
    elseE?.colname && !elseE.weakName && elseE.colname !== '?column?'
      ? typed(sql, t.type, t.typmod, { colname: elseE.colname })
      : typed(sql, t.type, t.typmod, { colname: 'case', weakName: true }),
    ...results,
    ...conds,
    ...(elseE ? [elseE] : []),
  );
}

function minMax(m: P.MinMaxExpr, lv: Level): Typed {
  const st = lv.host.st;
  const args = (m.args ?? []).map((a) => expr(a, lv));
  const t = commonType(args, m.op === 'IS_GREATEST' ? 'GREATEST' : 'LEAST');
  const cs = args.map((a) => coerce(st, a, t, 'implicit'));
  const name = m.op === 'IS_GREATEST' ? 'greatest' : 'least';
  // NULLs are ignored (PostgreSQL), unlike SQLite's scalar max/min.
  const sql = t.type.enumInfo
    ? enumLabelOfRankSql(
        t.type,
        `pg_${name}(${T.int4.oid}, ${cs.map((c) => enumRankSql(t.type, c.sql)).join(', ')})`,
      )
    : `pg_${name}(${t.type.oid}, ${cs.map((c) => c.sql).join(', ')})`;
  return merge(typed(sql, t.type, t.typmod, { colname: name }), ...args);
}

function sqlValueFunction(f: P.SQLValueFunction, lv: Level): Typed {
  const st = lv.host.st;
  const now = (): string => st.marker({ kind: 'now' });
  const tz = (): string => st.marker({ kind: 'timezone' });
  switch (f.op) {
    case 'SVFOP_CURRENT_DATE':
      return typed(`pg_cast(${now()}, ${T.timestamptz.oid}, ${T.date.oid}, ${tz()})`, T.date, -1, {
        colname: 'current_date',
      });
    case 'SVFOP_CURRENT_TIMESTAMP':
    case 'SVFOP_CURRENT_TIMESTAMP_N': {
      const e = typed(now(), T.timestamptz, -1, { colname: 'current_timestamp' });
      return f.typmod !== undefined && f.typmod >= 0
        ? { ...applyTypmod(e, ref(T.timestamptz, f.typmod), true), colname: 'current_timestamp' }
        : e;
    }
    case 'SVFOP_LOCALTIMESTAMP':
    case 'SVFOP_LOCALTIMESTAMP_N':
      return typed(`pg_cast(${now()}, ${T.timestamptz.oid}, ${T.timestamp.oid}, ${tz()})`, T.timestamp, -1, {
        colname: 'localtimestamp',
      });
    case 'SVFOP_LOCALTIME':
    case 'SVFOP_LOCALTIME_N':
      return typed(`pg_cast(${now()}, ${T.timestamptz.oid}, ${T.time.oid}, ${tz()})`, T.time, -1, {
        colname: 'localtime',
      });
    case 'SVFOP_CURRENT_ROLE':
    case 'SVFOP_CURRENT_USER':
    case 'SVFOP_USER':
      return typed(st.marker({ kind: 'setting', name: 'session_user' }), T.name, -1, {
        colname: f.op.slice(6).toLowerCase(),
      });
    case 'SVFOP_SESSION_USER':
      return typed(st.marker({ kind: 'setting', name: 'session_user' }), T.name, -1, {
        colname: 'session_user',
      });
    case 'SVFOP_CURRENT_CATALOG':
      return typed(`'chorus'`, T.name, -1, { colname: 'current_catalog' });
    case 'SVFOP_CURRENT_SCHEMA':
      return currentSchema(lv);
    default:
      // CURRENT_TIME [(p)]: timetz.
      throw new FeatureNotSupportedError('CURRENT_TIME (type time with time zone)', {
        hint: 'Use LOCALTIME, or CURRENT_TIMESTAMP.',
      });
  }
}
