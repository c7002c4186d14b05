// Shared pieces of the pg_catalog emulation: PostgreSQL's OIDs for the base types, namespaces, owner
// and access methods, and the small helpers the catalog relations are declared with.

import { Oid } from '../../sql/types/oids.js';
import type { AdminColumn, AdminRegistry, AdminValue } from '../registry.js';
import { catalogSpecs } from './catalog-specs.js';

export interface TypeRow {
  oid: number;
  name: string;
  len: number;
  category: string;
  arrayOid: number;
}

// PostgreSQL 15's own OIDs, lengths and categories for these types.
export const baseTypes: TypeRow[] = [
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

export const pgCatalogNamespaceOid = 11;
/** OID of the public schema (as in PostgreSQL). */
export const publicNamespaceOid = 2200;
/** OID of the bootstrap superuser every object is owned by. */
export const ownerOid = 10;
export const firstUserOid = 16384;
export const heapAmOid = 2;
export const btreeAmOid = 403;
export const constraintOidOffset = 3_000_000;
export const attrdefOidOffset = 4_000_000;
/**
 * OIDs of CHECK constraints: a range of their own, checksPerTableMax per table (by its position in
 * sqlite_schema), so that two tables' checks never share an OID (oid + offset + n did, for a table
 * with more checks than schema rows before the next table: pg_get_constraintdef printed the other
 * table's check). Below foreignKeyOidBase up to ~350,000 schema rows.
 */
export const checkOidBase = 10_000_000;
export const checksPerTableMax = 256;
export const checkOid = (tableOid: number, n: number): number =>
  checkOidBase + (tableOid - firstUserOid) * checksPerTableMax + n;
/**
 * OIDs of foreign keys: a range of their own, foreignKeysPerTableMax per table (by its position in
 * sqlite_schema), so that two tables' keys never share an OID (oid + offset + n would, for tables
 * created one after the other). Below 2^31 up to two million schema rows.
 */
export const foreignKeyOidBase = 100_000_000;
export const foreignKeysPerTableMax = 1024;
export const foreignKeyOid = (tableOid: number, id: number): number =>
  foreignKeyOidBase + (tableOid - firstUserOid) * foreignKeysPerTableMax + id;
/** OIDs of serial columns' implicit sequences: the table's OID plus this, plus the column's attnum. */
export const sequenceOidOffset = 6_000_000;

export const tf = (b: boolean): string => (b ? 't' : 'f');

/**
 * Columns of a catalog relation (`pg_catalog.pg_class`): the names given, typed as PostgreSQL
 * types them (catalog-specs.ts) for the front end. The token path reads them as text.
 */
export function cols(relation: string, spec?: string): AdminColumn[] {
  const declared = catalogSpecs[relation];
  if (!declared) throw new Error(`no catalog spec for ${relation}`);
  const types = new Map(
    declared.split(/\s+/).map((c): [string, string] => {
      const i = c.indexOf(':');
      return [c.slice(0, i), c.slice(i + 1)];
    }),
  );
  const names = spec ? spec.split(/\s+/) : [...types.keys()];
  return names.map((name) => {
    const pg = types.get(name);
    if (!pg) throw new Error(`${relation} has no column ${name}`);
    return { name, type: 'text', pg };
  });
}

export function addStatic(
  registry: AdminRegistry,
  name: string,
  spec: string | undefined,
  rows: AdminValue[][] = [],
): void {
  const full = `pg_catalog.${name}`;
  registry.addView({ kind: 'js', name: full, columns: cols(full, spec), rows: () => rows });
}
