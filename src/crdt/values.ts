// JSON values for the CRDT library: validation, canonical JSON text, the CRDT limits, and the pure
// value helpers behind the SQL functions (crdt_increment, crdt_add, crdt_set, ...) and CRDT type names.
// Everything here works on plain values; the state lattices live in crdt.ts.

import { ChorusError, InvalidParameterValueError, ProgramLimitExceededError } from '../errors.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type CrdtKind = 'counter' | 'set' | 'map' | 'register';
export type JsonObject = { [k: string]: Json };

/** Distinct elements in one set state (live elements, i.e. keys of `adds`). */
export const setElementsMax = 100_000;
/** Distinct keys in one map state (keys of `puts`). */
export const mapKeysMax = 100_000;
/** Live tags of one set element or one map key (grows only with concurrent adds/puts). */
export const tagsPerElementMax = 10_000;
/** Removed tags (tombstones) kept by one set or map state. */
export const removedTagsMax = 100_000;
/** Canonical JSON text of one state, in UTF-8 bytes. */
export const stateBytesMax = 8 * 1024 * 1024;
/** Nesting depth of a JSON value stored in a CRDT (keeps the recursive walks off the stack limit). */
export const jsonDepthMax = 200;

/** 22P02: input is not of the shape the CRDT expects. */
export function malformed(message: string): ChorusError {
  return new ChorusError('22P02', message);
}

export function limitExceeded(what: string, limit: number, actual: number): ProgramLimitExceededError {
  return new ProgramLimitExceededError(`CRDT ${what} exceeds the limit of ${limit} (got ${actual})`);
}

