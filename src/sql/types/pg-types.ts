// The PostgreSQL types the front end knows: OID, name, category and preferred flag (for PostgreSQL's
// operator and function resolution), type names as users write them, format_type's spelling, and
// the SQLite declared type each maps to (see sql/DESIGN.md, "Storage formats").

import { ChorusError, FeatureNotSupportedError } from '../../errors.js';
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

/** Names users write for types (lower case, after PostgreSQL's grammar folded them), by PgType. */
const typeNames: ReadonlyMap<string, PgType> = new Map<string, PgType>([
  ['bool', T.bool],
  ['boolean', T.bool],
  ['int2', T.int2],
  ['smallint', T.int2],
  ['int4', T.int4],
  ['int', T.int4],
  ['integer', T.int4],
  ['int8', T.int8],
  ['bigint', T.int8],
  ['float4', T.float4],
  ['real', T.float4],
  ['float8', T.float8],
  ['double precision', T.float8],
  ['numeric', T.numeric],
  ['decimal', T.numeric],
  ['text', T.text],
  ['varchar', T.varchar],
  ['character varying', T.varchar],
  ['bpchar', T.bpchar],
  ['character', T.bpchar],
  ['char', T.bpchar],
  ['name', T.name],
  ['"char"', T.char],
  ['bytea', T.bytea],
  ['date', T.date],
  ['time', T.time],
  ['timestamp', T.timestamp],
  ['timestamptz', T.timestamptz],
  ['interval', T.interval],
  ['uuid', T.uuid],
  ['json', T.json],
  ['jsonb', T.jsonb],
  ['oid', T.oid],
  ['regclass', T.regclass],
  ['regtype', T.regtype],
  ['regnamespace', T.regnamespace],
  ['regproc', T.regproc],
  ['unknown', T.unknown],
  ['record', T.record],
  ['void', T.void],
]);

/** Serial pseudo-types: an integer column with a generated key. */
export const serialTypes: ReadonlyMap<string, PgType> = new Map([
  ['serial', T.int4],
  ['serial4', T.int4],
  ['bigserial', T.int8],
  ['serial8', T.int8],
  ['smallserial', T.int2],
  ['serial2', T.int2],
]);

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

/** PostgreSQL's built-in types ChorusDB does not have: 0A000, not 42704 (PostgreSQL has them). */
const unsupportedBuiltinTypes: ReadonlySet<string> = new Set(
  (
    'inet cidr macaddr macaddr8 money bit varbit xml tsvector tsquery gtsvector point box line circle ' +
    'polygon path lseg timetz int4range int8range numrange daterange tsrange tstzrange int4multirange ' +
    'int8multirange nummultirange datemultirange tsmultirange tstzmultirange pg_lsn pg_snapshot ' +
    'txid_snapshot jsonpath xid xid8 cid tid aclitem regproc regprocedure regoper regoperator ' +
    'regconfig regdictionary regnamespace regrole regcollation pg_node_tree'
  ).split(' '),
);

/**
 * The type a TypeName node names: names as the parser gives them (`pg_catalog.int4`, `varchar`,
 * `timestamptz`), with typmods already evaluated to integers. Unknown names are 42704.
 */
export function resolveTypeName(
  names: readonly string[],
  typmods: readonly number[],
  position?: number,
): TypeRef {
  const schema = names.length > 1 ? names[names.length - 2] : undefined;
  const base = names[names.length - 1]!;
  if (schema !== undefined && schema !== 'pg_catalog' && schema !== 'public') {
    throw new ChorusError('42704', `type "${names.join('.')}" does not exist`, { position });
  }
  const elemNamed = base.startsWith('_') ? typeNames.get(base.slice(1)) : undefined;
  const type = typeNames.get(base) ?? (elemNamed ? arrayTypeOf(elemNamed) : undefined);
  if (!type) {
    const builtin = base.startsWith('_') ? base.slice(1) : base;
    if (schema !== 'public' && unsupportedBuiltinTypes.has(builtin)) {
      throw new ChorusError('0A000', `type ${builtin}${base === builtin ? '' : '[]'} is not supported`, {
        position,
        hint: 'ChorusDB stores the types listed in docs/sql.md; text or another type can hold such values.',
      });
    }
    throw new ChorusError('42704', `type "${base}" does not exist`, { position });
  }
  if (type.elem) return ref(type, typmodFor(type.elem, typmods, position));
  return ref(type, typmodFor(type, typmods, position));
}

function typmodFor(type: PgType, mods: readonly number[], position?: number): number {
  if (mods.length === 0) return type === T.bpchar ? -1 : -1;
  const bad = (msg: string): ChorusError => new ChorusError('22023', msg, { position });
  switch (type) {
    case T.numeric: {
      const [p, s = 0] = mods;
      if (mods.length > 2) throw new ChorusError('42601', 'invalid NUMERIC type modifier', { position });
      if (p! < 1 || p! > numericPrecisionMax)
        throw bad(`NUMERIC precision ${p} must be between 1 and ${numericPrecisionMax}`);
      if (s < -1000 || s > 1000) throw bad(`NUMERIC scale ${s} must be between -1000 and 1000`);
      return numericTypmod(p!, s);
    }
    case T.varchar:
    case T.bpchar: {
      if (mods.length > 1) throw new ChorusError('42601', 'invalid type modifier', { position });
      const n = mods[0]!;
      const label = type === T.varchar ? 'varchar' : 'char';
      if (n < 1) throw bad(`length for type ${label} must be at least 1`);
      if (n > charLengthMax) throw bad(`length for type ${label} cannot exceed ${charLengthMax}`);
      return charTypmod(n);
    }
    case T.time:
    case T.timestamp:
    case T.timestamptz:
    case T.interval: {
      if (mods.length > 1) throw new ChorusError('42601', 'invalid type modifier', { position });
      const p = mods[0]!;
      if (p < 0) throw bad(`${type.name.toUpperCase()}(${p}) precision must not be negative`);
      return Math.min(p, timePrecisionMax);
    }
    default:
      throw new ChorusError('42601', `type modifier is not allowed for type "${type.name}"`, {
        position,
      });
  }
}

// ---------------------------------------------------------------------------------------------
// Declared column types in SQLite

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

export function isIntegerType(type: PgType): boolean {
  return type === T.int2 || type === T.int4 || type === T.int8;
}

export function isStringType(type: PgType): boolean {
  return type === T.text || type === T.varchar || type === T.bpchar || type === T.name;
}
