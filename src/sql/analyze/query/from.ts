// The FROM clause: tables, views and admin relations from the catalog, CTE references, subqueries
// (LATERAL or not), VALUES lists, joins (ON, USING, NATURAL — USING columns merged as PostgreSQL
// merges them) and set-returning functions, each given an alias SQLite sees and a scope entry.

import type * as P from '@pgsql/types';
import { ChorusError, FeatureNotSupportedError, UndefinedTableError } from '../../../errors.js';
import { nodeOf } from '../../parse/parser.js';
import { lateralColumnsMax } from '../../runtime/lateral.js';
import { ref, T, type TypeRef } from '../../types/pg-types.js';
import type { CatalogRelation } from '../context.js';
import { coerce, commonType, requireBool } from '../expr/coercion/coerce.js';
import { applyOperator } from '../expr/operators/operators.js';
import { exprPos, type Level, pos, type RangeFunctionResult, strings } from '../level.js';
import { checkInternal, quoteId, type RangeItem, Scope, type ScopeColumn } from '../scope.js';
import { viewQuery } from './view-text.js';

/** What the FROM clause needs from the statement analyzer. */
export interface FromHost {
  subquery(node: P.Node, outer: Scope): { sql: string; columns: { name: string; type: TypeRef }[] };
  level(scope: Scope, clause: string): Level;
  expr(n: P.Node, lv: Level): import('../context.js').Typed;
  /** A set-returning function in FROM (generate_series, ...). */
  rangeFunction(fc: P.FuncCall, lv: Level, alias: string): RangeFunctionResult;
}

/** Analyze a FROM list into `scope`; returns the SQL after FROM. */
export function fromClause(host: FromHost, items: readonly P.Node[], scope: Scope): string {
  const parts = items.map((n) => fromItem(host, n, scope));
  for (const i of scope.items) i.visible = true;
  return parts.join(', ');
}

function aliasNames(a: P.Alias | undefined): { name?: string; cols: string[] } {
  if (!a) return { cols: [] };
  return { name: a.aliasname, cols: strings(a.colnames) };
}

/** Column names of a derived relation, renamed by an alias column list (42P10 when too many). */
function renamed(
  cols: readonly { name: string; type: TypeRef }[],
  names: readonly string[],
  what: string,
  position?: number,
): { name: string; type: TypeRef }[] {
  if (names.length > cols.length) {
    throw new ChorusError(
      '42P10',
      `${what} has ${cols.length} columns available but ${names.length} columns specified`,
      {
        position,
      },
    );
  }
  return cols.map((c, i) => ({ name: names[i] ?? c.name, type: c.type }));
}

function relationItem(
  rel: CatalogRelation,
  alias: string,
  schema: string | undefined,
  colNames: string[],
): RangeItem {
  const a = quoteId(alias);
  const columns: ScopeColumn[] = rel.columns.map((c, i) => ({
    name: colNames[i] ?? c.name,
    type: c.type ?? ref(T.text),
    sql: `${a}.${quoteId(c.sqlName ?? c.name)}`,
    catalog: c,
    relation: rel,
  }));
  return { alias, schema, relation: rel, columns, visible: false };
}

