// Runtime functions the front end's SQL calls for integers and floats with PostgreSQL's checks
// (overflow 22003, division by zero 22012, NaN and Infinity), casts through the type codecs, NOT
// NULL of rowid keys, LIMIT checks, GREATEST / LEAST. Pure: session values arrive as arguments.
//
// | function                              | does                                                       |
// |---------------------------------------|------------------------------------------------------------|
// | pg_int_check(x, bits)                 | x, or 22003 when out of int2/int4/int8 range (or REAL)     |
// | pg_int_div(a, b, bits), pg_int_mod(a, b) | truncating division / remainder, 22012 on zero         |
// | pg_int_xor(a, b), pg_int_shift(a, n, bits, left) | bitwise xor, shifts in the type's width         |
// | pg_int_gcd(a, b, bits), pg_int_lcm(a, b, bits) | gcd / lcm with PostgreSQL's overflow rules       |
// | pg_float_arith(op, a, b, bits)        | + - * / um abs on float4/float8, NaN, overflow, 22012      |
// | pg_float_fn(name, a, b)               | sqrt cbrt exp ln log10 pow ceil floor round trunc sign ... |
// | pg_float4(x)                          | rounds to float4, 22003 on overflow                        |
// | pg_float_to_int(x, bits)              | rint, then range check (22003)                             |
// | pg_not_null(v, column, table)         | v, or 23502 when NULL                                      |
// | pg_raise(sqlstate, message)           | raises                                                     |
// | pg_limit(n, 'LIMIT' / 'OFFSET')       | n, or 2201W / 2201X when negative                          |
// | pg_typmod(v, oid, typmod, explicit)   | the type's typmod (varchar length, numeric(p,s), ...)      |
// | pg_cast_in(text, oid, typmod, tz)     | the type's input function                                  |
// | pg_cast_out(v, oid, typmod, tz)       | the type's output function                                 |
// | pg_greatest(oid, ...), pg_least(oid, ...) | NULLs ignored, compared by the type's order            |
// | pg_random(), pg_gen_random_uuid(), pg_version() | as PostgreSQL                                    |
// | pg_float_sum(x), pg_float_avg(x), pg_float_stat(x, kind) | float aggregates (NaN, Infinity)        |
// | pg_bit_and(x), pg_bit_or(x)           | bitwise aggregates                                         |

import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { ChorusError } from '../../errors.js';
import { T, typeByOid } from '../types/pg-types.js';
import type { StorageValue } from '../types/values.js';
import { checkIntRange, floatOf, floatStorage } from '../types/values-simple.js';
import { defineAggregate, defineWindowForm } from './aggregate-functions.js';
import { compareStorage } from './cast.js';

const pure = { deterministic: true, safeIntegers: true } as const;

function bitsOf(v: unknown): 16 | 32 | 64 {
  const n = Number(v);
  return n === 16 ? 16 : n === 32 ? 32 : 64;
}

function intOf(v: unknown, bits: 16 | 32 | 64): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') {
    // SQLite turned an int64 overflow into a REAL.
    if (!Number.isInteger(v) || !Number.isSafeInteger(v)) throw overflow(bits);
    return BigInt(v);
  }
  throw new ChorusError('22P02', `invalid integer value: ${String(v)}`);
}

const intTypeNames = { 16: 'smallint', 32: 'integer', 64: 'bigint' } as const;

function overflow(bits: 16 | 32 | 64): ChorusError {
  return new ChorusError('22003', `${intTypeNames[bits]} out of range`);
}

function divisionByZero(): ChorusError {
  return new ChorusError('22012', 'division by zero');
}

function wrap(v: bigint, bits: 16 | 32 | 64): bigint {
  return BigInt.asIntN(bits, v);
}

function floatArith(op: string, a: number, b: number, single: boolean): number {
  let r: number;
  switch (op) {
    case 'pl':
      r = a + b;
      break;
    case 'mi':
      r = a - b;
      break;
    case 'mul':
      r = a * b;
      break;
    case 'div':
      if (b === 0 && !Number.isNaN(a)) throw divisionByZero();
      r = a / b;
      break;
    case 'um':
      return -b;
    case 'abs':
      return Math.abs(b);
    default:
      throw new ChorusError('XX000', `unknown float operation ${op}`);
  }
  if (single) r = Math.fround(r);
  if (!Number.isFinite(r) && Number.isFinite(a) && Number.isFinite(b)) {
    throw new ChorusError('22003', 'value out of range: overflow');
  }
  if (r === 0 && a !== 0 && b !== 0 && op === 'mul')
    throw new ChorusError('22003', 'value out of range: underflow');
  return r;
}

