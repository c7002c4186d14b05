// The PostgreSQL types the front end knows: OID, name, category and preferred flag (for PostgreSQL's
// operator and function resolution), their array types, typmods and format_type's spelling. The
// names users write are in type-names.ts, the SQLite declared types in declared-types.ts.

import type { TypeCodec } from './codec.js';

/** A PostgreSQL type (pg_type row, the columns resolution needs). */
export interface PgType {
  readonly oid: number;
  /** pg_type.typname */
  readonly name: string;
  /** pg_type.typcategory: B bool, N numeric, S string, D datetime, T timespan, U user, X unknown, P pseudo, A array, Z internal */
  readonly category: string;
  readonly preferred: boolean;
  /** pg_type.typlen (-1 varlena, -2 cstring/unknown) */
  readonly len: number;
  /** OID of the array type over this type (0 when none). */
  readonly arrayOid: number;
  /** An array type's element type (pg_type.typelem; absent for other types). */
  readonly elem?: PgType;
  /** A user enum type (typtype 'e', made by the catalog: types/enum.ts). */
  readonly enumInfo?: EnumInfo;
}

/** What an enum type carries: its labels in sort order, its codecs and its array type. */
export interface EnumInfo {
  readonly schema: string;
  /** Labels in sort order (pg_enum.enumsortorder, then label). */
  readonly labels: readonly string[];
  /** Position of each label in `labels`. */
  readonly rank: ReadonlyMap<string, number>;
  readonly codec: TypeCodec;
  readonly arrayType: PgType;
  readonly arrayCodec: TypeCodec;
}

function t(
  oid: number,
  name: string,
  category: string,
  preferred: boolean,
  len: number,
  arrayOid: number,
): PgType {
  return Object.freeze({ oid, name, category, preferred, len, arrayOid });
}

export const T = Object.freeze({
  bool: t(16, 'bool', 'B', true, 1, 1000),
  bytea: t(17, 'bytea', 'U', false, -1, 1001),
  char: t(18, 'char', 'Z', false, 1, 1002),
  name: t(19, 'name', 'S', false, 64, 1003),
  int8: t(20, 'int8', 'N', false, 8, 1016),
  int2: t(21, 'int2', 'N', false, 2, 1005),
  int4: t(23, 'int4', 'N', false, 4, 1007),
  regproc: t(24, 'regproc', 'N', false, 4, 1008),
  text: t(25, 'text', 'S', true, -1, 1009),
  oid: t(26, 'oid', 'N', true, 4, 1028),
  json: t(114, 'json', 'U', false, -1, 199),
  float4: t(700, 'float4', 'N', false, 4, 1021),
  float8: t(701, 'float8', 'N', true, 8, 1022),
  unknown: t(705, 'unknown', 'X', false, -2, 0),
  bpchar: t(1042, 'bpchar', 'S', false, -1, 1014),
  varchar: t(1043, 'varchar', 'S', false, -1, 1015),
  date: t(1082, 'date', 'D', false, 4, 1182),
  time: t(1083, 'time', 'D', false, 8, 1183),
  timestamp: t(1114, 'timestamp', 'D', false, 8, 1115),
  timestamptz: t(1184, 'timestamptz', 'D', true, 8, 1185),
  interval: t(1186, 'interval', 'T', true, 16, 1187),
  numeric: t(1700, 'numeric', 'N', false, -1, 1231),
  regclass: t(2205, 'regclass', 'N', false, 4, 2210),
  regtype: t(2206, 'regtype', 'N', false, 4, 2211),
  regnamespace: t(4089, 'regnamespace', 'N', false, 4, 4090),
  record: t(2249, 'record', 'P', false, -1, 2287),
  void: t(2278, 'void', 'P', false, 4, 0),
  uuid: t(2950, 'uuid', 'U', false, 16, 2951),
  jsonb: t(3802, 'jsonb', 'U', false, -1, 3807),
});

function arrayOf(e: PgType): PgType {
  return Object.freeze({
    oid: e.arrayOid,
    name: `_${e.name}`,
    category: 'A',
    preferred: false,
    len: -1,
    arrayOid: 0,
    elem: e,
  });
}

/** The array types over the element types above (pg_type rows `_int4`, ...; sql/DESIGN.md, "Arrays"). */
export const A = Object.freeze({
  _bool: arrayOf(T.bool),
  _bytea: arrayOf(T.bytea),
  _name: arrayOf(T.name),
  _int8: arrayOf(T.int8),
  _int2: arrayOf(T.int2),
  _int4: arrayOf(T.int4),
  _text: arrayOf(T.text),
  _oid: arrayOf(T.oid),
  _json: arrayOf(T.json),
  _float4: arrayOf(T.float4),
  _float8: arrayOf(T.float8),
  _bpchar: arrayOf(T.bpchar),
  _varchar: arrayOf(T.varchar),
  _date: arrayOf(T.date),
  _time: arrayOf(T.time),
  _timestamp: arrayOf(T.timestamp),
  _timestamptz: arrayOf(T.timestamptz),
  _interval: arrayOf(T.interval),
  _numeric: arrayOf(T.numeric),
  _regclass: arrayOf(T.regclass),
  _regtype: arrayOf(T.regtype),
  _uuid: arrayOf(T.uuid),
  _jsonb: arrayOf(T.jsonb),
});

