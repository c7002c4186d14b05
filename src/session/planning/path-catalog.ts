// The catalog as one session sees it: names without a schema are looked up along its search_path
// (PostgreSQL: pg_catalog first, then the path's schemas that exist; "$user" is the session
// user's schema when there is one). Qualified names go to the node's catalog unchanged.

import type { Catalog, CatalogEnum, CatalogRelation, CatalogSequence } from '../../sql/analyze/context.js';
import { parseSearchPath, publicSchema } from '../../sql/namespaces.js';
import type { PgType } from '../../sql/types/pg-types.js';
import type { SchemaCatalog } from './catalog.js';

/** The search_path every session starts with. */
export const defaultSearchPath = '"$user", public';

export class PathCatalog implements Catalog {
  private readonly names: readonly string[];
  private resolvedAt = -1;
  private resolved: string[] = [];

  constructor(
    readonly base: SchemaCatalog,
    path: string,
    private readonly user: string,
  ) {
    this.names = parseSearchPath(path);
  }

  get version(): number {
    return this.base.version;
  }

  /** The path's existing schemas (what current_schemas(false) lists). */
  searchPath(): readonly string[] {
    if (this.resolvedAt !== this.base.version) {
      this.resolved = this.names
        .map((n) => (n === '$user' ? this.user : n))
        .filter((n, i, all) => all.indexOf(n) === i && n !== 'pg_catalog' && this.base.schemaExists(n));
      this.resolvedAt = this.base.version;
    }
    return this.resolved;
  }

  schemaExists(name: string): boolean {
    return this.base.schemaExists(name);
  }

  private along<T>(schema: string | null, find: (s: string | null) => T | undefined): T | undefined {
    if (schema !== null) return find(schema);
    for (const s of this.searchPath()) {
      const hit = find(s);
      if (hit !== undefined) return hit;
    }
    return undefined;
  }

  relation(schema: string | null, name: string): CatalogRelation | undefined {
    // Admin relations (pg_replication_*, replicate.*) are found by their own names.
    if (schema === null && name.startsWith('pg_replication_')) return this.base.relation(null, name);
    return this.along(schema, (s) => this.base.relation(s ?? publicSchema, name));
  }

  adminFunction: Catalog['adminFunction'] = (name, positional, named) =>
    this.base.adminFunction(name, positional, named);

  sequence(schema: string | null, name: string): CatalogSequence | undefined {
    return this.along(schema, (s) => this.base.sequence(s, name));
  }

  enumType(schema: string | null, name: string): CatalogEnum | undefined {
    return this.along(schema, (s) => this.base.enumType(s, name));
  }

  enumByOid(oid: number): CatalogEnum | undefined {
    return this.base.enumByOid(oid);
  }

  userType(oid: number): PgType | undefined {
    return this.base.userType(oid);
  }

  ownedSequence(table: string, column: string): CatalogSequence | undefined {
    return this.base.ownedSequence(table, column);
  }
}
