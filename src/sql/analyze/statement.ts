// One statement through the front end: the parse tree analyzed against the catalog into a Plan —
// the SQLite text, where each `?` takes its value from, the parameter types PostgreSQL would infer,
// and the result columns with their PostgreSQL types. StatementAnalyzer is the host every part of
// analysis calls back into (expressions, FROM, subqueries), so the parts never import each other.

import type * as P from '@pgsql/types';
import { ChorusError, FeatureNotSupportedError } from '../../errors.js';
import { nodeOf, parseSql } from '../parse/parser.js';
import { T, type TypeRef } from '../types/pg-types.js';
import {
  AnalyzeState,
  type BindSource,
  type Catalog,
  type CatalogColumn,
  type CatalogRelation,
  type LiteralKind,
  type Typed,
} from './context.js';
import { expr as walk } from './expr/expr.js';
import { callFunction } from './expr/functions/functions.js';
import { rangeFunction } from './expr/functions/range-functions.js';
import type { ExprHost, Level } from './level.js';
import { assign as assignDefault, deleteStmt, insertStmt, updateStmt } from './query/dml.js';
import type { FromHost } from './query/from.js';
import { fingerprint } from './query/grouping.js';
import { orderByList, windowSpec } from './query/order.js';
import { type OutColumn, selectStmt } from './query/select.js';
import { Scope } from './scope.js';

export type PlanKind = 'select' | 'insert' | 'update' | 'delete';

/** What the session runs for one statement the front end analyzed. */
export interface Plan {
  kind: PlanKind;
  /** SQLite text with positional `?`. */
  sql: string;
  /** The value of each `?`, in order. */
  bind: BindSource[];
  /** Types of $1..$n as PostgreSQL infers them (ParameterDescription). */
  paramTypes: TypeRef[];
  /** Result columns, or null for a statement that returns none. */
  columns: OutColumn[] | null;
  /** Runs on the admin connection (reads a relation served by JavaScript). */
  onAdmin: boolean;
  /** SELECT ... FOR UPDATE / FOR SHARE: takes the writer like a write would. */
  locksRows: boolean;
  /** The catalog version the plan was made against. */
  schemaVersion: number;
  /** Names a session's temporary relation (it runs on the writer connection, where they live). */
  temporary?: boolean;
  /** Target table of INSERT / UPDATE / DELETE. */
  table?: string;
}

export interface AnalyzeOptions {
  /** Types declared by the client's Parse (undefined or unknown: infer). */
  declaredParams?: readonly (TypeRef | undefined)[];
  /** Literals a normalized simple query turned into parameters. */
  literals?: readonly LiteralKind[] | null;
}

export class StatementAnalyzer implements ExprHost, FromHost {
  readonly st: AnalyzeState;
  locksRows = false;

  constructor(catalog: Catalog, text: string, opts: AnalyzeOptions = {}) {
    this.st = new AnalyzeState(catalog, text, opts.declaredParams ?? [], opts.literals ?? null);
  }

  level(scope: Scope, noAggregates: string | null): Level {
    if (noAggregates === 'check constraints' || noAggregates === 'index expressions')
      this.st.storedExpressions = noAggregates;
    return { host: this, scope, noAggregates, windows: false, inAggregate: 0 };
  }

  expr(n: P.Node, lv: Level): Typed {
    return walk(n, lv);
  }

  subquery(node: P.Node, outer: Scope): { sql: string; columns: { name: string; type: TypeRef }[] } {
    const [tag, body] = nodeOf(node);
    if (tag !== 'SelectStmt') throw new FeatureNotSupportedError(`${tag} as a subquery`);
    return selectStmt(this, body as P.SelectStmt, outer);
  }

  call(fc: P.FuncCall, lv: Level): Typed {
    return callFunction(
      fc,
      lv,
      walk,
      (over, l) => windowSpec(this, over, l),
      (sorts, l) => orderByList(this, sorts, l),
    );
  }

  groupedMatch(n: P.Node, lv: Level): Typed | null {
    if (!lv.grouped || !lv.groupedExprs || lv.groupedExprs.size === 0 || lv.inAggregate > 0) return null;
    const tag = Object.keys(n)[0];
    if (tag === 'ColumnRef' || tag === 'A_Const' || tag === 'ParamRef') return null;
    if (!lv.groupedExprs.has(fingerprint(n))) return null;
    const saved = lv.grouped;
    lv.grouped = undefined;
    try {
      return walk(n, lv);
    } finally {
      lv.grouped = saved;
    }
  }

