// Which PostgreSQL type describes a column: OIDs from SQLite declared types or from the values
// themselves, and each OID's fixed size (pg_type.typlen).

import { Oid } from './oids.js';

/** pg_type.typlen for the fixed-size types we describe; -1 (varlena) otherwise. */
export function typeSize(oid: number): number {
  switch (oid) {
    case Oid.int2:
      return 2;
    case Oid.int4:
    case Oid.float4:
    case Oid.date:
    case Oid.oid:
      return 4;
    case Oid.int8:
    case Oid.float8:
    case Oid.timestamp:
    case Oid.timestamptz:
    case Oid.time:
      return 8;
    case Oid.bool:
      return 1;
    case Oid.uuid:
      return 16;
    case Oid.interval:
      return 16;
    case Oid.name:
      return 64;
    default:
      return -1;
  }
}

// Declared-type names (upper case, modifiers removed) per OID. SQLite REAL is an 8-byte double while
// PostgreSQL `real` is 4 bytes, so REAL is described as float8: no value loses precision on the wire.
const declaredTypeNames: ReadonlyArray<readonly [number, string]> = [
  [Oid.int4, 'INT|INTEGER|INT4|MEDIUMINT|SERIAL|SERIAL4'],
  [Oid.int8, 'BIGINT|INT8|BIGSERIAL|SERIAL8|UNSIGNED BIG INT'],
  [Oid.int2, 'SMALLINT|INT2|TINYINT|SMALLSERIAL|SERIAL2'],
  [Oid.float4, 'FLOAT4'],
  [Oid.float8, 'REAL|DOUBLE|DOUBLE PRECISION|FLOAT|FLOAT8'],
  [Oid.numeric, 'NUMERIC|DECIMAL'],
  [Oid.text, 'TEXT|CLOB'],
  [Oid.varchar, 'VARCHAR|CHARACTER VARYING|VARYING CHARACTER|NVARCHAR'],
  [Oid.bpchar, 'CHAR|CHARACTER|BPCHAR|NCHAR|NATIVE CHARACTER'],
  [Oid.bool, 'BOOL|BOOLEAN'],
  [Oid.bytea, 'BLOB|BYTEA'],
  [Oid.json, 'JSON'],
  [Oid.jsonb, 'JSONB'],
  [Oid.timestamp, 'TIMESTAMP|TIMESTAMP WITHOUT TIME ZONE|DATETIME'],
  [Oid.timestamptz, 'TIMESTAMPTZ|TIMESTAMP WITH TIME ZONE'],
  [Oid.date, 'DATE'],
  [Oid.time, 'TIME|TIME WITHOUT TIME ZONE'],
  [Oid.uuid, 'UUID'],
  [Oid.interval, 'INTERVAL'],
  [Oid.name, 'NAME'],
  [Oid.oid, 'OID'],
];
const declaredTypes: ReadonlyMap<string, number> = new Map(
  declaredTypeNames.flatMap(([oid, names]) => names.split('|').map((n): [string, number] => [n, oid])),
);

/** Maps a SQLite column's declared type to an OID; null when the values must decide. */
export function oidForDeclaredType(decl: string | null | undefined): number | null {
  if (!decl) return null;
  const key = decl
    .toUpperCase()
    .replace(/\([^)]*\)/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return declaredTypes.get(key) ?? null;
}

const int32Min = -2147483648;
const int32Max = 2147483647;

/** Infers an OID from a value, for expression columns without a declared type. */
export function oidForValue(v: unknown): number {
  switch (typeof v) {
    case 'bigint':
      return v >= int32Min && v <= int32Max ? Oid.int4 : Oid.int8;
    case 'number':
      if (!Number.isInteger(v)) return Oid.float8;
      if (v >= int32Min && v <= int32Max) return Oid.int4;
      return Number.isSafeInteger(v) ? Oid.int8 : Oid.float8;
    case 'string':
      return Oid.text;
    case 'boolean':
      return Oid.bool;
    default:
      return v instanceof Uint8Array ? Oid.bytea : Oid.text;
  }
}
