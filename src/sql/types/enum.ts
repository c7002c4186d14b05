// User enum types (CREATE TYPE ... AS ENUM): the PgType the catalog makes for each, with its labels
// in sort order, its codecs (enum_in / enum_out / enum_send / enum_recv over the label text, the
// storage form) and its array type. Built per catalog load, so a plan sees the labels of its schema
// version (sql/DESIGN.md, "Enum types").

import { ChorusError } from '../../errors.js';
import { arrayCodec } from './array/array-codec.js';
import type { StorageValue, TypeCodec } from './codec.js';
import { A, type EnumInfo, type PgType, T } from './pg-types.js';

/** PostgreSQL's NAMEDATALEN - 1: the longest label, in bytes. */
export const enumLabelBytesMax = 63;

/** PostgreSQL's typlen of an enum (its OID-sized sort key). */
const enumTypeBytes = 4;

export interface EnumTypeDef {
  schema: string;
  name: string;
  oid: number;
  arrayOid: number;
  /** Labels in sort order. */
  labels: readonly string[];
}

/** The enum type and its array type. */
export function makeEnumType(def: EnumTypeDef): PgType {
  const rank = new Map(def.labels.map((l, i) => [l, i]));
  const shown = def.schema === 'public' ? def.name : `${def.schema}.${def.name}`;
  const check = (label: string): string => {
    if (!rank.has(label)) throw new ChorusError('22P02', `invalid input value for enum ${shown}: "${label}"`);
    return label;
  };
  const text = (v: StorageValue): string =>
    typeof v === 'string' ? v : v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : String(v);
  const codec: TypeCodec = {
    input: (t) => check(t),
    output: (v) => text(v),
    toBinary: (v) => Buffer.from(text(v), 'utf8'),
    fromBinary: (b) => check(b.toString('utf8')),
  };
  const info: { -readonly [K in keyof EnumInfo]: EnumInfo[K] } = {
    schema: def.schema,
    labels: Object.freeze([...def.labels]),
    rank,
    codec,
    arrayType: undefined as unknown as PgType,
    arrayCodec: undefined as unknown as TypeCodec,
  };
  const type: PgType = Object.freeze({
    oid: def.oid,
    name: def.name,
    category: 'E',
    preferred: false,
    len: enumTypeBytes,
    arrayOid: def.arrayOid,
    enumInfo: info,
  });
  info.arrayType = Object.freeze({
    oid: def.arrayOid,
    name: `_${def.name}`,
    category: 'A',
    preferred: false,
    len: -1,
    arrayOid: 0,
    elem: type,
  });
  info.arrayCodec = arrayCodec(type, codec);
  Object.freeze(info);
  return type;
}

/** The codec of an enum type or of an array of one; undefined for other types. */
export function enumCodecOf(type: PgType): TypeCodec | undefined {
  if (type.enumInfo) return type.enumInfo.codec;
  return type.elem?.enumInfo?.arrayCodec;
}

/** Whether a type is an enum type. */
export function isEnumType(type: PgType): boolean {
  return type.enumInfo !== undefined;
}

/** A label CREATE TYPE / ALTER TYPE accepts (42602 otherwise, as PostgreSQL). */
export function checkEnumLabel(label: string): void {
  if (Buffer.byteLength(label) > enumLabelBytesMax) {
    throw new ChorusError('42602', `invalid enum label "${label}"`, {
      detail: `Labels must be ${enumLabelBytesMax} bytes or less.`,
    });
  }
}

/**
 * The type runtime functions are told a value has (they see no catalog): an enum's storage is its
 * label, so text (text[] for an array of an enum); other types are themselves.
 */
export function runtimeType(type: PgType): PgType {
  if (type.enumInfo) return T.text;
  if (type.elem?.enumInfo) return A._text;
  return type;
}

/** The labels as the JSON array the runtime's enum functions take, as a SQL literal. */
export function enumLabelsSql(type: PgType): string {
  return `'${JSON.stringify(type.enumInfo!.labels).replaceAll("'", "''")}'`;
}

/** The type's name as PostgreSQL's messages show it (format_type). */
export function enumShownName(type: PgType): string {
  const schema = type.enumInfo!.schema;
  return schema === 'public' ? type.name : `${schema}.${type.name}`;
}

/**
 * SQL ordered as the enum's labels are (their positions, ties impossible): ORDER BY, `<` between
 * non-constant values, min / max. A CASE over the labels keeps it plain SQL (sql/DESIGN.md).
 */
export function enumRankSql(type: PgType, sql: string): string {
  const labels = type.enumInfo!.labels;
  if (labels.length === 0) return 'NULL';
  const whens = labels.map((l, i) => `WHEN '${l.replaceAll("'", "''")}' THEN ${i}`).join(' ');
  return `(CASE ${sql} ${whens} END)`;
}

/** SQL turning a rank (enumRankSql) back into its label. */
export function enumLabelOfRankSql(type: PgType, rankSql: string): string {
  const labels = type.enumInfo!.labels;
  if (labels.length === 0) return 'NULL';
  const whens = labels.map((l, i) => `WHEN ${i} THEN '${l.replaceAll("'", "''")}'`).join(' ');
  return `(CASE ${rankSql} ${whens} END)`;
}
