// The admin SQL mechanism: replicate.<function>(...) calls dispatched to TypeScript handlers and
// replicate.<view> / pg_replication_* relations that ordinary SQL can query. Later subsystems add
// their functions and views here; the session layer does the dispatch and rewriting.

import { UndefinedFunctionError } from '../errors.js';

/**
 * Column type names understood by the wire layer (PostgreSQL type names). Array types take their
 * values in PostgreSQL's text form ('{1,2}', '{a,"b c"}').
 */
export type AdminType =
  | 'text'
  | 'int8'
  | 'int4'
  | 'float8'
  | 'numeric'
  | 'bool'
  | 'timestamptz'
  | 'json'
  | 'text[]'
  | 'name[]'
  | 'int2[]'
  | 'int4[]'
  | 'int8[]'
  | 'oid[]'
  | 'bool[]';

export interface AdminColumn {
  name: string;
  type: AdminType;
  /** The PostgreSQL type the front end gives the column when it differs from `type` (catalog-types.ts names). */
  pg?: string;
}

export type AdminValue = string | number | bigint | boolean | null;

/** Who is calling (recorded by functions that change state, e.g. conflict overrides). */
export interface AdminCallContext {
  user: string;
  /** The calling session's read-your-writes position (replicate.last_commit_lsn, wait_for_lsn). */
  session?: {
    readonly lastCommitLsn: number | null;
    waitForLsn(lsn: number, timeoutMs: number): Promise<boolean>;
  };
}

export interface AdminParam {
  name: string;
  /** Used when the caller leaves the argument out; undefined means required. */
  default?: AdminValue;
}

export interface AdminFunction {
  name: string;
  params: AdminParam[];
  columns: AdminColumn[];
  /** Whether the function changes state (then it only runs as a direct call, never inside a query). */
  mutates: boolean;
  run(args: AdminValue[], ctx?: AdminCallContext): AdminValue[][] | Promise<AdminValue[][]>;
}

/**
 * A relation computed by TypeScript from live node state. `name` is the full relation name as
 * users write it: 'replicate.status', 'pg_replication_status', 'pg_catalog.pg_type'.
 */
export interface JsView {
  kind: 'js';
  name: string;
  columns: AdminColumn[];
  rows(): AdminValue[][];
}

/** A relation defined as SQL over internal tables (runs on any reader). */
export interface SqlView {
  kind: 'sql';
  name: string;
  sql: string;
  columns: AdminColumn[];
}

export type AdminView = JsView | SqlView;

export class AdminRegistry {
  readonly functions = new Map<string, AdminFunction>();
  readonly views = new Map<string, AdminView>();

  addFunction(f: AdminFunction): void {
    this.functions.set(f.name.toLowerCase(), f);
  }

  addView(v: AdminView): void {
    this.views.set(v.name.toLowerCase(), v);
  }

  /** Map positional and `name => value` arguments onto the function's parameter list. */
  bindArguments(f: AdminFunction, positional: AdminValue[], named: Map<string, AdminValue>): AdminValue[] {
    if (positional.length > f.params.length) {
      throw new UndefinedFunctionError(
        `function replicate.${f.name} takes at most ${f.params.length} arguments`,
      );
    }
    const out: AdminValue[] = [];
    for (const [i, p] of f.params.entries()) {
      if (i < positional.length) {
        if (named.has(p.name))
          throw new UndefinedFunctionError(`argument "${p.name}" of replicate.${f.name} given twice`);
        out.push(positional[i]!);
      } else if (named.has(p.name)) out.push(named.get(p.name)!);
      else if (p.default !== undefined) out.push(p.default);
      else throw new UndefinedFunctionError(`replicate.${f.name}: missing argument "${p.name}"`);
    }
    for (const name of named.keys()) {
      if (!f.params.some((p) => p.name === name)) {
        throw new UndefinedFunctionError(`function replicate.${f.name} has no parameter named "${name}"`, {
          hint: `Parameters: ${f.params.map((p) => p.name).join(', ') || '(none)'}`,
        });
      }
    }
    return out;
  }

  /** Type of a column of an admin relation (by its full name), for RowDescription. */
  columnType(relation: string, column: string): AdminType | null {
    const key = relation.toLowerCase();
    const rel =
      this.views.get(key) ?? (key.startsWith('replicate.') ? this.functions.get(key.slice(10)) : undefined);
    return rel?.columns.find((c) => c.name === column)?.type ?? null;
  }
}
