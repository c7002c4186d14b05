// PostgreSQL 15 numeric arithmetic: + - * / % and div(), sign, abs, round/trunc/ceil/floor,
// gcd/lcm, scale/min_scale/trim_scale, width_bucket, and the smaller/larger picks of min/max.
// Exact BigInt arithmetic; result scales follow numeric.c (add/sub: the larger input scale; mul:
// the sum, capped at 16383; division: select_div_scale; mod: the larger input scale).

import { ChorusError } from '../../../errors.js';
import {
  absBig,
  alignScales,
  checkNumericRange,
  decimalWeight,
  type FiniteNumeric,
  finite,
  NUMERIC_MAX_DISPLAY_SCALE_DIGITS,
  NUMERIC_MAX_INTEGER_DIGITS,
  NUMERIC_MAX_STORED_SCALE_DIGITS,
  NUMERIC_MIN_SIG_DIGITS,
  NUMERIC_NAN,
  NUMERIC_NEG_INFINITY,
  NUMERIC_POS_INFINITY,
  NUMERIC_ZERO,
  type Numeric,
  nbaseDigits,
  numericCmp,
  numericSignum,
  pow10,
  roundFinite,
  stripFinite,
  truncFinite,
} from './numeric.js';

const NBASE_DIGITS = 4; // decimal digits per base-10000 digit (DEC_DIGITS)
const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;

export function divisionByZero(): ChorusError {
  return new ChorusError('22012', 'division by zero');
}

function infinity(negative: boolean): Numeric {
  return negative ? NUMERIC_NEG_INFINITY : NUMERIC_POS_INFINITY;
}

export function numericAdd(a: Numeric, b: Numeric): Numeric {
  if (a.kind === 'finite' && b.kind === 'finite') {
    const [x, y, s] = alignScales(a, b);
    return checkNumericRange(finite(x + y, s));
  }
  if (a.kind === 'nan' || b.kind === 'nan') return NUMERIC_NAN;
  if (a.kind === 'inf' && b.kind === 'inf') return a.negative === b.negative ? a : NUMERIC_NAN;
  return a.kind === 'inf' ? a : b;
}

export function numericSub(a: Numeric, b: Numeric): Numeric {
  return numericAdd(a, numericNeg(b));
}

export function numericMul(a: Numeric, b: Numeric): Numeric {
  if (a.kind === 'finite' && b.kind === 'finite') {
    let product = finite(a.unscaled * b.unscaled, a.scale + b.scale);
    if (product.scale > NUMERIC_MAX_STORED_SCALE_DIGITS) {
      product = roundFinite(product, NUMERIC_MAX_STORED_SCALE_DIGITS);
    }
    return checkNumericRange(product);
  }
  if (a.kind === 'nan' || b.kind === 'nan') return NUMERIC_NAN;
  const sign = numericSignum(a) * numericSignum(b);
  return sign === 0 ? NUMERIC_NAN : infinity(sign < 0);
}

/** The weight and first digit of a value in base 10000 (zero: 0 and 0), as select_div_scale reads them. */
function nbaseHead(n: FiniteNumeric): [number, number] {
  const { weight, digits } = nbaseDigits(n);
  return [weight, digits[0] ?? 0];
}

/** select_div_scale: at least 16 significant digits, no less than either input's scale, at most 1000. */
export function selectDivScale(a: FiniteNumeric, b: FiniteNumeric): number {
  const [weight1, first1] = nbaseHead(a);
  const [weight2, first2] = nbaseHead(b);
  let qweight = weight1 - weight2;
  if (first1 <= first2) qweight--;
  const rscale = Math.max(NUMERIC_MIN_SIG_DIGITS - qweight * NBASE_DIGITS, a.scale, b.scale, 0);
  return Math.min(rscale, NUMERIC_MAX_DISPLAY_SCALE_DIGITS);
}

/** a / b rounded half away from zero to rscale digits (rscale ≥ 0); 22012 when b is zero. */
export function divRound(a: FiniteNumeric, b: FiniteNumeric, rscale: number): FiniteNumeric {
  if (b.unscaled === 0n) throw divisionByZero();
  const e = rscale + b.scale - a.scale;
  const num = e >= 0 ? a.unscaled * pow10(e) : a.unscaled;
  const den = e >= 0 ? b.unscaled : b.unscaled * pow10(-e);
  let q = num / den;
  const r = num % den;
  if (absBig(r) * 2n >= absBig(den)) q += num < 0n === den < 0n ? 1n : -1n;
  return finite(q, rscale);
}

