// JSON runtime functions: the -> / ->> operators, containment and existence, building values
// (json_build_object / _array, to_json, json_agg) with PostgreSQL's output spacing, and the small
// inspection functions. json values are their text; jsonb values their normal form (types/json.ts).
//
// | function                                   | does                                            |
// |--------------------------------------------|-------------------------------------------------|
// | pg_json_get(j, key or index, as_text, jsonb) | -> and ->> (NULL when absent)                 |
// | pg_jsonb_contains(a, b), pg_jsonb_exists(j, key) | @> and ?                                  |
// | pg_jsonb_concat(a, b), pg_jsonb_delete(j, key or index) | || and -                           |
// | pg_jsonb_cmp(a, b), pg_jsonb_key(j)        | jsonb's ordering; its order/equality key (BLOB) |
// | pg_to_json(v, oid, tz, jsonb)              | to_json / to_jsonb of a value of type oid       |
// | pg_json_build_object(jsonb, k, v, ...)     | json_build_object / jsonb_build_object          |
// | pg_json_build_array(jsonb, v, ...)         | json_build_array / jsonb_build_array            |
// | pg_record_json(k, v_json, ...)             | a whole-row reference (a record) as JSON        |
// | aggregate pg_json_agg(v_json, jsonb or -oid) | json_agg / jsonb_agg                          |
// | pg_json_typeof, pg_json_array_length, pg_jsonb_pretty, pg_jsonb_strip_nulls |             |

import type Database from 'better-sqlite3';
import { ChorusError } from '../../errors.js';
import { decodeArray } from '../types/array/array-storage.js';
import { type JsonValue, jsonbText, normalizeJsonb, parseJson, quoteJson } from '../types/json.js';
import { jsonbCompare, jsonbSortKey } from '../types/jsonb-order.js';
import { T, typeByOid } from '../types/pg-types.js';
import { codecFor, type StorageValue } from '../types/values.js';
import { floatOf } from '../types/values-simple.js';
import { defineAggregate } from './aggregate-functions.js';
import { envFor } from './cast.js';

const pure = { deterministic: true, safeIntegers: true } as const;

function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
  return String(v);
}

/** The text of a (sub)value: json keeps the text as written, jsonb prints its normal form. */
function valueText(source: string, v: JsonValue, jsonb: boolean): string {
  if (!jsonb && v.span) return source.slice(v.span[0], v.span[1]);
  return jsonbText(v);
}

function get(j: JsonValue, key: unknown): JsonValue | null {
  if (typeof key === 'bigint' || typeof key === 'number') {
    if (j.kind !== 'array') return null;
    let i = Number(key);
    if (i < 0) i += j.items.length;
    return j.items[i] ?? null;
  }
  if (j.kind !== 'object') return null;
  let found: JsonValue | null = null;
  for (const [k, v] of j.entries) if (k === text(key)) found = v; // json: the last duplicate wins too
  return found;
}

function typeOf(v: JsonValue): string {
  return v.kind === 'bool' ? 'boolean' : v.kind;
}

/** jsonb containment (@>): arrays contain elements anywhere, objects contain pairs. */
function contains(a: JsonValue, b: JsonValue, top = true): boolean {
  if (a.kind === 'array' && b.kind === 'array')
    return b.items.every((x) => a.items.some((y) => contains(y, x, false)));
  if (a.kind === 'array' && top && b.kind !== 'object') return a.items.some((y) => equal(y, b));
  if (a.kind === 'object' && b.kind === 'object') {
    return b.entries.every(([k, v]) => {
      const x = get(a, k);
      return x !== null && (x.kind === 'object' || x.kind === 'array' ? contains(x, v, false) : equal(x, v));
    });
  }
  return equal(a, b);
}

/** jsonb equality (numbers compare as numeric: 1 = 1.0). */
function equal(a: JsonValue, b: JsonValue): boolean {
  return jsonbCompare(a, b) === 0;
}

