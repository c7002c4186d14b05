// The SQLite side of the front end's catalog functions (sql/analyze/expr/functions/catalog-function-lines.ts):
// pg_cat_format_type, pg_cat_indexdef, pg_cat_constraintdef, pg_cat_serial_sequence, ..., and the
// relation and schema names regclass / regnamespace read and print. Registered on every connection.

import type Database from 'better-sqlite3';
import { ChorusError, UndefinedTableError } from '../../errors.js';
import { qualifiedText, storageName } from '../../sql/namespaces.js';
import { CT, catalogArrayType, setCatalogNames, splitQualifiedName } from '../../sql/types/catalog-types.js';
import { formatType, type PgType, T, typeByOid } from '../../sql/types/pg-types.js';
import {
  catalogEnums,
  catalogSequences,
  enumTypeOf,
  namespaceName,
  namespaceOid,
} from './catalog-objects.js';
import { ownerOid } from './pg-catalog-common.js';
import {
  constraintDefinition,
  indexColumnText,
  indexDefinition,
  viewDefinition,
} from './pg-catalog-definitions.js';
import { catalogSnapshot, isIndex, relationOf } from './pg-catalog-snapshot.js';

/** OIDs of the catalog relations PostgreSQL 15 has (for 'pg_class'::regclass and the like). */
const systemRelations: Record<string, number> = {
  pg_type: 1247,
  pg_attribute: 1249,
  pg_proc: 1255,
  pg_class: 1259,
  pg_authid: 1260,
  pg_database: 1262,
  pg_namespace: 2615,
  pg_attrdef: 2604,
  pg_constraint: 2606,
  pg_index: 2610,
  pg_description: 2609,
  pg_depend: 2608,
  pg_am: 2601,
  pg_collation: 3456,
  pg_enum: 3501,
  pg_sequence: 2224,
  pg_range: 3541,
  pg_inherits: 2611,
  pg_trigger: 2620,
  pg_tablespace: 1213,
};

const systemRelationNames = new Map(Object.entries(systemRelations).map(([n, o]) => [o, n]));

