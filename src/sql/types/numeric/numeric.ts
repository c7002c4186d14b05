// PostgreSQL 15 `numeric`: the value type and its limits, text input and output (numeric_in and
// numeric_out), type modifiers (numeric(p,s)) and comparison. The other numeric files build on
// this one: numeric-arith.ts (arithmetic, rounding, gcd/lcm, width_bucket), numeric-math.ts
// (sqrt, exp, ln, log, power), numeric-convert.ts (integers and float8), numeric-agg.ts (sum,
// avg, variance), numeric-key.ts (the storage key and the wire binary format).

import { ChorusError } from '../../../errors.js';

/** A numeric value: unscaled × 10^-scale, where scale is PostgreSQL's display scale (dscale). */
export type Numeric =
  | { kind: 'finite'; unscaled: bigint; scale: number }
  | { kind: 'nan' }
  | { kind: 'inf'; negative: boolean };

export type FiniteNumeric = Extract<Numeric, { kind: 'finite' }>;

/** numeric(p,s): largest precision, and the range of the scale (PostgreSQL 15 allows s < 0 and s > p). */
export const NUMERIC_MAX_PRECISION_DIGITS = 1000;
export const NUMERIC_MIN_TYPMOD_SCALE_DIGITS = -1000;
export const NUMERIC_MAX_TYPMOD_SCALE_DIGITS = 1000;
/** Largest scale a computed result chooses for itself (division, sqrt, exp, ln, log, power). */
export const NUMERIC_MAX_DISPLAY_SCALE_DIGITS = 1000;
/** Computed results get at least this many significant digits. */
export const NUMERIC_MIN_SIG_DIGITS = 16;
/** Largest display scale a stored value may have (NUMERIC_DSCALE_MAX). */
export const NUMERIC_MAX_STORED_SCALE_DIGITS = 0x3fff;
/** A value must be below 10^this: (NUMERIC_WEIGHT_MAX + 1) base-10000 digits before the point. */
export const NUMERIC_MAX_INTEGER_DIGITS = 131072;
/** Typmods are (precision << 16 | scale & 0x7ff) plus this offset (VARHDRSZ). */
export const NUMERIC_TYPMOD_OFFSET_BYTES = 4;

export const NUMERIC_NAN: Numeric = Object.freeze({ kind: 'nan' });
export const NUMERIC_POS_INFINITY: Numeric = Object.freeze({ kind: 'inf', negative: false });
export const NUMERIC_NEG_INFINITY: Numeric = Object.freeze({ kind: 'inf', negative: true });

export function finite(unscaled: bigint, scale: number): FiniteNumeric {
  return { kind: 'finite', unscaled, scale };
}

export const NUMERIC_ZERO: FiniteNumeric = Object.freeze(finite(0n, 0));
export const NUMERIC_ONE: FiniteNumeric = Object.freeze(finite(1n, 0));

export function numericOverflow(): ChorusError {
  return new ChorusError('22003', 'value overflows numeric format');
}

const POW10_CACHE_SIZE = 2048;
const pow10Cache: bigint[] = [1n];

/** 10^n as a bigint (n ≥ 0). */
export function pow10(n: number): bigint {
  if (n < POW10_CACHE_SIZE) {
    for (let i = pow10Cache.length; i <= n; i++) pow10Cache.push(pow10Cache[i - 1]! * 10n);
    return pow10Cache[n]!;
  }
  return 10n ** BigInt(n);
}

export function absBig(v: bigint): bigint {
  return v < 0n ? -v : v;
}

/** Number of decimal digits of |v| (1 for zero). */
export function digitCount(v: bigint): number {
  return absBig(v).toString().length;
}

/** floor(log10 |n|) for a nonzero finite value: the position of its first significant digit. */
export function decimalWeight(n: FiniteNumeric): number {
  return digitCount(n.unscaled) - 1 - n.scale;
}

/** -1, 0 or 1 for finite values and infinities (NaN has no sign: callers handle it first). */
export function numericSignum(n: Numeric): number {
  if (n.kind === 'inf') return n.negative ? -1 : 1;
  if (n.kind === 'nan') return 0;
  return n.unscaled === 0n ? 0 : n.unscaled < 0n ? -1 : 1;
}

/** True for finite values with no fractional digits and for infinities (numeric_is_integral). */
export function isIntegral(n: Numeric): boolean {
  if (n.kind !== 'finite') return n.kind === 'inf';
  return n.scale === 0 || n.unscaled % pow10(n.scale) === 0n;
}

