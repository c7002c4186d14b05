// Values between conflict resolvers and storage: an exact JSON reader and writer for the row objects
// resolvers see (integers beyond 2^53 as bigint, -0 and ±Infinity kept), and the conversion of a
// resolver's result for one column to that column's storage form (sql/DESIGN.md, "Storage formats"),
// checked as an INSERT would check it. A value that cannot be converted is a ResolverValueError.

import { ChorusError } from '../../../errors.js';
import type { StorageValue, ValueEnv } from '../../../sql/types/codec.js';
import { formatType, T, type TypeRef } from '../../../sql/types/pg-types.js';
import { applyTypmodValue, codecFor, inputValue, outputText } from '../../../sql/types/values.js';

/** Nesting depth the exact JSON reader accepts (row objects are 2 deep; a resolver may return more). */
export const resolverJsonDepthMax = 256;
/** Characters of a refused value quoted in an error message. */
const valueQuoteCharsMax = 80;

/** Values resolvers read in rows: JSON values, with bigint for integers JavaScript cannot hold exactly. */
export type ResolverJson =
  | null
  | boolean
  | number
  | bigint
  | string
  | ResolverJson[]
  | { [key: string]: ResolverJson };

/** A resolver's value that cannot be written to its column (the conflict is left pending). */
export class ResolverValueError extends ChorusError {
  constructor(sqlstate: string, message: string, extras: { column?: string; dataType?: string } = {}) {
    super(sqlstate, message, extras);
  }
}

// ---------------------------------------------------------------------------------------------------
// Exact JSON

const numberToken = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const whitespace = /[ \t\n\r]*/y;

/**
 * JSON.parse, exactly: an integer token beyond Number.MAX_SAFE_INTEGER is a bigint, -0 and -0.0 are -0,
 * a number past the double range (SQLite writes ±Infinity as ±9.0e+999) is ±Infinity.
 */
export function parseJsonExact(text: string): ResolverJson {
  let at = 0;
  const fail = (what: string): never => {
    throw new ResolverValueError('22P02', `invalid JSON at character ${at + 1}: ${what}`);
  };
  const skip = (): void => {
    whitespace.lastIndex = at;
    whitespace.exec(text);
    at = whitespace.lastIndex;
  };
  const value = (depth: number): ResolverJson => {
    if (depth > resolverJsonDepthMax) fail(`nested deeper than ${resolverJsonDepthMax}`);
    skip();
    const c = text[at];
    if (c === '{') {
      at++;
      const out: { [key: string]: ResolverJson } = {};
      skip();
      if (text[at] === '}') {
        at++;
        return out;
      }
      for (;;) {
        skip();
        if (text[at] !== '"') fail('expected a key');
        const key = string();
        skip();
        if (text[at] !== ':') fail("expected ':'");
        at++;
        const v = value(depth + 1);
        Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
        skip();
        if (text[at] === ',') at++;
        else if (text[at] === '}') {
          at++;
          return out;
        } else fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      at++;
      const out: ResolverJson[] = [];
      skip();
      if (text[at] === ']') {
        at++;
        return out;
      }
      for (;;) {
        out.push(value(depth + 1));
        skip();
        if (text[at] === ',') at++;
        else if (text[at] === ']') {
          at++;
          return out;
        } else fail("expected ',' or ']'");
      }
    }
    if (c === '"') return string();
    if (text.startsWith('true', at)) {
      at += 4;
      return true;
    }
    if (text.startsWith('false', at)) {
      at += 5;
      return false;
    }
    if (text.startsWith('null', at)) {
      at += 4;
      return null;
    }
    numberToken.lastIndex = at;
    const m = numberToken.exec(text);
    if (!m) return fail('expected a value');
    at = numberToken.lastIndex;
    const token = m[0];
    if (/^-?\d+$/.test(token)) {
      const n = Number(token);
      return Number.isSafeInteger(n) ? n : BigInt(token);
    }
    return Number(token);
  };
  const string = (): string => {
    const start = at;
    at++;
    for (;;) {
      const c = text[at];
      if (c === undefined) fail('unterminated string');
      if (c === '"') break;
      at += c === '\\' ? 2 : 1;
    }
    at++;
    try {
      return JSON.parse(text.slice(start, at)) as string;
    } catch {
      return fail('bad string');
    }
  };
  const out = value(0);
  skip();
  if (at !== text.length) fail('text after the value');
  return out;
}

/**
 * JSON.stringify, exactly, for SQLite's JSON functions: bigint as its digits, -0 as -0.0, ±Infinity
 * as ±9e999 (SQLite reads both back as written), bytes as {"$b": hex}. NaN has no JSON form: an error.
 */
export function stringifyJsonExact(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    if (Number.isNaN(v)) throw new ResolverValueError('22P02', 'NaN has no JSON form');
    if (v === Number.POSITIVE_INFINITY) return '9e999';
    if (v === Number.NEGATIVE_INFINITY) return '-9e999';
    if (Object.is(v, -0)) return '-0.0';
    return JSON.stringify(v);
  }
  if (typeof v === 'string' || typeof v === 'boolean') return JSON.stringify(v);
  if (v instanceof Uint8Array) return JSON.stringify({ $b: Buffer.from(v).toString('hex').toUpperCase() });
  if (Array.isArray(v)) return `[${v.map((x) => stringifyJsonExact(x)).join(',')}]`;
  if (typeof v === 'object') {
    const parts: string[] = [];
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (x !== undefined) parts.push(`${JSON.stringify(k)}:${stringifyJsonExact(x)}`);
    }
    return `{${parts.join(',')}}`;
  }
  throw new ResolverValueError('22P02', `a ${typeof v} has no JSON form`);
}

