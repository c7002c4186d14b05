// PostgreSQL's array functions and operators as SQLite functions over the array storage form (a
// JSON array of element storage values, types/array/). Each takes the element type's OID where it
// must decode elements. unnest and ANY are json_each in the emitted SQL; these are the rest.

import type Database from 'better-sqlite3';
import { ChorusError, FeatureNotSupportedError } from '../../errors.js';
import { arrayElementsMax } from '../types/array/array-codec.js';
import { arrayKey } from '../types/array/array-key.js';
import { decodeArray, encodeArray } from '../types/array/array-storage.js';
import { type PgType, T, typeByOid } from '../types/pg-types.js';
import { codecFor, type StorageValue } from '../types/values.js';
import { defineAggregate } from './aggregate-functions.js';
import { compareStorage, envFor } from './cast.js';

const pure = { deterministic: true, safeIntegers: true } as const;

function elemOf(oid: unknown): PgType {
  const t = typeByOid(Number(oid));
  if (!t) throw new ChorusError('XX000', `unknown array element type ${String(oid)}`);
  return t;
}

function items(v: unknown, elem: PgType): StorageValue[] {
  return decodeArray(String(v), elem);
}

function checkSize(n: number): void {
  if (n > arrayElementsMax) {
    throw new ChorusError('54000', `array size exceeds the maximum allowed (${arrayElementsMax})`);
  }
}

function same(elem: PgType, a: StorageValue, b: StorageValue): boolean {
  return compareStorage(elem, a, b) === 0;
}

function arrayCompare(a: unknown, b: unknown, elem: PgType): number {
  return Math.sign(Buffer.compare(arrayKey(items(a, elem), elem), arrayKey(items(b, elem), elem)));
}

