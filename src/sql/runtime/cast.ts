// Runtime casts through the type codecs: text → any type (input functions), any type → text
// (output functions), typmods, and the order of stored values for GREATEST / LEAST.
//
// | function                                  | does                                              |
// |-------------------------------------------|---------------------------------------------------|
// | pg_cast_in(text, oid, typmod, tz, now)    | the type's input function (22P02 and friends)     |
// | pg_cast_out(v, oid, typmod, tz)           | the type's output function                        |
// | pg_typmod(v, oid, typmod, explicit)       | varchar(n) / char(n) / numeric(p,s) / time(p) ... |

import type Database from 'better-sqlite3';
import { ChorusError } from '../../errors.js';
import { type PgType, T } from '../types/pg-types.js';
import { codecFor, type StorageValue, typeForOid, type ValueEnv } from '../types/values.js';
import { floatOf } from '../types/values-simple.js';

const pure = { deterministic: true, safeIntegers: true } as const;

/** Session values a runtime function received as arguments. */
export function envFor(tz: unknown, now?: unknown): ValueEnv {
  return {
    timeZone: typeof tz === 'string' && tz !== '' ? tz : 'UTC',
    nowUs: typeof now === 'bigint' ? now : typeof now === 'number' ? BigInt(Math.trunc(now)) : 0n,
  };
}

function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
  return String(v);
}

const numericScaleBytes = 2;

function bytesCompare(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Order of two stored values of one type, as PostgreSQL orders them (NaN greatest for floats). */
export function compareStorage(type: PgType, a: StorageValue, b: StorageValue): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  if (type === T.float4 || type === T.float8) {
    const x = floatOf(a);
    const y = floatOf(b);
    if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) ? (Number.isNaN(y) ? 0 : 1) : -1;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (type === T.numeric && a instanceof Uint8Array && b instanceof Uint8Array) {
    return bytesCompare(a.subarray(0, a.length - numericScaleBytes), b.subarray(0, b.length - numericScaleBytes));
  }
  if (a instanceof Uint8Array && b instanceof Uint8Array) return bytesCompare(a, b);
  if (typeof a === 'bigint' || typeof a === 'number' || typeof b === 'bigint' || typeof b === 'number') {
    const x = typeof a === 'string' ? Number(a) : a;
    const y = typeof b === 'string' ? Number(b) : b;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const x = type === T.bpchar ? text(a).replace(/ +$/, '') : text(a);
  const y = type === T.bpchar ? text(b).replace(/ +$/, '') : text(b);
  return bytesCompare(Buffer.from(x, 'utf8'), Buffer.from(y, 'utf8'));
}

export function registerCastFunctions(db: Database.Database): void {
  db.function('pg_cast_in', { deterministic: false, safeIntegers: true }, (v: unknown, oid: unknown, typmod: unknown, tz: unknown, now: unknown) => {
    if (v === null) return null;
    const type = typeForOid(Number(oid));
    const c = codecFor(type);
    const out = c.input(text(v), -1, envFor(tz, now));
    const tm = Number(typmod);
    return tm >= 0 && c.typmod ? c.typmod(out, tm, true) : out;
  });
  db.function('pg_cast_out', pure, (v: unknown, oid: unknown, typmod: unknown, tz: unknown) => {
    if (v === null) return null;
    return codecFor(typeForOid(Number(oid))).output(v as StorageValue, Number(typmod), envFor(tz));
  });
  db.function('pg_typmod', pure, (v: unknown, oid: unknown, typmod: unknown, explicit: unknown) => {
    if (v === null) return null;
    const c = codecFor(typeForOid(Number(oid)));
    if (!c.typmod) throw new ChorusError('XX000', `type ${String(oid)} has no typmod`);
    return c.typmod(v as StorageValue, Number(typmod), Boolean(Number(explicit)));
  });
}
