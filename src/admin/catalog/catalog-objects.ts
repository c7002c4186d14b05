// The schemas, sequences and enum types the catalog shows, each from one function over the
// snapshot's connection: storage/object-catalog.ts's lists (_chorus_schemas, _chorus_sequences,
// _chorus_enums) as pg_namespace, pg_sequence(s), pg_class, pg_type and pg_enum rows read them.

import {
  informationSchemaOid,
  listEnumLabels,
  listEnumTypes,
  listSchemas,
  listSequences,
} from '../../storage/object-catalog.js';
import { ownerOid, pgCatalogNamespaceOid, publicNamespaceOid } from './pg-catalog-common.js';
import {
  type CatalogSnapshot,
  catalogConnection,
  catalogSnapshot,
  serialLastValues,
} from './pg-catalog-snapshot.js';

/** current_database(): the one database a node holds. */
export const databaseName = 'chorus';
/** The owner every object shows (pg_roles' only role). */
export const ownerName = 'postgres';

export interface NamespaceInfo {
  oid: number;
  name: string;
  owner: number;
}

export function catalogNamespaces(): NamespaceInfo[] {
  catalogSnapshot();
  const db = catalogConnection();
  if (!db) {
    return [
      { oid: pgCatalogNamespaceOid, name: 'pg_catalog', owner: ownerOid },
      { oid: publicNamespaceOid, name: 'public', owner: ownerOid },
      { oid: informationSchemaOid, name: 'information_schema', owner: ownerOid },
    ];
  }
  return listSchemas(db).map((n) => ({ oid: n.oid, name: n.name, owner: ownerOid }));
}

export function namespaceName(oid: number): string | null {
  return catalogNamespaces().find((n) => n.oid === oid)?.name ?? null;
}

export function namespaceOid(name: string): number | null {
  return catalogNamespaces().find((n) => n.name === name)?.oid ?? null;
}

export interface SequenceInfo {
  oid: number;
  name: string;
  namespaceOid: number;
  schema: string;
  /** int2, int4 or int8. */
  typeOid: number;
  start: bigint;
  increment: bigint;
  min: bigint;
  max: bigint;
  cache: bigint;
  cycle: boolean;
  /** null until the sequence has handed out a value. */
  lastValue: bigint | null;
  /** The column that owns it (a serial or identity key), if any. */
  owner: { tableOid: number; table: string; column: string; attnum: number; identity: '' | 'a' | 'd' } | null;
}

export function catalogSequences(snap: CatalogSnapshot = catalogSnapshot()): SequenceInfo[] {
  const db = catalogConnection();
  if (!db) return [];
  const last = serialLastValues();
  const namespaces = new Map(catalogNamespaces().map((n) => [n.name, n.oid]));
  const relations = new Map(snap.relations.map((r) => [r.storedName, r]));
  return listSequences(db).map((s) => {
    const rel = s.ownerTable ? relations.get(s.ownerTable) : undefined;
    const col = rel?.columns.find((c) => c.name === s.ownerColumn);
    // A serial / identity key's value is SQLite's AUTOINCREMENT counter; others show their last reset.
    const used = rel && s.identity ? last.get(rel.storedName) : undefined;
    const lastValue =
      used !== undefined ? BigInt(used) : s.identity === null && s.resetCalled ? s.resetValue : null;
    return {
      oid: s.oid,
      name: s.name,
      namespaceOid: namespaces.get(s.schema) ?? publicNamespaceOid,
      schema: s.schema,
      typeOid: s.typeOid,
      start: s.start,
      increment: s.increment,
      min: s.min,
      max: s.max,
      cache: s.cache,
      cycle: s.cycle,
      lastValue,
      owner:
        rel && col
          ? {
              tableOid: rel.oid,
              table: rel.name,
              column: col.name,
              attnum: col.attnum,
              identity: col.identity,
            }
          : null,
    };
  });
}

export interface EnumInfo {
  typeOid: number;
  arrayOid: number;
  name: string;
  namespaceOid: number;
  /** In sort order, with pg_enum.enumsortorder. */
  labels: { label: string; sort: number }[];
}

export function catalogEnums(): EnumInfo[] {
  catalogSnapshot();
  const db = catalogConnection();
  if (!db) return [];
  const namespaces = new Map(catalogNamespaces().map((n) => [n.name, n.oid]));
  const sorts = new Map<string, number>();
  for (const l of listEnumLabels(db)) sorts.set(`${l.typeOid}:${l.label}`, l.sort);
  return listEnumTypes(db).map((e) => ({
    typeOid: e.oid,
    arrayOid: e.arrayOid,
    name: e.name,
    namespaceOid: namespaces.get(e.schema) ?? publicNamespaceOid,
    labels: e.labels.map((label) => ({ label, sort: sorts.get(`${e.oid}:${label}`) ?? 0 })),
  }));
}

/** The enum type (or enum array type, `array`) of an OID, with its schema's name. */
export function enumTypeOf(oid: number): { schema: string; name: string; array: boolean } | null {
  const e = catalogEnums().find((x) => x.typeOid === oid || x.arrayOid === oid);
  if (!e) return null;
  return { schema: namespaceName(e.namespaceOid) ?? 'public', name: e.name, array: e.arrayOid === oid };
}
