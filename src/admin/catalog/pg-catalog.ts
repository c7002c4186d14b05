// The slice of PostgreSQL's system catalog that drivers and psql read: pg_catalog.pg_type for the
// types this node sends, and pg_class, pg_attribute, pg_index, pg_constraint, ... built from
// SQLite's own schema (sqlite_schema and the table pragmas), so psql's \dt, \d, \l, \dn and \du
// work. Internal objects (_chorus_*, sqlite_*) are never shown. Booleans are the text 't'/'f' (what
// psql compares against); catalog-rewrite.ts turns bare boolean predicates into `= 't'`.
// Split by concern: pg-catalog-common.ts (OIDs, base types), pg-catalog-snapshot.ts (schema
// snapshot), pg-catalog-definitions.ts (pg_get_*def texts), pg-catalog-schema.ts (relations built
// from it), pg-catalog-static.ts (the rest).

import type { AdminRegistry, AdminValue } from '../registry.js';
import { catalogEnums } from './catalog-objects.js';
import { registerInformationSchema } from './information-schema.js';
import { registerInformationSchemaConstraints } from './information-schema-constraints.js';
import { baseTypes, cols, pgCatalogNamespaceOid } from './pg-catalog-common.js';
import { registerExtraRelations } from './pg-catalog-extra.js';
import { registerSchemaRelations } from './pg-catalog-schema.js';
import { registerNamespaces, registerStaticRelations } from './pg-catalog-static.js';

export function registerPgCatalog(registry: AdminRegistry): void {
  registry.addView({
    kind: 'js',
    name: 'pg_catalog.pg_type',
    columns: cols(
      'pg_catalog.pg_type',
      'oid typname typnamespace typlen typtype typcategory typelem typarray typdelim typcollation typbasetype typtypmod typnotnull typrelid',
    ),
    rows: (): AdminValue[][] => {
      const rows: AdminValue[][] = [];
      for (const t of baseTypes) {
        const coll = t.category === 'S' && t.name !== 'name' ? 100 : t.name === 'name' ? 950 : 0;
        rows.push([
          t.oid,
          t.name,
          pgCatalogNamespaceOid,
          t.len,
          'b',
          t.category,
          0,
          t.arrayOid,
          ',',
          coll,
          0,
          -1,
          'f',
          0,
        ]);
        rows.push([
          t.arrayOid,
          `_${t.name}`,
          pgCatalogNamespaceOid,
          -1,
          'b',
          'A',
          t.oid,
          0,
          ',',
          coll,
          0,
          -1,
          'f',
          0,
        ]);
      }
      // User enum types (typtype 'e', category 'E', 4 bytes) and their array types.
      for (const e of catalogEnums()) {
        rows.push([e.typeOid, e.name, e.namespaceOid, 4, 'e', 'E', 0, e.arrayOid, ',', 0, 0, -1, 'f', 0]);
        rows.push([
          e.arrayOid,
          `_${e.name}`,
          e.namespaceOid,
          -1,
          'b',
          'A',
          e.typeOid,
          0,
          ',',
          0,
          0,
          -1,
          'f',
          0,
        ]);
      }
      return rows;
    },
  });
  registerNamespaces(registry);
  registerSchemaRelations(registry);
  registerStaticRelations(registry);
  registerExtraRelations(registry);
  registerInformationSchema(registry);
  registerInformationSchemaConstraints(registry);
}
