// information_schema's relations about schemas, tables, views, columns, sequences and routines,
// built from the catalog snapshot with PostgreSQL 15's columns and values (constraints are in
// information-schema-constraints.ts). Only user objects are listed, as a non-superuser sees them.

import { type PgType, T, type TypeRef, typeByOid } from '../../sql/types/pg-types.js';
import { enumTypeResolver } from '../../storage/object-catalog.js';
import type { AdminRegistry, AdminValue } from '../registry.js';
import { displayDefault } from './catalog-exprs.js';
import {
  catalogNamespaces,
  catalogSequences,
  databaseName,
  enumTypeOf,
  ownerName,
} from './catalog-objects.js';
import { formatTypeOid } from './catalog-runtime.js';
import { cols } from './pg-catalog-common.js';
import { viewText } from './pg-catalog-definitions.js';
import {
  type CatalogColumn,
  type CatalogRelation,
  catalogConnection,
  catalogSnapshot,
} from './pg-catalog-snapshot.js';

export type InfoRow = Record<string, AdminValue>;

/** Register `information_schema.<name>`: rows as objects, laid out in the relation's column order. */
export function addInfoView(registry: AdminRegistry, name: string, rows: () => InfoRow[]): void {
  const full = `information_schema.${name}`;
  const columns = cols(full);
  registry.addView({
    kind: 'js',
    name: full,
    columns,
    rows: () => rows().map((r) => columns.map((c) => r[c.name] ?? null)),
  });
}

export const yesNo = (b: boolean): string => (b ? 'YES' : 'NO');

/** The type facts information_schema.columns shows (data_type, lengths, precisions). */
export function typeFacts(typeOid: number, typmod: number): InfoRow {
  const type = typeByOid(typeOid);
  const out: InfoRow = {
    data_type: type ? formatTypeOid(typeOid, null).replace(/\(.*\)/, '') : 'USER-DEFINED',
    udt_catalog: databaseName,
    udt_schema: 'pg_catalog',
    udt_name: type?.name ?? formatTypeOid(typeOid, -1),
  };
  if (out.data_type === 'bpchar') out.data_type = 'character';
  const e = type ? null : enumTypeOf(typeOid);
  if (e) {
    out.data_type = e.array ? 'ARRAY' : 'USER-DEFINED';
    out.udt_schema = e.schema;
    out.udt_name = e.array ? `_${e.name}` : e.name;
  } else if (type?.elem) {
    out.data_type = 'ARRAY';
    out.udt_name = type.name;
  }
  if (type === T.varchar || type === T.bpchar) {
    const n = typmod >= 4 ? typmod - 4 : type === T.bpchar ? null : null;
    out.character_maximum_length = n;
    out.character_octet_length = n === null ? 1073741824 : n * 4;
  } else if (type === T.text) {
    out.character_octet_length = 1073741824;
  }
  const ints: Record<number, number> = { [T.int2.oid]: 16, [T.int4.oid]: 32, [T.int8.oid]: 64 };
  if (ints[typeOid] !== undefined) {
    out.numeric_precision = ints[typeOid]!;
    out.numeric_precision_radix = 2;
    out.numeric_scale = 0;
  } else if (type === T.float4 || type === T.float8) {
    out.numeric_precision = type === T.float4 ? 24 : 53;
    out.numeric_precision_radix = 2;
  } else if (type === T.numeric) {
    out.numeric_precision_radix = 10;
    if (typmod >= 4) {
      out.numeric_precision = ((typmod - 4) >> 16) & 0xffff;
      out.numeric_scale = (typmod - 4) & 0xffff;
    }
  } else if (type === T.date) {
    out.datetime_precision = 0;
  } else if (type === T.time || type === T.timestamp || type === T.timestamptz || type === T.interval) {
    out.datetime_precision = typmod >= 0 ? (type === T.interval ? typmod & 0xffff : typmod) : 6;
  }
  return out;
}

/** A user (enum) type by OID, for a default's display (`'calm'::mood`). */
function userType(oid: number): PgType | undefined {
  catalogSnapshot();
  const db = catalogConnection();
  return db ? enumTypeResolver(db)(oid) : undefined;
}

