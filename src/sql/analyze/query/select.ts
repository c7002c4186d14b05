// SELECT: WITH, FROM, WHERE, GROUP BY (with PostgreSQL's 42803 rule), HAVING, windows, the select
// list (`*`, names as PostgreSQL names them), DISTINCT, ORDER BY (NULLS LAST by default), LIMIT /
// OFFSET, VALUES lists and set operations with their common column types. Every query level emits
// its output columns as "c1".."cN", so outer levels reference them without name clashes.

import type * as P from '@pgsql/types';
import { ChorusError, FeatureNotSupportedError } from '../../../errors.js';
import { nodeOf } from '../../parse/parser.js';
import { formatType, ref, T, type TypeRef } from '../../types/pg-types.js';
import type { Typed } from '../context.js';
import {
  checkNoOuterAggregate,
  hasOuterAggregate,
  outerAggregateCount,
} from '../expr/aggregates/agg-level.js';
import { coerce, commonType, requireBool } from '../expr/coercion/coerce.js';
import { requireEquality } from '../expr/comparison/keys.js';
import { type Analyzer, exprPos, type Level, pos, strings } from '../level.js';
import { quoteId, Scope } from '../scope.js';
import { distinctOnItems, distinctOnSql } from './distinct-on.js';
import { fromClause } from './from.js';
import { type GroupState, groupBy, groupKeySql, LazyGroupCheck, needsGroupKey } from './grouping.js';
import { orderBy, windowClause } from './order.js';
import { type SrfItem, srfFrom } from './srf-zip.js';

export interface OutColumn {
  name: string;
  type: TypeRef;
  /** Table and column this output reads directly (RowDescription's table OID and attribute number). */
  table?: string;
  attnum?: number;
}

export interface SelectResult {
  sql: string;
  columns: OutColumn[];
  /**
   * A set operation's leaf: output columns left untyped (literals, parameters) for the set operation
   * to resolve, as PostgreSQL does; `placeholder` stands in `sql` for the value's SQL.
   */
  untyped?: { index: number; placeholder: string; e: Typed }[];
}

const setOpKeyword: Record<string, string> = {
  SETOP_UNION: 'UNION',
  SETOP_INTERSECT: 'INTERSECT',
  SETOP_EXCEPT: 'EXCEPT',
};

/**
 * A SELECT. `unknownAs`: INSERT ... SELECT's target column types, which PostgreSQL gives the
 * untyped literals and parameters of a plain SELECT's output (elsewhere they become text).
 */
export function selectStmt(
  an: Analyzer,
  s: P.SelectStmt,
  outer: Scope | null,
  unknownAs: readonly (TypeRef | null)[] = [],
  setOpLeaf = false,
): SelectResult {
  const scope = new Scope(outer);
  let withSql = '';
  if (s.withClause) withSql = withClause(an, s.withClause, scope);
  let body: SelectResult;
  if (s.op && s.op !== 'SETOP_NONE') body = setOperation(an, s, scope);
  else if (s.valuesLists) body = values(an, s, scope);
  else body = simpleSelect(an, s, scope, unknownAs, setOpLeaf);
  return { ...body, sql: withSql + body.sql };
}

/** A WITH clause: each CTE analyzed and registered in `scope`; returns the `WITH ...` prefix. */
export function withClause(an: Analyzer, w: P.WithClause, scope: Scope): string {
  const parts: string[] = [];
  for (const n of w.ctes ?? []) {
    const cte = nodeOf(n)[1] as P.CommonTableExpr;
    const name = cte.ctename!;
    const aliases = strings(cte.aliascolnames);
    const [tag, q] = nodeOf(cte.ctequery!);
    if (tag !== 'SelectStmt') throw new FeatureNotSupportedError('data-modifying statements in WITH');
    const sel = q as P.SelectStmt;
    let result: SelectResult;
    if (w.recursive && sel.op === 'SETOP_UNION' && sel.larg) {
      // The non-recursive term fixes the column types; then the CTE is visible to the recursive term.
      const seed = selectStmt(an, sel.larg, scope);
      scope.ctes.set(name, { columns: named(seed.columns, aliases), sql: name });
      result = selectStmt(an, sel, scope);
    } else {
      result = selectStmt(an, sel, scope);
    }
    const cols = named(result.columns, aliases);
    scope.ctes.set(name, { columns: cols, sql: name });
    parts.push(`${quoteId(name)}(${cols.map((_, i) => `"c${i + 1}"`).join(', ')}) AS (${result.sql})`);
  }
  return `WITH ${w.recursive ? 'RECURSIVE ' : ''}${parts.join(', ')} `;
}

