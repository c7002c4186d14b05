// An array's storage form: a JSON array of its elements' storage forms (sql/DESIGN.md, "Arrays").
// Integers are JSON integers (exact to 64 bits), floats JSON numbers (9e999 for infinities, "NaN"),
// strings JSON strings, BLOB-stored values (numeric, bytea, interval) hex strings. One writer (this
// file) keeps the text canonical, so equal arrays of canonical elements are equal texts.

import { ChorusError } from '../../../errors.js';
import type { StorageValue } from '../codec.js';
import { type PgType, T } from '../pg-types.js';

/** Element types whose storage form is a BLOB (JSON: a hex string; SQL: `unhex(value)`). */
const blobElements: ReadonlySet<PgType> = new Set([T.numeric, T.bytea, T.interval]);
/** Element types whose storage form is an INTEGER. */
const integerElements: ReadonlySet<PgType> = new Set([
  T.bool,
  T.int2,
  T.int4,
  T.int8,
  T.oid,
  T.regclass,
  T.regtype,
  T.date,
  T.time,
  T.timestamp,
  T.timestamptz,
]);

export function isBlobElement(elem: PgType): boolean {
  return blobElements.has(elem);
}

/** SQL turning json_each's `value` column (given as `sql`) into the element's storage form. */
export function elementSql(elem: PgType, sql: string): string {
  return blobElements.has(elem) ? `unhex(${sql})` : sql;
}

function encodeElement(v: StorageValue, elem: PgType): string {
  if (v === null) return 'null';
  if (typeof v === 'bigint') {
    return elem === T.float8 || elem === T.float4 ? encodeFloat(Number(v)) : v.toString();
  }
  if (typeof v === 'number') {
    if (integerElements.has(elem)) return String(Math.trunc(v));
    return encodeFloat(v);
  }
  if (typeof v === 'string') return JSON.stringify(v);
  return `"${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}"`;
}

function encodeFloat(v: number): string {
  if (Number.isNaN(v)) return '"NaN"';
  if (v === Number.POSITIVE_INFINITY) return '9e999';
  if (v === Number.NEGATIVE_INFINITY) return '-9e999';
  if (Object.is(v, -0)) return '-0.0';
  const s = String(v);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

/** Storage form of an array of element storage values. */
export function encodeArray(elems: readonly StorageValue[], elem: PgType): string {
  let out = '[';
  for (let i = 0; i < elems.length; i++) {
    if (i > 0) out += ',';
    out += encodeElement(elems[i]!, elem);
  }
  return `${out}]`;
}

function corrupt(text: string): ChorusError {
  return new ChorusError('XX000', `stored array value is not valid: ${text.slice(0, 60)}`);
}

/** The element storage values of an array's storage form. */
export function decodeArray(text: string, elem: PgType): StorageValue[] {
  if (text === '[]') return [];
  const out: StorageValue[] = [];
  const n = text.length;
  if (text[0] !== '[') throw corrupt(text);
  let i = 1;
  const asInt = integerElements.has(elem);
  const asBlob = blobElements.has(elem);
  for (;;) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      let escaped = false;
      while (j < n && text[j] !== '"') {
        if (text[j] === '\\') {
          escaped = true;
          j++;
        }
        j++;
      }
      const raw = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
      out.push(asBlob ? Buffer.from(raw, 'hex') : raw);
      i = j + 1;
    } else if (c === 'n') {
      out.push(null);
      i += 4;
    } else {
      let j = i;
      while (j < n && text[j] !== ',' && text[j] !== ']') j++;
      const tok = text.slice(i, j);
      if (tok.length === 0) throw corrupt(text);
      out.push(asInt && /^-?\d+$/.test(tok) ? BigInt(tok) : Number(tok));
      i = j;
    }
    const sep = text[i];
    if (sep === ']') return out;
    if (sep !== ',') throw corrupt(text);
    i++;
  }
}