export function registerArrayFunctions(db: Database.Database): void {
  db.function('pg_array', { ...pure, varargs: true }, (oid: unknown, ...vals: unknown[]) => {
    checkSize(vals.length);
    return encodeArray(vals as StorageValue[], elemOf(oid));
  });
  defineAggregate<{ items: StorageValue[]; elem: PgType | null }>(db, 'pg_array_agg', {
    start: () => ({ items: [], elem: null }),
    step: (s, v: never, oid: never) => {
      s.elem ??= elemOf(oid);
      s.items.push(v as StorageValue);
      checkSize(s.items.length);
      return s;
    },
    result: (s) => (s.items.length === 0 ? null : encodeArray(s.items, s.elem!)),
    safeIntegers: true,
  });
  db.function('pg_array_get', pure, (a: unknown, i: unknown, oid: unknown) => {
    if (a === null || i === null) return null;
    const xs = items(a, elemOf(oid));
    const k = Number(i);
    return k >= 1 && k <= xs.length ? xs[k - 1] : null;
  });
  db.function('pg_array_slice', pure, (a: unknown, lo: unknown, hi: unknown, oid: unknown) => {
    if (a === null || lo === null || hi === null) return null;
    const elem = elemOf(oid);
    const xs = items(a, elem);
    const from = Math.max(1, Number(lo));
    const to = Math.min(xs.length, Number(hi));
    return encodeArray(from > to ? [] : xs.slice(from - 1, to), elem);
  });
  db.function('pg_array_set', pure, (a: unknown, i: unknown, v: unknown, oid: unknown) => {
    if (i === null) throw new ChorusError('22004', 'array subscript in assignment must not be null');
    const elem = elemOf(oid);
    const xs = a === null ? [] : items(a, elem);
    const k = Number(i);
    if (k < 1) throw new FeatureNotSupportedError('an array subscript below 1 (lower bounds other than 1)');
    checkSize(k);
    while (xs.length < k) xs.push(null);
    xs[k - 1] = v as StorageValue;
    return encodeArray(xs, elem);
  });
  db.function('pg_array_cardinality', pure, (a: unknown) =>
    a === null ? null : BigInt(items(a, T.text).length),
  );
  // array_length / array_upper (dimension 1 only: arrays here have one), array_lower, array_ndims, array_dims
  db.function('pg_array_dim', pure, (a: unknown, dim: unknown, what: unknown) => {
    if (a === null || dim === null) return null;
    const n = items(a, T.text).length;
    if (n === 0 || Number(dim) !== 1) return null;
    switch (what) {
      case 'lower':
        return 1n;
      case 'dims':
        return `[1:${n}]`;
      case 'ndims':
        return 1n;
      default:
        return BigInt(n);
    }
  });
  db.function('pg_array_position', pure, (a: unknown, v: unknown, oid: unknown, start: unknown) => {
    if (a === null || start === null) return null;
    const elem = elemOf(oid);
    const xs = items(a, elem);
    for (let k = Math.max(1, Number(start)); k <= xs.length; k++) {
      if (same(elem, xs[k - 1]!, v as StorageValue)) return BigInt(k);
    }
    return null;
  });
  db.function('pg_array_positions', pure, (a: unknown, v: unknown, oid: unknown) => {
    if (a === null) return null;
    const elem = elemOf(oid);
    const out: bigint[] = [];
    items(a, elem).forEach((x, k) => {
      if (same(elem, x, v as StorageValue)) out.push(BigInt(k + 1));
    });
    return encodeArray(out, T.int4);
  });
  db.function('pg_array_append', pure, (a: unknown, v: unknown, oid: unknown) => {
    const elem = elemOf(oid);
    const xs = a === null ? [] : items(a, elem);
    xs.push(v as StorageValue);
    checkSize(xs.length);
    return encodeArray(xs, elem);
  });
  db.function('pg_array_prepend', pure, (v: unknown, a: unknown, oid: unknown) => {
    const elem = elemOf(oid);
    const xs = a === null ? [] : items(a, elem);
    xs.unshift(v as StorageValue);
    checkSize(xs.length);
    return encodeArray(xs, elem);
  });
  db.function('pg_array_cat', pure, (a: unknown, b: unknown, oid: unknown) => {
    if (a === null) return b;
    if (b === null) return a;
    const elem = elemOf(oid);
    const xs = items(a, elem).concat(items(b, elem));
    checkSize(xs.length);
    return encodeArray(xs, elem);
  });
  db.function('pg_array_remove', pure, (a: unknown, v: unknown, oid: unknown) => {
    if (a === null) return null;
    const elem = elemOf(oid);
    return encodeArray(
      items(a, elem).filter((x) => !same(elem, x, v as StorageValue)),
      elem,
    );
  });
  db.function('pg_array_replace', pure, (a: unknown, from: unknown, to: unknown, oid: unknown) => {
    if (a === null) return null;
    const elem = elemOf(oid);
    return encodeArray(
      items(a, elem).map((x) => (same(elem, x, from as StorageValue) ? (to as StorageValue) : x)),
      elem,
    );
  });
  db.function(
    'pg_array_to_string',
    pure,
    (a: unknown, delim: unknown, nullText: unknown, oid: unknown, tz: unknown) => {
      if (a === null || delim === null) return null;
      const elem = elemOf(oid);
      const codec = codecFor(elem);
      const env = envFor(tz);
      const parts: string[] = [];
      for (const x of items(a, elem)) {
        if (x === null) {
          if (nullText !== null) parts.push(String(nullText));
        } else parts.push(codec.output(x, -1, env));
      }
      return parts.join(String(delim));
    },
  );
  db.function('pg_string_to_array', pure, (s: unknown, delim: unknown, nullText: unknown) => {
    if (s === null) return null;
    const text = String(s);
    let parts: string[];
    if (text === '') parts = [];
    else if (delim === null) parts = Array.from(text);
    else if (String(delim) === '') parts = [text];
    else parts = text.split(String(delim));
    checkSize(parts.length);
    return encodeArray(
      parts.map((p) => (nullText !== null && p === String(nullText) ? null : p)),
      T.text,
    );
  });
  // @> and &&: strict; NULL elements never match (PostgreSQL's array_contain_compare).
  db.function('pg_array_contains', pure, (a: unknown, b: unknown, oid: unknown) => {
    if (a === null || b === null) return null;
    const elem = elemOf(oid);
    const xs = items(a, elem);
    return items(b, elem).every((y) => y !== null && xs.some((x) => x !== null && same(elem, x, y)))
      ? 1n
      : 0n;
  });
  db.function('pg_array_overlap', pure, (a: unknown, b: unknown, oid: unknown) => {
    if (a === null || b === null) return null;
    const elem = elemOf(oid);
    const xs = items(a, elem);
    return items(b, elem).some((y) => y !== null && xs.some((x) => x !== null && same(elem, x, y))) ? 1n : 0n;
  });
  db.function('pg_array_cmp', pure, (a: unknown, b: unknown, oid: unknown) =>
    a === null || b === null ? null : BigInt(arrayCompare(a, b, elemOf(oid))),
  );
  db.function('pg_array_key', pure, (a: unknown, oid: unknown) => {
    if (a === null) return null;
    const elem = elemOf(oid);
    return arrayKey(items(a, elem), elem);
  });
}