function named(cols: readonly OutColumn[], aliases: readonly string[]): { name: string; type: TypeRef }[] {
  if (aliases.length > cols.length) {
    throw new ChorusError(
      '42P10',
      `WITH query has ${cols.length} columns available but ${aliases.length} columns specified`,
    );
  }
  return cols.map((c, i) => ({ name: aliases[i] ?? c.name, type: c.type }));
}

/** Output expressions: unknown literals and parameters become text, as PostgreSQL resolves them. */
export function finalizeOutput(an: Analyzer, e: Typed): Typed {
  return e.type === T.unknown ? coerce(an.st, e, ref(T.text), 'implicit') : e;
}

function simpleSelect(
  an: Analyzer,
  s: P.SelectStmt,
  scope: Scope,
  unknownAs: readonly (TypeRef | null)[],
  setOpLeaf: boolean,
): SelectResult {
  const st = an.st;
  if (s.lockingClause && s.lockingClause.length > 0) an.lockingClause(s.lockingClause);
  if (s.intoClause) throw new FeatureNotSupportedError('SELECT INTO');
  let from = s.fromClause ? fromClause(an, s.fromClause, scope) : '';

  const lv = an.level(scope, 'WHERE');
  let where = '';
  if (s.whereClause) {
    const before = outerAggregateCount(scope);
    const w = an.expr(s.whereClause, lv);
    checkNoOuterAggregate(scope, before, 'WHERE');
    where = ` WHERE ${requireBool(st, w, 'WHERE', exprPos(st, s.whereClause)).sql}`;
  }
  const group: GroupState | null = groupBy(an, s, scope);
  const sel = an.level(scope, null);
  sel.windows = true;
  // Without GROUP BY the level is grouped only if it turns out to aggregate: violations wait.
  const checker = group ? group.checker : new LazyGroupCheck(false);
  sel.grouped = checker;
  if (group) sel.groupedExprs = group.fingerprints;
  // Named windows first: the select list and ORDER BY may refer to them.
  const windows = windowClause(an, s.windowClause, sel);

  // The select list. A set operation's leaf leaves untyped outputs to the set operation (not under
  // DISTINCT, which resolves them as text first, as PostgreSQL does).
  const distinct = distinctClause(s);
  const keepUntyped = setOpLeaf && distinct === '';
  const untyped: NonNullable<SelectResult['untyped']> = [];
  const targets: { e: Typed; name: string }[] = [];
  const srfItems: SrfItem[] = [];
  sel.srf = (fc) => selectListSrf(an, fc, sel, srfItems);
  for (const t of s.targetList ?? []) {
    const rt = nodeOf(t)[1] as P.ResTarget;
    const [vtag, vbody] = nodeOf(rt.val!);
    if (vtag === 'ColumnRef' && strings((vbody as P.ColumnRef).fields).at(-1) === '*') {
      const fields = strings((vbody as P.ColumnRef).fields);
      const position = pos(st, rt.location);
      const qualifier = fields.length > 1 ? fields[fields.length - 2] : undefined;
      for (const c of scope.star(qualifier, position)) {
        checker.check(c.name, undefined, position);
        targets.push({
          e: { sql: c.sql, type: c.type.type, typmod: c.type.typmod, colname: c.name },
          name: c.name,
        });
      }
      continue;
    }
    const raw = an.expr(rt.val!, sel);
    const target = unknownAs[targets.length];
    if (keepUntyped && raw.type === T.unknown && !target) {
      const placeholder = `\u0001u${untypedPlaceholders++}\u0001`;
      untyped.push({ index: targets.length, placeholder, e: raw });
      targets.push({ e: { ...raw, sql: placeholder }, name: rt.name ?? raw.colname ?? '?column?' });
      continue;
    }
    const e =
      raw.type === T.unknown && target
        ? coerce(st, raw, ref(target.type), 'assignment')
        : finalizeOutput(an, raw);
    targets.push({ e, name: rt.name ?? e.colname ?? '?column?' });
  }
  sel.srf = undefined;
  let having = '';
  if (s.havingClause) {
    const h = an.expr(s.havingClause, sel);
    const cond = requireBool(st, h, 'HAVING', exprPos(st, s.havingClause)).sql;
    having = ` HAVING ${cond}`;
    // HAVING makes the query one group even without an aggregate in the select list (`SELECT 1
    // HAVING false`), which SQLite refuses: the one group is computed below (its HAVING value and a
    // count(*), so it is an aggregate), and the select list (no FROM column: 42803) kept if it holds.
    if (!group && !targets.some((t) => t.e.hasAggregate)) {
      const alias = quoteId(st.uniqueAlias());
      from = `(SELECT (${cond}) AS "h", count(*)${from ? ` FROM ${from}` : ''}${where}) AS ${alias}`;
      where = ` WHERE ${alias}."h"`;
      having = '';
    }
  }
  const columns: OutColumn[] = targets.map((t) => ({
    name: t.name,
    type: { type: t.e.type, typmod: t.e.typmod },
  }));
  if (distinct) for (const t of targets) requireEquality(t.e.type);
  // DISTINCT compares stored values; where PostgreSQL's equality differs (1.5 = 1.50) the rows are
  // grouped by their keys around the query instead, and ORDER BY reads the outputs.
  const keyedDistinct = distinct !== '' && targets.some((t) => needsGroupKey(t.e));
  const distinctOn = distinctOnItems(s);
  const order =
    distinctOn.length > 0
      ? ''
      : orderBy(
          an,
          s.sortClause ?? [],
          sel,
          targets.map((t, i) => ({
            name: t.name,
            e: t.e,
            keySql: keyedDistinct ? `"c${i + 1}"` : undefined,
          })),
          distinct !== '',
        );
  const aggregated =
    targets.some((t) => t.e.hasAggregate) || s.havingClause !== undefined || hasOuterAggregate(scope);
  if (!group && aggregated && checker.firstViolation) throw checker.firstViolation;
  if (srfItems.length > 0) {
    if (group || aggregated || windows || targets.some((t) => t.e.hasWindow) || distinctOn.length > 0) {
      throw new FeatureNotSupportedError(
        'a set-returning function in the select list of a grouped, aggregated or windowed query',
        { hint: 'Move the set-returning function into FROM.' },
      );
    }
    // Each row of FROM joined to the functions' rows: PostgreSQL's ProjectSet (srf-zip.ts).
    from = srfFrom(from, srfItems, quoteId(st.uniqueAlias()));
  }
  // An empty select list (`SELECT FROM t`, `EXISTS (SELECT FROM ...)`): rows of no columns.
  const list = targets.length === 0 ? 'NULL' : targets.map((t, i) => `${t.e.sql} AS "c${i + 1}"`).join(', ');
  const groupSql = group?.sql ?? '';
  const rest = `${from ? ` FROM ${from}` : ''}${where}${groupSql}${having}${windows}`;
  if (distinctOn.length > 0) {
    const sql = distinctOnSql(an, s, sel, targets, distinctOn, { list, rest }, limitClause(an, s, scope));
    return { sql, columns, untyped: untyped.length > 0 ? untyped : undefined };
  }
  const body = `${list}${rest}`;
  let sql: string;
  if (keyedDistinct) {
    const outs = targets.map((t, i) => groupKeySql({ ...t.e, sql: `"c${i + 1}"` }));
    const cols = targets.map((_, i) => `"c${i + 1}"`).join(', ');
    sql = `SELECT ${cols} FROM (SELECT ${body}) GROUP BY ${outs.join(', ')}${order}`;
  } else sql = `SELECT ${distinct}${body}${order}`;
  sql += limitClause(an, s, scope);
  return { sql, columns, untyped: untyped.length > 0 ? untyped : undefined };
}