// ---------------------------------------------------------------------------------------------------
// Conversion to storage form

/** How a PostgreSQL type's values are stored (sql/DESIGN.md, "Storage formats"). */
type StorageKind = 'integer' | 'real' | 'blob' | 'text';

function storageKind(ref: TypeRef): StorageKind | null {
  switch (ref.type) {
    case T.bool:
    case T.int2:
    case T.int4:
    case T.int8:
    case T.date:
    case T.time:
    case T.timestamp:
    case T.timestamptz:
      return 'integer';
    case T.float4:
    case T.float8:
      return 'real';
    case T.numeric:
    case T.interval:
    case T.bytea:
      return 'blob';
    case T.text:
    case T.varchar:
    case T.bpchar:
    case T.uuid:
    case T.json:
    case T.jsonb:
      return 'text';
    default:
      return null;
  }
}

/** Values are read in UTC; 'now' and its kin are refused (see the two environments below). */
const envA: ValueEnv = Object.freeze({ timeZone: 'UTC', nowUs: 0n });
/** A second "now", a day and a µs later: text whose value depends on it depends on the current time. */
const envB: ValueEnv = Object.freeze({ timeZone: 'UTC', nowUs: 86_400_000_001n });

const dateTimeTypes: ReadonlySet<unknown> = new Set([T.date, T.time, T.timestamp, T.timestamptz]);

/** A JavaScript number as PostgreSQL text (float8out's -0, Infinity and NaN spellings). */
export function numberText(v: number | bigint): string {
  if (typeof v === 'bigint') return v.toString();
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return 'Infinity';
  if (v === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (Object.is(v, -0)) return '-0';
  return String(v);
}

function quoted(v: unknown): string {
  let s: string;
  try {
    s = typeof v === 'string' ? JSON.stringify(v) : stringifyJsonExact(v);
  } catch {
    s = String(v);
  }
  return s.length > valueQuoteCharsMax ? `${s.slice(0, valueQuoteCharsMax)}...` : s;
}

function isBlobObject(v: unknown): v is { $b: string } {
  return (
    v !== null &&
    typeof v === 'object' &&
    !Array.isArray(v) &&
    Object.keys(v).length === 1 &&
    typeof (v as { $b?: unknown }).$b === 'string'
  );
}

function bytesOf(v: { $b: string } | Uint8Array): Buffer {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(v.$b))
    throw new ResolverValueError('22P02', 'invalid hexadecimal in {"$b": ...}');
  return Buffer.from(v.$b, 'hex');
}

/** Two storage values are the same value stored the same way (bytes, text, or number by value). */
function sameStorage(a: StorageValue, b: StorageValue): boolean {
  if (a instanceof Uint8Array || b instanceof Uint8Array)
    return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.compare(a, b) === 0;
  if (typeof a === 'string' || typeof b === 'string' || a === null || b === null) return a === b;
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b);
  const big = (x: number | bigint): bigint | null =>
    typeof x === 'bigint' ? x : Number.isInteger(x) ? BigInt(x) : null;
  const [x, y] = [big(a), big(b)];
  return x !== null && x === y;
}

/** PostgreSQL text through the type's input function (and typmod), refusing text that reads "now". */
function fromText(ref: TypeRef, text: string): StorageValue {
  const v = inputValue(ref, text, undefined, envA);
  if (dateTimeTypes.has(ref.type) && !sameStorage(v, inputValue(ref, text, undefined, envB))) {
    throw new ResolverValueError(
      '22007',
      `"${text}" depends on the current time; a resolver must give the same value on every node`,
    );
  }
  return v;
}

