// The catalog of a session that has temporary objects: pg_temp is searched first for relations
// (as PostgreSQL does), `pg_temp.t` and `pg_temp_<id>.t` name them explicitly, everything else is
// the session's usual catalog. Its version changes with either, so plans made against it (kept
// by the session's own planner, never shared) are made again when either changes.

import type {
  AdminArgument,
  Catalog,
  CatalogEnum,
  CatalogRelation,
  CatalogSequence,
} from '../../sql/analyze/context.js';
import type { ConstraintCatalog, ForeignKey } from '../constraint-errors.js';
import { newCatalogVersion } from '../planning/catalog.js';
import type { TempObjects } from './temp-objects.js';

export class TempNames implements Catalog {
  private seen: { base: number; generation: number; version: number } | null = null;

  constructor(
    readonly base: Catalog,
    private readonly temp: TempObjects,
  ) {}

  get version(): number {
    const base = this.base.version;
    const generation = this.temp.generation;
    if (this.seen?.base !== base || this.seen.generation !== generation)
      this.seen = { base, generation, version: newCatalogVersion() };
    return this.seen.version;
  }

  private isTempSchema(schema: string | null): boolean {
    return schema === 'pg_temp' || schema === this.temp.schema;
  }

  relation(schema: string | null, name: string): CatalogRelation | undefined {
    if (schema === null || this.isTempSchema(schema)) {
      const t = this.temp.relation(name);
      if (t || schema !== null) return t;
    }
    return this.base.relation(schema, name);
  }

  tempSchema(): string {
    return this.temp.schema;
  }

  searchPath(): readonly string[] {
    return this.base.searchPath?.() ?? ['public'];
  }

  schemaExists(name: string): boolean {
    return this.isTempSchema(name) || name === 'public' || (this.base.schemaExists?.(name) ?? false);
  }

  adminFunction(
    name: string,
    positional: readonly AdminArgument[],
    named: ReadonlyMap<string, AdminArgument>,
  ): CatalogRelation | undefined {
    return this.base.adminFunction?.(name, positional, named);
  }

  sequence(schema: string | null, name: string): CatalogSequence | undefined {
    return this.base.sequence?.(schema, name);
  }

  enumType(schema: string | null, name: string): CatalogEnum | undefined {
    return this.base.enumType?.(schema, name);
  }

  enumByOid(oid: number): CatalogEnum | undefined {
    return this.base.enumByOid?.(oid);
  }

  ownedSequence(table: string, column: string): CatalogSequence | undefined {
    return this.temp.isStored(table) ? undefined : this.base.ownedSequence?.(table, column);
  }
}

/** Relations by their SQLite names (constraint errors, DROP rules): the session's temp ones too. */
export function tempConstraints(base: ConstraintCatalog, temp: TempObjects): ConstraintCatalog {
  return {
    relation: (schema, name) =>
      schema === null && temp.isStored(name) ? temp.storedRelation(name) : base.relation(schema, name),
    foreignKeys: (table: string): ForeignKey[] =>
      temp.isStored(table) ? temp.foreignKeys(table) : base.foreignKeys(table),
    referencing: (table: string): ForeignKey[] =>
      temp.isStored(table) ? temp.referencing(table) : base.referencing(table),
  };
}
