// PostgreSQL 15 numeric sqrt, exp, ln, log and power. The result scale of each is PostgreSQL's
// (numeric.c: sqrt's sweight rule, exp's estimate from float8, estimate_ln_dweight for ln and log,
// power_var/power_var_int). Square roots and integer powers are the exact result rounded half
// away from zero; exp and ln follow exp_var and ln_var step by step (see expRounded), so their
// last digit is PostgreSQL's; log and non-integer powers are built from those as numeric.c does.

import { ChorusError } from '../../../errors.js';
import {
  absBig,
  checkNumericRange,
  decimalWeight,
  digitCount,
  type FiniteNumeric,
  finite,
  isIntegral,
  NUMERIC_MAX_DISPLAY_SCALE_DIGITS,
  NUMERIC_MAX_INTEGER_DIGITS,
  NUMERIC_MIN_SIG_DIGITS,
  NUMERIC_NAN,
  NUMERIC_ONE,
  NUMERIC_POS_INFINITY,
  NUMERIC_ZERO,
  type Numeric,
  nbaseDigits,
  numericCmp,
  numericOverflow,
  numericSignum,
  numericToText,
  pow10,
  roundFinite,
  roundUnscaled,
} from './numeric.js';
import { divisionByZero, divRound, numericNeg } from './numeric-arith.js';

// biome-ignore lint/suspicious/noApproximativeNumericConstant: numeric.c estimates weights with this value
const LOG10_E = 0.434294481903252;
const NBASE_DIGITS = 4;
/** exp() of arguments this large overflows (NUMERIC_MAX_RESULT_SCALE × 3); this small gives zero. */
const EXP_ARGUMENT_LIMIT = 6000;
/** power()'s early overflow/underflow test on its estimate of exp × ln(base). */
const POWER_ESTIMATE_LIMIT = 6020;
/** Exponent estimates beyond this overflow at once in power_var_int (3 × NUMERIC_WEIGHT_MAX × 4). */
const POWER_INT_ESTIMATE_LIMIT = 3 * 32767 * NBASE_DIGITS;
/** Integer powers whose exact value has at most this many digits are computed exactly ... */
const EXACT_POWER_MAX_DIGITS = 20000;
/** ... and up to this many when the reciprocal of the power may end in a tie. */
const EXACT_POWER_TIE_MAX_DIGITS = 200000;
/** Guard digits of the first approximation of a large integer power, and the most any uses. */
const FIRST_GUARD_DIGITS = 20;
const MAX_GUARD_DIGITS = 640;
/** Digits an approximation may be wrong by, below its guard digits (see roundApproximation). */
const APPROX_ERROR_DIGITS = 10;

function clampScale(rscale: number): number {
  return Math.min(Math.max(rscale, 0), NUMERIC_MAX_DISPLAY_SCALE_DIGITS);
}

