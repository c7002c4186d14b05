// The schemas, sequences and enum types of the database as catalog rows: what pg_namespace,
// pg_sequence / pg_sequences / information_schema.sequences, pg_type / pg_enum and the front end
// read. Plain functions over any connection (committed schema or a writer's view).

import type Database from 'better-sqlite3';
import type { CatalogEnum, CatalogSequence } from '../sql/analyze/context.js';
import { pgCatalogOid, publicSchema, publicSchemaOid, splitStorageName } from '../sql/namespaces.js';
import { makeEnumType } from '../sql/types/enum.js';
import { type PgType, T } from '../sql/types/pg-types.js';
import { readSequences, type SequenceDef } from './sequences/sequences.js';

/** PostgreSQL's OID of information_schema in a fresh cluster (it varies; 13000s in PostgreSQL 15). */
export const informationSchemaOid = 13183;

export interface SchemaRow {
  name: string;
  oid: number;
}

/** Every schema: pg_catalog, public, information_schema, then the users' (by name). */
export function listSchemas(db: Database.Database): SchemaRow[] {
  const stmt = db.prepare('SELECT name, oid FROM _chorus_schemas ORDER BY name');
  stmt.safeIntegers(false);
  const users = stmt.all() as SchemaRow[];
  return [
    { name: 'pg_catalog', oid: pgCatalogOid },
    { name: publicSchema, oid: publicSchemaOid },
    { name: 'information_schema', oid: informationSchemaOid },
    ...users,
  ];
}

/** A sequence with its parameters, owner column and the state setval / RESTART last gave it. */
export interface SequenceRow extends CatalogSequence {
  /** int2 / int4 / int8 type OID (pg_sequence.seqtypid). */
  typeOid: number;
  start: bigint;
  increment: bigint;
  min: bigint;
  max: bigint;
  cache: bigint;
  cycle: boolean;
  /** 'serial', 'a' (GENERATED ALWAYS), 'd' (BY DEFAULT) or null (a plain sequence). */
  identity: string | null;
  /** The last setval / RESTART (replicated); a node's own progress is not shown here. */
  resetValue: bigint;
  resetCalled: boolean;
}

function sequenceRow(d: SequenceDef): SequenceRow {
  const { schema, name } = splitStorageName(d.name);
  return {
    schema,
    name,
    storedName: d.name,
    oid: d.oid,
    ownerTable: d.ownerTable,
    ownerColumn: d.ownerColumn,
    typeOid: d.typeOid,
    start: d.start,
    increment: d.increment,
    min: d.min,
    max: d.max,
    cache: d.cache,
    cycle: d.cycle,
    identity: d.identity,
    resetValue: d.reset.value,
    resetCalled: d.reset.called,
  };
}

export function listSequences(db: Database.Database): SequenceRow[] {
  return readSequences(db).map(sequenceRow);
}

/**
 * Every enum type with its labels in sort order (pg_enum.enumsortorder, then the label: labels two
 * nodes added concurrently at one place may share a sort order), each with the PgType the front end
 * uses (types/enum.ts). pg_type shows each as typtype 'e', typcategory 'E', typlen 4, typarray
 * `arrayOid`; its array type `_<name>` has typelem `oid`.
 */
export function listEnumTypes(db: Database.Database): CatalogEnum[] {
  const stmt = db.prepare(
    'SELECT type, min(oid) OVER (PARTITION BY type) AS oid, min(array_oid) OVER (PARTITION BY type) AS array_oid, label FROM _chorus_enums ORDER BY type, sort, label',
  );
  stmt.safeIntegers(false);
  const out = new Map<string, Omit<CatalogEnum, 'type'>>();
  for (const r of stmt.all() as { type: string; oid: number; array_oid: number; label: string }[]) {
    let e = out.get(r.type);
    if (!e) {
      const { schema, name } = splitStorageName(r.type);
      e = { schema, name, storedName: r.type, oid: r.oid, arrayOid: r.array_oid, labels: [] };
      out.set(r.type, e);
    }
    // The type's marker row (enum-ddl.ts: a type exists without labels) holds no label.
    if (r.label !== '\u0000') e.labels.push(r.label);
  }
  return [...out.values()].map((e) => ({ ...e, type: makeEnumType(e) }));
}

/**
 * Enum types and their array types by OID, for `typeOfDeclared(decl, resolver)` (a column declared
 * `ENUM_TEXT(oid)` is of that enum type: pg_attribute.atttypid) and format_type of their OIDs.
 */
export function enumTypeResolver(db: Database.Database): (oid: number) => PgType | undefined {
  const byOid = new Map<number, PgType>();
  for (const e of listEnumTypes(db)) {
    byOid.set(e.oid, e.type);
    byOid.set(e.arrayOid, e.type.enumInfo!.arrayType);
  }
  return (oid) => byOid.get(oid);
}

/** pg_enum rows: (type OID, label, sort order as stored), in sort order within each type. */
export function listEnumLabels(db: Database.Database): { typeOid: number; label: string; sort: number }[] {
  const stmt = db.prepare(
    'SELECT * FROM (SELECT min(oid) OVER (PARTITION BY type) AS typeOid, label, sort FROM _chorus_enums) WHERE label <> char(0) ORDER BY typeOid, sort, label',
  );
  stmt.safeIntegers(false);
  return stmt.all() as { typeOid: number; label: string; sort: number }[];
}

/** The int type name of a sequence's type OID. */
export function sequenceTypeName(typeOid: number): string {
  return typeOid === T.int2.oid ? 'int2' : typeOid === T.int4.oid ? 'int4' : 'int8';
}
