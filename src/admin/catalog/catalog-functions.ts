// SQL functions psql's catalog queries call (after catalog-rewrite.ts strips their pg_catalog.
// prefix): pg_table_is_visible, format_type, pg_get_userbyid, pg_get_indexdef, ... Registered on
// every connection by registerSqlFunctions; they read the schema through pg-catalog-snapshot.ts.

import type Database from 'better-sqlite3';
import { Oid } from '../../sql/types/oids.js';
import { formatType as pgFormatType, typeByOid } from '../../sql/types/pg-types.js';
import { registerCatalogRuntime } from './catalog-runtime.js';
import { ownerOid } from './pg-catalog-common.js';
import {
  constraintDefinition,
  indexColumnText,
  indexDefinition,
  relationName,
  relationOid,
  viewDefinition,
} from './pg-catalog-definitions.js';
import { catalogSnapshot, isIndex, setCatalogSource } from './pg-catalog-snapshot.js';

/** format_type's names for the types this node reports. */
const typeDisplayNames = new Map<number, string>([
  [Oid.bool, 'boolean'],
  [Oid.bytea, 'bytea'],
  [Oid.name, 'name'],
  [Oid.int8, 'bigint'],
  [Oid.int2, 'smallint'],
  [Oid.int4, 'integer'],
  [Oid.text, 'text'],
  [Oid.oid, 'oid'],
  [Oid.json, 'json'],
  [Oid.float4, 'real'],
  [Oid.float8, 'double precision'],
  [Oid.bpchar, 'character'],
  [Oid.varchar, 'character varying'],
  [Oid.date, 'date'],
  [Oid.time, 'time without time zone'],
  [Oid.timestamp, 'timestamp without time zone'],
  [Oid.timestamptz, 'timestamp with time zone'],
  [Oid.interval, 'interval'],
  [Oid.numeric, 'numeric'],
  [Oid.uuid, 'uuid'],
  [Oid.jsonb, 'jsonb'],
]);

const typeOidsByName = new Map<string, number>([
  ...[...typeDisplayNames].map(([oid, name]): [string, number] => [name, oid]),
  ['int4', Oid.int4],
  ['int8', Oid.int8],
  ['int2', Oid.int2],
  ['int', Oid.int4],
  ['bool', Oid.bool],
  ['float8', Oid.float8],
  ['float4', Oid.float4],
  ['varchar', Oid.varchar],
  ['char', Oid.bpchar],
  ['bpchar', Oid.bpchar],
  ['timestamptz', Oid.timestamptz],
  ['timestamp', Oid.timestamp],
]);

