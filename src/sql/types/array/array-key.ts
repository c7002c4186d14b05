// The order/equality key of an array: a BLOB that compares byte-wise as PostgreSQL compares arrays
// (element by element with the element type's order, NULL after every value, then the shorter
// array first), and is equal exactly when PostgreSQL's `=` holds (1.5 = 1.50, -0 = 0).

import { INTERVAL_KEY_BYTES } from '../interval/interval.js';
import { parseJson } from '../json.js';
import { jsonbSortKey } from '../jsonb-order.js';
import { type PgType, T } from '../pg-types.js';
import type { StorageValue } from '../values.js';

const numericScaleBytes = 2;
const markEnd = 0x00;
const markValue = 0x01;
const markNull = 0x02;

/** Bytes escaped so that any byte string is prefix-free and keeps its order: 00 → 00 ff, end 00 00. */
function pushEscaped(out: number[], b: Uint8Array): void {
  for (const x of b) {
    out.push(x);
    if (x === 0) out.push(0xff);
  }
  out.push(0, 0);
}

function pushInt64(out: number[], v: bigint): void {
  const u = BigInt.asUintN(64, v) ^ (1n << 63n);
  for (let s = 56n; s >= 0n; s -= 8n) out.push(Number((u >> s) & 0xffn));
}

function pushFloat(out: number[], v: StorageValue): void {
  const x = typeof v === 'string' ? Number.NaN : Number(v);
  const b = Buffer.alloc(8);
  if (Number.isNaN(x)) b.fill(0xff);
  else {
    b.writeDoubleBE(x === 0 ? 0 : x);
    if (b[0]! & 0x80) for (let i = 0; i < 8; i++) b[i] = ~b[i]! & 0xff;
    else b[0] = b[0]! | 0x80;
  }
  out.push(...b);
}

function bytesOf(v: StorageValue): Uint8Array {
  if (v instanceof Uint8Array) return v;
  return Buffer.from(String(v), 'utf8');
}

/** Append one element's key. */
function pushElement(out: number[], elem: PgType, v: StorageValue): void {
  if (v === null) {
    out.push(markNull);
    return;
  }
  out.push(markValue);
  if (typeof v === 'bigint') return pushInt64(out, v);
  if (elem === T.float4 || elem === T.float8) return pushFloat(out, v);
  if (typeof v === 'number') return pushInt64(out, BigInt(Math.trunc(v)));
  if (elem === T.numeric) return pushEscaped(out, bytesOf(v).subarray(0, bytesOf(v).length - numericScaleBytes));
  if (elem === T.interval) return pushEscaped(out, bytesOf(v).subarray(0, INTERVAL_KEY_BYTES));
  if (elem === T.jsonb) return pushEscaped(out, jsonbSortKey(parseJson(String(v), 'jsonb')));
  if (elem === T.bpchar) return pushEscaped(out, Buffer.from(String(v).replace(/ +$/, ''), 'utf8'));
  return pushEscaped(out, bytesOf(v));
}

/** The key of an array given its elements' storage values. */
export function arrayKey(items: readonly StorageValue[], elem: PgType): Buffer {
  const out: number[] = [];
  for (const v of items) pushElement(out, elem, v);
  out.push(markEnd);
  return Buffer.from(out);
}

/** The key of one element alone (for equality between an element and a value). */
export function elementKey(v: StorageValue, elem: PgType): Buffer {
  const out: number[] = [];
  pushElement(out, elem, v);
  return Buffer.from(out);
}
