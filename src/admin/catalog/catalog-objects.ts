// The schemas, sequences and enum types the catalog shows, each from one function: today the
// fixed schemas (pg_catalog, public, information_schema), the implicit sequences of serial and
// identity keys, and no enums. CREATE SCHEMA / SEQUENCE / TYPE ... AS ENUM plug in here.

import { T } from '../../sql/types/pg-types.js';
import {
  ownerOid,
  pgCatalogNamespaceOid,
  publicNamespaceOid,
  sequenceOidOffset,
} from './pg-catalog-common.js';
import { type CatalogSnapshot, catalogSnapshot, serialLastValues } from './pg-catalog-snapshot.js';

/** current_database(): the one database a node holds. */
export const databaseName = 'chorus';
/** The owner every object shows (pg_roles' only role). */
export const ownerName = 'postgres';
export const informationSchemaNamespaceOid = 13207;

export interface NamespaceInfo {
  oid: number;
  name: string;
  owner: number;
}

export function catalogNamespaces(): NamespaceInfo[] {
  return [
    { oid: pgCatalogNamespaceOid, name: 'pg_catalog', owner: ownerOid },
    { oid: publicNamespaceOid, name: 'public', owner: ownerOid },
    { oid: informationSchemaNamespaceOid, name: 'information_schema', owner: ownerOid },
  ];
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

const maxOf: Record<number, bigint> = {
  [T.int2.oid]: 32767n,
  [T.int4.oid]: 2147483647n,
  [T.int8.oid]: 9223372036854775807n,
};

export function catalogSequences(snap: CatalogSnapshot = catalogSnapshot()): SequenceInfo[] {
  const out: SequenceInfo[] = [];
  const last = serialLastValues();
  for (const rel of snap.relations) {
    for (const c of rel.columns) {
      if (!c.serial) continue;
      const used = last.get(rel.name);
      out.push({
        oid: rel.oid + sequenceOidOffset + c.attnum,
        name: `${rel.name}_${c.name}_seq`,
        namespaceOid: publicNamespaceOid,
        schema: 'public',
        typeOid: c.typeOid,
        start: 1n,
        increment: 1n,
        min: 1n,
        max: maxOf[c.typeOid] ?? maxOf[T.int8.oid]!,
        cache: 1n,
        cycle: false,
        lastValue: used === undefined ? null : BigInt(used),
        owner: { tableOid: rel.oid, table: rel.name, column: c.name, attnum: c.attnum, identity: c.identity },
      });
    }
  }
  return out;
}

export interface EnumInfo {
  typeOid: number;
  name: string;
  namespaceOid: number;
  labels: string[];
}

export function catalogEnums(): EnumInfo[] {
  return [];
}
