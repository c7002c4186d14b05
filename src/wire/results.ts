// Turns statement results into wire messages: column type OIDs (declared type, admin relation
// type, or inferred from values) and per-cell text/binary encoding.

import type { AdminRegistry, AdminType } from '../admin/registry.js';
import type { ColumnInfo } from '../session/result.js';
import { A } from '../sql/types/pg-types.js';
import { codecFor, type StorageValue, type ValueEnv } from '../sql/types/values.js';
import type { BackendWriter } from './backend-writer.js';
import type { FieldDescription } from './codec.js';
import { encodeBinary, encodeText, Oid, oidForDeclaredType, oidForValue, typeSize } from './types.js';

const adminTypeOid: Record<AdminType, number> = {
  text: Oid.text,
  int8: Oid.int8,
  int4: Oid.int4,
  float8: Oid.float8,
  numeric: Oid.numeric,
  bool: Oid.bool,
  timestamptz: Oid.timestamptz,
  json: Oid.json,
  // Arrays: values in PostgreSQL's text form, sent as they are.
  'text[]': A._text.oid,
  'name[]': A._name.oid,
  'int2[]': A._int2.oid,
  'int4[]': A._int4.oid,
  'int8[]': A._int8.oid,
  'oid[]': A._oid.oid,
  'bool[]': A._bool.oid,
};

export function columnOids(
  columns: readonly ColumnInfo[],
  rows: readonly unknown[][],
  registry: AdminRegistry,
): number[] {
  return columns.map((c, i) => {
    if (c.pgType) return c.pgType.type.oid;
    if (c.adminType) return adminTypeOid[c.adminType];
    if (c.table && (c.table.startsWith('replicate.') || c.table.startsWith('pg_replication_'))) {
      const t = registry.columnType(c.table, c.name);
      if (t) return adminTypeOid[t];
    }
    const declared = oidForDeclaredType(c.declType);
    if (declared !== null) return declared;
    for (const row of rows) {
      const v = row[i];
      if (v !== null && v !== undefined) return oidForValue(v);
    }
    return Oid.text;
  });
}

/** Result format of column i given Bind's result format codes (none = all text, one = all). */
export function formatOf(formats: readonly number[], i: number): 0 | 1 {
  const f = formats.length === 0 ? 0 : formats.length === 1 ? formats[0] : formats[i];
  return f === 1 ? 1 : 0;
}

export function fieldDescriptions(
  columns: readonly ColumnInfo[],
  oids: readonly number[],
  formats: readonly number[],
): FieldDescription[] {
  return columns.map((c, i) => ({
    name: pgColumnName(c),
    typeOid: oids[i]!,
    typeSize: typeSize(oids[i]!),
    typeModifier: c.pgType?.typmod ?? -1,
    format: formatOf(formats, i),
  }));
}

/**
 * PostgreSQL names an unaliased function-call column after the function (count, sum, version);
 * SQLite uses the expression text. A plain column keeps its name.
 */
export function pgColumnName(c: ColumnInfo): string {
  if (c.pgType || c.declType !== null || !c.name.includes('(')) return c.name;
  let end = 0;
  while (end < c.name.length && /[A-Za-z0-9_]/.test(c.name[end]!)) end++;
  return end > 0 && c.name[end] === '(' && c.name.endsWith(')') ? c.name.slice(0, end).toLowerCase() : c.name;
}

type CellEncoder = (v: unknown) => Buffer | string | null;

/** One encoder per column: the front end's type codecs, or the value-driven legacy encoding. */
export function cellEncoders(
  columns: readonly ColumnInfo[],
  oids: readonly number[],
  formats: readonly number[],
  env: ValueEnv,
): CellEncoder[] {
  return oids.map((oid, i) => {
    const binary = formatOf(formats, i) === 1;
    const t = columns[i]?.pgType;
    if (t) {
      const codec = codecFor(t.type);
      const typmod = t.typmod;
      return binary
        ? (v) => (v === null || v === undefined ? null : codec.toBinary(v as StorageValue, env))
        : (v) => (v === null || v === undefined ? null : codec.output(v as StorageValue, typmod, env));
    }
    return binary ? (v) => encodeBinary(oid, v) : (v) => encodeText(oid, v);
  });
}

/** Write DataRow messages for rows[from, to). */
export function writeRows(
  out: BackendWriter,
  rows: readonly unknown[][],
  encoders: readonly CellEncoder[],
  from: number,
  to: number,
): void {
  const n = encoders.length;
  const cells: (Buffer | string | null)[] = new Array(n);
  for (let r = from; r < to; r++) {
    const row = rows[r]!;
    for (let i = 0; i < n; i++) cells[i] = encoders[i]!(row[i]);
    out.dataRow(cells);
  }
}