function num(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

export function formatType(oid: number | null, typmod: number | null): string | null {
  if (oid === null) return null;
  const name = typeDisplayNames.get(oid);
  if (name === undefined) {
    // Types the emulation does not list (arrays, ...): the front end's format_type.
    const t = typeByOid(oid);
    return t ? pgFormatType(t, typmod ?? -1) : '???';
  }
  const mod = typmod ?? -1;
  if (mod >= 4 && (oid === Oid.varchar || oid === Oid.bpchar)) return `${name}(${mod - 4})`;
  if (mod >= 4 && oid === Oid.numeric) return `numeric(${(mod - 4) >> 16},${(mod - 4) & 0xffff})`;
  return name;
}

const regexCache = new Map<string, RegExp>();

function regexFor(pattern: string, flags: string): RegExp {
  const key = `${flags}/${pattern}`;
  let re = regexCache.get(key);
  if (!re) {
    re = new RegExp(pattern, flags);
    if (regexCache.size > 200) regexCache.clear();
    regexCache.set(key, re);
  }
  return re;
}

const bool = (b: boolean): number => (b ? 1 : 0);

export function registerCatalogFunctions(db: Database.Database): void {
  setCatalogSource(db.name);
  registerCatalogRuntime(db);
  db.function('pg_table_is_visible', { deterministic: true }, (_oid: unknown) => 1);
  db.function('pg_type_is_visible', { deterministic: true }, (_oid: unknown) => 1);
  db.function('format_type', { deterministic: true }, (oid: unknown, typmod: unknown) =>
    formatType(num(oid), num(typmod)),
  );
  db.function('pg_get_userbyid', { deterministic: true }, (oid: unknown) =>
    oid === null ? null : num(oid) === ownerOid ? 'postgres' : `unknown (OID=${String(oid)})`,
  );
  db.function('pg_encoding_to_char', { deterministic: true }, (enc: unknown) =>
    num(enc) === 6 ? 'UTF8' : '',
  );
  db.function('pg_get_indexdef', { varargs: true }, (oid: unknown, col?: unknown) => {
    const def = indexDefinition(num(oid) ?? 0);
    if (def === null || col === undefined || num(col) === 0) return def;
    const ix = catalogSnapshot().byOid.get(num(oid) ?? 0);
    return isIndex(ix) ? indexColumnText(ix, (num(col) ?? 0) - 1) : null;
  });
  db.function('pg_get_constraintdef', { varargs: true }, (oid: unknown, pretty?: unknown) =>
    constraintDefinition(num(oid) ?? 0, num(pretty) === 1),
  );
  db.function('pg_get_expr', { varargs: true }, (expr: unknown) => (expr === null ? null : String(expr)));
  db.function('pg_get_viewdef', { varargs: true }, (oid: unknown) =>
    viewDefinition(typeof oid === 'string' && num(oid) === null ? (relationOid(oid) ?? 0) : (num(oid) ?? 0)),
  );
  db.function('obj_description', { varargs: true }, () => null);
  db.function('pg_get_statisticsobjdef_columns', { varargs: true }, () => null);
  db.function('pg_get_triggerdef', { varargs: true }, () => null);
  db.function('pg_get_ruledef', { varargs: true }, () => null);
  db.function('pg_get_partkeydef', { varargs: true }, () => null);
  db.function('pg_get_function_identity_arguments', { varargs: true }, () => null);
  db.function('shobj_description', { varargs: true }, () => null);
  db.function('col_description', { varargs: true }, () => null);
  db.function('has_schema_privilege', { varargs: true }, () => 1);
  db.function('has_table_privilege', { varargs: true }, () => 1);
  db.function('pg_relation_size', { varargs: true }, () => 0);
  db.function('pg_table_size', { varargs: true }, () => 0);
  db.function('pg_total_relation_size', { varargs: true }, () => 0);
  db.function('pg_size_pretty', { deterministic: true }, (n: unknown) => `${String(n)} bytes`);
  db.function('array_to_string', { varargs: true }, (arr: unknown, sep: unknown) => {
    if (arr === null || arr === undefined) return null;
    const s = String(arr);
    const inner = s.startsWith('{') && s.endsWith('}') ? s.slice(1, -1) : s;
    return inner === '' ? '' : inner.split(',').join(String(sep ?? ''));
  });
  db.function('regexp_match_pg', { varargs: true }, (value: unknown, pattern: unknown, flags?: unknown) => {
    if (value === null || value === undefined || pattern === null || pattern === undefined) return null;
    return bool(regexFor(String(pattern), typeof flags === 'string' ? flags : '').test(String(value)));
  });
  db.function('to_regclass_oid', { deterministic: false }, (name: unknown) => {
    if (name === null) return null;
    const n = num(name);
    return n !== null ? n : relationOid(String(name));
  });
  db.function('regclass_name', { deterministic: false }, (oid: unknown) => {
    const n = num(oid);
    return n === null ? null : (relationName(n) ?? String(n));
  });
  db.function('to_regtype_oid', { deterministic: true }, (name: unknown) =>
    name === null
      ? null
      : (typeOidsByName.get(
          String(name)
            .toLowerCase()
            .replace(/^pg_catalog\./, ''),
        ) ?? null),
  );
  db.table('pg_array_elements', {
    columns: ['value'],
    parameters: ['arr'],
    *rows(arr: unknown) {
      if (arr === null || arr === undefined) return;
      const text = String(arr);
      const inner = text.startsWith('{') && text.endsWith('}') ? text.slice(1, -1) : text;
      if (inner === '') return;
      for (const e of inner.split(',')) yield [/^-?[0-9]+$/.test(e) ? Number(e) : e];
    },
  });
  db.function('pg_array_at', { deterministic: true }, (arr: unknown, index: unknown) => {
    if (arr === null || index === null) return null;
    const text = String(arr);
    const inner = text.startsWith('{') && text.endsWith('}') ? text.slice(1, -1) : text;
    const e = inner === '' ? undefined : inner.split(',')[Number(index) - 1];
    return e === undefined ? null : /^-?[0-9]+$/.test(e) ? Number(e) : e;
  });
  db.function('array_upper', { deterministic: true }, (arr: unknown, _dim: unknown) => {
    if (arr === null) return null;
    const text = String(arr);
    const inner = text.startsWith('{') && text.endsWith('}') ? text.slice(1, -1) : text;
    return inner === '' ? null : inner.split(',').length;
  });
  db.function('pg_relation_is_publishable', { deterministic: true }, (_oid: unknown) => 0);
  db.table('generate_series', {
    columns: ['value'],
    parameters: ['start', 'stop', 'step'],
    *rows(start: unknown, stop: unknown, step: unknown) {
      const a = num(start);
      const b = num(stop);
      const s = num(step) ?? 1;
      if (a === null || b === null || s === 0) return;
      for (let v = a; s > 0 ? v <= b : v >= b; v += s) yield [v];
    },
  });
  // As a scalar (psql's `IN (SELECT pg_partition_ancestors(x) ...)`): a table is its only ancestor.
  db.function('pg_partition_ancestors', { deterministic: true }, (rel: unknown) => num(rel) ?? rel);
  db.table('pg_partition_ancestors', {
    columns: ['relid'],
    parameters: ['rel'],
    *rows(rel: unknown) {
      if (rel !== null && rel !== undefined) yield [num(rel) ?? relationOid(String(rel))];
    },
  });
}
