// Which schema a session plans against. Another session's uncommitted DDL must stay invisible —
// a plan made against a table that a transaction dropped and re-created with other column types,
// then rolled back, would store values in the wrong form. So the node's catalog reads the
// committed schema (through its own read-only connection), and a session whose open transaction
// ran DDL plans against a private view over the writer connection, where its own DDL is visible,
// until the transaction ends. Catalog versions are unique across views, so a plan made in one
// view is never taken as current in another.

import type { Catalog } from '../sql/analyze/context.js';
import { SchemaCatalog } from './catalog.js';
import type { ConstraintCatalog } from './constraint-errors.js';
import { defaultSearchPath, PathCatalog } from './path-catalog.js';
import type { PlannedStatement, StatementSource } from './plan-cache.js';
import type { Prepared } from './prepare.js';

/** Plans statements against one view of the schema (PlanCache). */
export interface Planner {
  planSimple(sql: string): PlannedStatement[];
  planInQuery(source: StatementSource): PlannedStatement;
  prepareOne(sql: string, declaredOids?: readonly number[]): Prepared;
  /** The plan of a statement made against an older schema, made again. */
  refresh(p: Prepared): Prepared;
  /** A planner of its own over another catalog (a session's search_path). */
  withCatalog(catalog: Catalog): Planner;
}

/** The front end's catalog as sessions use it (SchemaCatalog). */
export interface SessionCatalog extends ConstraintCatalog {
  invalidate(): void;
  readonly version: number;
}

export interface SchemaView {
  catalog: SessionCatalog;
  planner: Planner;
  /** Planners for sessions whose search_path is not the default, by path (and user). */
  byPath?: Map<string, { catalog: PathCatalog; planner: Planner }>;
}

/** Search paths whose planners a view keeps (they are dropped together past this). */
const pathPlannersMax = 64;

/** One session's view: the node's committed schema, or its own while its DDL is uncommitted. */
export class SessionSchema {
  private own: SchemaView | null = null;

  constructor(
    private readonly committed: SchemaView,
    private readonly openWriterView: () => SchemaView,
    private readonly searchPath: () => string | undefined = () => undefined,
    private readonly user = '',
  ) {}

  get catalog(): SessionCatalog {
    return (this.own ?? this.committed).catalog;
  }

  get planner(): Planner {
    const view = this.own ?? this.committed;
    return this.forPath(view)?.planner ?? view.planner;
  }

  /** The catalog names resolve against (the session's search_path). */
  get pathCatalog(): Catalog {
    const view = this.own ?? this.committed;
    const c = this.forPath(view)?.catalog ?? view.catalog;
    return c instanceof SchemaCatalog ? new PathCatalog(c, defaultSearchPath, this.user) : c;
  }

  private forPath(view: SchemaView): { catalog: PathCatalog; planner: Planner } | null {
    const path = this.searchPath();
    if (path === undefined || path === defaultSearchPath || !(view.catalog instanceof SchemaCatalog))
      return null;
    const key = path.includes('$user') ? `${path}\u0000${this.user}` : path;
    view.byPath ??= new Map();
    let v = view.byPath.get(key);
    if (!v) {
      if (view.byPath.size >= pathPlannersMax) view.byPath.clear();
      const catalog = new PathCatalog(view.catalog, path, this.user);
      v = { catalog, planner: view.planner.withCatalog(catalog) };
      view.byPath.set(key, v);
    }
    return v;
  }

  /** The open transaction changed the schema: plan against the writer's view from now on. */
  changed(): void {
    if (this.own) this.own.catalog.invalidate();
    else this.own = this.openWriterView();
  }

  /** The transaction ended (committed or rolled back): back to the committed schema. */
  ended(): void {
    this.own = null;
  }

  /** A front-end plan (or typed DDL) made against another view or an older schema. */
  isStale(p: Prepared): boolean {
    const v = p.plan?.schemaVersion ?? p.ddl?.schemaVersion;
    return v !== undefined && v !== this.catalog.version;
  }
}