function toDouble(n: FiniteNumeric): number {
  return Number(numericToText(n));
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** floor(sqrt(n)) for n ≥ 0: Newton's method from a float estimate of the leading bits. */
export function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  const bits = n.toString(16).length * 4;
  const shift = Math.max(0, bits - 100) & ~1;
  let x = BigInt(Math.ceil(Math.sqrt(Number(n >> BigInt(shift))))) << BigInt(shift / 2);
  // One step from any positive start lands at or above floor(sqrt(n)); from there it decreases.
  x = (x + n / x) >> 1n;
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/**
 * The exact value rounded half away from zero at rscale, from approximations computed at
 * rscale + guard digits and wrong by less than 10^(guard - APPROX_ERROR_DIGITS) units: when the
 * digits past rscale are that close to a tie, compute again with more guard digits.
 */
function roundApproximation(rscale: number, approximate: (guard: number) => bigint): FiniteNumeric {
  for (let guard = FIRST_GUARD_DIGITS; ; guard *= 2) {
    const a = approximate(guard);
    const unit = pow10(guard);
    const distance = absBig(absBig(a % unit) - unit / 2n);
    if (distance > pow10(guard - APPROX_ERROR_DIGITS) || guard >= MAX_GUARD_DIGITS) {
      return finite(roundUnscaled(a, rscale + guard, rscale), rscale);
    }
  }
}

// exp_var and ln_var are reproduced step by step (range reduction, series, the scale each step
// rounds to), each step exact and then rounded half away from zero, so that the last digit is
// PostgreSQL's also where its series leaves out terms below its working scale.

function add(a: FiniteNumeric, b: FiniteNumeric): FiniteNumeric {
  const s = Math.max(a.scale, b.scale);
  return finite(a.unscaled * pow10(s - a.scale) + b.unscaled * pow10(s - b.scale), s);
}

/** mul_var: the product rounded at rscale. */
function mulRound(a: FiniteNumeric, b: FiniteNumeric, rscale: number): FiniteNumeric {
  return roundFinite(finite(a.unscaled * b.unscaled, a.scale + b.scale), rscale);
}

/** div_var_int: a / k rounded at rscale. */
function divIntRound(a: FiniteNumeric, k: bigint, rscale: number): FiniteNumeric {
  return divRound(a, finite(k, 0), rscale);
}

/** The base-10000 weight of a nonzero value, as NumericVar.weight. */
function nbaseWeight(n: FiniteNumeric): number {
  return n.unscaled === 0n ? 0 : Math.floor(decimalWeight(n) / NBASE_DIGITS);
}

const LOG10_2 = 0.301029995663981; // numeric.c's value of log10(2)

/** exp_var: exp(x) rounded at rscale; zero at or below -6000, overflow at or above 6000. */
function expRounded(arg: FiniteNumeric, rscale: number): FiniteNumeric {
  let val = toDouble(arg);
  if (Math.abs(val) >= EXP_ARGUMENT_LIMIT) {
    if (val > 0) throw numericOverflow();
    return finite(0n, rscale);
  }
  const dweight = Math.trunc(val * LOG10_E);
  let x = arg;
  let halvings = 0;
  if (Math.abs(val) > 0.01) {
    // x / 2^halvings lies within ±0.01
    do {
      halvings++;
      val /= 2;
    } while (Math.abs(val) > 0.01);
    x = divIntRound(x, 1n << BigInt(halvings), x.scale + halvings);
  }
  const sigDigits = Math.max(1 + dweight + rscale + Math.trunc(halvings * LOG10_2), 0) + 8;
  const local = sigDigits - 1;
  // Taylor series 1 + x + x²/2! + ..., terms rounded at the working scale until one rounds to 0
  let result = add(NUMERIC_ONE, x);
  let term = divIntRound(mulRound(x, x, local), 2n, local);
  for (let n = 3n; term.unscaled !== 0n; n++) {
    result = add(result, term);
    term = divIntRound(mulRound(term, x, local), n, local);
  }
  for (let i = 0; i < halvings; i++) {
    const scale = Math.max(sigDigits - nbaseWeight(result) * 2 * NBASE_DIGITS, 0);
    result = mulRound(result, result, scale);
  }
  return checkNumericRange(roundFinite(result, rscale));
}

/** ln_var: ln(x) rounded at rscale, with PostgreSQL's errors for zero and negative x. */
function lnRounded(arg: FiniteNumeric, rscale: number): FiniteNumeric {
  const sign = numericSignum(arg);
  if (sign === 0) throw new ChorusError('2201E', 'cannot take logarithm of zero');
  if (sign < 0) throw new ChorusError('2201E', 'cannot take logarithm of a negative number');
  // Square roots bring x into (0.9, 1.1); each doubles the factor the series result gets.
  let x = arg;
  let roots = 0;
  while (numericCmp(x, POINT_NINE) <= 0 || numericCmp(x, ONE_POINT_ONE) >= 0) {
    x = sqrtRounded(x, rscale - nbaseWeight(x) * 2 + 8);
    roots++;
  }
  const local = rscale + Math.trunc((roots + 1) * LOG10_2) + 8;
  // ln x = 2·atanh(z), z = (x-1)/(x+1): z + z³/3 + z⁵/5 + ...
  const z = divRound(add(x, finite(-1n, 0)), add(x, NUMERIC_ONE), local);
  const z2 = mulRound(z, z, local);
  let result = z;
  let power = z;
  for (let n = 3n; ; n += 2n) {
    power = mulRound(power, z2, local);
    const term = divIntRound(power, n, local);
    if (term.unscaled === 0n) break;
    result = add(result, term);
    if (nbaseWeight(term) < nbaseWeight(result) - Math.trunc((local * 2) / NBASE_DIGITS)) break;
  }
  return mulRound(result, finite(1n << BigInt(roots + 1), 0), rscale);
}

const POINT_NINE = finite(9n, 1);
const ONE_POINT_ONE = finite(11n, 1);

/** estimate_ln_dweight: the decimal weight numeric.c expects ln(x) to have. */
export function estimateLnDweight(x: FiniteNumeric): number {
  if (x.unscaled <= 0n) return 0;
  if (numericCmp(x, POINT_NINE) >= 0 && numericCmp(x, ONE_POINT_ONE) <= 0) {
    // ln(1 + d) ≈ d
    const delta = finite(x.unscaled - pow10(x.scale), x.scale);
    return delta.unscaled === 0n ? 0 : decimalWeight(delta);
  }
  const { weight, digits } = nbaseDigits(x);
  let lead = digits[0]!;
  let dweight = weight * NBASE_DIGITS;
  if (digits.length > 1) {
    lead = lead * 10000 + digits[1]!;
    dweight -= NBASE_DIGITS;
  }
  const lnVar = Math.log(lead) + dweight * Math.LN10;
  return Math.trunc(Math.log10(Math.abs(lnVar)));
}

// ---------------------------------------------------------------------------------------------
// The SQL functions

/** sqrt(): at least 16 significant digits, not below the input's scale; 2201F for negatives. */
export function numericSqrt(n: Numeric): Numeric {
  if (n.kind === 'nan') return n;
  if (n.kind === 'inf' ? n.negative : n.unscaled < 0n) {
    throw new ChorusError('2201F', 'cannot take square root of a negative number');
  }
  if (n.kind === 'inf') return n;
  const sweight = 2 * nbaseDigits(n).weight + 1;
  return sqrtRounded(n, clampScale(Math.max(NUMERIC_MIN_SIG_DIGITS - sweight, n.scale)));
}

/** sqrt_var: the square root of x ≥ 0 rounded half away from zero at rscale (which may be negative). */
export function sqrtRounded(x: FiniteNumeric, rscale: number): FiniteNumeric {
  const shift = 2 * (rscale + 1) - x.scale;
  const radicand = shift >= 0 ? x.unscaled * pow10(shift) : x.unscaled / pow10(-shift);
  const root = isqrt(radicand); // floor(sqrt(x) · 10^(rscale+1))
  const rounded = (root + 5n) / 10n;
  return rscale >= 0 ? finite(rounded, rscale) : finite(rounded * pow10(-rscale), 0);
}

/** exp(): scale from the float8 estimate of the result's weight; exp(-Infinity) = 0. */
export function numericExp(n: Numeric): Numeric {
  if (n.kind === 'nan') return n;
  if (n.kind === 'inf') return n.negative ? NUMERIC_ZERO : n;
  const weight = Math.min(Math.max(toDouble(n) * LOG10_E, -2000), 2000);
  return expRounded(n, clampScale(Math.max(NUMERIC_MIN_SIG_DIGITS - Math.trunc(weight), n.scale)));
}

/** ln(): 2201E for zero and negatives. */
export function numericLn(n: Numeric): Numeric {
  if (n.kind === 'nan') return n;
  if (n.kind === 'inf') {
    if (n.negative) throw new ChorusError('2201E', 'cannot take logarithm of a negative number');
    return n;
  }
  const rscale = clampScale(Math.max(NUMERIC_MIN_SIG_DIGITS - estimateLnDweight(n), n.scale));
  return lnRounded(n, rscale);
}

/** log(base, x) (log_var): ln(x) / ln(base), each logarithm rounded at its own scale first. */
export function numericLog(base: Numeric, x: Numeric): Numeric {
  if (base.kind !== 'finite' || x.kind !== 'finite') {
    if (base.kind === 'nan' || x.kind === 'nan') return NUMERIC_NAN;
    const signs = [numericSignum(base), numericSignum(x)];
    if (signs.some((s) => s < 0))
      throw new ChorusError('2201E', 'cannot take logarithm of a negative number');
    if (signs.some((s) => s === 0)) throw new ChorusError('2201E', 'cannot take logarithm of zero');
    if (base.kind === 'inf') return x.kind === 'inf' ? NUMERIC_NAN : NUMERIC_ZERO;
    return NUMERIC_POS_INFINITY;
  }
  const baseDweight = estimateLnDweight(base);
  const xDweight = estimateLnDweight(x);
  const resultDweight = xDweight - baseDweight;
  const rscale = clampScale(Math.max(NUMERIC_MIN_SIG_DIGITS - resultDweight, base.scale, x.scale));
  const lnBase = lnRounded(base, Math.max(rscale + resultDweight - baseDweight + 8, 0));
  const lnX = lnRounded(x, Math.max(rscale + resultDweight - xDweight + 8, 0));
  if (lnBase.unscaled === 0n) throw divisionByZero();
  return checkNumericRange(divRound(lnX, lnBase, rscale));
}

/** log10(x) and one-argument log(x): log(10, x). */
export function numericLog10(x: Numeric): Numeric {
  return numericLog(finite(10n, 0), x);
}

function powerError(message: string): ChorusError {
  return new ChorusError('2201F', message);
}

/** power() and ^ (numeric_power): POSIX pow() rules for NaN and infinities, then power_var. */
export function numericPower(base: Numeric, exp: Numeric): Numeric {
  const sign1 = numericSignum(base);
  const sign2 = numericSignum(exp);
  if (base.kind !== 'finite' || exp.kind !== 'finite') {
    if (base.kind === 'nan') return exp.kind === 'finite' && sign2 === 0 ? NUMERIC_ONE : NUMERIC_NAN;
    if (exp.kind === 'nan') {
      return base.kind === 'finite' && base.unscaled === pow10(base.scale) ? NUMERIC_ONE : NUMERIC_NAN;
    }
    if (sign1 === 0 && sign2 < 0) throw powerError('zero raised to a negative power is undefined');
    if (sign1 < 0 && !isIntegral(exp)) {
      throw powerError('a negative number raised to a non-integer power yields a complex result');
    }
    if (base.kind === 'finite' && base.unscaled === pow10(base.scale)) return NUMERIC_ONE;
    if (sign2 === 0) return NUMERIC_ONE;
    if (sign1 === 0 && sign2 > 0) return NUMERIC_ZERO;
    if (exp.kind === 'inf') {
      if (base.kind === 'finite' && base.unscaled === -pow10(base.scale)) return NUMERIC_ONE;
      const absGreaterThanOne =
        base.kind === 'inf' || absBig(base.unscaled) > pow10((base as FiniteNumeric).scale);
      return absGreaterThanOne === sign2 > 0 ? NUMERIC_POS_INFINITY : NUMERIC_ZERO;
    }
    if (base.kind === 'inf' && !base.negative) return sign2 > 0 ? NUMERIC_POS_INFINITY : NUMERIC_ZERO;
    // base is -Infinity, exp finite and nonzero
    if (sign2 < 0) return NUMERIC_ZERO;
    return isOddInteger(exp) ? base : NUMERIC_POS_INFINITY;
  }
  if (sign1 === 0 && sign2 < 0) throw powerError('zero raised to a negative power is undefined');
  return checkNumericRange(powerFinite(base, exp));
}

function isOddInteger(n: FiniteNumeric): boolean {
  return isIntegral(n) && (n.unscaled / pow10(n.scale)) % 2n !== 0n;
}

const INT32_LIMIT = 2n ** 31n;

/** power_var: integer exponents in int32 range go to powerInteger, others through exp(y·ln x). */
function powerFinite(base: FiniteNumeric, exp: FiniteNumeric): FiniteNumeric {
  if (isIntegral(exp)) {
    const n = exp.unscaled / pow10(exp.scale);
    if (n >= -INT32_LIMIT && n < INT32_LIMIT) {
      return powerInteger(base, Number(n), clampScale(Math.max(NUMERIC_MIN_SIG_DIGITS, base.scale)));
    }
  }
  if (base.unscaled === 0n) return finite(0n, NUMERIC_MIN_SIG_DIGITS);
  let negate = false;
  let x = base;
  if (base.unscaled < 0n) {
    if (!isIntegral(exp)) {
      throw powerError('a negative number raised to a non-integer power yields a complex result');
    }
    negate = isOddInteger(exp);
    x = finite(-base.unscaled, base.scale);
  }
  // A low-precision exp·ln(x) sets the result scale, as power_var does.
  const lnDweight = estimateLnDweight(x);
  const roughScale = Math.max(8 - lnDweight, 0);
  const rough = roundFinite(
    finite(lnRounded(x, roughScale).unscaled * exp.unscaled, roughScale + exp.scale),
    roughScale,
  );
  let val = toDouble(rough);
  if (Math.abs(val) > POWER_ESTIMATE_LIMIT) {
    if (val > 0) throw numericOverflow();
    return finite(0n, NUMERIC_MAX_DISPLAY_SCALE_DIGITS);
  }
  val *= LOG10_E;
  const rscale = clampScale(Math.max(NUMERIC_MIN_SIG_DIGITS - Math.trunc(val), x.scale, exp.scale));
  const sigDigits = Math.max(rscale + Math.trunc(val), 0);
  const lnScale = Math.max(sigDigits - lnDweight + 8, 0);
  const lnNum = roundFinite(
    finite(lnRounded(x, lnScale).unscaled * exp.unscaled, lnScale + exp.scale),
    lnScale,
  );
  const result = expRounded(lnNum, rscale);
  return negate ? (numericNeg(result) as FiniteNumeric) : result;
}

/** power_var_int: base^n for an int32 n, at rscale = max(16, base scale). */
function powerInteger(base: FiniteNumeric, n: number, rscale: number): FiniteNumeric {
  if (n === 0) return finite(pow10(rscale), rscale);
  if (n === 1) return roundFinite(base, rscale);
  if (n === -1) return divRound(NUMERIC_ONE, base, rscale);
  if (n === 2) return roundFinite(finite(base.unscaled * base.unscaled, 2 * base.scale), rscale);
  if (base.unscaled === 0n) return finite(0n, rscale);
  // power_var_int's estimate of log10(result) from the leading base-10000 digits
  const { weight, digits } = nbaseDigits(base);
  let lead = digits[0]!;
  let p = weight * NBASE_DIGITS;
  for (let i = 1; i < digits.length && i * NBASE_DIGITS < 16; i++) {
    lead = lead * 10000 + digits[i]!;
    p -= NBASE_DIGITS;
  }
  const f = n * (Math.log10(lead) + p);
  if (f > POWER_INT_ESTIMATE_LIMIT) throw numericOverflow();
  if (f + 1 < -rscale || f + 1 < -NUMERIC_MAX_DISPLAY_SCALE_DIGITS) return finite(0n, rscale);
  if (f > NUMERIC_MAX_INTEGER_DIGITS + 1) throw numericOverflow(); // certain: do not build it
  const u = absBig(base.unscaled);
  const count = Math.abs(n);
  const negative = base.unscaled < 0n && count % 2 === 1;
  const size = digitCount(u) * count;
  const exact =
    size <= EXACT_POWER_MAX_DIGITS ||
    (n > 0 && base.scale * count <= rscale + 1) ||
    (n < 0 && size <= EXACT_POWER_TIE_MAX_DIGITS && onlyTwosAndFives(u));
  let result: FiniteNumeric;
  if (exact) {
    const power = finite(u ** BigInt(count), base.scale * count);
    result = n > 0 ? roundFinite(power, rscale) : divRound(NUMERIC_ONE, power, rscale);
  } else {
    result = roundApproximation(rscale, (guard) => powerApproximation(u, base.scale, n, f, rscale, guard));
  }
  return negative ? finite(-result.unscaled, result.scale) : result;
}

function onlyTwosAndFives(u: bigint): boolean {
  let v = u;
  while (v % 2n === 0n) v /= 2n;
  while (v % 5n === 0n) v /= 5n;
  return v === 1n;
}

/** (u·10^-s)^n at scale rscale + guard, by binary powering that keeps enough leading digits. */
function powerApproximation(
  u: bigint,
  s: number,
  n: number,
  f: number,
  rscale: number,
  guard: number,
): bigint {
  const count = Math.abs(n);
  const keep = Math.max(Math.ceil(f) + 2 + rscale, 1) + guard + APPROX_ERROR_DIGITS + String(count).length;
  // mantissa × 10^exponent, truncated to `keep` digits after each product
  const trim = (m: bigint, e: number): [bigint, number] => {
    const excess = digitCount(m) - keep;
    return excess > 0 ? [m / pow10(excess), e + excess] : [m, e];
  };
  let [bm, be] = trim(u, -s);
  let rm = 1n;
  let re = 0;
  for (let bits = count; bits > 0; bits >>= 1) {
    if (bits & 1) [rm, re] = trim(rm * bm, re + be);
    if (bits > 1) [bm, be] = trim(bm * bm, be + be);
  }
  const target = rscale + guard;
  if (n > 0) return re + target >= 0 ? rm * pow10(re + target) : rm / pow10(-(re + target));
  // 1 / (rm · 10^re) at scale target
  const shift = target - re;
  return shift >= 0 ? pow10(shift) / rm : 0n;
}