/** make_result's check: the value must fit PostgreSQL's storage (weight and display scale). */
export function checkNumericRange<T extends Numeric>(n: T): T {
  if (n.kind !== 'finite') return n;
  if (n.scale > NUMERIC_MAX_STORED_SCALE_DIGITS) throw numericOverflow();
  if (n.unscaled !== 0n && decimalWeight(n) >= NUMERIC_MAX_INTEGER_DIGITS) throw numericOverflow();
  return n;
}

/**
 * u (at scale `from`) rounded half away from zero to scale `to` (which may be negative: rounding
 * before the decimal point), returned as an integer counting units of 10^-to.
 */
export function roundUnscaled(u: bigint, from: number, to: number): bigint {
  if (to >= from) return u * pow10(to - from);
  const d = pow10(from - to);
  const q = u / d;
  const r = absBig(u % d);
  if (r * 2n >= d) return u < 0n ? q - 1n : q + 1n;
  return q;
}

/** Like roundUnscaled but truncating toward zero. */
export function truncUnscaled(u: bigint, from: number, to: number): bigint {
  if (to >= from) return u * pow10(to - from);
  return u / pow10(from - to);
}

/** round_var: n rounded to `scale` digits (negative: before the point); display scale max(scale, 0). */
export function roundFinite(n: FiniteNumeric, scale: number): FiniteNumeric {
  const q = roundUnscaled(n.unscaled, n.scale, scale);
  return scale >= 0 ? finite(q, scale) : finite(q * pow10(-scale), 0);
}

/** trunc_var: like roundFinite, truncating toward zero. */
export function truncFinite(n: FiniteNumeric, scale: number): FiniteNumeric {
  const q = truncUnscaled(n.unscaled, n.scale, scale);
  return scale >= 0 ? finite(q, scale) : finite(q * pow10(-scale), 0);
}

/** The value with trailing fractional zeros removed (display scale = min_scale). */
export function stripFinite(n: FiniteNumeric): FiniteNumeric {
  if (n.unscaled === 0n) return finite(0n, 0);
  if (n.scale === 0) return n;
  const digits = absBig(n.unscaled).toString();
  let zeros = 0;
  while (zeros < n.scale && digits[digits.length - 1 - zeros] === '0') zeros++;
  return zeros === 0 ? n : finite(n.unscaled / pow10(zeros), n.scale - zeros);
}

/** The two values' unscaled integers brought to their common (larger) scale. */
export function alignScales(a: FiniteNumeric, b: FiniteNumeric): [bigint, bigint, number] {
  const s = Math.max(a.scale, b.scale);
  return [a.unscaled * pow10(s - a.scale), b.unscaled * pow10(s - b.scale), s];
}

/**
 * The value in PostgreSQL's base-10000 form (NumericVar after strip_var): weight of the first
 * digit and the digits without leading or trailing zero digits. Zero has weight 0 and no digits.
 */
export function nbaseDigits(n: FiniteNumeric): { weight: number; digits: number[] } {
  if (n.unscaled === 0n) return { weight: 0, digits: [] };
  const fracPad = (4 - (n.scale % 4)) % 4;
  let text = absBig(n.unscaled).toString() + '0'.repeat(fracPad);
  const fracGroups = (n.scale + fracPad) / 4;
  text = '0'.repeat((4 - (text.length % 4)) % 4) + text;
  const digits: number[] = [];
  for (let i = 0; i < text.length; i += 4) digits.push(Number(text.slice(i, i + 4)));
  let weight = digits.length - 1 - fracGroups;
  while (digits[0] === 0) {
    digits.shift();
    weight--;
  }
  while (digits[digits.length - 1] === 0) digits.pop();
  return { weight, digits };
}

// ---------------------------------------------------------------------------------------------
// Text input and output

const INT_HALF_MAX = 1073741823; // INT_MAX / 2: exponents beyond this overflow at once

function badNumericInput(text: string): ChorusError {
  return new ChorusError('22P02', `invalid input syntax for type numeric: "${text}"`);
}

function isCSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

const SPECIAL_SPELLINGS: ReadonlyArray<[string, Numeric]> = [
  ['nan', NUMERIC_NAN],
  ['infinity', NUMERIC_POS_INFINITY],
  ['+infinity', NUMERIC_POS_INFINITY],
  ['-infinity', NUMERIC_NEG_INFINITY],
  ['inf', NUMERIC_POS_INFINITY],
  ['+inf', NUMERIC_POS_INFINITY],
  ['-inf', NUMERIC_NEG_INFINITY],
];

/** A scanned decimal literal: value = (negative ? -1 : 1) × digits × 10^exp10, with its display scale. */
interface ScannedDecimal {
  negative: boolean;
  digits: string;
  exp10: number;
  dscale: number;
}