/** to_json of a stored value of the given type. */
export function toJson(v: StorageValue, oid: number, tz: unknown): string {
  if (v === null) return 'null';
  const type = typeByOid(oid) ?? T.text;
  if (type.elem) {
    const elem = type.elem;
    return `[${decodeArray(String(v), elem)
      .map((x) => toJson(x, elem.oid, tz))
      .join(',')}]`;
  }
  switch (type) {
    case T.bool:
      return v === 0n || v === 0 ? 'false' : 'true';
    case T.int2:
    case T.int4:
    case T.int8:
    case T.oid:
      return String(v);
    case T.float4:
    case T.float8: {
      const s = codecFor(type).output(v, -1, envFor(tz));
      return Number.isFinite(floatOf(v)) ? s : quoteJson(s);
    }
    case T.numeric: {
      const s = codecFor(type).output(v, -1, envFor(tz));
      return /^-?\d/.test(s) ? s : quoteJson(s);
    }
    case T.json:
    case T.jsonb:
      return text(v);
    case T.timestamp:
      return quoteJson(codecFor(type).output(v, -1, envFor(tz)).replace(' ', 'T'));
    case T.timestamptz: {
      const s = codecFor(type).output(v, -1, envFor(tz)).replace(' ', 'T');
      return quoteJson(/[+-]\d\d$/.test(s) ? `${s}:00` : s);
    }
    default:
      return quoteJson(codecFor(type).output(v, -1, envFor(tz)));
  }
}

function parsed(v: unknown, jsonb: boolean): JsonValue {
  return parseJson(text(v), jsonb ? 'jsonb' : 'json');
}

