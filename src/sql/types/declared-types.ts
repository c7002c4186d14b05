// Columns in SQLite: which PostgreSQL types a column may have, the SQLite declared type of each
// (sql/DESIGN.md, "Storage formats") and back from a declared type to the PostgreSQL type, CRDT
// column types, and the type of a rowid key kept in its default.

import { FeatureNotSupportedError } from '../../errors.js';
import {
  arrayTypeOf,
  charTypmod,
  charTypmodLength,
  formatType,
  numericTypmod,
  numericTypmodParts,
  type PgType,
  ref,
  T,
  type TypeRef,
} from './pg-types.js';

/** Types the front end can store in a column (the others exist for expressions and the catalog). */
const storableTypes: ReadonlySet<PgType> = new Set([
  T.bool,
  T.int2,
  T.int4,
  T.int8,
  T.float4,
  T.float8,
  T.numeric,
  T.text,
  T.varchar,
  T.bpchar,
  T.bytea,
  T.date,
  T.time,
  T.timestamp,
  T.timestamptz,
  T.interval,
  T.uuid,
  T.json,
  T.jsonb,
]);

export function isStorable(type: PgType): boolean {
  const t = type.elem ?? type;
  return storableTypes.has(t) || t.enumInfo !== undefined;
}

/** The SQLite declared type of a column of this PostgreSQL type (sql/DESIGN.md: "Storage formats"). */
export function declaredType(r: TypeRef): string {
  const { type, typmod } = r;
  if (type.elem) {
    // An array: JSON text of the elements' storage forms; the name keeps the element type.
    const m = /^([A-Z0-9_]+)(.*)$/.exec(declaredType({ type: type.elem, typmod }))!;
    return `${m[1]}${arraySuffix}${m[2]}`;
  }
  switch (type) {
    case T.bool:
      return 'BOOLEAN';
    case T.int2:
      return 'SMALLINT';
    case T.int4:
      return 'INTEGER';
    case T.int8:
      return 'BIGINT';
    case T.float4:
      return 'FLOAT4_BLOB';
    case T.float8:
      return 'FLOAT8_BLOB';
    case T.numeric: {
      const p = numericTypmodParts(typmod);
      return p ? `NUMERIC(${p.precision},${p.scale})` : 'NUMERIC';
    }
    case T.text:
      return 'TEXT';
    case T.varchar: {
      const n = charTypmodLength(typmod);
      return n === null ? 'VARCHAR' : `VARCHAR(${n})`;
    }
    case T.bpchar: {
      const n = charTypmodLength(typmod);
      return n === null ? 'BPCHAR' : `BPCHAR(${n})`;
    }
    case T.bytea:
      return 'BYTEA';
    case T.date:
      return 'DATE';
    case T.time:
      return typmod >= 0 ? `TIME(${typmod})` : 'TIME';
    case T.timestamp:
      return typmod >= 0 ? `TIMESTAMP(${typmod})` : 'TIMESTAMP';
    case T.timestamptz:
      return typmod >= 0 ? `TIMESTAMPTZ(${typmod})` : 'TIMESTAMPTZ';
    case T.interval:
      return typmod >= 0 ? `INTERVAL(${typmod})` : 'INTERVAL';
    case T.uuid:
      return 'UUID';
    case T.json:
      return 'JSON_TEXT';
    case T.jsonb:
      return 'JSONB_TEXT';
    default:
      if (type.enumInfo) return `${enumDeclared}(${type.oid})`;
      throw new FeatureNotSupportedError(`columns of type ${formatType(type, typmod)}`);
  }
}