let untypedPlaceholders = 0;

/** A set-returning function in a select list: its rows become a FROM item; the call is its column. */
function selectListSrf(an: Analyzer, fc: P.FuncCall, sel: Level, items: SrfItem[]): Typed {
  const st = an.st;
  const name = strings(fc.funcname).pop()!;
  const alias = st.uniqueAlias();
  const fn = an.rangeFunction(fc, sel, alias);
  const a = quoteId(alias);
  items.push({
    sql: fn.sql,
    alias: a,
    ordinalitySql: fn.ordinalitySql?.(a) ?? null,
    position: pos(st, fc.location),
  });
  const col = fn.columns[0]!;
  const sql = fn.columnSql ? fn.columnSql(a)[0]! : `${a}."c1"`;
  return { sql, type: col.type.type, typmod: col.type.typmod, colname: name };
}

function distinctClause(s: P.SelectStmt): string {
  if (!s.distinctClause) return '';
  // `DISTINCT` arrives as a list holding one empty node; DISTINCT ON lists expressions.
  const real = s.distinctClause.filter((n) => Object.keys(n).length > 0);
  if (real.length > 0) return ''; // DISTINCT ON: distinct-on.ts
  return 'DISTINCT ';
}

export function limitClause(an: Analyzer, s: P.SelectStmt, scope: Scope): string {
  const st = an.st;
  if (s.limitOption === 'LIMIT_OPTION_WITH_TIES') throw new FeatureNotSupportedError('FETCH ... WITH TIES');
  const lv: Level = an.level(scope, 'LIMIT');
  const value = (n: P.Node | undefined, what: string): string | null => {
    if (!n) return null;
    const [tag, body] = nodeOf(n);
    if (tag === 'A_Const' && (body as P.A_Const).isnull) return null;
    // PostgreSQL's coerce_to_specific_type: an assignment cast (LIMIT 1.5 rounds to 2).
    const x = an.expr(n, lv);
    let e: Typed;
    try {
      e = coerce(st, x, ref(T.int8), 'assignment');
    } catch (err) {
      if (!(err instanceof ChorusError) || (err.sqlstate !== '42804' && err.sqlstate !== '42846')) throw err;
      throw new ChorusError(
        '42804',
        `argument of ${what} must be type bigint, not type ${formatType(x.type, x.typmod)}`,
        {
          position: exprPos(st, n),
        },
      );
    }
    return `pg_limit(${e.sql}, '${what}')`;
  };
  const limit = value(s.limitCount, 'LIMIT');
  const offset = value(s.limitOffset, 'OFFSET');
  if (limit === null && offset === null) return '';
  return ` LIMIT ${limit ?? '-1'}${offset ? ` OFFSET ${offset}` : ''}`;
}

