// pg_catalog relations ORMs read beyond psql's: sequences (pg_sequence, pg_sequences), enums and
// ranges, the statistics views (pg_stat_user_tables / _indexes), pg_tables, pg_views, pg_indexes,
// pg_policies, pg_opclass (btree's default classes), pg_depend's sequence ownership. Each row
// comes from the catalog snapshot or from catalog-objects.ts.

import type { AdminRegistry, AdminValue } from '../registry.js';
import { catalogEnums, catalogSequences, ownerName } from './catalog-objects.js';
import { btreeAmOid, cols, ownerOid, pgCatalogNamespaceOid } from './pg-catalog-common.js';
import { indexDefinition, viewText } from './pg-catalog-definitions.js';
import { catalogSnapshot } from './pg-catalog-snapshot.js';

/** PostgreSQL 15's default btree operator classes: [oid, name, input type, family]. */
const opclasses: [number, string, number, number][] = [
  [1978, 'int4_ops', 23, 1976],
  [1979, 'int2_ops', 21, 1976],
  [1981, 'oid_ops', 26, 1989],
  [3122, 'date_ops', 1082, 434],
  [3123, 'float8_ops', 701, 1970],
  [3124, 'int8_ops', 20, 1976],
  [3125, 'numeric_ops', 1700, 1988],
  [3126, 'text_ops', 25, 1994],
  [3127, 'timestamptz_ops', 1184, 434],
  [3128, 'timestamp_ops', 1114, 434],
  [10003, 'bool_ops', 16, 424],
  [10004, 'bpchar_ops', 1042, 426],
  [10006, 'bytea_ops', 17, 428],
  [10007, 'char_ops', 18, 429],
  [10012, 'float4_ops', 700, 1970],
  [10022, 'interval_ops', 1186, 1982],
  [10028, 'name_ops', 19, 1994],
  [10038, 'time_ops', 1083, 1996],
  [10065, 'uuid_ops', 2950, 2968],
  [10088, 'jsonb_ops', 3802, 4033],
];

/** The default btree operator class of a column type (varchar and json index as text). */
export function btreeOpclass(typeOid: number): number {
  const t = typeOid === 1043 || typeOid === 114 ? 25 : typeOid;
  return opclasses.find((o) => o[2] === t)?.[0] ?? 0;
}

function add(registry: AdminRegistry, name: string, rows: () => AdminValue[][]): void {
  const full = `pg_catalog.${name}`;
  registry.addView({ kind: 'js', name: full, columns: cols(full), rows });
}

const pgClassOid = 1259;

export function registerExtraRelations(registry: AdminRegistry): void {
  add(registry, 'pg_opclass', () =>
    opclasses.map(([oid, name, type, family]) => [
      oid,
      btreeAmOid,
      name,
      pgCatalogNamespaceOid,
      ownerOid,
      family,
      type,
      't',
      0,
    ]),
  );
  add(registry, 'pg_sequence', () =>
    catalogSequences().map((s) => [s.oid, s.typeOid, s.start, s.increment, s.max, s.min, s.cache, s.cycle]),
  );
  add(registry, 'pg_sequences', () =>
    catalogSequences().map((s) => [
      s.schema,
      s.name,
      ownerName,
      s.typeOid,
      s.start,
      s.min,
      s.max,
      s.increment,
      s.cycle,
      s.cache,
      s.lastValue,
    ]),
  );
  add(registry, 'pg_depend', () =>
    catalogSequences().flatMap((s) =>
      s.owner
        ? [[pgClassOid, s.oid, 0, pgClassOid, s.owner.tableOid, s.owner.attnum, s.owner.identity ? 'i' : 'a']]
        : [],
    ),
  );
  add(registry, 'pg_enum', () =>
    catalogEnums().flatMap((e) => e.labels.map((l, i) => [e.typeOid + 1 + i, e.typeOid, l.sort, l.label])),
  );
  add(registry, 'pg_range', () => []);
  add(registry, 'pg_policies', () => []);
  add(registry, 'pg_matviews', () => []);
  add(registry, 'pg_tables', () =>
    catalogSnapshot()
      .relations.filter((r) => r.kind === 'r')
      .map((r) => [
        r.schema,
        r.name,
        ownerName,
        null,
        r.indexes.length > 0,
        false,
        r.foreignKeys.length > 0,
        false,
      ]),
  );
  add(registry, 'pg_views', () =>
    catalogSnapshot()
      .relations.filter((r) => r.kind === 'v')
      .map((r) => [r.schema, r.name, ownerName, viewText(r.sql)]),
  );
  add(registry, 'pg_indexes', () =>
    catalogSnapshot().relations.flatMap((r) =>
      r.indexes.map((ix) => [r.schema, r.name, ix.name, null, indexDefinition(ix.oid)]),
    ),
  );
  add(registry, 'pg_stat_user_tables', () =>
    catalogSnapshot()
      .relations.filter((r) => r.kind === 'r')
      .map((r) => keyed('pg_stat_user_tables', { relid: r.oid, schemaname: r.schema, relname: r.name }, 0)),
  );
  add(registry, 'pg_stat_user_indexes', () =>
    catalogSnapshot().relations.flatMap((r) =>
      r.indexes.map((ix) => [r.oid, ix.oid, r.schema, r.name, ix.name, 0, 0, 0]),
    ),
  );
  add(registry, 'pg_statio_user_tables', () =>
    catalogSnapshot()
      .relations.filter((r) => r.kind === 'r')
      .map((r) => keyed('pg_statio_user_tables', { relid: r.oid, schemaname: r.schema, relname: r.name }, 0)),
  );
}

/** A view's query as written, as pg_views.definition and pg_get_viewdef show it. */

/** A row in the relation's column order: the given values, `rest` for int8 counters, NULL for times. */
function keyed(name: string, values: Record<string, AdminValue>, rest: AdminValue): AdminValue[] {
  return cols(`pg_catalog.${name}`).map((c) =>
    c.name in values ? values[c.name]! : c.pg === 'int8' ? rest : null,
  );
}