function floatFn(name: string, a: number, b: number): number {
  switch (name) {
    case 'abs':
      return Math.abs(a);
    case 'ceil':
      return Math.ceil(a);
    case 'floor':
      return Math.floor(a);
    case 'round': {
      // rint: ties to even
      const r = Math.round(a);
      return Math.abs(a % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
    }
    case 'trunc':
      return Math.trunc(a);
    case 'sign':
      return a > 0 ? 1 : a < 0 ? -1 : Number.isNaN(a) ? Number.NaN : 0;
    case 'sqrt':
      if (a < 0) throw new ChorusError('2201F', 'cannot take square root of a negative number');
      return Math.sqrt(a);
    case 'cbrt':
      // fdlibm's; PostgreSQL calls the C library's, which can differ in the last digit (docs/sql.md).
      return Math.cbrt(a);
    case 'exp': {
      const r = Math.exp(a);
      if (!Number.isFinite(r) && Number.isFinite(a))
        throw new ChorusError('22003', 'value out of range: overflow');
      if (r === 0 && Number.isFinite(a)) throw new ChorusError('22003', 'value out of range: underflow');
      return r;
    }
    case 'ln':
      if (a === 0) throw new ChorusError('2201E', 'cannot take logarithm of zero');
      if (a < 0) throw new ChorusError('2201E', 'cannot take logarithm of a negative number');
      return Math.log(a);
    case 'log10':
      if (a === 0) throw new ChorusError('2201E', 'cannot take logarithm of zero');
      if (a < 0) throw new ChorusError('2201E', 'cannot take logarithm of a negative number');
      return Math.log10(a);
    case 'pow': {
      if (a === 0 && b < 0) throw new ChorusError('2201F', 'zero raised to a negative power is undefined');
      if (a < 0 && !Number.isInteger(b) && Number.isFinite(b)) {
        throw new ChorusError(
          '2201F',
          'a negative number raised to a non-integer power yields a complex result',
        );
      }
      const r = a ** b;
      if (!Number.isFinite(r) && Number.isFinite(a) && Number.isFinite(b)) {
        throw new ChorusError('22003', 'value out of range: overflow');
      }
      return r;
    }
    case 'degrees':
      return (a * 180) / Math.PI;
    case 'radians':
      return (a * Math.PI) / 180;
    case 'sin':
      return Math.sin(a);
    case 'cos':
      return Math.cos(a);
    case 'tan':
      return Math.tan(a);
    case 'asin':
      if (a < -1 || a > 1) throw new ChorusError('22003', 'input is out of range');
      return Math.asin(a);
    case 'acos':
      if (a < -1 || a > 1) throw new ChorusError('22003', 'input is out of range');
      return Math.acos(a);
    case 'atan':
      return Math.atan(a);
    case 'atan2':
      return Math.atan2(a, b);
    default:
      throw new ChorusError('XX000', `unknown float function ${name}`);
  }
}

/** rint() then the integer range check of float → int casts. */
function floatToInt(x: number, bits: 16 | 32 | 64): bigint {
  if (!Number.isFinite(x)) throw overflow(bits);
  const r = floatFn('round', x, 0);
  const v = BigInt(r);
  checkIntRange(v, bits);
  return v;
}

interface FloatAcc {
  n: number;
  sx: number;
  sxx: number;
  kind: string;
}

/** The keys an INSERT ... ON CONFLICT DO UPDATE execution has proposed so far (pg_upsert_once). */
let upsertExecution: unknown = null;
const upsertKeys = new Set<string>();

function keyText(v: unknown): string {
  if (v instanceof Uint8Array) return `b${Buffer.from(v).toString('hex')}`;
  return `${typeof v === 'string' ? 's' : 'n'}${String(v)}`;
}

export function registerCoreFunctions(db: Database.Database): void {
  // PostgreSQL refuses an upsert whose proposed rows share a key: the command would affect one
  // row twice (21000). Rows with a NULL in the key never conflict.
  db.function(
    'pg_upsert_once',
    { varargs: true, safeIntegers: true, deterministic: false },
    (execution: unknown, ...keys: unknown[]) => {
      if (execution !== upsertExecution) {
        upsertExecution = execution;
        upsertKeys.clear();
      }
      if (keys.some((k) => k === null)) return 1;
      const key = keys.map(keyText).join('\u0000');
      if (upsertKeys.has(key)) {
        throw new ChorusError('21000', 'ON CONFLICT DO UPDATE command cannot affect row a second time', {
          hint: 'Ensure that no rows proposed for insertion within the same command have duplicate constrained values.',
        });
      }
      upsertKeys.add(key);
      return 1;
    },
  );
  db.function('pg_int_check', pure, (x: unknown, bits: unknown) => {
    if (x === null) return null;
    const b = bitsOf(bits);
    return checkOrOverflow(intOf(x, b), b);
  });
  db.function('pg_int_div', pure, (a: unknown, b: unknown, bits: unknown) => {
    if (a === null || b === null) return null;
    const w = bitsOf(bits);
    const d = intOf(b, w);
    if (d === 0n) throw divisionByZero();
    return checkOrOverflow(intOf(a, w) / d, w);
  });
  db.function('pg_int_mod', pure, (a: unknown, b: unknown) => {
    if (a === null || b === null) return null;
    const d = intOf(b, 64);
    if (d === 0n) throw divisionByZero();
    return intOf(a, 64) % d;
  });
  db.function('pg_int_xor', pure, (a: unknown, b: unknown) =>
    a === null || b === null ? null : intOf(a, 64) ^ intOf(b, 64),
  );
  db.function('pg_int_shift', pure, (a: unknown, n: unknown, bits: unknown, left: unknown) => {
    if (a === null || n === null) return null;
    const w = bitsOf(bits);
    const k = BigInt(Number(n) & (w - 1));
    return left ? wrap(intOf(a, w) << k, w) : intOf(a, w) >> k;
  });
  db.function('pg_int_gcd', pure, (a: unknown, b: unknown, bits: unknown) => {
    if (a === null || b === null) return null;
    const w = bitsOf(bits);
    let x = intOf(a, w);
    let y = intOf(b, w);
    while (y !== 0n) [x, y] = [y, x % y];
    return checkOrOverflow(x < 0n ? -x : x, w);
  });
  db.function('pg_int_lcm', pure, (a: unknown, b: unknown, bits: unknown) => {
    if (a === null || b === null) return null;
    const w = bitsOf(bits);
    const x = intOf(a, w);
    const y = intOf(b, w);
    if (x === 0n || y === 0n) return 0n;
    let g = x;
    let h = y;
    while (h !== 0n) [g, h] = [h, g % h];
    const l = (x / g) * y;
    return checkOrOverflow(l < 0n ? -l : l, w);
  });
  db.function('pg_float_arith', pure, (op: unknown, a: unknown, b: unknown, bits: unknown) => {
    if (a === null || b === null) return null;
    return floatStorage(
      floatArith(String(op), floatOf(a as StorageValue), floatOf(b as StorageValue), Number(bits) === 32),
    );
  });
  db.function('pg_float_fn', pure, (name: unknown, a: unknown, b: unknown) => {
    if (a === null || (b === null && (name === 'pow' || name === 'atan2'))) return null;
    return floatStorage(
      floatFn(String(name), floatOf(a as StorageValue), b === null ? 0 : floatOf(b as StorageValue)),
    );
  });
  db.function('pg_float4', pure, (x: unknown) => {
    if (x === null) return null;
    const v = floatOf(x as StorageValue);
    const f = Math.fround(v);
    if (!Number.isFinite(f) && Number.isFinite(v))
      throw new ChorusError('22003', 'value out of range: overflow');
    if (f === 0 && v !== 0) throw new ChorusError('22003', 'value out of range: underflow');
    return floatStorage(f);
  });
  db.function('pg_float_to_int', pure, (x: unknown, bits: unknown) =>
    x === null ? null : floatToInt(floatOf(x as StorageValue), bitsOf(bits)),
  );
  db.function(
    'pg_not_null',
    { deterministic: true, safeIntegers: true },
    (v: unknown, col: unknown, table: unknown) => {
      if (v !== null) return v as StorageValue;
      // A relation outside public is "schema.name" in SQLite (sql/namespaces.ts).
      const stored = String(table);
      const dot = stored.indexOf('.');
      const name = dot < 0 ? stored : stored.slice(dot + 1);
      throw new ChorusError(
        '23502',
        `null value in column "${String(col)}" of relation "${name}" violates not-null constraint`,
        {
          column: String(col),
          table: name,
          schema: dot < 0 ? 'public' : stored.slice(0, dot),
        },
      );
    },
  );
  db.function('pg_raise', { deterministic: false }, (code: unknown, message: unknown) => {
    throw new ChorusError(String(code), String(message));
  });
  db.function('pg_limit', pure, (n: unknown, what: unknown) => {
    if (n === null) return -1n;
    const v = intOf(n, 64);
    if (v < 0n) {
      throw new ChorusError(what === 'OFFSET' ? '2201X' : '2201W', `${String(what)} must not be negative`);
    }
    return v;
  });
  db.function('pg_random', { deterministic: false }, () => Math.random());
  db.function('pg_gen_random_uuid', { deterministic: false }, () => randomUUID());
  for (const [name, sign] of [
    ['pg_greatest', 1],
    ['pg_least', -1],
  ] as const) {
    db.function(
      name,
      { deterministic: true, safeIntegers: true, varargs: true },
      (oid: unknown, ...args: unknown[]) => {
        const type = typeByOid(Number(oid)) ?? T.text;
        let best: StorageValue = null;
        for (const a of args as StorageValue[]) {
          if (a === null) continue;
          if (best === null || sign * compareStorage(type, a, best) > 0) best = a;
        }
        return best;
      },
    );
  }
  registerFloatAggregates(db);
  registerOrderedSetAggregates(db);
  const bits = (f: (a: bigint, b: bigint) => bigint) => ({
    safeIntegers: true,
    start: null,
    step: (acc: bigint | null, x: unknown) =>
      x === null ? acc : acc === null ? (x as bigint) : f(acc, x as bigint),
  });
  for (const [name, f] of [
    ['pg_bit_and', (a: bigint, b: bigint) => a & b],
    ['pg_bit_or', (a: bigint, b: bigint) => a | b],
  ] as const) {
    db.aggregate(name, bits(f));
    const acc = bits(f);
    defineWindowForm(db, name, {
      safeIntegers: true,
      start: () => ({ v: null as bigint | null }),
      step: (s, x) => {
        s.v = acc.step(s.v, x);
      },
      result: (s) => s.v,
    });
  }
}

function checkOrOverflow(v: bigint, bits: 16 | 32 | 64): bigint {
  try {
    return checkIntRange(v, bits);
  } catch {
    throw overflow(bits);
  }
}

const isInf = (v: number): boolean => v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY;
const floatOverflow = (): ChorusError => new ChorusError('22003', 'value out of range: overflow');

/** PostgreSQL's float8_accum: N, Sx and Sxx by the Youngs-Cramer update. */
function registerFloatAggregates(db: Database.Database): void {
  const start = (): FloatAcc => ({ n: 0, sx: 0, sxx: 0, kind: '' });
  const step = (acc: FloatAcc, x: unknown): FloatAcc => {
    if (x === null) return acc;
    const v = floatOf(x as StorageValue);
    const sx = acc.sx;
    acc.n++;
    acc.sx += v;
    if (acc.n > 1) {
      const tmp = v * acc.n - acc.sx;
      acc.sxx += (tmp * tmp) / (acc.n * (acc.n - 1));
      // float8_accum: finite inputs that lead to an infinite sum are an overflow.
      if (isInf(acc.sx) || isInf(acc.sxx)) {
        if (!isInf(sx) && !isInf(v)) throw floatOverflow();
        acc.sxx = Number.NaN;
      }
    } else acc.sxx = Number.isFinite(v) ? 0 : Number.NaN;
    return acc;
  };
  // sum(float4 / float8) adds as float4pl / float8pl do: in the argument's precision, 22003 when
  // finite operands give an infinite sum.
  defineAggregate(db, 'pg_float_sum', {
    start,
    step: (acc: FloatAcc, x: unknown, bits: unknown) => {
      if (x === null) return acc;
      const v = floatOf(x as StorageValue);
      const sum = Number(bits) === 32 ? Math.fround(acc.sx + v) : acc.sx + v;
      if (isInf(sum) && !isInf(acc.sx) && !isInf(v)) throw floatOverflow();
      acc.n++;
      acc.sx = sum;
      return acc;
    },
    result: (a: FloatAcc) => (a.n === 0 ? null : floatStorage(a.sx)),
  } as never);
  defineAggregate(db, 'pg_float_avg', {
    start,
    step,
    result: (a: FloatAcc) => (a.n === 0 ? null : floatStorage(a.sx / a.n)),
  });
  const stat = (a: FloatAcc): StorageValue => {
    const sample = a.kind.endsWith('_samp');
    if (a.n === 0 || (sample && a.n === 1)) return null;
    const variance = a.sxx / (sample ? a.n - 1 : a.n);
    return floatStorage(a.kind.startsWith('stddev') ? Math.sqrt(variance) : variance);
  };
  defineAggregate(db, 'pg_float_stat', {
    start,
    step: (acc: FloatAcc, x: unknown, kind: unknown) => {
      acc.kind = String(kind);
      return step(acc, x);
    },
    result: stat,
  } as never);
}

interface OrderedAcc {
  values: StorageValue[];
  p: number;
  oid: number;
  desc: boolean;
}

/** percentile_cont / percentile_disc / mode over the values of a group, in the type's order. */
function registerOrderedSetAggregates(db: Database.Database): void {
  const start = (): OrderedAcc => ({ values: [], p: 0, oid: T.float8.oid, desc: false });
  const sorted = (a: OrderedAcc): StorageValue[] => {
    const type = typeByOid(a.oid) ?? T.text;
    const out = a.values.slice().sort((x, y) => compareStorage(type, x, y));
    return a.desc ? out.reverse() : out;
  };
  const fraction = (p: unknown): number => {
    const f = floatOf(p as StorageValue);
    if (!(f >= 0 && f <= 1)) throw new ChorusError('22003', `percentile value ${f} is not between 0 and 1`);
    return f;
  };
  db.aggregate('pg_percentile_cont', {
    safeIntegers: true,
    start,
    step: (a: OrderedAcc, x: unknown, p: unknown, oid: unknown, desc: unknown) => {
      a.p = fraction(p);
      a.oid = Number(oid);
      a.desc = Number(desc) === 1;
      if (x !== null) a.values.push(x as StorageValue);
      return a;
    },
    result: (a: OrderedAcc) => {
      if (a.values.length === 0) return null;
      const v = sorted(a);
      const pos = a.p * (v.length - 1);
      const lo = Math.floor(pos);
      const hi = Math.ceil(pos);
      const x = floatOf(v[lo]!);
      const y = floatOf(v[hi]!);
      return floatStorage(lo === hi ? x : x + (pos - lo) * (y - x));
    },
  } as never);
  db.aggregate('pg_percentile_disc', {
    safeIntegers: true,
    start,
    step: (a: OrderedAcc, x: unknown, p: unknown, oid: unknown, desc: unknown) => {
      a.p = fraction(p);
      a.oid = Number(oid);
      a.desc = Number(desc) === 1;
      if (x !== null) a.values.push(x as StorageValue);
      return a;
    },
    result: (a: OrderedAcc) => {
      if (a.values.length === 0) return null;
      const v = sorted(a);
      return v[Math.max(0, Math.ceil(a.p * v.length) - 1)] ?? null;
    },
  } as never);
  db.aggregate('pg_mode', {
    safeIntegers: true,
    start,
    step: (a: OrderedAcc, x: unknown, oid: unknown, desc: unknown) => {
      a.oid = Number(oid);
      a.desc = Number(desc) === 1;
      if (x !== null) a.values.push(x as StorageValue);
      return a;
    },
    result: (a: OrderedAcc) => {
      const v = sorted(a);
      const type = typeByOid(a.oid) ?? T.text;
      let best: StorageValue = null;
      let bestCount = 0;
      for (let i = 0; i < v.length; ) {
        let j = i + 1;
        while (j < v.length && compareStorage(type, v[i]!, v[j]!) === 0) j++;
        if (j - i > bestCount) {
          best = v[i]!;
          bestCount = j - i;
        }
        i = j;
      }
      return best;
    },
  } as never);
}