/**
 * A value in a type's storage form as it is, if it is one: its output text read back by the input
 * function gives the same value (so 7 is no boolean, -5 no time, an interval of 3 bytes no interval).
 */
function checkedStorage(ref: TypeRef, v: bigint | Buffer): StorageValue {
  const back = codecFor(ref.type).input(outputText(ref.type, v, -1, envA) ?? '', -1, envA);
  if (!sameStorage(v, back))
    throw new ResolverValueError('22P02', `not a stored ${formatType(ref.type)} value`);
  return applyTypmodValue(ref, back, false);
}

function convert(ref: TypeRef, kind: StorageKind, v: unknown): StorageValue {
  if (typeof v === 'string') return fromText(ref, v);
  switch (kind) {
    case 'integer': {
      let x: bigint | null = null;
      if (typeof v === 'bigint') x = v;
      else if (typeof v === 'number' && Number.isInteger(v)) x = BigInt(v);
      else if (typeof v === 'boolean' && ref.type === T.bool) x = v ? 1n : 0n;
      // 1.5 for an integer or a date: refused by the input function, as an INSERT of '1.5' is.
      else if (typeof v === 'number') return fromText(ref, numberText(v));
      if (x === null) break;
      const s = checkedStorage(ref, x);
      return typeof s === 'number' ? BigInt(s) : s;
    }
    case 'real':
      if (typeof v === 'number' || typeof v === 'bigint') return fromText(ref, numberText(v));
      break;
    case 'blob':
      if (isBlobObject(v) || v instanceof Uint8Array) return checkedStorage(ref, bytesOf(v));
      if ((typeof v === 'number' || typeof v === 'bigint') && ref.type === T.numeric)
        return fromText(ref, numberText(v));
      break;
    case 'text':
      if (typeof v === 'number' || typeof v === 'bigint') return fromText(ref, numberText(v));
      if (typeof v === 'boolean') return fromText(ref, v ? 'true' : 'false');
      if ((ref.type === T.json || ref.type === T.jsonb) && v !== null && typeof v === 'object')
        return fromText(ref, stringifyJsonExact(v));
      break;
  }
  const what = Array.isArray(v)
    ? 'an array'
    : isBlobObject(v)
      ? 'a {"$b": ...} value'
      : `a${typeof v === 'object' ? 'n' : ''} ${typeof v}`;
  const type = formatType(ref.type);
  throw new ResolverValueError('42804', `${what} is not ${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type} value`);
}

/**
 * One column's value from a resolver (or a logged row) in the column's storage form. `ref` null is a
 * column of no PostgreSQL type (a table made in SQLite by hand): the value goes as SQLite's JSON
 * functions would read it. Accepted, per type:
 * - the storage form as resolvers see it (integers, µs, days, 0 / 1, floats, 'NaN', {"$b": hex}, text),
 *   checked to be a valid value of the type, typmod applied;
 * - PostgreSQL text read by the type's input function, as an INSERT reads a literal ('19.99' for a
 *   numeric, '2026-01-01 10:00+00' for a timestamptz, read in UTC; 'now' and its kin are refused);
 * - a number for float, numeric, text and json types (as its text), a boolean for bool and text,
 *   an object or array for json and jsonb (as its JSON text).
 * Anything else, and every value the type's input refuses, is a ResolverValueError.
 */
export function resolvedStorageValue(ref: TypeRef | null, v: unknown, column: string): StorageValue {
  if (v === null || v === undefined) return null;
  if (ref === null) return untypedValue(v);
  const kind = storageKind(ref);
  const dataType = formatType(ref.type, ref.typmod);
  try {
    if (kind === null) throw new ResolverValueError('0A000', `columns of type ${dataType} are not supported`);
    return convert(ref, kind, v);
  } catch (e) {
    const err = e as Partial<ChorusError> & Error;
    throw new ResolverValueError(
      typeof err.sqlstate === 'string' ? err.sqlstate : '22000',
      `value ${quoted(v)} for column "${column}" (${dataType}): ${err.message}`,
      { column, dataType },
    );
  }
}

/** A value for a column of no known type, as SQLite's json_extract would read its JSON. */
function untypedValue(v: unknown): StorageValue {
  if (typeof v === 'bigint' || typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (typeof v === 'number') {
    if (Number.isNaN(v)) throw new ResolverValueError('22P02', 'NaN has no SQLite value');
    return Number.isSafeInteger(v) && !Object.is(v, -0) ? BigInt(v) : v;
  }
  if (isBlobObject(v) || v instanceof Uint8Array) return bytesOf(v);
  return stringifyJsonExact(v);
}

/** A storage value as better-sqlite3 binds it (bytes as a Buffer). */
export function bindable(v: StorageValue): null | bigint | number | string | Buffer {
  return v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v;
}
