// SQLite user functions and aggregates for PostgreSQL's numeric type. Every numeric argument and
// result is the storage BLOB of sql/types/numeric-key.ts (key, then 2 bytes of display scale);
// integers arrive and leave as INTEGER (BigInt), floats as REAL with NaN as the TEXT 'NaN'.
// Functions return NULL when any argument is NULL; aggregates skip NULL inputs. Errors are
// ChorusErrors with PostgreSQL's SQLSTATE and text; better-sqlite3 rethrows them to the caller.
//
// | function                         | arguments                 | result                     |
// |----------------------------------|---------------------------|----------------------------|
// | pg_numeric_in                    | text, typmod int          | num (numeric_in; -1 = none)|
// | pg_numeric_typmod                | num, typmod int           | num (the numeric(p,s) cast)|
// | pg_numeric_out                   | num                       | text                       |
// | pg_numeric_from_int              | int                       | num                        |
// | pg_numeric_from_float            | real (or 'NaN')           | num                        |
// | pg_numeric_from_float4           | real (a float4 value)     | num (6 significant digits) |
// | pg_numeric_to_int2/_to_int4/_to_int8 | num                   | int                        |
// | pg_numeric_to_float8             | num                       | real ('NaN' for NaN)       |
// | pg_numeric_add/_sub/_mul/_div    | num, num                  | num                        |
// | pg_numeric_mod/_div_trunc        | num, num                  | num (% and div())          |
// | pg_numeric_neg/_abs/_sign        | num                       | num                        |
// | pg_numeric_cmp                   | num, num                  | int -1/0/1                 |
// | pg_numeric_smaller/_larger       | num, num                  | num (least/greatest)       |
// | pg_numeric_round/_trunc          | num [, int]               | num                        |
// | pg_numeric_ceil/_floor           | num                       | num                        |
// | pg_numeric_sqrt/_exp/_ln/_log10  | num                       | num                        |
// | pg_numeric_log                   | base num, num             | num                        |
// | pg_numeric_power                 | num, num                  | num                        |
// | pg_numeric_gcd/_lcm              | num, num                  | num                        |
// | pg_numeric_scale/_min_scale      | num                       | int (NULL for NaN/±Inf)    |
// | pg_numeric_trim_scale            | num                       | num                        |
// | pg_numeric_width_bucket          | num, num, num, int        | int                        |
// | pg_numeric_key                   | num                       | blob (the key, no scale)   |
// | aggregate pg_numeric_sum/_avg    | num                       | num                        |
// | aggregate pg_int8_sum            | int                       | num                        |
// | aggregate pg_int_avg             | int                       | num                        |
// | aggregate pg_numeric_var_samp/_var_pop/_stddev_samp/_stddev_pop | num | num               |
// | aggregate pg_int_var_samp/_var_pop/_stddev_samp/_stddev_pop     | int | num               |
// | aggregate pg_numeric_min/_max    | num                       | num (no window frames)     |
//
// All but the min/max aggregates also work as window functions (they can remove rows).

import type Database from 'better-sqlite3';
import { ChorusError } from '../../errors.js';
import {
  applyNumericTypmod,
  type Numeric,
  numericCmp,
  numericToText,
  parseNumeric,
} from '../types/numeric/numeric.js';
import { NumericAggState } from '../types/numeric/numeric-agg.js';
import {
  numericAbs,
  numericAdd,
  numericCeil,
  numericDiv,
  numericDivTrunc,
  numericFloor,
  numericGcd,
  numericLarger,
  numericLcm,
  numericMinScale,
  numericMod,
  numericMul,
  numericNeg,
  numericRound,
  numericScale,
  numericSign,
  numericSmaller,
  numericSub,
  numericTrimScale,
  numericTrunc,
  numericWidthBucket,
} from '../types/numeric/numeric-arith.js';
import {
  numericFromFloat,
  numericFromFloat4,
  numericFromInt,
  numericToFloat,
  numericToInt,
} from '../types/numeric/numeric-convert.js';
import { decodeNumeric, encodeNumeric, numericKey } from '../types/numeric/numeric-key.js';
import {
  numericExp,
  numericLn,
  numericLog,
  numericLog10,
  numericPower,
  numericSqrt,
} from '../types/numeric/numeric-math.js';
import { defineAggregate as defineWithDistinct } from './aggregate-functions.js';

type SqlValue = bigint | number | string | Buffer | null;
type SqlResult = bigint | number | string | Buffer | null;

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function badArgument(fn: string, index: number, what: string, value: unknown): ChorusError {
  const got = value instanceof Buffer ? 'blob' : typeof value;
  return new ChorusError('XX000', `${fn}: argument ${index + 1} must be ${what}, got ${got}`);
}