export function isPlainObject(x: unknown): x is JsonObject {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** Own property read that is safe for keys such as "__proto__". */
export function getOwn<T>(obj: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** Own property write that is safe for keys such as "__proto__" (which `obj[k] = v` would not create). */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

/** Plain (Object.prototype) object with the given entries, inserted in sorted key order. */
export function sortedObject<T>(entries: Iterable<[string, T]>): Record<string, T> {
  const list = [...entries].sort((a, b) => compareText(a[0], b[0]));
  const out: Record<string, T> = {};
  for (const [k, v] of list) setOwn(out, k, v);
  return out;
}

/** Total order on strings by UTF-16 code units (the order of `Array.prototype.sort`). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Canonical copy of a JSON value: object keys sorted, -0 as 0, every number finite. Throws 22P02 on
 * anything that is not JSON (undefined, NaN, functions, class instances) and 54000 on deep nesting.
 */
export function canonicalValue(x: unknown, what = 'value', depth = 0): Json {
  if (depth > jsonDepthMax) throw limitExceeded(`${what} nesting depth`, jsonDepthMax, depth);
  if (x === null || typeof x === 'string' || typeof x === 'boolean') return x;
  if (typeof x === 'number') {
    if (!Number.isFinite(x)) throw malformed(`${what} contains a non-finite number`);
    return x === 0 ? 0 : x;
  }
  if (Array.isArray(x)) return x.map((e) => canonicalValue(e, what, depth + 1));
  if (isPlainObject(x)) {
    return sortedObject(Object.keys(x).map((k) => [k, canonicalValue(x[k], what, depth + 1)]));
  }
  throw malformed(`${what} is not a JSON value (${x === undefined ? 'undefined' : typeof x})`);
}

/** Canonical JSON text of a value; equal values (up to key order) give equal text. */
export function canonicalJson(x: unknown, what = 'value'): string {
  return JSON.stringify(canonicalValue(x, what));
}

/** Counter value as a number: null is 0; numbers and numeric strings accepted. */
export function toCounterNumber(value: unknown, what = 'counter value'): number {
  if (value === null || value === undefined) return 0;
  let n = Number.NaN;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && value.trim() !== '') n = Number(value);
  if (!Number.isFinite(n)) throw malformed(`${what} must be a finite number, got ${describe(value)}`);
  return n === 0 ? 0 : n;
}

/** Set value as a list of distinct canonical elements keyed by canonical JSON (null is empty). */
export function toSetElements(value: unknown, what = 'set value'): Map<string, Json> {
  if (value === null || value === undefined) return new Map();
  if (!Array.isArray(value)) throw malformed(`${what} must be a JSON array, got ${describe(value)}`);
  const out = new Map<string, Json>();
  for (const e of value) {
    const c = canonicalValue(e, `${what} element`);
    out.set(JSON.stringify(c), c);
  }
  return out;
}

/** Map value as entries of canonical values (null is empty). */
export function toMapEntries(value: unknown, what = 'map value'): Map<string, Json> {
  if (value === null || value === undefined) return new Map();
  if (!isPlainObject(value)) throw malformed(`${what} must be a JSON object, got ${describe(value)}`);
  const out = new Map<string, Json>();
  for (const k of Object.keys(value)) out.set(k, canonicalValue(value[k], `${what} entry "${k}"`));
  return out;
}

function describe(x: unknown): string {
  if (x === undefined) return 'undefined';
  if (Array.isArray(x)) return 'an array';
  if (x === null) return 'null';
  if (typeof x === 'object') return 'an object';
  const text = typeof x === 'string' ? JSON.stringify(x) : String(x);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function sortedElements(elems: Map<string, Json>): Json[] {
  return [...elems.keys()].sort(compareText).map((k) => elems.get(k) as Json);
}

/** crdt_increment / crdt_decrement: the counter value plus `by` (negative to decrement). */
export function incrementValue(value: Json, by: number): number {
  const n = toCounterNumber(value);
  if (typeof by !== 'number' || !Number.isFinite(by)) {
    throw new InvalidParameterValueError(`counter increment must be a finite number, got ${describe(by)}`);
  }
  const out = n + by;
  if (!Number.isFinite(out)) throw new InvalidParameterValueError('counter value out of range');
  return out === 0 ? 0 : out;
}

/** crdt_add: the set with `elem` added (no duplicates by canonical JSON), sorted by canonical JSON. */
export function addElement(value: Json, elem: Json): Json[] {
  const elems = toSetElements(value);
  const c = canonicalValue(elem, 'set element');
  elems.set(JSON.stringify(c), c);
  if (elems.size > setElementsMax) throw limitExceeded('set elements', setElementsMax, elems.size);
  return sortedElements(elems);
}

/** crdt_remove: the set without `elem`, sorted by canonical JSON. */
export function removeElement(value: Json, elem: Json): Json[] {
  const elems = toSetElements(value);
  elems.delete(canonicalJson(elem, 'set element'));
  return sortedElements(elems);
}

function checkMapKey(key: unknown): asserts key is string {
  if (typeof key !== 'string')
    throw new InvalidParameterValueError(`map key must be text, got ${describe(key)}`);
}

/** crdt_set: the map with `key` set to `v`, keys sorted. */
export function mapPut(value: Json, key: string, v: Json): { [k: string]: Json } {
  checkMapKey(key);
  const entries = toMapEntries(value);
  entries.set(key, canonicalValue(v, `map entry "${key}"`));
  if (entries.size > mapKeysMax) throw limitExceeded('map keys', mapKeysMax, entries.size);
  return sortedObject(entries);
}

/** crdt_delete: the map without `key`, keys sorted. */
export function mapDelete(value: Json, key: string): { [k: string]: Json } {
  checkMapKey(key);
  const entries = toMapEntries(value);
  entries.delete(key);
  return sortedObject(entries);
}

const paramCounts: Record<CrdtKind, number[]> = { counter: [0], set: [0, 1], map: [0, 2], register: [0, 1] };

/**
 * CRDT column type from its declared type name, case-insensitive: CRDT_COUNTER, CRDT_SET[<T>],
 * CRDT_MAP[<K, V>], CRDT_REGISTER[<T>]. Parameters come back upper-cased with whitespace collapsed.
 * Anything else (including wrong parameter counts) is null.
 */
export function parseCrdtType(decl: string | null | undefined): { kind: CrdtKind; params: string[] } | null {
  if (typeof decl !== 'string') return null;
  const m = /^\s*crdt_(counter|set|map|register)\s*(?:<([^<>]*)>)?\s*$/i.exec(decl);
  if (!m) return null;
  const kind = m[1]!.toLowerCase() as CrdtKind;
  const params: string[] = [];
  if (m[2] !== undefined) {
    let depth = 0;
    let cur = '';
    for (const ch of m[2]) {
      if (ch === '(') depth++;
      else if (ch === ')') depth--;
      if (depth < 0) return null;
      if (ch === ',' && depth === 0) {
        params.push(cur);
        cur = '';
      } else {
        cur += ch;
      }
    }
    if (depth !== 0) return null;
    params.push(cur);
    for (let i = 0; i < params.length; i++) {
      const p = params[i]!.trim().replace(/\s+/g, ' ').toUpperCase();
      if (p === '') return null;
      params[i] = p;
    }
  }
  if (!paramCounts[kind].includes(params.length)) return null;
  return { kind, params };
}
