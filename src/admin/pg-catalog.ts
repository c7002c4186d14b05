// The slice of PostgreSQL's system catalog that drivers read on connect: pg_catalog.pg_type for
// the types this node sends (base types and their array types). psql's fuller catalog emulation
// (pg_class, pg_attribute, ...) extends this file's approach.

import { Oid } from '../wire/types.js';
import type { AdminRegistry, AdminValue } from './registry.js';

interface TypeRow {
  oid: number;
  name: string;
  len: number;
  category: string;
  arrayOid: number;
}

// PostgreSQL 15's own OIDs, lengths and categories for these types.
const baseTypes: TypeRow[] = [
  { oid: Oid.bool, name: 'bool', len: 1, category: 'B', arrayOid: 1000 },
  { oid: Oid.bytea, name: 'bytea', len: -1, category: 'U', arrayOid: 1001 },
  { oid: Oid.name, name: 'name', len: 64, category: 'S', arrayOid: 1003 },
  { oid: Oid.int8, name: 'int8', len: 8, category: 'N', arrayOid: 1016 },
  { oid: Oid.int2, name: 'int2', len: 2, category: 'N', arrayOid: 1005 },
  { oid: Oid.int4, name: 'int4', len: 4, category: 'N', arrayOid: 1007 },
  { oid: Oid.text, name: 'text', len: -1, category: 'S', arrayOid: 1009 },
  { oid: Oid.oid, name: 'oid', len: 4, category: 'N', arrayOid: 1028 },
  { oid: Oid.json, name: 'json', len: -1, category: 'U', arrayOid: 199 },
  { oid: Oid.float4, name: 'float4', len: 4, category: 'N', arrayOid: 1021 },
  { oid: Oid.float8, name: 'float8', len: 8, category: 'N', arrayOid: 1022 },
  { oid: Oid.bpchar, name: 'bpchar', len: -1, category: 'S', arrayOid: 1014 },
  { oid: Oid.varchar, name: 'varchar', len: -1, category: 'S', arrayOid: 1015 },
  { oid: Oid.date, name: 'date', len: 4, category: 'D', arrayOid: 1182 },
  { oid: Oid.time, name: 'time', len: 8, category: 'D', arrayOid: 1183 },
  { oid: Oid.timestamp, name: 'timestamp', len: 8, category: 'D', arrayOid: 1115 },
  { oid: Oid.timestamptz, name: 'timestamptz', len: 8, category: 'D', arrayOid: 1185 },
  { oid: Oid.interval, name: 'interval', len: 16, category: 'T', arrayOid: 1187 },
  { oid: Oid.numeric, name: 'numeric', len: -1, category: 'N', arrayOid: 1231 },
  { oid: Oid.uuid, name: 'uuid', len: 16, category: 'U', arrayOid: 2951 },
  { oid: Oid.jsonb, name: 'jsonb', len: -1, category: 'U', arrayOid: 3807 },
];

const pgCatalogNamespaceOid = 11;

export function registerPgCatalog(registry: AdminRegistry): void {
  registry.addView({
    kind: 'js',
    name: 'pg_catalog.pg_type',
    columns: [
      { name: 'oid', type: 'int4' },
      { name: 'typname', type: 'text' },
      { name: 'typnamespace', type: 'int4' },
      { name: 'typlen', type: 'int4' },
      { name: 'typtype', type: 'text' },
      { name: 'typcategory', type: 'text' },
      { name: 'typelem', type: 'int4' },
      { name: 'typarray', type: 'int4' },
      { name: 'typdelim', type: 'text' },
    ],
    rows: (): AdminValue[][] => {
      const rows: AdminValue[][] = [];
      for (const t of baseTypes) {
        rows.push([t.oid, t.name, pgCatalogNamespaceOid, t.len, 'b', t.category, 0, t.arrayOid, ',']);
        rows.push([t.arrayOid, `_${t.name}`, pgCatalogNamespaceOid, -1, 'b', 'A', t.oid, 0, ',']);
      }
      return rows;
    },
  });
}
