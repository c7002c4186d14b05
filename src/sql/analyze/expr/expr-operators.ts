// A_Expr nodes: operators, IS [NOT] DISTINCT FROM, NULLIF, IN lists, LIKE / ILIKE / SIMILAR TO and
// BETWEEN, each resolved with PostgreSQL's operator rules (operators.ts) and emitted with its
// three-valued logic intact. The expression walker is passed in (expr.ts owns it).

import type * as P from '@pgsql/types';
import { ChorusError, FeatureNotSupportedError } from '../../../errors.js';
import { nodeOf } from '../../parse/parser.js';
import { ref, T } from '../../types/pg-types.js';
import { type Typed, typed } from '../context.js';
import { type Level, merge, pos, strings } from '../level.js';
import { anyAllArray } from './arrays.js';
import { coerce } from './coercion/coerce.js';
import { compareSql } from './comparison/compare.js';
import { applyOperator, resolveOperator } from './operators/operators.js';

type Walk = (n: P.Node, lv: Level) => Typed;

const comparisonOps = new Set(['=', '<>', '<', '<=', '>', '>=']);

function listItems(n: P.Node | undefined): P.Node[] {
  if (!n) return [];
  const [tag, body] = nodeOf(n);
  if (tag === 'List') return (body as P.List).items ?? [];
  return [n];
}

function opName(a: P.A_Expr): string {
  const names = strings(a.name);
  const op = names[names.length - 1]!;
  if (names.length > 1 && names[0] !== 'pg_catalog') {
    throw new ChorusError('42883', `operator does not exist: ${names.join('.')}`);
  }
  return op;
}

/** `l op r` resolved as PostgreSQL resolves it (one place for every comparison-shaped use). */
export function binary(lv: Level, op: string, l: Typed, r: Typed, location?: number): Typed {
  const st = lv.host.st;
  if (l.type === T.record && r.type === T.record && comparisonOps.has(op)) {
    // Row comparison: (a, b) = (c, d) — SQLite's row values compare element-wise like PostgreSQL.
    return merge(typed(`(${l.sql} ${op} ${r.sql})`, T.bool), l, r);
  }
  return merge(applyOperator(st, op, l, r, pos(st, location)), l, r);
}

/** l and r coerced to the argument types of the `=` operator PostgreSQL picks for them. */
function equalityArgs(lv: Level, l: Typed, r: Typed, location?: number): [Typed, Typed] {
  const st = lv.host.st;
  const { l: lc, r: rc } = resolveOperator(st, '=', l, r, pos(st, location));
  return [lc!, rc];
}