function fromItem(host: FromHost, n: P.Node, scope: Scope): string {
  const [tag, body] = nodeOf(n);
  switch (tag) {
    case 'RangeVar':
      return rangeVar(host, body as P.RangeVar, scope);
    case 'RangeSubselect': {
      const r = body as P.RangeSubselect;
      const position = pos(scopeSt(host, scope), undefined);
      const { name, cols } = aliasNames(r.alias);
      if (!name) throw new ChorusError('42601', 'subquery in FROM must have an alias', { position });
      // A LATERAL subquery sees the items before it; others see only enclosing query levels.
      const before = scope.items.map((i) => i.visible);
      if (r.lateral) for (const i of scope.items) i.visible = true;
      const refsBefore = scope.outerRefs;
      let sub: ReturnType<FromHost['subquery']>;
      try {
        sub = host.subquery(r.subquery!, scope);
      } finally {
        scope.items.forEach((i, k) => {
          i.visible = before[k]!;
        });
      }
      const columns = renamed(sub.columns, cols, `table "${name}"`);
      const a = quoteId(name);
      scope.add({
        alias: name,
        columns: columns.map((c, i) => ({ name: c.name, type: c.type, sql: `${a}."c${i + 1}"` })),
        visible: false,
      });
      if (r.lateral && scope.outerRefs > refsBefore) return `${lateralRows(sub, position)} AS ${a}`;
      return `(${sub.sql}) AS ${a}`;
    }
    case 'JoinExpr':
      return join(host, body as P.JoinExpr, scope);
    case 'RangeFunction': {
      const r = body as P.RangeFunction;
      const fnNode = (r.functions?.[0] as { List?: P.List } | undefined)?.List?.items?.[0];
      const [ftag, fbody] = fnNode ? nodeOf(fnNode) : ['', {}];
      if (ftag !== 'FuncCall' || (r.functions?.length ?? 0) !== 1 || r.is_rowsfrom) {
        throw new FeatureNotSupportedError('this function in FROM');
      }
      const fc = fbody as P.FuncCall;
      const { name, cols } = aliasNames(r.alias);
      const fname = strings(fc.funcname).pop()!;
      const alias = name ?? fname;
      const before = scope.items.map((i) => i.visible);
      for (const i of scope.items) i.visible = true; // function arguments may refer to earlier items
      let fn: ReturnType<FromHost['rangeFunction']>;
      try {
        fn = host.rangeFunction(fc, host.level(scope, 'functions in FROM'), alias);
      } finally {
        scope.items.forEach((i, k) => {
          i.visible = before[k]!;
        });
      }
      if (r.ordinality && !fn.ordinalitySql) {
        throw new FeatureNotSupportedError(`WITH ORDINALITY for ${fname}()`, {
          position: pos(scopeSt(host, scope), fc.location),
        });
      }
      // A single-column function's column is named after the alias (PostgreSQL).
      const base =
        fn.columns.length === 1 && (cols.length === 0 || r.ordinality)
          ? [{ name: cols.length === 0 ? alias : fn.columns[0]!.name, type: fn.columns[0]!.type }]
          : [...fn.columns];
      if (r.ordinality) base.push({ name: 'ordinality', type: ref(T.int8) });
      const columns = renamed(base, cols, `function "${fname}"`);
      const a = quoteId(alias);
      const sqls = fn.columnSql ? fn.columnSql(a) : fn.columns.map((_, i) => `${a}."c${i + 1}"`);
      if (r.ordinality) sqls.push(fn.ordinalitySql!(a));
      scope.add({
        alias,
        columns: columns.map((c, i) => ({ name: c.name, type: c.type, sql: sqls[i]! })),
        visible: false,
      });
      return `${fn.sql} AS ${a}`;
    }
    default:
      throw new FeatureNotSupportedError(`${tag} in FROM`);
  }
}

/**
 * A LATERAL subquery that reads the items before it: SQLite's FROM-clause subqueries cannot, its
 * table-valued functions' arguments can (runtime/lateral.ts). Columns stay "c1".."cN".
 */
function lateralRows(sub: { sql: string; columns: readonly unknown[] }, position?: number): string {
  const n = sub.columns.length;
  if (n > lateralColumnsMax) {
    throw new FeatureNotSupportedError(`a LATERAL subquery with more than ${lateralColumnsMax} columns`, {
      position,
    });
  }
  const cols = Array.from({ length: n }, (_, i) => `"c${i + 1}"`).join(', ');
  return `pg_lateral_rows((SELECT pg_lateral_pack(${cols}) FROM (${sub.sql})))`;
}

function scopeSt(host: FromHost, scope: Scope) {
  return host.level(scope, '').host.st;
}

function rangeVar(host: FromHost, r: P.RangeVar, scope: Scope): string {
  const st = scopeSt(host, scope);
  const position = pos(st, r.location);
  const relname = r.relname!;
  const { name: aliasName, cols } = aliasNames(r.alias);
  const alias = aliasName ?? relname;
  if (!r.schemaname) {
    const cte = scope.cte(relname);
    if (cte) {
      const columns = renamed(cte.columns, cols, `table "${alias}"`);
      const a = quoteId(alias);
      scope.add(
        {
          alias,
          columns: columns.map((c, i) => ({ name: c.name, type: c.type, sql: `${a}."c${i + 1}"` })),
          visible: false,
        },
        position,
      );
      return `${quoteId(cte.sql)} AS ${a}`;
    }
  }
  checkInternal(relname, position);
  const rel = st.catalog.relation(r.schemaname ?? null, relname);
  if (!rel) {
    throw new UndefinedTableError(r.schemaname ? `${r.schemaname}.${relname}` : relname, { position });
  }
  if (cols.length > rel.columns.length) {
    throw new ChorusError(
      '42P10',
      `table "${alias}" has ${rel.columns.length} columns available but ${cols.length} columns specified`,
      { position },
    );
  }
  if (rel.onAdmin) st.usesAdmin = true;
  if (rel.temporary) st.usesTemp = true;
  if (rel.definition !== undefined) {
    // A view of the front end's: its query, analyzed here (PostgreSQL's view expansion).
    const sub = host.subquery(viewQuery(rel.definition), new Scope(null));
    const a = quoteId(alias);
    scope.add(
      {
        alias,
        schema: aliasName ? undefined : r.schemaname,
        columns: rel.columns.map((c, i) => ({
          name: cols[i] ?? c.name,
          type: c.type ?? sub.columns[i]!.type,
          sql: `${a}."c${i + 1}"`,
        })),
        visible: false,
      },
      position,
    );
    return `(${sub.sql}) AS ${a}`;
  }
  scope.add(relationItem(rel, alias, aliasName ? undefined : r.schemaname, cols), position);
  return `${rel.fromSql} AS ${quoteId(alias)}`;
}

