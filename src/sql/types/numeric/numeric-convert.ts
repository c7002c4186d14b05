// Conversions between numeric and the integer and float8 types, as PostgreSQL 15 makes them:
// int2/int4/int8 → numeric exactly, numeric → integers rounded half away from zero with range
// errors, float8 → numeric through 15 significant digits, numeric → float8 through the text form.

import { ChorusError } from '../../../errors.js';
import {
  decimalWeight,
  type FiniteNumeric,
  finite,
  NUMERIC_NAN,
  NUMERIC_NEG_INFINITY,
  NUMERIC_POS_INFINITY,
  NUMERIC_ZERO,
  type Numeric,
  numericToText,
  pow10,
  roundUnscaled,
} from './numeric.js';

/** int2/int4/int8 → numeric (scale 0). */
export function numericFromInt(v: bigint): FiniteNumeric {
  return finite(v, 0);
}

const FLOAT8_DIG = 15; // DBL_DIG: float8_numeric keeps this many significant digits
const FLOAT4_DIG = 6; // FLT_DIG: float4_numeric keeps this many

/**
 * float8_numeric: the value printed with 15 significant digits ("%.15g": exact binary value,
 * ties to even), read back as numeric; NaN and the infinities map to their numeric forms.
 */
export function numericFromFloat(x: number): Numeric {
  return fromFloatDigits(x, FLOAT8_DIG);
}

/** float4_numeric: like numericFromFloat with 6 significant digits ("%.6g"); x holds a float4 value. */
export function numericFromFloat4(x: number): Numeric {
  return fromFloatDigits(x, FLOAT4_DIG);
}

function fromFloatDigits(x: number, significant: number): Numeric {
  if (Number.isNaN(x)) return NUMERIC_NAN;
  if (x === Number.POSITIVE_INFINITY) return NUMERIC_POS_INFINITY;
  if (x === Number.NEGATIVE_INFINITY) return NUMERIC_NEG_INFINITY;
  if (x === 0) return NUMERIC_ZERO;
  const [num, den] = exactRatio(Math.abs(x));
  // The exact decimal weight w (10^w ≤ |x| < 10^(w+1)), then `significant` digits from there.
  let w = Math.floor(Math.log10(Math.abs(x)));
  while (compareToPow10(num, den, w) < 0) w--;
  while (compareToPow10(num, den, w + 1) >= 0) w++;
  let exp = w - (significant - 1);
  let digits = scaledRoundHalfEven(num, den, exp);
  if (digits === pow10(significant)) {
    digits /= 10n;
    exp++;
  }
  // value = digits × 10^exp; trailing zeros of the digits do not count as scale ("%g" drops them).
  while (digits % 10n === 0n) {
    digits /= 10n;
    exp++;
  }
  const signed = x < 0 ? -digits : digits;
  return exp >= 0 ? finite(signed * pow10(exp), 0) : finite(signed, -exp);
}

/** |x| as num/den exactly. */
function exactRatio(x: number): [bigint, bigint] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const rawExp = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & 0xfffffffffffffn;
  let exp2 = rawExp - 1075;
  if (rawExp === 0) exp2 = -1074;
  else mantissa |= 1n << 52n;
  return exp2 >= 0 ? [mantissa << BigInt(exp2), 1n] : [mantissa, 1n << BigInt(-exp2)];
}

/** Sign of num/den - 10^e. */
function compareToPow10(num: bigint, den: bigint, e: number): number {
  const lhs = e >= 0 ? num : num * pow10(-e);
  const rhs = e >= 0 ? den * pow10(e) : den;
  return lhs < rhs ? -1 : lhs > rhs ? 1 : 0;
}

/** round(num/den / 10^exp) with ties to even. */
function scaledRoundHalfEven(num: bigint, den: bigint, exp: number): bigint {
  let n = num;
  let d = den;
  if (exp >= 0) d *= pow10(exp);
  else n *= pow10(-exp);
  const q = n / d;
  const r2 = (n % d) * 2n;
  if (r2 > d || (r2 === d && q % 2n === 1n)) return q + 1n;
  return q;
}

const INT_TYPE_NAMES = { 16: 'smallint', 32: 'integer', 64: 'bigint' } as const;

/** numeric_int2/int4/int8: rounded half away from zero, range-checked. */
export function numericToInt(n: Numeric, bits: 16 | 32 | 64): bigint {
  const name = INT_TYPE_NAMES[bits];
  if (n.kind === 'nan') throw new ChorusError('0A000', `cannot convert NaN to ${name}`);
  if (n.kind === 'inf') throw new ChorusError('0A000', `cannot convert infinity to ${name}`);
  const limit = 1n << BigInt(bits - 1);
  if (decimalWeightOrZero(n) > 20) throw new ChorusError('22003', `${name} out of range`);
  const v = roundUnscaled(n.unscaled, n.scale, 0);
  if (v < -limit || v >= limit) throw new ChorusError('22003', `${name} out of range`);
  return v;
}

function decimalWeightOrZero(n: FiniteNumeric): number {
  return n.unscaled === 0n ? 0 : decimalWeight(n);
}

/** numeric_float8: the text form read as float8 (correctly rounded), 22003 when out of range. */
export function numericToFloat(n: Numeric): number {
  if (n.kind === 'nan') return Number.NaN;
  if (n.kind === 'inf') return n.negative ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  const text = numericToText(n);
  const v = Number(text);
  if (!Number.isFinite(v) || (v === 0 && n.unscaled !== 0n)) {
    throw new ChorusError('22003', `"${text}" is out of range for type double precision`);
  }
  return v;
}