function values(an: Analyzer, s: P.SelectStmt, scope: Scope): SelectResult {
  const st = an.st;
  const lv = an.level(scope, 'VALUES');
  const rows = (s.valuesLists ?? []).map((r) =>
    ((nodeOf(r)[1] as P.List).items ?? []).map((n) => an.expr(n, lv)),
  );
  const width = rows[0]?.length ?? 0;
  if (rows.some((r) => r.length !== width)) {
    throw new ChorusError('42601', 'VALUES lists must all be the same length');
  }
  const types = Array.from({ length: width }, (_, i) =>
    commonType(
      rows.map((r) => r[i]!),
      'VALUES',
    ),
  );
  const body = rows
    .map((r) => `(${r.map((e, i) => coerce(st, e, types[i]!, 'implicit').sql).join(', ')})`)
    .join(', ');
  const list = types.map((_, i) => `"column${i + 1}" AS "c${i + 1}"`).join(', ');
  const columns = types.map((t, i) => ({ name: `column${i + 1}`, type: t }));
  const order = orderBy(
    an,
    s.sortClause ?? [],
    lv,
    columns.map((c, i) => ({
      name: c.name,
      e: { sql: `"c${i + 1}"`, type: c.type.type, typmod: c.type.typmod },
    })),
    true,
  );
  const sql = `SELECT ${list} FROM (VALUES ${body})${order}${limitClause(an, s, scope)}`;
  return { sql, columns };
}