const joinKeyword: Record<string, string> = {
  JOIN_INNER: 'JOIN',
  JOIN_LEFT: 'LEFT JOIN',
  JOIN_RIGHT: 'RIGHT JOIN',
  JOIN_FULL: 'FULL JOIN',
};

function join(host: FromHost, j: P.JoinExpr, scope: Scope): string {
  const st = scopeSt(host, scope);
  if (j.alias) throw new FeatureNotSupportedError('an alias on a JOIN');
  const firstRight = () => scope.items.length;
  const leftStart = scope.items.length;
  const left = fromItem(host, j.larg!, scope);
  const rightStart = firstRight();
  const kind = j.jointype ?? 'JOIN_INNER';
  const blocked =
    kind === 'JOIN_RIGHT' || kind === 'JOIN_FULL' ? scope.items.slice(leftStart, rightStart) : [];
  for (const i of blocked) i.lateralBlocked = true;
  let right: string;
  try {
    right = fromItem(host, j.rarg!, scope);
  } finally {
    for (const i of blocked) i.lateralBlocked = undefined;
  }
  const leftItems = scope.items.slice(0, rightStart);
  const rightItems = scope.items.slice(rightStart);
  const kw = joinKeyword[kind];
  if (!kw) throw new FeatureNotSupportedError(`join type ${kind}`);
  // Conditions see both sides (and everything before: PostgreSQL allows it only for LATERAL; SQLite too).
  const before = scope.items.map((i) => i.visible);
  for (const i of [...leftItems, ...rightItems]) i.visible = true;
  try {
    let using = strings(j.usingClause);
    if (j.isNatural) {
      const rightNames = new Set(
        rightItems.flatMap((i) => i.columns.filter((c) => !c.hidden).map((c) => c.name)),
      );
      using = [
        ...new Set(leftItems.flatMap((i) => i.columns.filter((c) => !c.hidden).map((c) => c.name))),
      ].filter((n) => rightNames.has(n));
    }
    if (using.length > 0 || j.isNatural) {
      const conds: string[] = [];
      const merged: ScopeColumn[] = [];
      for (const name of using) {
        const l = findUnique(leftItems, name, 'left');
        const r = findUnique(rightItems, name, 'right');
        const lt = { sql: l.sql, type: l.type.type, typmod: l.type.typmod };
        const rt = { sql: r.sql, type: r.type.type, typmod: r.type.typmod };
        conds.push(applyOperator(st, '=', lt, rt).sql);
        // Unqualified, the name means the merged column, of the two sides' common type: the left one
        // (inner, left joins), the right one (right joins), their COALESCE (full joins). Qualified,
        // each side's own.
        const type = commonType([lt, rt], 'JOIN/USING');
        const lc = coerce(st, lt, type, 'implicit').sql;
        const rc = coerce(st, rt, type, 'implicit').sql;
        const sql = kind === 'JOIN_FULL' ? `coalesce(${lc}, ${rc})` : kind === 'JOIN_RIGHT' ? rc : lc;
        merged.push({ name, type, sql });
        l.hidden = true;
        r.hidden = true;
      }
      // The merged columns come first in `SELECT *`, as in PostgreSQL.
      const at = scope.items.indexOf(leftItems[0]!);
      scope.items.splice(at, 0, { alias: '', columns: merged, visible: true });
      before.splice(at, 0, true);
      return `${left} ${kw} ${right} ON ${conds.length > 0 ? conds.join(' AND ') : '1'}`;
    }
    if (!j.quals)
      return kind === 'JOIN_INNER' ? `${left} CROSS JOIN ${right}` : `${left} ${kw} ${right} ON 1`;
    const lv = host.level(scope, 'JOIN conditions');
    const cond = requireBool(st, host.expr(j.quals, lv), 'JOIN/ON', exprPos(st, j.quals));
    return `${left} ${kw} ${right} ON ${cond.sql}`;
  } finally {
    scope.items.forEach((i, k) => {
      i.visible = before[k]!;
    });
  }
}

function findUnique(items: readonly RangeItem[], name: string, side: string): ScopeColumn {
  const found = items.flatMap((i) => i.columns.filter((c) => c.name === name && !c.hidden));
  if (found.length === 0) {
    throw new ChorusError(
      '42703',
      `column "${name}" specified in USING clause does not exist in ${side} table`,
    );
  }
  if (found.length > 1) {
    throw new ChorusError('42702', `common column name "${name}" appears more than once in ${side} table`);
  }
  return found[0]!;
}