function quoteName(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

function relationOid(schema: string | null, name: string): number | null {
  if (schema === null || schema === 'pg_catalog') {
    const sys = systemRelations[name];
    if (sys !== undefined) return sys;
    if (schema === 'pg_catalog') return null;
  }
  const snap = catalogSnapshot();
  const oid = snap.byName.get(storageName(schema, name).toLowerCase());
  if (oid !== undefined) {
    const x = snap.byOid.get(oid);
    if (x && x.name === name) return oid;
  }
  const inSchema = schema ?? 'public';
  return catalogSequences(snap).find((s) => s.name === name && s.schema === inSchema)?.oid ?? null;
}

/** regclass output: the name, schema-qualified outside public (the search path). */
function shownName(schema: string, name: string): string {
  return schema === 'public' ? quoteName(name) : qualifiedText(schema, name);
}

function relationName(oid: number): string | null {
  const sys = systemRelationNames.get(oid);
  if (sys) return sys;
  const snap = catalogSnapshot();
  const x = snap.byOid.get(oid);
  if (x) {
    const table = 'tableOid' in x ? snap.byOid.get(x.tableOid) : x;
    const schema = table && 'schema' in table ? table.schema : 'public';
    return shownName(schema, x.name);
  }
  const seq = catalogSequences(snap).find((s) => s.oid === oid);
  return seq ? shownName(seq.schema, seq.name) : null;
}

/** A sequence relation's columns (pg_attribute). */
const sequenceColumnNames = ['last_value', 'log_cnt', 'is_called'];

/**
 * A user type (enum) by name as regtype reads it (`mood`, `_mood` and `mood[]` for its array type):
 * in the given schema, or else public. Read afresh: enum DDL does not change SQLite's schema_version.
 */
function typeOid(schema: string | null, name: string): number | null {
  const s = schema ?? 'public';
  const enums = catalogEnums().filter((e) => (namespaceName(e.namespaceOid) ?? 'public') === s);
  if (name.endsWith('[]')) {
    const element = name.slice(0, -2).trimEnd();
    return enums.find((e) => e.name === element)?.arrayOid ?? null;
  }
  const e = enums.find((x) => x.name === name);
  if (e) return e.typeOid;
  return name.startsWith('_') ? (enums.find((x) => x.name === name.slice(1))?.arrayOid ?? null) : null;
}

function typeName(oid: number): string | null {
  const e = enumTypeOf(oid);
  return e ? `${shownName(e.schema, e.name)}${e.array ? '[]' : ''}` : null;
}

setCatalogNames({ relationOid, relationName, namespaceOid, namespaceName, typeOid, typeName });

const arrayElements: [string, PgType][] = [
  ['bool', T.bool],
  ['char', T.char],
  ['name', T.name],
  ['int2', T.int2],
  ['int4', T.int4],
  ['text', T.text],
  ['oid', T.oid],
  ['float4', T.float4],
];

/** format_type(oid, typmod): a NULL typmod shows bpchar as "character", -1 as "bpchar". */
export function formatTypeOid(oid: number, typmod: number | null): string {
  const type = typeByOid(oid);
  if (type) {
    if (typmod === null && type === T.bpchar) return 'character';
    return formatType(type, typmod ?? -1);
  }
  for (const [name, elem] of arrayElements) {
    if (elem.arrayOid === oid || catalogArrayType(name).oid === oid)
      return `${formatTypeOid(elem.oid, null)}[]`;
  }
  for (const t of Object.values(CT)) if (t.oid === oid) return t.name;
  const e = enumTypeOf(oid);
  if (e) return `${shownName(e.schema, e.name)}${e.array ? '[]' : ''}`;
  return '???';
}

function num(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

const bool = (b: boolean): number => (b ? 1 : 0);

export function registerCatalogRuntime(db: Database.Database): void {
  db.function('pg_cat_format_type', { deterministic: true }, (oid: unknown, typmod: unknown) => {
    const o = num(oid);
    return o === null ? null : formatTypeOid(o, num(typmod));
  });
  db.function('pg_cat_indexdef', (oid: unknown, col: unknown) => {
    const o = num(oid) ?? 0;
    const k = num(col) ?? 0;
    if (k === 0) return indexDefinition(o);
    const ix = catalogSnapshot().byOid.get(o);
    return isIndex(ix) ? indexColumnText(ix, k - 1) : null;
  });
  db.function('pg_cat_constraintdef', (oid: unknown, pretty: unknown) =>
    constraintDefinition(num(oid) ?? 0, num(pretty) === 1),
  );
  db.function('pg_cat_viewdef', (oid: unknown) => viewDefinition(num(oid) ?? 0));
  db.function('pg_cat_userbyid', { deterministic: true }, (oid: unknown) =>
    oid === null ? null : num(oid) === ownerOid ? 'postgres' : `unknown (OID=${String(oid)})`,
  );
  db.function('pg_cat_visible', (oid: unknown) => {
    const o = num(oid);
    if (o === null) return null;
    return bool(relationName(o) !== null);
  });
  db.function('pg_cat_size', (oid: unknown) => (oid === null ? null : 0));
  db.function('pg_cat_privilege', (_object: unknown, _privilege: unknown) => 1);
  db.function('pg_cat_current_schemas', (implicit: unknown) =>
    // The storage form of a name[] (a JSON array of the names).
    num(implicit) ? '["pg_catalog","public"]' : '["public"]',
  );
  db.function('pg_cat_regclass', (name: unknown) => {
    if (name === null) return null;
    const parts = splitQualifiedName(String(name));
    if (!parts) return null;
    return relationOid(parts.length > 1 ? parts[parts.length - 2]! : null, parts[parts.length - 1]!);
  });
  db.function('pg_cat_regnamespace', (name: unknown) => {
    if (name === null) return null;
    const parts = splitQualifiedName(String(name));
    return parts?.length === 1 ? namespaceOid(parts[0]!) : null;
  });
  db.function('pg_cat_serial_sequence', (table: unknown, column: unknown) => {
    if (table === null || column === null) return null;
    const parts = splitQualifiedName(String(table));
    if (!parts) return null;
    const schema = parts.length > 1 ? parts[parts.length - 2]! : null;
    const oid = relationOid(schema, parts[parts.length - 1]!);
    const rel = oid === null ? undefined : relationOf(oid, catalogSnapshot());
    const col = String(column);
    if (!rel && oid !== null && catalogSequences().some((s) => s.oid === oid)) {
      // A sequence's own columns own no sequence.
      if (sequenceColumnNames.includes(col)) return null;
      throw new ChorusError(
        '42703',
        `column "${col}" of relation "${parts[parts.length - 1]}" does not exist`,
      );
    }
    if (!rel) throw new UndefinedTableError(String(table));
    if (!rel.columns.some((c) => c.name === col)) {
      throw new ChorusError('42703', `column "${col}" of relation "${rel.name}" does not exist`);
    }
    const seq = catalogSequences().find((s) => s.owner?.tableOid === rel.oid && s.owner.column === col);
    return seq ? `${seq.schema}.${quoteName(seq.name)}` : null;
  });
}
