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
  if (typeof v === 'bigint') pushInt64(out, v);
  else if (elem === T.float4 || elem === T.float8) pushFloat(out, v);
  else if (typeof v === 'number') pushInt64(out, BigInt(Math.trunc(v)));
  else if (elem === T.numeric) {
    const b = bytesOf(v);
    pushEscaped(out, b.subarray(0, b.length - numericScaleBytes));
  } else if (elem === T.interval) pushEscaped(out, bytesOf(v).subarray(0, INTERVAL_KEY_BYTES));
  else if (elem === T.jsonb) pushEscaped(out, jsonbSortKey(parseJson(String(v), 'jsonb')));
  else if (elem === T.bpchar) pushEscaped(out, Buffer.from(String(v).replace(/ +$/, ''), 'utf8'));
  else pushEscaped(out, bytesOf(v));
}

/** The key of an array given its elements' storage values. */
export function arrayKey(items: readonly StorageValue[], elem: PgType): Buffer {
  const out: number[] = [];
  for (const v of items) pushElement(out, elem, v);
  out.push(markEnd);
  return Buffer.from(out);
}