/**
 * A set operation: the branches' columns are matched by position and resolved to common types
 * (untyped literals of a leaf take the common type). UNION / INTERSECT / EXCEPT compare rows by
 * PostgreSQL's equality: where a column's stored form is not canonical (expr/keys.ts) the rows are
 * grouped by their keys, keeping the first row of each group (the left branch's first).
 */
function setOperation(an: Analyzer, s: P.SelectStmt, scope: Scope): SelectResult {
  const st = an.st;
  const op = setOpKeyword[s.op!]!;
  const left = branch(an, s.larg!, scope, true);
  const right = branch(an, s.rarg!, scope, false);
  if (left.columns.length !== right.columns.length) {
    throw new ChorusError('42601', `each ${op} query must have the same number of columns`);
  }
  const types = left.columns.map((c, i) =>
    commonType(
      [
        { sql: '', type: c.type.type, typmod: c.type.typmod },
        { sql: '', type: right.columns[i]!.type.type, typmod: right.columns[i]!.type.typmod },
      ],
      op,
    ),
  );
  resolveUntyped(an, left, types);
  resolveUntyped(an, right, types);
  const wrap = (b: SelectResult, needWrap: boolean): string => {
    const casts = b.columns.map((c, i) => {
      const t = types[i]!;
      if (c.type.type === t.type && (t.typmod < 0 || c.type.typmod === t.typmod)) return null;
      return coerce(st, { sql: `"c${i + 1}"`, type: c.type.type, typmod: c.type.typmod }, t, 'implicit').sql;
    });
    if (casts.every((c) => c === null)) return needWrap ? `SELECT * FROM (${b.sql})` : b.sql;
    return `SELECT ${casts.map((c, i) => `${c ?? `"c${i + 1}"`} AS "c${i + 1}"`).join(', ')} FROM (${b.sql})`;
  };
  const columns = left.columns.map((c, i) => ({ name: c.name, type: types[i]! }));
  const outputs = columns.map((c, i) => ({
    name: c.name,
    e: { sql: `"c${i + 1}"`, type: c.type.type, typmod: c.type.typmod },
  }));
  if (!s.all || op !== 'UNION') for (const o of outputs) requireEquality(o.e.type);
  let sql: string;
  if (s.all && op !== 'UNION') {
    sql = countedSetOperation(
      op,
      wrap(left, true),
      wrap(right, true),
      outputs.map((o) => o.e),
    );
  } else if (!s.all && outputs.some((o) => needsGroupKey(o.e))) {
    sql = keyedSetOperation(
      op,
      wrap(left, true),
      wrap(right, true),
      outputs.map((o) => o.e),
    );
  } else sql = `${wrap(left, left.wrap)} ${op}${s.all ? ' ALL' : ''} ${wrap(right, right.wrap)}`;
  if ((s.sortClause?.length ?? 0) > 0 || s.limitCount || s.limitOffset) {
    const order = orderBy(an, s.sortClause ?? [], an.level(new Scope(scope), 'ORDER BY'), outputs, true);
    sql = `SELECT * FROM (${sql})${order}${limitClause(an, s, scope)}`;
  }
  return { sql, columns };
}

