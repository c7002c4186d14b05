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
import { dateToTimestamp } from '../types/datetime/datetime-arith.js';
import {
  dateToTimestamptz,
  timestampToDate,
  timestampToTime,
  timestampToTimestamptz,
  timestamptzToDate,
  timestamptzToTime,
  timestamptzToTimestamp,
} from '../types/datetime/datetime-convert.js';
import { decodeInterval, encodeInterval, INTERVAL_KEY_BYTES } from '../types/interval/interval.js';
import { parseJson } from '../types/json.js';
import { jsonbCompare } from '../types/jsonb-order.js';
import { numericToInt } from '../types/numeric/numeric-convert.js';
import { decodeNumeric } from '../types/numeric/numeric-key.js';
import { type PgType, T } from '../types/pg-types.js';
import { sessionTimeZone, type TimeZone } from '../types/timezone/timezone.js';
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
  return Buffer.compare(
    Buffer.from(a.buffer, a.byteOffset, a.byteLength),
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
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
    return bytesCompare(
      a.subarray(0, a.length - numericScaleBytes),
      b.subarray(0, b.length - numericScaleBytes),
    );
  }
  if (type === T.interval && a instanceof Uint8Array && b instanceof Uint8Array) {
    return bytesCompare(a.subarray(0, INTERVAL_KEY_BYTES), b.subarray(0, INTERVAL_KEY_BYTES));
  }
  if (type === T.jsonb) return jsonbCompare(parseJson(text(a), 'jsonb'), parseJson(text(b), 'jsonb'));
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
  db.function(
    'pg_cast_in',
    { deterministic: false, safeIntegers: true },
    (v: unknown, oid: unknown, typmod: unknown, tz: unknown, now: unknown) => {
      if (v === null) return null;
      const type = typeForOid(Number(oid));
      const c = codecFor(type);
      const out = c.input(text(v), -1, envFor(tz, now));
      const tm = Number(typmod);
      return tm >= 0 && c.typmod ? c.typmod(out, tm, true) : out;
    },
  );
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

/**
 * pg_cast(v, from_oid, to_oid, tz): the casts between date, time, timestamp, timestamptz and
 * interval (in the session's TimeZone), and jsonb to its scalar types.
 */
export function registerDateTimeCasts(db: Database.Database): void {
  db.function('pg_cast', pure, (v: unknown, from: unknown, to: unknown, tz: unknown) => {
    if (v === null) return null;
    return castValue(v as StorageValue, Number(from), Number(to), typeof tz === 'string' ? tz : 'UTC');
  });
}

const usPerDay = 86_400_000_000n;

function castValue(v: StorageValue, from: number, to: number, tz: string): StorageValue {
  const zone = (): TimeZone => sessionTimeZone(tz);
  const big = (): bigint => (typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v))));
  switch (`${from}>${to}`) {
    case `${T.date.oid}>${T.timestamp.oid}`:
      return dateToTimestamp(Number(big()));
    case `${T.date.oid}>${T.timestamptz.oid}`:
      return dateToTimestamptz(Number(big()), zone());
    case `${T.timestamp.oid}>${T.date.oid}`:
      return BigInt(timestampToDate(big()));
    case `${T.timestamptz.oid}>${T.date.oid}`:
      return BigInt(timestamptzToDate(big(), zone()));
    case `${T.timestamp.oid}>${T.timestamptz.oid}`:
      return timestampToTimestamptz(big(), zone());
    case `${T.timestamptz.oid}>${T.timestamp.oid}`:
      return timestamptzToTimestamp(big(), zone());
    case `${T.timestamp.oid}>${T.time.oid}`:
      return timestampToTime(big());
    case `${T.timestamptz.oid}>${T.time.oid}`:
      return timestamptzToTime(big(), zone());
    case `${T.time.oid}>${T.interval.oid}`:
      return encodeInterval({ months: 0, days: 0, micros: big() });
    case `${T.interval.oid}>${T.time.oid}`: {
      const iv = decodeInterval(v as Uint8Array);
      const r = iv.micros % usPerDay;
      return r < 0n ? r + usPerDay : r;
    }
    default:
      if (from === T.jsonb.oid) return jsonbScalar(v, to);
      throw new ChorusError('42846', `cannot cast type ${typeForOid(from).name} to ${typeForOid(to).name}`);
  }
}

const jsonbTargets: Record<number, string> = {
  [T.bool.oid]: 'boolean',
  [T.int2.oid]: 'smallint',
  [T.int4.oid]: 'integer',
  [T.int8.oid]: 'bigint',
  [T.float4.oid]: 'real',
  [T.float8.oid]: 'double precision',
  [T.numeric.oid]: 'numeric',
};

/** jsonb → bool / numbers: only from a JSON value of that kind (22023 otherwise), as PostgreSQL. */
function jsonbScalar(v: StorageValue, to: number): StorageValue {
  const j = parseJson(text(v), 'jsonb');
  const target = jsonbTargets[to];
  if (!target) throw new ChorusError('42846', `cannot cast type jsonb to ${typeForOid(to).name}`);
  const kindName = j.kind === 'bool' ? 'boolean' : j.kind;
  if (to === T.bool.oid) {
    if (j.kind !== 'bool') throw new ChorusError('22023', `cannot cast jsonb ${kindName} to type boolean`);
    return j.value ? 1n : 0n;
  }
  if (j.kind !== 'number') throw new ChorusError('22023', `cannot cast jsonb ${kindName} to type ${target}`);
  const type = typeForOid(to);
  const c = codecFor(type);
  if (to === T.int2.oid || to === T.int4.oid || to === T.int8.oid) {
    // jsonb numbers become integers the way numeric does: rounded, range-checked.
    const n = codecFor(T.numeric).input(j.text, -1, { timeZone: 'UTC', nowUs: 0n });
    return numericToIntStorage(n, to);
  }
  return c.input(j.text, -1, { timeZone: 'UTC', nowUs: 0n });
}

function numericToIntStorage(n: StorageValue, to: number): bigint {
  const bits = to === T.int2.oid ? 16 : to === T.int4.oid ? 32 : 64;
  return numericToInt(decodeNumeric(Buffer.from(n as Uint8Array)), bits);
}