/** a / b truncated toward zero to an integer (div_var with rscale 0, no rounding). */
function divTruncFinite(a: FiniteNumeric, b: FiniteNumeric): FiniteNumeric {
  if (b.unscaled === 0n) throw divisionByZero();
  const e = b.scale - a.scale;
  const num = e >= 0 ? a.unscaled * pow10(e) : a.unscaled;
  const den = e >= 0 ? b.unscaled : b.unscaled * pow10(-e);
  return finite(num / den, 0);
}

/** Division of a special dividend or by a special divisor, as numeric_div and div() treat them. */
function divSpecial(a: Numeric, b: Numeric): Numeric {
  if (a.kind === 'nan' || b.kind === 'nan') return NUMERIC_NAN;
  if (a.kind === 'inf') {
    if (b.kind === 'inf') return NUMERIC_NAN;
    const sign = numericSignum(b);
    if (sign === 0) throw divisionByZero();
    return infinity(a.negative !== sign < 0);
  }
  return NUMERIC_ZERO; // finite / ±Infinity
}

/** numeric_div: the `/` operator. */
export function numericDiv(a: Numeric, b: Numeric): Numeric {
  if (a.kind !== 'finite' || b.kind !== 'finite') return divSpecial(a, b);
  return checkNumericRange(divRound(a, b, selectDivScale(a, b)));
}

/** numeric_div_trunc: div(a, b), the integer quotient truncated toward zero. */
export function numericDivTrunc(a: Numeric, b: Numeric): Numeric {
  if (a.kind !== 'finite' || b.kind !== 'finite') return divSpecial(a, b);
  return checkNumericRange(divTruncFinite(a, b));
}

/** numeric_mod: a - trunc(a/b)*b, the sign of a, scale max(a.scale, b.scale). */
export function numericMod(a: Numeric, b: Numeric): Numeric {
  if (a.kind === 'finite' && b.kind === 'finite') {
    const [x, y, s] = alignScales(a, b);
    if (y === 0n) throw divisionByZero();
    return finite(x % y, s);
  }
  if (a.kind === 'nan' || b.kind === 'nan') return NUMERIC_NAN;
  if (a.kind === 'inf') {
    if (numericSignum(b) === 0) throw divisionByZero();
    return NUMERIC_NAN;
  }
  return a; // finite % ±Infinity
}

export function numericNeg(n: Numeric): Numeric {
  if (n.kind === 'finite') return finite(-n.unscaled, n.scale);
  if (n.kind === 'inf') return infinity(!n.negative);
  return n;
}

export function numericAbs(n: Numeric): Numeric {
  if (n.kind === 'finite') return finite(absBig(n.unscaled), n.scale);
  if (n.kind === 'inf') return NUMERIC_POS_INFINITY;
  return n;
}

/** sign(): -1, 0 or 1 (scale 0); NaN for NaN. */
export function numericSign(n: Numeric): Numeric {
  if (n.kind === 'nan') return n;
  return finite(BigInt(numericSignum(n)), 0);
}

const ROUND_MIN_SCALE_DIGITS = -NUMERIC_MAX_INTEGER_DIGITS - 1;

/** round(n, s): half away from zero; s < 0 rounds before the point; display scale max(s, 0). */
export function numericRound(n: Numeric, scale = 0): Numeric {
  if (n.kind !== 'finite') return n;
  const s = Math.min(Math.max(scale, ROUND_MIN_SCALE_DIGITS), NUMERIC_MAX_STORED_SCALE_DIGITS);
  if (losesAllDigits(n, s, 1)) return finite(0n, Math.max(s, 0));
  return checkNumericRange(roundFinite(n, s));
}

/** trunc(n, s): toward zero; s < 0 truncates before the point; display scale max(s, 0). */
export function numericTrunc(n: Numeric, scale = 0): Numeric {
  if (n.kind !== 'finite') return n;
  const s = Math.min(Math.max(scale, -NUMERIC_MAX_INTEGER_DIGITS), NUMERIC_MAX_STORED_SCALE_DIGITS);
  if (losesAllDigits(n, s, 0)) return finite(0n, Math.max(s, 0));
  return truncFinite(n, s);
}