/**
 * UNION / INTERSECT / EXCEPT by keys: both sides (left rows first) grouped by the columns' keys;
 * a group is kept by UNION always, by INTERSECT when both sides have rows in it, by EXCEPT when only
 * the left has. The group's first row (SQLite's sorter keeps input order among equal keys) is shown.
 */
function keyedSetOperation(op: string, left: string, right: string, outs: readonly Typed[]): string {
  const cols = outs.map((o) => o.sql).join(', ');
  const keys = outs.map((o) => groupKeySql(o)).join(', ');
  if (op === 'UNION') return `SELECT ${cols} FROM (${left} UNION ALL ${right}) GROUP BY ${keys}`;
  const sides = `SELECT *, 0 AS "_side" FROM (${left}) UNION ALL SELECT *, 1 FROM (${right})`;
  const keep = op === 'EXCEPT' ? 'sum("_side") = 0' : 'sum("_side") > 0 AND sum("_side") < count(*)';
  return `SELECT ${cols} FROM (${sides}) GROUP BY ${keys} HAVING ${keep}`;
}

/**
 * INTERSECT ALL / EXCEPT ALL (SQLite has neither): each side's rows are numbered within their group
 * of equal rows (by PostgreSQL's equality); a left row with number n is kept by INTERSECT ALL when
 * the right side has an n-th equal row, by EXCEPT ALL when it has not — min(l, r) and l - r copies.
 */
function countedSetOperation(op: string, left: string, right: string, outs: readonly Typed[]): string {
  const keyOf = (alias: string, o: Typed, i: number): string =>
    groupKeySql({ ...o, sql: `"${alias}"."c${i + 1}"` });
  const numbered = (side: string): string =>
    `SELECT *, row_number() OVER (PARTITION BY ${outs.map((o) => groupKeySql(o)).join(', ')}) AS "_n" FROM (${side})`;
  const same = outs.map((o, i) => `${keyOf('r', o, i)} IS ${keyOf('l', o, i)}`).join(' AND ');
  const cols = outs.map((_, i) => `"l"."c${i + 1}"`).join(', ');
  const exists = `EXISTS (SELECT 1 FROM (${numbered(right)}) AS "r" WHERE ${same} AND "r"."_n" = "l"."_n")`;
  return `SELECT ${cols} FROM (${numbered(left)}) AS "l" WHERE ${op === 'EXCEPT' ? 'NOT ' : ''}${exists}`;
}

/** A leaf's untyped outputs take the set operation's column types (coerced where they stand). */
function resolveUntyped(an: Analyzer, b: SelectResult, types: readonly TypeRef[]): void {
  for (const u of b.untyped ?? []) {
    const t = types[u.index]!;
    const c = coerce(an.st, u.e, t, 'implicit');
    b.sql = b.sql.replaceAll(u.placeholder, () => c.sql);
    b.columns[u.index] = { ...b.columns[u.index]!, type: { type: t.type, typmod: t.typmod } };
  }
  b.untyped = undefined;
}

/** A branch of a set operation; `wrap` when SQLite could not take it bare as a compound member. */
function branch(
  an: Analyzer,
  b: P.SelectStmt,
  scope: Scope,
  isLeft: boolean,
): SelectResult & { wrap: boolean } {
  const r = selectStmt(an, b, scope, [], true);
  const nested = b.op !== undefined && b.op !== 'SETOP_NONE';
  const hasTail =
    (b.sortClause?.length ?? 0) > 0 ||
    b.limitCount !== undefined ||
    b.limitOffset !== undefined ||
    b.withClause !== undefined;
  // SQLite's compound operators are left-associative with one precedence: nest the right side.
  return { ...r, wrap: hasTail || (nested && !isLeft) || b.valuesLists !== undefined };
}

export { pos };
