// JSON mapping for the HTTP API: request bodies and parameters in (JSON -> BindValue), statement
// results and errors out (SQLite values -> JSON that keeps 64-bit integers and BLOBs intact).

import { ChorusError } from '../errors.js';
import { wireBindParamsMax } from '../limits.js';
import type { BindValue } from '../session/read-protocol.js';
import type { StatementResult } from '../session/result.js';
import { formatType, T, type TypeRef } from '../sql/types/pg-types.js';
import { defaultEnv, outputText, type StorageValue, type ValueEnv } from '../sql/types/values.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Parameters one request may bind (the same bound as a PostgreSQL Bind message). */
export const httpParamsMax = wireBindParamsMax;

/** SQLSTATE for a request body the API cannot use (bad JSON, wrong shape). */
const badRequestState = '08P01';
/** SQLSTATE for a parameter value that cannot be bound. */
const badParamState = '22023';

const safeMin = BigInt(Number.MIN_SAFE_INTEGER);
const safeMax = BigInt(Number.MAX_SAFE_INTEGER);
const base64Pattern = /^[A-Za-z0-9+/_-]*={0,2}$/;

export interface SqlRequest {
  sql: string;
  params: BindValue[];
}

const requestKeys = new Set(['sql', 'params']);

/** Parse and validate a `{ "sql": string, "params"?: array }` body. Throws ChorusError on any problem. */
export function parseSqlRequest(body: string): SqlRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.startsWith('\uFEFF') ? body.slice(1) : body);
  } catch (e) {
    throw new ChorusError(
      badRequestState,
      `request body is not valid JSON: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ChorusError(badRequestState, 'request body must be a JSON object with a "sql" string');
  }
  const obj = parsed as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!requestKeys.has(key)) {
      throw new ChorusError(badRequestState, `unknown request field "${key}"`, {
        hint: 'Allowed fields: "sql", "params".',
      });
    }
  }
  if (typeof obj.sql !== 'string') {
    throw new ChorusError(
      badRequestState,
      obj.sql === undefined ? 'request field "sql" is missing' : 'request field "sql" must be a string',
    );
  }
  const raw = obj.params;
  if (raw === undefined || raw === null) return { sql: obj.sql, params: [] };
  if (!Array.isArray(raw)) throw new ChorusError(badParamState, 'request field "params" must be an array');
  if (raw.length > httpParamsMax) {
    throw new ChorusError('54000', `too many parameters: ${raw.length} (limit ${httpParamsMax})`);
  }
  return { sql: obj.sql, params: raw.map((v: unknown, i) => toBindValue(v, i + 1)) };
}

/** One JSON parameter -> the value bound to $n (n is 1-based, for messages). */
export function toBindValue(v: unknown, n: number): BindValue {
  if (v === null) return null;
  switch (typeof v) {
    case 'number':
      // Integers that JSON carries exactly bind as INTEGER; larger ones are already rounded, so stay REAL.
      return Number.isSafeInteger(v) ? BigInt(v) : v;
    case 'string':
      return v;
    case 'boolean':
      return v ? 1n : 0n;
    case 'object':
      return objectParam(v as object, n);
    default:
      throw new ChorusError(badParamState, `parameter $${n} has an unsupported type`);
  }
}

function objectParam(v: object, n: number): BindValue {
  if (!Array.isArray(v) && Object.hasOwn(v, '$bytes')) {
    const keys = Object.keys(v);
    const b64 = (v as { $bytes: unknown }).$bytes;
    if (keys.length !== 1 || typeof b64 !== 'string' || !base64Pattern.test(b64)) {
      throw new ChorusError(
        badParamState,
        `parameter $${n}: {"$bytes": ...} must hold exactly one base64 string`,
      );
    }
    return Buffer.from(b64, 'base64');
  }
  return JSON.stringify(v);
}

/** A value read from SQLite (or an admin relation) -> JSON. */
export function toJsonValue(v: unknown): JsonValue {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'bigint':
      return v >= safeMin && v <= safeMax ? Number(v) : v.toString();
    case 'number':
      return Number.isFinite(v) ? v : String(v);
    case 'string':
    case 'boolean':
      return v;
    case 'object':
      if (v instanceof Uint8Array)
        return { $bytes: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
      if (v instanceof Date) return v.toISOString();
      return String(v);
    default:
      return String(v);
  }
}

export interface JsonColumn {
  name: string;
  type: string | null;
}

export interface JsonStatementResult {
  tag: string;
  rows_affected?: number;
  columns?: JsonColumn[];
  rows: JsonValue[][] | Record<string, JsonValue>[];
  notices?: string[];
}

const rowsAffectedTag = /^(?:INSERT \d+|UPDATE|DELETE|MERGE) (\d+)$/;

/**
 * A value of a column the PostgreSQL front end typed -> JSON: booleans and numbers that JSON carries
 * exactly as themselves, json/jsonb as JSON, everything else (numeric with its scale, int8 beyond
 * 2^53, dates and times, uuid, ...) as PostgreSQL's text for it.
 */
function typedJsonValue(type: TypeRef, v: unknown, env: ValueEnv): JsonValue {
  if (v === null || v === undefined) return null;
  const t = type.type;
  if (t === T.bool) return v === 1n || v === 1;
  if (t === T.int2 || t === T.int4 || t === T.int8) return toJsonValue(v);
  if (t === T.float4 || t === T.float8)
    return typeof v === 'number' && Number.isFinite(v)
      ? v
      : outputText(t, v as StorageValue, type.typmod, env);
  if (t === T.bytea) return toJsonValue(v);
  if (t === T.json || t === T.jsonb) {
    const text = outputText(t, v as StorageValue, type.typmod, env)!;
    try {
      return JSON.parse(text) as JsonValue;
    } catch {
      return text;
    }
  }
  return outputText(t, v as StorageValue, type.typmod, env);
}

/** One statement's result as the API returns it; rows as arrays or as objects keyed by column name. */
export function resultToJson(
  r: StatementResult,
  rowFormat: 'arrays' | 'objects',
  env: ValueEnv = defaultEnv,
): JsonStatementResult {
  const names = (r.columns ?? []).map((c) => c.name);
  const convert = (r.columns ?? []).map((c) =>
    c.pgType ? (v: unknown) => typedJsonValue(c.pgType!, v, env) : toJsonValue,
  );
  const affected = rowsAffectedTag.exec(r.tag);
  const out: JsonStatementResult = {
    tag: r.tag,
    ...(affected ? { rows_affected: Number(affected[1]) } : {}),
    ...(r.columns
      ? {
          columns: r.columns.map((c) => ({
            name: c.name,
            type: c.pgType
              ? formatType(c.pgType.type, c.pgType.typmod)
              : c.declType
                ? c.declType.toLowerCase()
                : null,
          })),
        }
      : {}),
    rows:
      rowFormat === 'objects'
        ? r.rows.map((row) => Object.fromEntries(names.map((name, i) => [name, convert[i]!(row[i])])))
        : r.rows.map((row) => row.map((v, i) => convert[i]!(v))),
  };
  if (r.notices.length > 0) out.notices = r.notices.map((n) => n.message);
  return out;
}

export interface JsonError {
  error: {
    message: string;
    sqlstate: string;
    detail?: string;
    hint?: string;
    position?: number;
    schema?: string;
    table?: string;
    column?: string;
    data_type?: string;
    constraint?: string;
  };
}

export function errorToJson(e: ChorusError): JsonError {
  const error: JsonError['error'] = { message: e.message, sqlstate: e.sqlstate };
  if (e.detail !== undefined) error.detail = e.detail;
  if (e.hint !== undefined) error.hint = e.hint;
  if (e.position !== undefined) error.position = e.position;
  if (e.schema !== undefined) error.schema = e.schema;
  if (e.table !== undefined) error.table = e.table;
  if (e.column !== undefined) error.column = e.column;
  if (e.dataType !== undefined) error.data_type = e.dataType;
  if (e.constraint !== undefined) error.constraint = e.constraint;
  return { error };
}