/** set_var_from_str's grammar; returns the literal and the index just after it. */
function scanDecimal(text: string, start: number): [ScannedDecimal, number] {
  let i = start;
  let negative = false;
  if (text[i] === '+' || text[i] === '-') negative = text[i++] === '-';
  let haveDot = false;
  if (text[i] === '.') {
    haveDot = true;
    i++;
  }
  if (!isDigit(text[i])) throw badNumericInput(text);
  let digits = '';
  let fracDigits = 0;
  for (;;) {
    const c = text[i];
    if (isDigit(c)) {
      digits += c;
      if (haveDot) fracDigits++;
      i++;
    } else if (c === '.') {
      if (haveDot) throw badNumericInput(text);
      haveDot = true;
      i++;
    } else break;
  }
  let exponent = 0;
  if (text[i] === 'e' || text[i] === 'E') {
    // strtol: optional white space, optional sign, at least one digit
    let j = i + 1;
    while (isCSpace(text[j])) j++;
    let expNegative = false;
    if (text[j] === '+' || text[j] === '-') expNegative = text[j++] === '-';
    const digitsStart = j;
    while (isDigit(text[j])) j++;
    if (j === digitsStart) throw badNumericInput(text);
    const magnitude = text.slice(digitsStart, j).replace(/^0+(?=\d)/, '');
    if (magnitude.length > 10 || Number(magnitude) >= INT_HALF_MAX) throw numericOverflow();
    exponent = expNegative ? -Number(magnitude) : Number(magnitude);
    i = j;
  }
  const exp10 = exponent - fracDigits;
  return [{ negative, digits, exp10, dscale: Math.max(0, -exp10) }, i];
}

/** The literal as a value, checked against the storage limits (make_result). */
function materialize(d: ScannedDecimal): FiniteNumeric {
  const stripped = d.digits.replace(/^0+/, '');
  if (d.dscale > NUMERIC_MAX_STORED_SCALE_DIGITS) throw numericOverflow();
  if (stripped === '') return finite(0n, d.dscale);
  if (stripped.length - 1 + d.exp10 >= NUMERIC_MAX_INTEGER_DIGITS) throw numericOverflow();
  let u = BigInt(stripped);
  if (d.exp10 > 0) u *= pow10(d.exp10);
  return finite(d.negative ? -u : u, d.dscale);
}

/** The literal under numeric(p,s), without building digits the rounding would discard. */
function materializeWithTypmod(d: ScannedDecimal, precision: number, scale: number): FiniteNumeric {
  const stripped = d.digits.replace(/^0+/, '');
  if (stripped === '') return applyTypmodFinite(finite(0n, 0), precision, scale);
  const weight = stripped.length - 1 + d.exp10;
  // Rounding never lowers the count of integer digits when it is already too large.
  if (weight + 1 > precision - scale) throw typmodOverflow(precision, scale);
  // Values below half a unit of the last kept digit round to zero.
  if (weight <= -scale - 2) return applyTypmodFinite(finite(0n, 0), precision, scale);
  // Keep one digit past the scale: half-away rounding looks at that digit only.
  let keep = stripped;
  let exp10 = d.exp10;
  if (-exp10 > scale + 1) {
    keep = stripped.slice(0, stripped.length - (-exp10 - (scale + 1)));
    exp10 = -(scale + 1);
  }
  const u = BigInt(keep === '' ? '0' : keep) * (exp10 > 0 ? pow10(exp10) : 1n);
  return applyTypmodFinite(finite(d.negative ? -u : u, Math.max(0, -exp10)), precision, scale);
}

/**
 * numeric_in: PostgreSQL 15's text input (white space around the value, sign, digits with one
 * '.', exponent, NaN and the infinity spellings in any case), then the typmod if one is given
 * (PostgreSQL's encoding; -1 for none). Errors: 22P02 for bad syntax, 22003 for overflow.
 */
export function parseNumeric(text: string, typmod = -1): Numeric {
  let i = 0;
  while (isCSpace(text[i])) i++;
  const lower = text.slice(i, i + 9).toLowerCase();
  for (const [spelling, value] of SPECIAL_SPELLINGS) {
    if (!lower.startsWith(spelling)) continue;
    let j = i + spelling.length;
    while (isCSpace(text[j])) j++;
    if (j !== text.length) throw badNumericInput(text);
    return applyNumericTypmod(value, typmod);
  }
  const [scanned, end] = scanDecimal(text, i);
  let j = end;
  while (isCSpace(text[j])) j++;
  if (j !== text.length) throw badNumericInput(text);
  if (typmod < NUMERIC_TYPMOD_OFFSET_BYTES) return materialize(scanned);
  return materializeWithTypmod(scanned, numericTypmodPrecision(typmod), numericTypmodScale(typmod));
}