const declaredNames: ReadonlyMap<string, PgType> = new Map<string, PgType>([
  ['BOOLEAN', T.bool],
  ['SMALLINT', T.int2],
  ['INTEGER', T.int4],
  ['BIGINT', T.int8],
  ['FLOAT4', T.float4],
  ['FLOAT8', T.float8],
  ['FLOAT4_BLOB', T.float4],
  ['FLOAT8_BLOB', T.float8],
  ['NUMERIC', T.numeric],
  ['TEXT', T.text],
  ['VARCHAR', T.varchar],
  ['BPCHAR', T.bpchar],
  ['BYTEA', T.bytea],
  ['DATE', T.date],
  ['TIME', T.time],
  ['TIMESTAMP', T.timestamp],
  ['TIMESTAMPTZ', T.timestamptz],
  ['INTERVAL', T.interval],
  ['UUID', T.uuid],
  ['JSON_TEXT', T.json],
  ['JSONB_TEXT', T.jsonb],
]);

/** The declared type of an enum column: TEXT affinity (the label), the type's OID as its argument. */
const enumDeclared = 'ENUM_TEXT';

/** The declared type of an array column is its element's with this suffix (`INTEGER_ARRAY`, `VARCHAR_ARRAY(10)`). */
const arraySuffix = '_ARRAY';

/** CRDT column types: declared as written (crdt/), read as these PostgreSQL types. */
export const crdtColumnTypes: ReadonlyMap<string, PgType> = new Map([
  ['CRDT_COUNTER', T.int8],
  ['CRDT_SET', T.json],
  ['CRDT_MAP', T.json],
  ['CRDT_REGISTER', T.text],
]);

/**
 * The PostgreSQL type of a SQLite column from its declared type; null for a declared type the front
 * end did not write (a table made by hand in SQLite: its values are shown by their SQLite class).
 * `enumType` finds an enum type by OID (the catalog's); without it an enum column reads as text,
 * its storage form.
 */
export function typeOfDeclared(
  decl: string | null | undefined,
  enumType?: (oid: number) => PgType | undefined,
): TypeRef | null {
  if (!decl) return null;
  const m = /^\s*([A-Za-z_0-9]+)\s*(?:\(\s*(-?\d+)\s*(?:,\s*(-?\d+)\s*)?\))?\s*$/.exec(decl);
  if (!m) return null;
  const upper = m[1]!.toUpperCase();
  if (upper.endsWith(arraySuffix)) {
    const e = typeOfDeclared(decl.replace(/_ARRAY/i, ''), enumType);
    const a = e ? arrayTypeOf(e.type) : undefined;
    return e && a ? ref(a, e.typmod) : null;
  }
  const name = upper;
  if (name === enumDeclared) {
    const e = m[2] === undefined ? undefined : enumType?.(Number(m[2]));
    return e ? ref(e) : enumType ? null : ref(T.text);
  }
  const crdt = crdtColumnTypes.get(name);
  if (crdt) return ref(crdt);
  const type = declaredNames.get(name);
  if (!type) return null;
  const a = m[2] === undefined ? undefined : Number(m[2]);
  const b = m[3] === undefined ? undefined : Number(m[3]);
  if (a === undefined) return ref(type);
  switch (type) {
    case T.numeric:
      return ref(type, numericTypmod(a, b ?? 0));
    case T.varchar:
    case T.bpchar:
      return ref(type, charTypmod(a));
    case T.time:
    case T.timestamp:
    case T.timestamptz:
    case T.interval:
      return ref(type, a);
    default:
      return ref(type);
  }
}

/** The PostgreSQL type kept in a rowid key's default, `CAST(NULL AS BIGINT)` (sql/DESIGN.md, "Primary keys"). */
export function rowidKeyType(defaultText: string | null): PgType {
  const m = defaultText
    ? /^\s*\(?\s*CAST\s*\(\s*NULL\s+AS\s+([A-Z0-9_]+)\s*\)\s*\)?\s*$/i.exec(defaultText)
    : null;
  const t2 = m ? declaredNames.get(m[1]!.toUpperCase()) : undefined;
  return t2 === T.int2 || t2 === T.int8 ? t2 : T.int4;
}