export function registerJsonFunctions(db: Database.Database): void {
  db.function('pg_json_get', pure, (j: unknown, key: unknown, asText: unknown, jsonb: unknown) => {
    if (j === null || key === null) return null;
    const src = text(j);
    const b = Boolean(Number(jsonb));
    const found = get(parsed(src, b), key);
    if (!found) return null;
    if (Number(asText)) {
      if (found.kind === 'null') return null;
      if (found.kind === 'string') return found.value;
    }
    return valueText(src, found, b);
  });
  db.function('pg_jsonb_contains', pure, (a: unknown, b: unknown) =>
    a === null || b === null ? null : contains(parsed(a, true), parsed(b, true)) ? 1n : 0n,
  );
  db.function('pg_jsonb_exists', pure, (j: unknown, key: unknown) => {
    if (j === null || key === null) return null;
    const v = parsed(j, true);
    const k = text(key);
    if (v.kind === 'object') return v.entries.some(([x]) => x === k) ? 1n : 0n;
    if (v.kind === 'array') return v.items.some((x) => x.kind === 'string' && x.value === k) ? 1n : 0n;
    return v.kind === 'string' && v.value === k ? 1n : 0n;
  });
  db.function('pg_jsonb_concat', pure, (a: unknown, b: unknown) => {
    if (a === null || b === null) return null;
    const x = parsed(a, true);
    const y = parsed(b, true);
    if (x.kind === 'object' && y.kind === 'object') {
      return jsonbText(normalizeJsonb({ kind: 'object', entries: [...x.entries, ...y.entries] }));
    }
    const items = [...(x.kind === 'array' ? x.items : [x]), ...(y.kind === 'array' ? y.items : [y])];
    return jsonbText({ kind: 'array', items });
  });
  db.function('pg_jsonb_delete', pure, (j: unknown, key: unknown) => {
    if (j === null || key === null) return null;
    const v = parsed(j, true);
    if (typeof key === 'bigint') {
      if (v.kind !== 'array') throw new ChorusError('22023', 'cannot delete from scalar');
      let i = Number(key);
      if (i < 0) i += v.items.length;
      return jsonbText({ kind: 'array', items: v.items.filter((_, k) => k !== i) });
    }
    const k = text(key);
    if (v.kind === 'object')
      return jsonbText({ kind: 'object', entries: v.entries.filter(([x]) => x !== k) });
    if (v.kind === 'array')
      return jsonbText({
        kind: 'array',
        items: v.items.filter((x) => !(x.kind === 'string' && x.value === k)),
      });
    throw new ChorusError('22023', 'cannot delete from scalar');
  });
  db.function('pg_jsonb_cmp', pure, (a: unknown, b: unknown) =>
    a === null || b === null ? null : BigInt(jsonbCompare(parsed(a, true), parsed(b, true))),
  );
  db.function('pg_jsonb_key', pure, (j: unknown) => (j === null ? null : jsonbSortKey(parsed(j, true))));
  db.function('pg_json_typeof', pure, (j: unknown) => (j === null ? null : typeOf(parsed(j, false))));
  db.function('pg_json_array_length', pure, (j: unknown) => {
    if (j === null) return null;
    const v = parsed(j, false);
    if (v.kind !== 'array') throw new ChorusError('22023', 'cannot get array length of a non-array');
    return BigInt(v.items.length);
  });
  db.function('pg_jsonb_pretty', pure, (j: unknown) => (j === null ? null : pretty(parsed(j, true), '')));
  db.function('pg_jsonb_strip_nulls', pure, (j: unknown) =>
    j === null ? null : jsonbText(stripNulls(parsed(j, true))),
  );
  // A record (whole-row reference): its columns' JSON forms, as row_to_json writes them.
  db.function('pg_record_json', { ...pure, varargs: true }, (...kv: unknown[]) => {
    const parts: string[] = [];
    for (let i = 0; i < kv.length; i += 2)
      parts.push(`${quoteJson(text(kv[i]))}:${kv[i + 1] === null ? 'null' : text(kv[i + 1])}`);
    return `{${parts.join(',')}}`;
  });
  db.function('pg_to_json', pure, (v: unknown, oid: unknown, tz: unknown, jsonb: unknown) => {
    if (v === null) return null;
    if (Number(oid) === T.record.oid)
      return Number(jsonb) ? jsonbText(normalizeJsonb(parseJson(text(v)))) : v;
    const out = toJson(v as StorageValue, Number(oid), tz);
    return Number(jsonb) ? jsonbText(normalizeJsonb(parseJson(out))) : out;
  });
  db.function('pg_json_build_object', { ...pure, varargs: true }, (jsonb: unknown, ...kv: unknown[]) => {
    const b = Boolean(Number(jsonb));
    const parts: string[] = [];
    for (let i = 0; i < kv.length; i += 2) {
      if (kv[i] === null) throw new ChorusError('22023', 'null value not allowed for object key');
      parts.push(
        `${quoteJson(text(kv[i]))}${b ? ': ' : ' : '}${kv[i + 1] === null ? 'null' : text(kv[i + 1])}`,
      );
    }
    const out = `{${parts.join(', ')}}`;
    return b ? jsonbText(normalizeJsonb(parseJson(out))) : out;
  });
  db.function('pg_json_build_array', { ...pure, varargs: true }, (jsonb: unknown, ...items: unknown[]) => {
    const out = `[${items.map((x) => (x === null ? 'null' : text(x))).join(', ')}]`;
    return Number(jsonb) ? jsonbText(normalizeJsonb(parseJson(out))) : out;
  });
  defineAggregate(db, 'pg_json_agg', {
    start: (): { items: string[]; jsonb: boolean } => ({ items: [], jsonb: false }),
    // better-sqlite3 passes every argument of the call to step.
    // `jsonb` is 1 for jsonb_agg, minus the input's type OID for json_agg: PostgreSQL starts
    // each record after the first on a new line.
    step: (acc: { items: string[]; jsonb: boolean }, v: unknown, jsonb: unknown) => {
      const mode = Number(jsonb);
      acc.jsonb = mode === 1;
      const newLine = -mode === T.record.oid && acc.items.length > 0 && v !== null;
      acc.items.push(v === null ? 'null' : `${newLine ? '\n ' : ''}${text(v)}`);
      return acc;
    },
    result: (acc: { items: string[]; jsonb: boolean }) => {
      if (acc.items.length === 0) return null;
      const out = `[${acc.items.join(', ')}]`;
      return acc.jsonb ? jsonbText(normalizeJsonb(parseJson(out))) : out;
    },
  } as never);
}

function stripNulls(v: JsonValue): JsonValue {
  if (v.kind === 'object') {
    return {
      kind: 'object',
      entries: v.entries.filter(([, x]) => x.kind !== 'null').map(([k, x]) => [k, stripNulls(x)]),
    };
  }
  if (v.kind === 'array') return { kind: 'array', items: v.items.map(stripNulls) };
  return v;
}

/** jsonb_pretty: four spaces per level, one element per line. */
function pretty(v: JsonValue, indent: string): string {
  const inner = `${indent}    `;
  if (v.kind === 'array') {
    if (v.items.length === 0) return '[\n]';
    return `[\n${v.items.map((x) => inner + pretty(x, inner)).join(',\n')}\n${indent}]`;
  }
  if (v.kind === 'object') {
    if (v.entries.length === 0) return '{\n}';
    return `{\n${v.entries.map(([k, x]) => `${inner}${quoteJson(k)}: ${pretty(x, inner)}`).join(',\n')}\n${indent}}`;
  }
  return jsonbText(v);
}
