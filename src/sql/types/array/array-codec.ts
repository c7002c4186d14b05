// The codec of every array type, built over its element type's codec: PostgreSQL's array_in /
// array_out text forms ('{1,2}', '{"a b",NULL,"x\"y"}'), array_send / array_recv binary forms, and
// the typmod applied element by element. One-dimensional arrays with lower bound 1 only.

import { ChorusError, FeatureNotSupportedError } from '../../../errors.js';
import type { StorageValue, TypeCodec, ValueEnv } from '../codec.js';
import { formatType, type PgType, typeByOid } from '../pg-types.js';
import { decodeArray, encodeArray } from './array-storage.js';

/** Elements one array value may hold (PostgreSQL's MaxArraySize is about 134 million). */
export const arrayElementsMax = 10_000_000;

const isSpace = (c: string | undefined): boolean =>
  c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\v' || c === '\f';

function malformed(text: string, detail: string): ChorusError {
  return new ChorusError('22P02', `malformed array literal: "${text}"`, { detail });
}

function multiDimensional(): ChorusError {
  return new FeatureNotSupportedError('a multidimensional array', {
    hint: 'ChorusDB supports one-dimensional arrays with lower bound 1.',
  });
}

/** array_in's parse of one-dimensional input: the element texts (null for NULL). */
export function parseArrayText(text: string): (string | null)[] {
  const n = text.length;
  let i = 0;
  while (isSpace(text[i])) i++;
  if (text[i] === '[') throw new FeatureNotSupportedError('array dimension decorations ([1:2]={...})');
  if (text[i] !== '{') throw malformed(text, 'Array value must start with "{" or dimension information.');
  i++;
  const out: (string | null)[] = [];
  while (isSpace(text[i])) i++;
  if (text[i] === '}') return finish(text, i + 1, out);
  if (text[i] === '{') {
    throw multiDimensional();
  }
  for (;;) {
    while (isSpace(text[i])) i++;
    if (i >= n) throw malformed(text, 'Unexpected end of input.');
    const c = text[i]!;
    if (c === '{') throw malformed(text, 'Unexpected "{" character.');
    if (c === ',' || c === '}') throw malformed(text, `Unexpected "${c}" character.`);
    let value = '';
    if (c === '"') {
      i++;
      for (;;) {
        if (i >= n) throw malformed(text, 'Unexpected end of input.');
        const d = text[i]!;
        if (d === '\\') {
          if (i + 1 >= n) throw malformed(text, 'Unexpected end of input.');
          value += text[i + 1];
          i += 2;
        } else if (d === '"') {
          i++;
          break;
        } else {
          value += d;
          i++;
        }
      }
      while (isSpace(text[i])) i++;
      if (i >= n) throw malformed(text, 'Unexpected end of input.');
      if (text[i] !== ',' && text[i] !== '}') throw malformed(text, 'Unexpected array element.');
      out.push(value);
    } else {
      let escaped = false;
      let keep = 0; // length of value up to its last escaped or non-space character
      for (;;) {
        if (i >= n) throw malformed(text, 'Unexpected end of input.');
        const d = text[i]!;
        if (d === ',' || d === '}') break;
        if (d === '"') throw malformed(text, 'Unexpected array element.');
        if (d === '{') throw malformed(text, 'Unexpected "{" character.');
        if (d === '\\') {
          if (i + 1 >= n) throw malformed(text, 'Unexpected end of input.');
          value += text[i + 1];
          escaped = true;
          keep = value.length;
          i += 2;
          continue;
        }
        value += d;
        if (!isSpace(d)) keep = value.length;
        i++;
      }
      value = value.slice(0, keep);
      out.push(!escaped && value.toUpperCase() === 'NULL' ? null : value);
    }
    if (out.length > arrayElementsMax) {
      throw new ChorusError('54000', `array size exceeds the maximum allowed (${arrayElementsMax})`);
    }
    if (text[i] === '}') return finish(text, i + 1, out);
    i++; // ','
  }
}

function finish(text: string, from: number, out: (string | null)[]): (string | null)[] {
  let i = from;
  while (isSpace(text[i])) i++;
  if (i < text.length) throw malformed(text, 'Junk after closing right brace.');
  return out;
}