export function aExpr(a: P.A_Expr, lv: Level, walk: Walk): Typed {
  const st = lv.host.st;
  const position = pos(st, a.location);
  switch (a.kind) {
    case 'AEXPR_OP': {
      const op = opName(a);
      const r = walk(a.rexpr!, lv);
      if (!a.lexpr) return merge(applyOperator(st, op, null, r, position), r);
      const l = walk(a.lexpr, lv);
      // applyOperator refuses records (its 0A000) before any special form reads them as text.
      if (l.type === T.record || r.type === T.record) applyOperator(st, op, l, r, position);
      return binary(lv, op, l, r, a.location);
    }
    case 'AEXPR_DISTINCT':
    case 'AEXPR_NOT_DISTINCT': {
      const l = walk(a.lexpr!, lv);
      const r = walk(a.rexpr!, lv);
      if (l.type === T.record || r.type === T.record) {
        const op = a.kind === 'AEXPR_DISTINCT' ? 'IS NOT' : 'IS';
        return merge(typed(`(${l.sql} ${op} ${r.sql})`, T.bool), l, r);
      }
      const [lc, rc] = equalityArgs(lv, l, r, a.location);
      const sql = compareSql(st, lc, a.kind === 'AEXPR_DISTINCT' ? 'IS NOT' : 'IS', rc);
      return merge(typed(sql, T.bool), l, r);
    }
    case 'AEXPR_NULLIF': {
      const l = walk(a.lexpr!, lv);
      const r = walk(a.rexpr!, lv);
      // The result has the type the `=` operator takes its left input as (varchar → text).
      const eq = applyOperator(st, '=', l, r, position);
      const { l: lc } = resolveOperator(st, '=', l, r, position);
      return merge(
        typed(`CASE WHEN ${eq.sql} THEN NULL ELSE ${lc!.sql} END`, lc!.type, lc!.typmod, {
          colname: 'nullif',
        }),
        l,
        r,
      );
    }
    case 'AEXPR_IN': {
      const op = opName(a);
      const l = walk(a.lexpr!, lv);
      const items = listItems(a.rexpr).map((n) => walk(n, lv));
      const parts = items.map((r) => binary(lv, op === '<>' ? '<>' : '=', l, r, a.location));
      const joiner = op === '<>' ? ' AND ' : ' OR ';
      return merge(
        typed(
          balanced(
            parts.map((p) => p.sql),
            joiner,
          ),
          T.bool,
        ),
        l,
        ...items,
      );
    }
    case 'AEXPR_LIKE':
    case 'AEXPR_ILIKE':
      return like(a, lv, walk);
    case 'AEXPR_SIMILAR': {
      const op = opName(a);
      const l = coerce(st, walk(a.lexpr!, lv), ref(T.text), 'implicit', position);
      const [tag, body] = nodeOf(a.rexpr!);
      const fc = tag === 'FuncCall' ? (body as P.FuncCall) : null;
      const args = (fc?.args ?? [a.rexpr!]).map((n) =>
        coerce(st, walk(n, lv), ref(T.text), 'implicit', position),
      );
      const esc = args[1]?.sql ?? 'NULL';
      const sql = `pg_similar(${l.sql}, ${args[0]!.sql}, ${esc}, ${op === '!~' ? 0 : 1})`;
      return merge(typed(sql, T.bool), l, ...args);
    }
    case 'AEXPR_BETWEEN':
    case 'AEXPR_NOT_BETWEEN':
    case 'AEXPR_BETWEEN_SYM':
    case 'AEXPR_NOT_BETWEEN_SYM': {
      // As PostgreSQL: x >= lo AND x <= hi, x analyzed for each comparison (so a parameter
      // typed by the first comparison is typed in the second).
      const x = walk(a.lexpr!, lv);
      const [lo, hi] = listItems(a.rexpr).map((n) => walk(n, lv));
      const ge = binary(lv, '>=', x, lo!, a.location);
      const le = binary(lv, '<=', walk(a.lexpr!, lv), hi!, a.location);
      let sql = `(${ge.sql} AND ${le.sql})`;
      if (a.kind === 'AEXPR_BETWEEN_SYM' || a.kind === 'AEXPR_NOT_BETWEEN_SYM') {
        const [lo2, hi2] = listItems(a.rexpr).map((n) => walk(n, lv));
        const ge2 = binary(lv, '>=', walk(a.lexpr!, lv), hi2!, a.location);
        const le2 = binary(lv, '<=', walk(a.lexpr!, lv), lo2!, a.location);
        sql = `(${sql} OR (${ge2.sql} AND ${le2.sql}))`;
      }
      if (a.kind === 'AEXPR_NOT_BETWEEN' || a.kind === 'AEXPR_NOT_BETWEEN_SYM') sql = `(NOT ${sql})`;
      return merge(typed(sql, T.bool), x, lo!, hi!);
    }
    case 'AEXPR_OP_ANY':
    case 'AEXPR_OP_ALL':
      opName(a);
      return anyAllArray(a, lv, walk);
    default:
      throw new FeatureNotSupportedError(`operator kind ${a.kind}`, { position });
  }
}

function like(a: P.A_Expr, lv: Level, walk: Walk): Typed {
  const st = lv.host.st;
  const position = pos(st, a.location);
  const op = opName(a);
  const l = walk(a.lexpr!, lv);
  const [tag, body] = nodeOf(a.rexpr!);
  const fc = tag === 'FuncCall' ? (body as P.FuncCall) : null;
  const isEscape = fc !== null && strings(fc.funcname).pop() === 'like_escape';
  const pattern = walk(isEscape ? fc.args![0]! : a.rexpr!, lv);
  if (!isEscape) return binary(lv, op, l, pattern, a.location);
  const esc = coerce(st, walk(fc.args![1]!, lv), ref(T.text), 'implicit', position);
  if (typeof esc.constant !== 'string' || esc.constant.length > 1) {
    throw new ChorusError('22025', 'invalid escape string', {
      hint: 'Escape string must be empty or one character.',
      position,
    });
  }
  const lt = l.type === T.bpchar ? l : coerce(st, l, ref(T.text), 'implicit', position);
  const pt = coerce(st, pattern, ref(T.text), 'implicit', position);
  const negate = op.startsWith('!');
  const ci = op.endsWith('*');
  const lhs = ci ? `pg_lower(${lt.sql})` : lt.sql;
  const rhs = ci ? `pg_lower(${pt.sql})` : pt.sql;
  const escapeClause = esc.constant === '' ? '' : ` ESCAPE ${esc.sql}`;
  const sql = `${lhs} ${negate ? 'NOT ' : ''}LIKE ${rhs}${escapeClause}`;
  return merge(typed(`(${sql})`, T.bool), l, pattern, esc);
}

/**
 * `(a OR b OR c ...)` as a balanced tree of parentheses: SQLite parses a flat chain as deep as it is
 * long, and refuses expressions deeper than 1000 (an IN list of 1000 parameters, 1000 ORs). OR and AND are
 * associative in three-valued logic, so the grouping does not change the answer.
 */
export function balanced(parts: readonly string[], joiner: string): string {
  if (parts.length <= inListFlatMax) return `(${parts.join(joiner)})`;
  const half = Math.ceil(parts.length / 2);
  return `(${balanced(parts.slice(0, half), joiner)}${joiner}${balanced(parts.slice(half), joiner)})`;
}

/** IN-list comparisons joined flat before the list is split in halves (SQLite's depth limit: 1000). */
const inListFlatMax = 64;