/** A numeric argument: the storage blob (an INTEGER is taken as that integer). */
function numArg(fn: string, index: number, v: SqlValue): Numeric {
  if (v instanceof Buffer) return decodeNumeric(v);
  if (typeof v === 'bigint') return numericFromInt(v);
  throw badArgument(fn, index, 'a numeric value', v);
}

/** An int4 argument (scales, counts, typmods). */
function intArg(fn: string, index: number, v: SqlValue): number {
  if (typeof v === 'bigint' && v >= BigInt(INT32_MIN) && v <= BigInt(INT32_MAX)) return Number(v);
  if (typeof v === 'number' && Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX) return v;
  throw badArgument(fn, index, 'an integer', v);
}

function floatArg(fn: string, index: number, v: SqlValue): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v === 'NaN') return Number.NaN;
  throw badArgument(fn, index, 'a float', v);
}

function textArg(fn: string, index: number, v: SqlValue): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  throw badArgument(fn, index, 'text', v);
}

function define(db: Database.Database, name: string, fn: (...args: SqlValue[]) => SqlResult): void {
  db.function(name, { deterministic: true, safeIntegers: true }, fn);
}

const unaryNumeric: Record<string, (n: Numeric) => Numeric> = {
  pg_numeric_neg: numericNeg,
  pg_numeric_abs: numericAbs,
  pg_numeric_sign: numericSign,
  pg_numeric_ceil: numericCeil,
  pg_numeric_floor: numericFloor,
  pg_numeric_sqrt: numericSqrt,
  pg_numeric_exp: numericExp,
  pg_numeric_ln: numericLn,
  pg_numeric_log10: numericLog10,
  pg_numeric_trim_scale: numericTrimScale,
};

const binaryNumeric: Record<string, (a: Numeric, b: Numeric) => Numeric> = {
  pg_numeric_add: numericAdd,
  pg_numeric_sub: numericSub,
  pg_numeric_mul: numericMul,
  pg_numeric_div: numericDiv,
  pg_numeric_mod: numericMod,
  pg_numeric_div_trunc: numericDivTrunc,
  pg_numeric_smaller: numericSmaller,
  pg_numeric_larger: numericLarger,
  pg_numeric_log: numericLog,
  pg_numeric_power: numericPower,
  pg_numeric_gcd: numericGcd,
  pg_numeric_lcm: numericLcm,
};

function registerScalars(db: Database.Database): void {
  for (const [name, f] of Object.entries(unaryNumeric)) {
    define(db, name, (a) => (a === null ? null : encodeNumeric(f(numArg(name, 0, a)))));
  }
  for (const [name, f] of Object.entries(binaryNumeric)) {
    define(db, name, (a, b) =>
      a === null || b === null ? null : encodeNumeric(f(numArg(name, 0, a), numArg(name, 1, b))),
    );
  }
  define(db, 'pg_numeric_in', (text, typmod) =>
    text === null || typmod === null
      ? null
      : encodeNumeric(parseNumeric(textArg('pg_numeric_in', 0, text), intArg('pg_numeric_in', 1, typmod))),
  );
  define(db, 'pg_numeric_typmod', (n, typmod) =>
    n === null || typmod === null
      ? null
      : encodeNumeric(
          applyNumericTypmod(numArg('pg_numeric_typmod', 0, n), intArg('pg_numeric_typmod', 1, typmod)),
        ),
  );
  define(db, 'pg_numeric_out', (n) => (n === null ? null : numericToText(numArg('pg_numeric_out', 0, n))));
  define(db, 'pg_numeric_key', (n) => (n === null ? null : numericKey(numArg('pg_numeric_key', 0, n))));
  define(db, 'pg_numeric_from_int', (v) => {
    if (v === null) return null;
    if (typeof v !== 'bigint') throw badArgument('pg_numeric_from_int', 0, 'an integer', v);
    return encodeNumeric(numericFromInt(v));
  });
  define(db, 'pg_numeric_from_float', (v) =>
    v === null ? null : encodeNumeric(numericFromFloat(floatArg('pg_numeric_from_float', 0, v))),
  );
  define(db, 'pg_numeric_from_float4', (v) =>
    v === null
      ? null
      : encodeNumeric(numericFromFloat4(Math.fround(floatArg('pg_numeric_from_float4', 0, v)))),
  );
  for (const bits of [16, 32, 64] as const) {
    const name = `pg_numeric_to_int${bits / 8}`;
    define(db, name, (n) => (n === null ? null : numericToInt(numArg(name, 0, n), bits)));
  }
  define(db, 'pg_numeric_to_float8', (n) => {
    if (n === null) return null;
    const v = numericToFloat(numArg('pg_numeric_to_float8', 0, n));
    return Number.isNaN(v) ? 'NaN' : v;
  });
  define(db, 'pg_numeric_cmp', (a, b) =>
    a === null || b === null
      ? null
      : BigInt(numericCmp(numArg('pg_numeric_cmp', 0, a), numArg('pg_numeric_cmp', 1, b))),
  );
  for (const [name, f] of [
    ['pg_numeric_round', numericRound],
    ['pg_numeric_trunc', numericTrunc],
  ] as const) {
    define(db, name, (n) => (n === null ? null : encodeNumeric(f(numArg(name, 0, n), 0))));
    define(db, name, (n, s) =>
      n === null || s === null ? null : encodeNumeric(f(numArg(name, 0, n), intArg(name, 1, s))),
    );
  }
  for (const [name, f] of [
    ['pg_numeric_scale', numericScale],
    ['pg_numeric_min_scale', numericMinScale],
  ] as const) {
    define(db, name, (n) => {
      if (n === null) return null;
      const s = f(numArg(name, 0, n));
      return s === null ? null : BigInt(s);
    });
  }
  define(db, 'pg_numeric_width_bucket', (op, low, high, count) => {
    if (op === null || low === null || high === null || count === null) return null;
    const name = 'pg_numeric_width_bucket';
    return BigInt(
      numericWidthBucket(
        numArg(name, 0, op),
        numArg(name, 1, low),
        numArg(name, 2, high),
        intArg(name, 3, count),
      ),
    );
  });
}