/** array_out's quoting of one element's text. */
export function quoteArrayElement(s: string): string {
  let needs = s.length === 0 || s.toUpperCase() === 'NULL';
  if (!needs) {
    for (let i = 0; i < s.length; i++) {
      const c = s[i]!;
      if (c === '"' || c === '\\' || c === '{' || c === '}' || c === ',' || isSpace(c)) {
        needs = true;
        break;
      }
    }
  }
  if (!needs) return s;
  return `"${s.replace(/["\\]/g, (m) => `\\${m}`)}"`;
}

/** The text form of elements already in their element type's output text. */
export function arrayText(items: readonly (string | null)[]): string {
  return `{${items.map((s) => (s === null ? 'NULL' : quoteArrayElement(s))).join(',')}}`;
}

const int32Bytes = 4;

/** The codec of the array type over `elem`, given the element's codec. */
export function arrayCodec(elem: PgType, ec: TypeCodec): TypeCodec {
  return {
    input(text: string, typmod: number, env: ValueEnv): StorageValue {
      const items = parseArrayText(text).map((s) => (s === null ? null : ec.input(s, typmod, env)));
      return encodeArray(items, elem);
    },
    output(v: StorageValue, typmod: number, env: ValueEnv): string {
      const items = decodeArray(String(v), elem);
      return arrayText(items.map((x) => (x === null ? null : ec.output(x, typmod, env))));
    },
    typmod(v: StorageValue, typmod: number, explicit: boolean): StorageValue {
      if (v === null || !ec.typmod) return v;
      const items = decodeArray(String(v), elem);
      return encodeArray(
        items.map((x) => (x === null ? null : ec.typmod!(x, typmod, explicit))),
        elem,
      );
    },
    toBinary(v: StorageValue, env: ValueEnv): Buffer {
      const items = decodeArray(String(v), elem);
      const parts: Buffer[] = [];
      const head = Buffer.alloc(items.length === 0 ? 12 : 20);
      head.writeInt32BE(items.length === 0 ? 0 : 1, 0);
      head.writeInt32BE(items.some((x) => x === null) ? 1 : 0, 4);
      head.writeUInt32BE(elem.oid, 8);
      if (items.length > 0) {
        head.writeInt32BE(items.length, 12);
        head.writeInt32BE(1, 16);
      }
      parts.push(head);
      for (const x of items) {
        const len = Buffer.alloc(int32Bytes);
        if (x === null) {
          len.writeInt32BE(-1);
          parts.push(len);
          continue;
        }
        const b = ec.toBinary(x, env);
        len.writeInt32BE(b.length);
        parts.push(len, b);
      }
      return Buffer.concat(parts);
    },
    fromBinary(b: Buffer, typmod: number, env: ValueEnv): StorageValue {
      const bad = (why: string): ChorusError =>
        new ChorusError('22P03', `invalid array binary format: ${why}`);
      if (b.length < 12) throw bad('too short');
      const ndim = b.readInt32BE(0);
      const flags = b.readInt32BE(4);
      const elemOid = b.readUInt32BE(8);
      if (ndim < 0) throw new ChorusError('22P03', `invalid number of dimensions: ${ndim}`);
      if (flags !== 0 && flags !== 1) throw new ChorusError('22P03', 'invalid array flags');
      if (elemOid !== elem.oid) {
        const got = typeByOid(elemOid);
        throw new ChorusError(
          '42804',
          `binary data has array element type ${elemOid} (${got ? formatType(got) : '???'}) instead of expected ${elem.oid} (${formatType(elem)})`,
        );
      }
      if (ndim === 0) return '[]';
      if (ndim > 1) throw multiDimensional();
      if (b.length < 20) throw bad('too short');
      const count = b.readInt32BE(12);
      const lower = b.readInt32BE(16);
      if (lower !== 1) throw new FeatureNotSupportedError('array lower bounds other than 1');
      if (count < 0 || count > arrayElementsMax) throw bad('bad dimension');
      const items: StorageValue[] = [];
      let at = 20;
      for (let k = 0; k < count; k++) {
        if (at + int32Bytes > b.length) throw bad('too short');
        const len = b.readInt32BE(at);
        at += int32Bytes;
        if (len === -1) {
          items.push(null);
          continue;
        }
        if (len < 0 || at + len > b.length) throw bad('bad element length');
        items.push(ec.fromBinary(b.subarray(at, at + len), typmod, env));
        at += len;
      }
      if (at !== b.length) throw bad('trailing bytes');
      return encodeArray(items, elem);
    },
  };
}