function columnRow(rel: CatalogRelation, c: CatalogColumn): InfoRow {
  const table = rel.kind === 'r';
  const type: TypeRef = { type: typeByOid(c.typeOid) ?? userType(c.typeOid) ?? T.text, typmod: c.typmod };
  const seq = c.identity ? catalogSequences().find((s) => s.owner?.tableOid === rel.oid) : undefined;
  return {
    table_catalog: databaseName,
    table_schema: rel.schema,
    table_name: rel.name,
    column_name: c.name,
    ordinal_position: c.attnum,
    column_default:
      c.default === null ? null : c.defaultRaw === null ? c.default : displayDefault(c.defaultRaw, type),
    is_nullable: yesNo(!(table && c.notNull)),
    ...typeFacts(c.typeOid, c.typmod),
    dtd_identifier: String(c.attnum),
    is_self_referencing: 'NO',
    is_identity: yesNo(c.identity !== ''),
    identity_generation: c.identity === 'a' ? 'ALWAYS' : c.identity === 'd' ? 'BY DEFAULT' : null,
    identity_start: seq ? String(seq.start) : null,
    identity_increment: seq ? String(seq.increment) : null,
    identity_maximum: seq ? String(seq.max) : null,
    identity_minimum: seq ? String(seq.min) : null,
    identity_cycle: yesNo(seq?.cycle ?? false),
    is_generated: c.generated ? 'ALWAYS' : 'NEVER',
    generation_expression: null,
    is_updatable: yesNo(table),
  };
}

export function registerInformationSchema(registry: AdminRegistry): void {
  addInfoView(registry, 'schemata', () =>
    catalogNamespaces().map((n) => ({
      catalog_name: databaseName,
      schema_name: n.name,
      schema_owner: ownerName,
    })),
  );
  addInfoView(registry, 'tables', () =>
    catalogSnapshot().relations.map((rel) => ({
      table_catalog: databaseName,
      table_schema: rel.schema,
      table_name: rel.name,
      table_type: rel.kind === 'v' ? 'VIEW' : 'BASE TABLE',
      is_insertable_into: yesNo(rel.kind === 'r'),
      is_typed: 'NO',
    })),
  );
  addInfoView(registry, 'columns', () =>
    catalogSnapshot().relations.flatMap((rel) => rel.columns.map((c) => columnRow(rel, c))),
  );
  addInfoView(registry, 'views', () =>
    catalogSnapshot()
      .relations.filter((rel) => rel.kind === 'v')
      .map((rel) => ({
        table_catalog: databaseName,
        table_schema: rel.schema,
        table_name: rel.name,
        view_definition: viewText(rel.sql),
        check_option: 'NONE',
        is_updatable: 'NO',
        is_insertable_into: 'NO',
        is_trigger_updatable: 'NO',
        is_trigger_deletable: 'NO',
        is_trigger_insertable_into: 'NO',
      })),
  );
  addInfoView(registry, 'sequences', () =>
    // Identity columns' sequences are the column's, not listed (as PostgreSQL 15 does).
    catalogSequences()
      .filter((s) => s.owner?.identity === '')
      .map((s) => ({
        sequence_catalog: databaseName,
        sequence_schema: s.schema,
        sequence_name: s.name,
        data_type: formatTypeOid(s.typeOid, -1),
        numeric_precision: s.typeOid === T.int2.oid ? 16 : s.typeOid === T.int4.oid ? 32 : 64,
        numeric_precision_radix: 2,
        numeric_scale: 0,
        start_value: String(s.start),
        minimum_value: String(s.min),
        maximum_value: String(s.max),
        increment: String(s.increment),
        cycle_option: yesNo(s.cycle),
      })),
  );
  for (const empty of ['routines', 'parameters', 'triggers', 'domains', 'element_types']) {
    addInfoView(registry, empty, () => []);
  }
  addInfoView(registry, 'column_udt_usage', () =>
    catalogSnapshot().relations.flatMap((rel) =>
      rel.columns.map((c) => ({
        udt_catalog: databaseName,
        udt_schema: 'pg_catalog',
        udt_name: typeByOid(c.typeOid)?.name ?? 'text',
        table_catalog: databaseName,
        table_schema: rel.schema,
        table_name: rel.name,
        column_name: c.name,
      })),
    ),
  );
}