/** True when every digit lies this many places or more below scale s (the result is then zero). */
function losesAllDigits(n: FiniteNumeric, s: number, margin: number): boolean {
  return n.unscaled === 0n || decimalWeight(n) < -s - margin;
}

export function numericCeil(n: Numeric): Numeric {
  if (n.kind !== 'finite') return n;
  return numericNeg(numericFloor(numericNeg(n)));
}

export function numericFloor(n: Numeric): Numeric {
  if (n.kind !== 'finite') return n;
  const d = pow10(n.scale);
  let q = n.unscaled / d;
  if (n.unscaled < 0n && n.unscaled % d !== 0n) q -= 1n;
  return finite(q, 0);
}

function gcdBig(a: bigint, b: bigint): bigint {
  let x = absBig(a);
  let y = absBig(b);
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/** gcd(): of the values at their common scale; NaN if either input is NaN or infinite. */
export function numericGcd(a: Numeric, b: Numeric): Numeric {
  if (a.kind !== 'finite' || b.kind !== 'finite') return NUMERIC_NAN;
  const [x, y, s] = alignScales(a, b);
  return finite(gcdBig(x, y), s);
}

/** lcm(): |a / gcd(a, b) × b|, zero if either is zero; scale max(a.scale, b.scale). */
export function numericLcm(a: Numeric, b: Numeric): Numeric {
  if (a.kind !== 'finite' || b.kind !== 'finite') return NUMERIC_NAN;
  const [x, y, s] = alignScales(a, b);
  if (x === 0n || y === 0n) return finite(0n, s);
  return checkNumericRange(finite(absBig((x / gcdBig(x, y)) * y), s));
}

/** scale(): the display scale; null for NaN and infinities. */
export function numericScale(n: Numeric): number | null {
  return n.kind === 'finite' ? n.scale : null;
}

/** min_scale(): the fewest fractional digits that represent the value exactly; null for specials. */
export function numericMinScale(n: Numeric): number | null {
  return n.kind === 'finite' ? stripFinite(n).scale : null;
}

/** trim_scale(): the value with trailing fractional zeros removed. */
export function numericTrimScale(n: Numeric): Numeric {
  return n.kind === 'finite' ? stripFinite(n) : n;
}

/** numeric_smaller (least(), min()): the first if it compares lower, else the second. */
export function numericSmaller(a: Numeric, b: Numeric): Numeric {
  return numericCmp(a, b) < 0 ? a : b;
}

/** numeric_larger (greatest(), max()): the first if it compares higher, else the second. */
export function numericLarger(a: Numeric, b: Numeric): Numeric {
  return numericCmp(a, b) > 0 ? a : b;
}

function widthBucketError(message: string): ChorusError {
  return new ChorusError('2201G', message);
}

/** width_bucket(operand, low, high, count) over numeric, as PostgreSQL 15 computes it. */
export function numericWidthBucket(operand: Numeric, low: Numeric, high: Numeric, count: number): number {
  if (count <= 0) throw widthBucketError('count must be greater than zero');
  if (operand.kind === 'nan' || low.kind === 'nan' || high.kind === 'nan') {
    throw widthBucketError('operand, lower bound, and upper bound cannot be NaN');
  }
  if (low.kind !== 'finite' || high.kind !== 'finite') {
    throw widthBucketError('lower and upper bounds must be finite');
  }
  const order = numericCmp(low, high);
  if (order === 0) throw widthBucketError('lower bound cannot equal upper bound');
  const reversed = order > 0;
  const countBig = BigInt(count);
  let bucket: bigint;
  if (reversed ? numericCmp(operand, low) > 0 : numericCmp(operand, low) < 0) bucket = 0n;
  else if (reversed ? numericCmp(operand, high) <= 0 : numericCmp(operand, high) >= 0) bucket = countBig + 1n;
  else {
    const op = operand as FiniteNumeric;
    const [num, den] = reversed
      ? [numericSub(low, op), numericSub(low, high)]
      : [numericSub(op, low), numericSub(high, low)];
    const scaled = numericMul(num, finite(countBig, 0)) as FiniteNumeric;
    const quotient = divRound(scaled, den as FiniteNumeric, selectDivScale(scaled, den as FiniteNumeric));
    bucket = (numericFloor(numericAdd(quotient, finite(1n, 0))) as FiniteNumeric).unscaled;
  }
  if (bucket < INT32_MIN || bucket > INT32_MAX) throw new ChorusError('22003', 'integer out of range');
  return Number(bucket);
}
