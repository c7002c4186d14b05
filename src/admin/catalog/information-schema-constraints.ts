// information_schema's constraint relations (table_constraints, key_column_usage,
// referential_constraints, constraint_column_usage, check_constraints) from the catalog snapshot,
// with PostgreSQL 15's rows: NOT NULL columns appear as CHECK constraints named
// `<schema oid>_<table oid>_<attnum>_not_null`, as PostgreSQL 15 lists them.

import type { AdminRegistry } from '../registry.js';
import { displayCheck } from './catalog-exprs.js';
import { databaseName } from './catalog-objects.js';
import { addInfoView, type InfoRow } from './information-schema.js';
import { columnTypes } from './pg-catalog-definitions.js';
import {
  type CatalogRelation,
  type CatalogSnapshot,
  catalogSnapshot,
  relationOf,
} from './pg-catalog-snapshot.js';

interface Constraint {
  name: string;
  type: 'PRIMARY KEY' | 'UNIQUE' | 'FOREIGN KEY' | 'CHECK';
  rel: CatalogRelation;
  columns: string[];
  /** FOREIGN KEY: the referenced table, its columns, and the unique constraint they match. */
  ref?: {
    rel: CatalogRelation | undefined;
    columns: string[];
    unique: string | null;
    onUpdate: string;
    onDelete: string;
  };
  /** CHECK: the clause as information_schema.check_constraints shows it. */
  clause?: string;
  /** DEFERRABLE / INITIALLY DEFERRED (only a foreign key can be either here). */
  deferrable?: boolean;
  deferred?: boolean;
}

const ruleNames: Record<string, string> = {
  CASCADE: 'CASCADE',
  'SET NULL': 'SET NULL',
  'SET DEFAULT': 'SET DEFAULT',
  RESTRICT: 'RESTRICT',
};

/** Every constraint of the user tables, in PostgreSQL's kinds. */
function constraints(snap: CatalogSnapshot): Constraint[] {
  const out: Constraint[] = [];
  for (const rel of snap.relations) {
    if (rel.kind !== 'r') continue;
    for (const ix of rel.indexes) {
      if (ix.constraint) {
        out.push({
          name: ix.name,
          type: ix.constraint === 'p' ? 'PRIMARY KEY' : 'UNIQUE',
          rel,
          columns: ix.columns,
        });
      }
    }
    for (const f of rel.foreignKeys) {
      const target = relationOf(f.refTableOid, snap);
      const unique = target?.indexes.find(
        (i) => i.constraint && i.columns.join(',') === f.refColumns.join(','),
      );
      out.push({
        name: f.name,
        type: 'FOREIGN KEY',
        rel,
        columns: f.columns,
        deferrable: f.deferrable,
        deferred: f.deferred,
        ref: {
          rel: target,
          columns: f.refColumns,
          unique: unique?.name ?? null,
          onUpdate: ruleNames[f.onUpdate.toUpperCase()] ?? 'NO ACTION',
          onDelete: ruleNames[f.onDelete.toUpperCase()] ?? 'NO ACTION',
        },
      });
    }
    for (const ch of rel.checks) {
      const columns = rel.columns.filter((c) => ch.expression.includes(c.name)).map((c) => c.name);
      out.push({
        name: ch.name,
        type: 'CHECK',
        rel,
        columns,
        clause: displayCheck(ch.expression, false, columnTypes(rel)).slice(6),
      });
    }
    for (const c of rel.columns) {
      if (!c.notNull) continue;
      out.push({
        name: `${rel.namespaceOid}_${rel.oid}_${c.attnum}_not_null`,
        type: 'CHECK',
        rel,
        columns: [],
        clause: `${c.name} IS NOT NULL`,
      });
    }
  }
  return out;
}

const head = (name: string, schema: string): InfoRow => ({
  constraint_catalog: databaseName,
  constraint_schema: schema,
  constraint_name: name,
});

const tableOf = (rel: CatalogRelation): InfoRow => ({
  table_catalog: databaseName,
  table_schema: rel.schema,
  table_name: rel.name,
});

export function registerInformationSchemaConstraints(registry: AdminRegistry): void {
  addInfoView(registry, 'table_constraints', () =>
    constraints(catalogSnapshot()).map((c) => ({
      ...head(c.name, c.rel.schema),
      ...tableOf(c.rel),
      constraint_type: c.type,
      is_deferrable: c.deferrable ? 'YES' : 'NO',
      initially_deferred: c.deferred ? 'YES' : 'NO',
      enforced: 'YES',
      nulls_distinct: c.type === 'UNIQUE' ? 'YES' : null,
    })),
  );
  addInfoView(registry, 'key_column_usage', () =>
    constraints(catalogSnapshot())
      .filter((c) => c.type !== 'CHECK')
      .flatMap((c) =>
        c.columns.map((col, i) => ({
          ...head(c.name, c.rel.schema),
          ...tableOf(c.rel),
          column_name: col,
          ordinal_position: i + 1,
          position_in_unique_constraint: c.ref ? i + 1 : null,
        })),
      ),
  );
  addInfoView(registry, 'referential_constraints', () =>
    constraints(catalogSnapshot())
      .filter((c) => c.ref)
      .map((c) => ({
        ...head(c.name, c.rel.schema),
        unique_constraint_catalog: c.ref!.unique ? databaseName : null,
        unique_constraint_schema: c.ref!.unique ? (c.ref!.rel?.schema ?? 'public') : null,
        unique_constraint_name: c.ref!.unique,
        match_option: 'NONE',
        update_rule: c.ref!.onUpdate,
        delete_rule: c.ref!.onDelete,
      })),
  );
  addInfoView(registry, 'constraint_column_usage', () =>
    constraints(catalogSnapshot())
      .filter((c) => c.columns.length > 0)
      .flatMap((c) => {
        const rel = c.ref ? c.ref.rel : c.rel;
        const columns = c.ref ? c.ref.columns : c.columns;
        if (!rel) return [];
        return columns.map((col) => ({ ...tableOf(rel), column_name: col, ...head(c.name, c.rel.schema) }));
      }),
  );
  addInfoView(registry, 'check_constraints', () =>
    constraints(catalogSnapshot())
      .filter((c) => c.type === 'CHECK')
      .map((c) => ({ ...head(c.name, c.rel.schema), check_clause: c.clause ?? null })),
  );
}