interface AggregateSpec<S> {
  start: () => S;
  step: (state: S, v: SqlValue) => void;
  inverse?: (state: S, v: SqlValue) => void;
  result: (state: S) => SqlResult;
}

/** An aggregate (and its DISTINCT form) with a fresh state per group (step and inverse update it in place). */
function aggregate<S>(db: Database.Database, name: string, spec: AggregateSpec<S>): void {
  defineWithDistinct(db, name, { ...spec, safeIntegers: true });
}

function defineAggregate(
  db: Database.Database,
  name: string,
  input: (name: string, v: SqlValue) => Numeric,
  result: (state: NumericAggState) => Numeric | null,
): void {
  aggregate(db, name, {
    start: () => new NumericAggState(),
    step: (state, v) => {
      if (v !== null) state.add(input(name, v));
    },
    inverse: (state, v) => {
      if (v !== null) state.remove(input(name, v));
    },
    result: (state) => {
      const r = result(state);
      return r === null ? null : encodeNumeric(r);
    },
  });
}

function numericInput(name: string, v: SqlValue): Numeric {
  return numArg(name, 0, v);
}

function integerInput(name: string, v: SqlValue): Numeric {
  if (typeof v !== 'bigint') throw badArgument(name, 0, 'an integer', v);
  return numericFromInt(v);
}

function registerAggregates(db: Database.Database): void {
  defineAggregate(db, 'pg_numeric_sum', numericInput, (s) => s.sumResult());
  defineAggregate(db, 'pg_numeric_avg', numericInput, (s) => s.avgResult());
  defineAggregate(db, 'pg_int8_sum', integerInput, (s) => s.sumResult());
  defineAggregate(db, 'pg_int_avg', integerInput, (s) => s.avgResult());
  const variances: Array<[string, boolean, boolean]> = [
    ['var_samp', true, false],
    ['var_pop', false, false],
    ['stddev_samp', true, true],
    ['stddev_pop', false, true],
  ];
  for (const [suffix, sample, stddev] of variances) {
    defineAggregate(db, `pg_numeric_${suffix}`, numericInput, (s) => s.varianceResult(sample, stddev));
    defineAggregate(db, `pg_int_${suffix}`, integerInput, (s) => s.varianceResult(sample, stddev));
  }
  for (const [name, pick] of [
    ['pg_numeric_min', numericSmaller],
    ['pg_numeric_max', numericLarger],
  ] as const) {
    aggregate(db, name, {
      start: () => ({ value: null as Numeric | null }),
      step: (state, v) => {
        if (v === null) return;
        const n = numArg(name, 0, v);
        state.value = state.value === null ? n : pick(state.value, n);
      },
      result: (state) => (state.value === null ? null : encodeNumeric(state.value)),
    });
  }
}

/** Register the numeric functions and aggregates on a connection. */
export function registerNumericFunctions(db: Database.Database): void {
  registerScalars(db);
  registerAggregates(db);
}