  rangeFunction(fc: P.FuncCall, lv: Level, alias: string) {
    return rangeFunction(fc, lv, walk, alias);
  }

  /**
   * A column default as SQL in this statement (PostgreSQL evaluates defaults in the inserting
   * statement: now() is the transaction's time). The default's PostgreSQL text is parsed once.
   */
  defaultExpr(rel: CatalogRelation, col: CatalogColumn): string {
    const node = parsedDefault(col.defaultPg!);
    const lv = this.level(new Scope(null), 'DEFAULT expressions');
    const e = walk(node, lv);
    return assignDefault(this, rel, col, e);
  }

  lockingClause(clauses: readonly P.Node[]): void {
    for (const c of clauses) {
      const l = nodeOf(c)[1] as P.LockingClause;
      if (l.waitPolicy && l.waitPolicy !== 'LockWaitBlock') {
        throw new FeatureNotSupportedError(l.waitPolicy === 'LockWaitSkip' ? 'SKIP LOCKED' : 'NOWAIT');
      }
    }
    this.locksRows = true;
  }

  /** Analyze one parsed statement into a plan. */
  plan(stmt: P.Node): Plan {
    const [tag, body] = nodeOf(stmt);
    let kind: PlanKind;
    let sql: string;
    let columns: OutColumn[] | null;
    let table: string | undefined;
    switch (tag) {
      case 'SelectStmt': {
        const r = selectStmt(this, body as P.SelectStmt, null);
        kind = 'select';
        sql = r.sql;
        columns = r.columns;
        break;
      }
      case 'InsertStmt': {
        const r = insertStmt(this, body as P.InsertStmt);
        kind = 'insert';
        ({ sql, columns, table } = r);
        break;
      }
      case 'UpdateStmt': {
        const r = updateStmt(this, body as P.UpdateStmt);
        kind = 'update';
        ({ sql, columns, table } = r);
        break;
      }
      case 'DeleteStmt': {
        const r = deleteStmt(this, body as P.DeleteStmt);
        kind = 'delete';
        ({ sql, columns, table } = r);
        break;
      }
      default:
        throw new FeatureNotSupportedError(`statement ${tag}`);
    }
    const finished = this.st.finishSql(sql);
    const paramCount = this.paramCount();
    return {
      kind,
      sql: finished.sql,
      bind: finished.bind,
      paramTypes: this.st.finalParamTypes(paramCount),
      columns,
      onAdmin: this.st.usesAdmin,
      locksRows: this.locksRows || this.st.usesSequences,
      schemaVersion: this.st.catalog.version,
      ...(this.st.usesTemp ? { temporary: true } : {}),
      table,
    };
  }

  private paramCount(): number {
    let n = this.st.paramTypes.length;
    for (const s of this.st.sources) if (s.kind === 'param') n = Math.max(n, s.index + 1);
    return n;
  }
}

/** Parse-time check PostgreSQL makes for `$n` beyond what the client declared: none (types are inferred). */
export function declaredTypesOf(
  oids: readonly number[],
  lookup: (oid: number) => TypeRef | undefined,
): (TypeRef | undefined)[] {
  return oids.map((o) => {
    if (o === 0 || o === T.unknown.oid) return undefined;
    const t = lookup(o);
    if (!t) throw new ChorusError('42704', `type with OID ${o} does not exist`);
    return t;
  });
}

/** Parsed default expressions by their text (bounded: cleared when full). */
const defaultCache = new Map<string, P.Node>();
const defaultCacheEntriesMax = 1024;

function parsedDefault(text: string): P.Node {
  let n = defaultCache.get(text);
  if (!n) {
    const stmt = parseSql(`SELECT (${text})`)[0]!.stmt;
    const sel = nodeOf(stmt)[1] as P.SelectStmt;
    n = (nodeOf(sel.targetList![0]!)[1] as P.ResTarget).val!;
    if (defaultCache.size >= defaultCacheEntriesMax) defaultCache.clear();
    defaultCache.set(text, n);
  }
  return n;
}
