// Which schema a session plans against. Another session's uncommitted DDL must stay invisible —
// a plan made against a table that a transaction dropped and re-created with other column types,
// then rolled back, would store values in the wrong form. So the node's catalog reads the
// committed schema (through its own read-only connection), and a session whose open transaction
// ran DDL plans against a private view over the writer connection, where its own DDL is visible,
// until the transaction ends. Catalog versions are unique across views, so a plan made in one
// view is never taken as current in another.

import type { Catalog } from '../../sql/analyze/context.js';
import type { ConstraintCatalog } from '../constraint-errors.js';
import { TempNames, tempConstraints } from '../temp/temp-catalog.js';
import type { TempObjects } from '../temp/temp-objects.js';
import { SchemaCatalog } from './catalog.js';
import { defaultSearchPath, PathCatalog } from './path-catalog.js';
import type { PlannedStatement, StatementSource } from './plan-cache.js';
import type { Prepared } from './prepared.js';

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
  /** Planners of a session with temporary objects, by the catalog they extend (see temp/). */
  private readonly tempPlanners = new WeakMap<Catalog, { catalog: TempNames; planner: Planner }>();

  constructor(
    private readonly committed: SchemaView,
    private readonly openWriterView: () => SchemaView,
    private readonly searchPath: () => string | undefined = () => undefined,
    private readonly user = '',
    /** The session's temporary tables and views (temp/). */
    readonly temp: TempObjects | null = null,
  ) {}

  get catalog(): SessionCatalog {
    return (this.own ?? this.committed).catalog;
  }

  /** Relations by their SQLite names, the session's temporary ones included. */
  get constraints(): ConstraintCatalog {
    const c = this.catalog;
    return this.temp?.active ? tempConstraints(c, this.temp) : c;
  }

  get planner(): Planner {
    const view = this.own ?? this.committed;
    const path = this.forPath(view);
    if (this.temp?.active)
      return this.forTemp(path?.catalog ?? view.catalog, path?.planner ?? view.planner).planner;
    return path?.planner ?? view.planner;
  }

  /** A session with temporary objects plans with its own planner: its plans name them. */
  private forTemp(base: Catalog, planner: Planner): { catalog: TempNames; planner: Planner } {
    let v = this.tempPlanners.get(base);
    if (!v) {
      const catalog = new TempNames(base, this.temp!);
      v = { catalog, planner: planner.withCatalog(catalog) };
      this.tempPlanners.set(base, v);
    }
    return v;
  }

  /** The catalog names resolve against (the session's search_path). */
  get pathCatalog(): Catalog {
    const view = this.own ?? this.committed;
    const c = this.forPath(view)?.catalog ?? view.catalog;
    const names = c instanceof SchemaCatalog ? new PathCatalog(c, defaultSearchPath, this.user) : c;
    return this.temp?.active ? new TempNames(names, this.temp) : names;
  }

  /** The version plans are checked against: the temp-aware catalog's while there are temp objects. */
  private get planVersion(): number {
    if (!this.temp?.active) return this.catalog.version;
    const view = this.own ?? this.committed;
    const path = this.forPath(view);
    return this.forTemp(path?.catalog ?? view.catalog, path?.planner ?? view.planner).catalog.version;
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
    this.temp?.transactionEnded();
  }

  /** A front-end plan (or typed DDL) made against another view or an older schema. */
  isStale(p: Prepared): boolean {
    const v = p.plan?.schemaVersion ?? p.ddl?.schemaVersion;
    return v !== undefined && v !== this.planVersion;
  }
}