/** numeric_out: plain notation with exactly `scale` fractional digits; NaN, Infinity, -Infinity. */
export function numericToText(n: Numeric): string {
  if (n.kind === 'nan') return 'NaN';
  if (n.kind === 'inf') return n.negative ? '-Infinity' : 'Infinity';
  const digits = absBig(n.unscaled).toString();
  const sign = n.unscaled < 0n ? '-' : '';
  if (n.scale === 0) return sign + digits;
  const padded = digits.padStart(n.scale + 1, '0');
  const cut = padded.length - n.scale;
  return `${sign}${padded.slice(0, cut)}.${padded.slice(cut)}`;
}

// ---------------------------------------------------------------------------------------------
// Type modifiers

/** numerictypmodin: the typmod of numeric(precision, scale), with PostgreSQL's range errors. */
export function makeNumericTypmod(precision: number, scale = 0): number {
  if (!Number.isInteger(precision) || precision < 1 || precision > NUMERIC_MAX_PRECISION_DIGITS) {
    throw new ChorusError(
      '22023',
      `NUMERIC precision ${precision} must be between 1 and ${NUMERIC_MAX_PRECISION_DIGITS}`,
    );
  }
  if (
    !Number.isInteger(scale) ||
    scale < NUMERIC_MIN_TYPMOD_SCALE_DIGITS ||
    scale > NUMERIC_MAX_TYPMOD_SCALE_DIGITS
  ) {
    throw new ChorusError(
      '22023',
      `NUMERIC scale ${scale} must be between ${NUMERIC_MIN_TYPMOD_SCALE_DIGITS} and ${NUMERIC_MAX_TYPMOD_SCALE_DIGITS}`,
    );
  }
  return ((precision << 16) | (scale & 0x7ff)) + NUMERIC_TYPMOD_OFFSET_BYTES;
}

export function numericTypmodPrecision(typmod: number): number {
  return ((typmod - NUMERIC_TYPMOD_OFFSET_BYTES) >> 16) & 0xffff;
}

/** The scale is an 11-bit two's complement field. */
export function numericTypmodScale(typmod: number): number {
  return (((typmod - NUMERIC_TYPMOD_OFFSET_BYTES) & 0x7ff) ^ 1024) - 1024;
}

/** The numeric(p,s) coercion with an encoded typmod; typmods below 4 (-1) mean none. */
export function applyNumericTypmod(n: Numeric, typmod: number): Numeric {
  if (typmod < NUMERIC_TYPMOD_OFFSET_BYTES) return n;
  return applyTypmod(n, numericTypmodPrecision(typmod), numericTypmodScale(typmod));
}

/**
 * Round to `scale` (half away from zero; negative scales round before the point; the display
 * scale becomes max(scale, 0)) and check the precision: 22003 "numeric field overflow". NaN
 * passes, infinities never fit.
 */
export function applyTypmod(n: Numeric, precision: number, scale: number): Numeric {
  if (n.kind === 'nan') return n;
  if (n.kind === 'inf') {
    throw new ChorusError('22003', 'numeric field overflow', {
      detail: `A field with precision ${precision}, scale ${scale} cannot hold an infinite value.`,
    });
  }
  return applyTypmodFinite(n, precision, scale);
}

function applyTypmodFinite(n: FiniteNumeric, precision: number, scale: number): FiniteNumeric {
  const rounded = roundFinite(n, scale);
  if (rounded.unscaled !== 0n && decimalWeight(rounded) + 1 > precision - scale) {
    throw typmodOverflow(precision, scale);
  }
  return rounded;
}

function typmodOverflow(precision: number, scale: number): ChorusError {
  const maxDigits = precision - scale;
  const limit = maxDigits === 0 ? '1' : `10^${maxDigits}`;
  return new ChorusError('22003', 'numeric field overflow', {
    detail: `A field with precision ${precision}, scale ${scale} must round to an absolute value less than ${limit}.`,
  });
}

// ---------------------------------------------------------------------------------------------
// Comparison

/** cmp_numerics: NaN equals NaN and sorts above everything, then +Infinity; -Infinity lowest. */
export function numericCmp(a: Numeric, b: Numeric): -1 | 0 | 1 {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  if (a.kind !== 'finite' || b.kind !== 'finite') return 0;
  const [x, y] = alignScales(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function rank(n: Numeric): number {
  if (n.kind === 'nan') return 2;
  if (n.kind === 'inf') return n.negative ? -2 : 1;
  return 0;
}
