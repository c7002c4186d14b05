// Shared pieces of expression analysis: the host interface the statement analyzer implements, one
// query level's context, positions for errors, names and type names from the parse tree.

import type * as P from '@pgsql/types';
import { ChorusError, FeatureNotSupportedError } from '../../errors.js';
import { errorPosition, nodeOf } from '../parse/parser.js';
import { arrayTypeOf, formatType, ref, T, type TypeRef } from '../types/pg-types.js';
import { resolveTypeName } from '../types/type-names.js';
import type { AnalyzeState, CatalogColumn, CatalogRelation, Typed } from './context.js';
import type { Scope } from './scope.js';

/** What expression analysis needs from the statement analyzer (owned here to keep imports one-way). */
export interface ExprHost {
  readonly st: AnalyzeState;
  /** A subquery at a nested level: its SQL and output columns. */
  subquery(node: P.Node, outer: Scope): { sql: string; columns: { name: string; type: TypeRef }[] };
  /** A function call (including aggregates and window functions). */
  call(fc: P.FuncCall, lv: Level): Typed;
  /** Group-by membership for a grouped query level (null when the level is not grouped). */
  groupedMatch?(n: P.Node, lv: Level): Typed | null;
}

/** A function in FROM: its SQL and columns. */
export interface RangeFunctionResult {
  sql: string;
  columns: { name: string; type: TypeRef }[];
  /** Each column's SQL given the item's quoted alias (default: `alias."cN"`). */
  columnSql?: (alias: string) => string[];
  /** WITH ORDINALITY's column given the quoted alias; absent where the rows cannot be numbered. */
  ordinalitySql?: (alias: string) => string;
}

/** One query level's expression context. */
export interface Level {
  readonly host: ExprHost;
  readonly scope: Scope;
  /** Set where aggregates are not allowed: the clause, for the message ("WHERE", "JOIN conditions"). */
  noAggregates: string | null;
  windows: boolean;
  /** >0 while inside an aggregate's arguments. */
  inAggregate: number;
  /** A grouped level: column references outside aggregates must be grouped (42803). */
  grouped?: { check(col: string, table: string | undefined, position?: number): void };
  /** Fingerprints of the GROUP BY expressions (an expression equal to one is grouped as a whole). */
  groupedExprs?: Set<string>;
  /** Set in a select list: a set-returning function call (unnest, ...) joined to the level's FROM. */
  srf?: (fc: P.FuncCall) => Typed;
}

export function pos(st: AnalyzeState, location: number | undefined): number | undefined {
  return errorPosition(st.text, location);
}

/** The error position of an expression node (its first location). */
export function exprPos(st: AnalyzeState, n: P.Node | undefined): number | undefined {
  if (!n) return undefined;
  const body = Object.values(n)[0] as { location?: number } | undefined;
  return errorPosition(st.text, body?.location);
}

export function strings(nodes: readonly P.Node[] | undefined): string[] {
  return (nodes ?? []).map((n) => {
    const [tag, body] = nodeOf(n);
    if (tag === 'String') return (body as P.String).sval ?? '';
    if (tag === 'A_Star') return '*';
    throw new ChorusError('42601', `unexpected ${tag} in a name`);
  });
}

/** A TypeName node as a type reference (typmods evaluated). */
export function typeOf(st: AnalyzeState, tn: P.TypeName): TypeRef {
  const names = strings(tn.names);
  const mods = (tn.typmods ?? []).map((m) => {
    const [tag, body] = nodeOf(m);
    const c = body as P.A_Const;
    if (tag === 'A_Const' && c.ival !== undefined) return c.ival.ival ?? 0;
    throw new ChorusError('42601', 'type modifiers must be simple constants', {
      position: pos(st, tn.location),
    });
  });
  // INTERVAL's field restrictions (YEAR TO MONTH, ...) arrive as a leading mask typmod: keep precision only.
  const base =
    names[names.length - 1] === 'interval' && mods.length > 0
      ? ref(T.interval, mods.length > 1 ? mods[1]! : -1)
      : resolveTypeIn(st, names, mods, pos(st, tn.location));
  if (!tn.arrayBounds || tn.arrayBounds.length === 0) return base;
  // int[], int[][] and int ARRAY are one type (PostgreSQL ignores the dimensions).
  const arr = base.type.elem ? base.type : arrayTypeOf(base.type);
  if (!arr) throw new FeatureNotSupportedError(`an array of type ${formatType(base.type, base.typmod)}`);
  return ref(arr, base.typmod);
}

/**
 * A type by name: the built-in types (pg_catalog comes first on every search path), then the
 * catalog's enum types (`mood`, `s.mood`, `_mood`) along the session's search path.
 */
export function resolveTypeIn(
  st: AnalyzeState,
  names: readonly string[],
  mods: readonly number[],
  position?: number,
): TypeRef {
  try {
    return resolveTypeName(names, mods, position);
  } catch (e) {
    if (!(e instanceof ChorusError) || e.sqlstate !== '42704' || !st.catalog.enumType) throw e;
    const schema = names.length > 1 ? names[names.length - 2]! : null;
    const base = names[names.length - 1]!;
    const found =
      st.catalog.enumType(schema, base)?.type ??
      (base.startsWith('_')
        ? st.catalog.enumType(schema, base.slice(1))?.type.enumInfo?.arrayType
        : undefined);
    if (!found || names.length > 2) throw e;
    if (mods.length > 0)
      throw new ChorusError('42601', `type modifier is not allowed for type "${found.name}"`, { position });
    return ref(found);
  }
}

/** Carry aggregate/window flags of the inputs into a result. */
export function merge(out: Typed, ...inputs: Typed[]): Typed {
  for (const i of inputs) {
    if (i.hasAggregate) out.hasAggregate = true;
    if (i.hasWindow) out.hasWindow = true;
  }
  return out;
}

/** The statement analyzer as the parts of analysis see it (implemented by statement.ts). */
export interface Analyzer extends ExprHost {
  level(scope: Scope, noAggregates: string | null): Level;
  expr(n: P.Node, lv: Level): Typed;
  rangeFunction(fc: P.FuncCall, lv: Level, alias: string): RangeFunctionResult;
  /** A column's default as SQL evaluated by the statement (see StatementAnalyzer.defaultExpr). */
  defaultExpr(rel: CatalogRelation, col: CatalogColumn): string;
  /** FOR UPDATE / FOR SHARE seen. */
  lockingClause(clauses: readonly P.Node[]): void;
}