const arrayByElem: ReadonlyMap<PgType, PgType> = new Map(Object.values(A).map((a) => [a.elem!, a]));

/** The array type over an element type, or undefined when ChorusDB has none. */
export function arrayTypeOf(elem: PgType): PgType | undefined {
  return elem.enumInfo?.arrayType ?? arrayByElem.get(elem);
}

export function isArrayType(type: PgType): boolean {
  return type.elem !== undefined;
}

export type TypeName = keyof typeof T;

const byOid: ReadonlyMap<number, PgType> = new Map(
  [...Object.values(T), ...Object.values(A)].map((x) => [x.oid, x]),
);

export function typeByOid(oid: number): PgType | undefined {
  return byOid.get(oid);
}

/** A type with its modifier (pg_attribute.atttypmod: -1 when none). */
export interface TypeRef {
  readonly type: PgType;
  readonly typmod: number;
}

export function ref(type: PgType, typmod = -1): TypeRef {
  return { type, typmod };
}

/** VARHDRSZ: PostgreSQL stores varchar(n)/bpchar(n) typmods as n + 4 and numeric(p,s) as ((p << 16) | s) + 4. */
const varHeaderBytes = 4;
export const numericPrecisionMax = 1000;
export const charLengthMax = 10485760;
export const timePrecisionMax = 6;

export function numericTypmod(precision: number, scale: number): number {
  return ((precision << 16) | (scale & 0xffff)) + varHeaderBytes;
}

/** (precision, scale) of a numeric typmod, or null for an unconstrained numeric. */
export function numericTypmodParts(typmod: number): { precision: number; scale: number } | null {
  if (typmod < varHeaderBytes) return null;
  const v = typmod - varHeaderBytes;
  // scale is an 11-bit signed field in PostgreSQL 15 (it may be negative or exceed precision)
  const raw = v & 0x7ff;
  return { precision: (v >> 16) & 0xffff, scale: raw > 1023 ? raw - 2048 : raw };
}

export function charTypmod(length: number): number {
  return length + varHeaderBytes;
}

/** n of varchar(n) / bpchar(n), or null when unbounded. */
export function charTypmodLength(typmod: number): number | null {
  return typmod >= varHeaderBytes ? typmod - varHeaderBytes : null;
}

/** PostgreSQL's format_type(oid, typmod): the spelling psql and information_schema show. */
export function formatType(type: PgType, typmod = -1): string {
  if (type.elem) return `${formatType(type.elem, typmod)}[]`;
  switch (type.oid) {
    case T.int2.oid:
      return 'smallint';
    case T.int4.oid:
      return 'integer';
    case T.int8.oid:
      return 'bigint';
    case T.float4.oid:
      return 'real';
    case T.float8.oid:
      return 'double precision';
    case T.bool.oid:
      return 'boolean';
    case T.numeric.oid: {
      const p = numericTypmodParts(typmod);
      return p ? `numeric(${p.precision},${p.scale})` : 'numeric';
    }
    case T.varchar.oid: {
      const n = charTypmodLength(typmod);
      return n === null ? 'character varying' : `character varying(${n})`;
    }
    case T.bpchar.oid: {
      const n = charTypmodLength(typmod);
      return n === null ? 'bpchar' : `character(${n})`;
    }
    case T.char.oid:
      return '"char"';
    case T.time.oid:
      return typmod >= 0 ? `time(${typmod}) without time zone` : 'time without time zone';
    case T.timestamp.oid:
      return typmod >= 0 ? `timestamp(${typmod}) without time zone` : 'timestamp without time zone';
    case T.timestamptz.oid:
      return typmod >= 0 ? `timestamp(${typmod}) with time zone` : 'timestamp with time zone';
    case T.interval.oid:
      return typmod >= 0 && (typmod & 0xffff) !== 0xffff ? `interval(${typmod & 0xffff})` : 'interval';
    default:
      // An enum outside public is shown qualified (format_type: not visible on the default path).
      return type.enumInfo && type.enumInfo.schema !== 'public'
        ? `${type.enumInfo.schema}.${type.name}`
        : type.name;
  }
}

export function isIntegerType(type: PgType): boolean {
  return type === T.int2 || type === T.int4 || type === T.int8;
}

export function isStringType(type: PgType): boolean {
  return type === T.text || type === T.varchar || type === T.bpchar || type === T.name;
}
