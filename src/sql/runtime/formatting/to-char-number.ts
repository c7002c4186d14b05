// to_char(int | float | numeric, text) as PostgreSQL 15 prints it (formatting.c's NUMDesc_prepare,
// the per-type preparation of *_to_char and NUM_processor), in the C locale: 9 0 . , D G S PR MI PL
// SG L (a blank currency symbol) V EEEE RN TH FM, with its quirks (overflow as '#', FM trimming).

import { ChorusError } from '../../../errors.js';
import {
  digitCount,
  type FiniteNumeric,
  finite,
  type Numeric,
  numericToText,
} from '../../types/numeric/numeric.js';
import { divRound, numericMul, numericRound } from '../../types/numeric/numeric-arith.js';
import { numericToInt } from '../../types/numeric/numeric-convert.js';
import { formatExponent, formatFixed } from './float-text.js';
import { type FormatNode, parseFormat } from './format-parse.js';
import { ordinalSuffix } from './to-char-datetime.js';

/** A value to format: integers as bigint (int2/int4/int8), floats with their width, numerics. */
export type NumberValue =
  | { kind: 'int'; value: bigint; bits: 16 | 32 | 64 }
  | { kind: 'float'; value: number; float4: boolean }
  | { kind: 'numeric'; value: Numeric };

/** PostgreSQL's NUMDesc. */
export interface NumDesc {
  pre: number;
  post: number;
  lsign: 'none' | 'pre' | 'post';
  preLsignNum: number;
  multi: number;
  zeroStart: number;
  zeroEnd: number;
  decimal: boolean;
  zero: boolean;
  blank: boolean;
  fillMode: boolean;
  localeSign: boolean;
  bracket: boolean;
  minus: boolean;
  plus: boolean;
  roman: boolean;
  multiply: boolean;
  eeee: boolean;
}

const syntax = (m: string, detail?: string) => new ChorusError('42601', m, { detail });

/** NUMDesc_prepare over the picture's keywords. */
export function describe(nodes: readonly FormatNode[]): NumDesc {
  const d: NumDesc = {
    pre: 0,
    post: 0,
    lsign: 'none',
    preLsignNum: 0,
    multi: 0,
    zeroStart: 0,
    zeroEnd: 0,
    decimal: false,
    zero: false,
    blank: false,
    fillMode: false,
    localeSign: false,
    bracket: false,
    minus: false,
    plus: false,
    roman: false,
    multiply: false,
    eeee: false,
  };
  for (const n of nodes) {
    if (n.kind !== 'key') continue;
    const k = n.key;
    if (d.eeee && k !== 'EEEE') throw syntax('"EEEE" must be the last pattern used');
    switch (k) {
      case '9':
        if (d.bracket) throw syntax('"9" must be ahead of "PR"');
        if (d.multiply) d.multi++;
        else if (d.decimal) d.post++;
        else d.pre++;
        break;
      case '0':
        if (d.bracket) throw syntax('"0" must be ahead of "PR"');
        if (!d.zero && !d.decimal) {
          d.zero = true;
          d.zeroStart = d.pre + 1;
        }
        if (!d.decimal) d.pre++;
        else d.post++;
        d.zeroEnd = d.pre + d.post;
        break;
      case 'B':
        if (d.pre === 0 && d.post === 0 && !d.zero) d.blank = true;
        break;
      case 'D':
      case '.':
        if (d.decimal) throw syntax('multiple decimal points');
        if (d.multiply) throw syntax('cannot use "V" and decimal point together');
        d.decimal = true;
        break;
      case 'FM':
        d.fillMode = true;
        break;
      case 'S':
        if (d.localeSign) throw syntax('cannot use "S" twice');
        if (d.plus || d.minus || d.bracket) throw syntax('cannot use "S" and "PL"/"MI"/"SG"/"PR" together');
        if (!d.decimal) {
          d.lsign = 'pre';
          d.preLsignNum = d.pre;
          d.localeSign = true;
        } else if (d.lsign === 'none') {
          d.lsign = 'post';
          d.localeSign = true;
        }
        break;
      case 'MI':
        if (d.localeSign) throw syntax('cannot use "S" and "MI" together');
        d.minus = true;
        break;
      case 'PL':
        if (d.localeSign) throw syntax('cannot use "S" and "PL" together');
        d.plus = true;
        break;
      case 'SG':
        if (d.localeSign) throw syntax('cannot use "S" and "SG" together');
        d.minus = true;
        d.plus = true;
        break;
      case 'PR':
        if (d.localeSign || d.plus || d.minus)
          throw syntax('cannot use "PR" and "S"/"PL"/"MI"/"SG" together');
        d.bracket = true;
        break;
      case 'rn':
      case 'RN':
        d.roman = true;
        break;
      case 'V':
        if (d.decimal) throw syntax('cannot use "V" and decimal point together');
        d.multiply = true;
        break;
      case 'EEEE':
        if (d.eeee) throw syntax('cannot use "EEEE" twice');
        if (
          d.blank ||
          d.fillMode ||
          d.localeSign ||
          d.bracket ||
          d.minus ||
          d.plus ||
          d.roman ||
          d.multiply
        ) {
          throw syntax(
            '"EEEE" is incompatible with other formats',
            '"EEEE" may only be used together with digit and decimal point patterns.',
          );
        }
        d.eeee = true;
        break;
      default:
    }
  }
  return d;
}

/** int_to_roman: 1..3999, else fifteen '#'. */
function toRoman(n: number): string {
  if (n > 3999 || n < 1) return '#'.repeat(15);
  const r1 = ['I', 'II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'IX'];
  const r10 = ['X', 'XX', 'XXX', 'XL', 'L', 'LX', 'LXX', 'LXXX', 'XC'];
  const r100 = ['C', 'CC', 'CCC', 'CD', 'D', 'DC', 'DCC', 'DCCC', 'CM'];
  const s = String(n);
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const digit = Number(s[i]) - 1;
    if (digit < 0) continue;
    const place = s.length - i;
    if (place > 3) out += 'M'.repeat(digit + 1);
    else out += (place === 3 ? r100 : place === 2 ? r10 : r1)[digit];
  }
  return out;
}

/** numeric_out_sci: d.ddd (rscale digits) e±XX, the exponent from the first significant digit. */
function numericSci(n: Numeric, rscale: number): string {
  if (n.kind === 'nan') return 'NaN';
  if (n.kind === 'inf') return n.negative ? '-Infinity' : 'Infinity';
  const scale = Math.max(rscale, 0);
  const exponent =
    n.unscaled === 0n ? 0 : digitCount(n.unscaled < 0n ? -n.unscaled : n.unscaled) - 1 - n.scale;
  const power = exponent >= 0 ? finite(10n ** BigInt(exponent), 0) : finite(1n, -exponent);
  const sig = divRound(n, power, scale);
  const e = Math.abs(exponent).toString().padStart(2, '0');
  return `${numericToText(sig)}e${exponent < 0 ? '-' : '+'}${e}`;
}

/** The digits, sign and leading blanks NUM_processor starts from (each *_to_char's own part). */
function prepare(v: NumberValue, d: NumDesc): { numstr: string; sign: string; outPreSpaces: number } {
  const hashes = () => {
    const s = '#'.repeat(d.pre + d.post + 1).split('');
    s[d.pre] = '.';
    return s.join('');
  };
  /** The common tail: sign split off, pre-digits counted, blanks or overflow. */
  const finish = (text: string, withPost: (digits: string) => string = (s) => s) => {
    const negative = text.startsWith('-');
    let numstr = withPost(negative ? text.slice(1) : text);
    const dot = numstr.indexOf('.');
    const preLen = dot >= 0 ? dot : numstr.length;
    let outPreSpaces = 0;
    if (preLen < d.pre) outPreSpaces = d.pre - preLen;
    else if (preLen > d.pre) numstr = hashes();
    return { numstr, sign: negative ? '-' : '+', outPreSpaces };
  };
  if (v.kind === 'numeric') {
    if (d.roman) {
      const r = numericRound(v.value, 0);
      return { numstr: toRoman(Number(numericToInt(r, 32))), sign: '', outPreSpaces: 0 };
    }
    if (d.eeee) {
      const s = numericSci(v.value, d.post);
      if (s === 'NaN' || s === 'Infinity' || s === '-Infinity') {
        const h = ` ${'#'.repeat(d.pre + d.post + 5)}`.split('');
        h[d.pre + 1] = '.';
        return { numstr: h.join(''), sign: '', outPreSpaces: 0 };
      }
      return { numstr: s.startsWith('-') ? s : ` ${s}`, sign: '', outPreSpaces: 0 };
    }
    let val = v.value;
    if (d.multiply) {
      val = numericMul(val, finite(10n ** BigInt(d.multi), 0));
      d.pre += d.multi;
    }
    return finish(numericToText(numericRound(val, d.post)));
  }
  if (v.kind === 'int') {
    if (d.roman) {
      if (BigInt.asIntN(32, v.value) !== v.value) throw new ChorusError('22003', 'integer out of range');
      return { numstr: toRoman(Number(v.value)), sign: '', outPreSpaces: 0 };
    }
    if (d.eeee) {
      if (v.bits === 64) {
        const s = numericSci(finite(v.value, 0), d.post);
        return { numstr: s.startsWith('-') ? s : ` ${s}`, sign: '', outPreSpaces: 0 };
      }
      const s = formatExponent(Number(v.value), d.post);
      return { numstr: s.startsWith('+') ? ` ${s.slice(1)}` : s, sign: '', outPreSpaces: 0 };
    }
    let value = v.value;
    if (d.multiply) {
      value *= 10n ** BigInt(d.multi);
      if (v.bits === 64 && BigInt.asIntN(64, value) !== value) {
        throw new ChorusError('22003', 'bigint out of range');
      }
      if (v.bits !== 64) value = BigInt.asIntN(32, value);
      d.pre += d.multi;
    }
    return finish(String(value), (s) => (d.post ? `${s}.${'0'.repeat(d.post)}` : s));
  }
  // float4 / float8
  const digitsMax = v.float4 ? 6 : 15;
  if (d.roman) {
    const r = Math.round(v.value) - (Math.abs(v.value % 1) === 0.5 && Math.round(v.value) % 2 !== 0 ? 1 : 0);
    return { numstr: toRoman(r | 0), sign: '', outPreSpaces: 0 };
  }
  if (d.eeee) {
    if (!Number.isFinite(v.value)) {
      const h = ` ${'#'.repeat(d.pre + d.post + 5)}`.split('');
      h[d.pre + 1] = '.';
      return { numstr: h.join(''), sign: '', outPreSpaces: 0 };
    }
    const s = formatExponent(v.value, d.post);
    return { numstr: s.startsWith('+') ? ` ${s.slice(1)}` : s, sign: '', outPreSpaces: 0 };
  }
  let val = v.value;
  if (d.multiply) {
    val = v.float4 ? Math.fround(val * Math.fround(10 ** d.multi)) : val * 10 ** d.multi;
    d.pre += d.multi;
  }
  const preLen = formatFixed(Math.abs(val), 0).length;
  if (preLen >= digitsMax) d.post = 0;
  else if (preLen + d.post > digitsMax) d.post = digitsMax - preLen;
  return finish(formatFixed(val, d.post));
}

/** NUM_processor for to_char. */
function processor(
  nodes: readonly FormatNode[],
  d: NumDesc,
  numstr: string,
  signIn: string,
  preSpaces: number,
): string {
  const number = numstr;
  let out = '';
  let sign = signIn;
  let outPreSpaces = preSpaces;
  if (d.zeroStart) d.zeroStart--;
  if (d.eeee) return number;
  if (d.roman) {
    d.lsign = 'none';
    d.preLsignNum = 0;
    d.post = 0;
    d.pre = 0;
    outPreSpaces = 0;
    sign = '';
    const fm = d.fillMode;
    for (const k of Object.keys(d) as (keyof NumDesc)[])
      if (typeof d[k] === 'boolean') (d[k] as boolean) = false;
    d.fillMode = fm;
    d.roman = true;
  }
  let signWrote: boolean;
  if (d.plus || d.minus) signWrote = !(d.plus && !d.minus);
  else {
    if (sign !== '-') {
      if (d.bracket && d.fillMode) d.bracket = false;
    } else if (d.plus) d.plus = false;
    signWrote = sign === '+' && d.fillMode && !d.localeSign;
    if (d.lsign === 'pre' && d.pre === d.preLsignNum) d.lsign = 'post';
  }
  let numCount = d.post + d.pre - 1;
  let lastRelevant = -1;
  if (d.fillMode && d.decimal) {
    const dot = number.indexOf('.');
    if (dot >= 0) {
      lastRelevant = dot;
      for (let i = dot + 1; i < number.length; i++) if (number[i] !== '0') lastRelevant = i;
      if (d.zeroEnd > outPreSpaces) {
        const lastZero = Math.min(number.length - 1, d.zeroEnd - outPreSpaces);
        if (lastRelevant < lastZero) lastRelevant = lastZero;
      }
    }
  }
  if (!signWrote && outPreSpaces === 0) numCount++;
  let numIn = false;
  let numCurr = 0;
  let p = 0; // number_p
  const at = (i: number): string => (i < number.length ? number[i]! : '\u0000');
  const relevantIsDot = lastRelevant >= 0 && number[lastRelevant] === '.';
  const predecSpace = () => !d.zero && p === 0 && number[0] === '0' && d.post !== 0;

  const numpart = (id: string): void => {
    if (d.roman) return;
    numIn = false;
    if (
      !signWrote &&
      (numCurr >= outPreSpaces || (d.zero && d.zeroStart === numCurr)) &&
      (!predecSpace() || relevantIsDot)
    ) {
      if (d.localeSign) {
        if (d.lsign === 'pre') {
          out += sign === '-' ? '-' : '+';
          signWrote = true;
        }
      } else if (d.bracket) {
        out += sign === '+' ? ' ' : '<';
        signWrote = true;
      } else if (sign === '+') {
        if (!d.fillMode) out += ' ';
        signWrote = true;
      } else if (sign === '-') {
        out += '-';
        signWrote = true;
      }
    }
    if (numCurr < outPreSpaces && (d.zeroStart > numCurr || !d.zero)) {
      if (!d.fillMode) out += ' ';
    } else if (d.zero && numCurr < outPreSpaces && d.zeroStart <= numCurr) {
      out += '0';
      numIn = true;
    } else {
      if (at(p) === '.') {
        if (!relevantIsDot || d.fillMode) out += '.';
      } else if (lastRelevant >= 0 && p > lastRelevant && id !== '0') {
        // FM: trailing zeros dropped
      } else if (predecSpace()) {
        if (!d.fillMode) out += ' ';
        else if (relevantIsDot) out += '0';
      } else {
        out += at(p);
        numIn = true;
      }
      if (p < number.length) p++;
    }
    let end = numCount + (outPreSpaces ? 1 : 0) + (d.decimal ? 1 : 0);
    if (lastRelevant >= 0 && lastRelevant === p) end = numCurr;
    if (numCurr + 1 === end) {
      if (signWrote && d.bracket) out += sign === '+' ? ' ' : '>';
      else if (d.localeSign && d.lsign === 'post') out += sign === '-' ? '-' : '+';
    }
    numCurr++;
  };

  for (const n of nodes) {
    if (n.kind === 'char') {
      out += n.text;
      continue;
    }
    switch (n.key) {
      case '9':
      case '0':
      case '.':
      case 'D':
        numpart(n.key);
        break;
      case ',':
      case 'G':
        if (!numIn) {
          if (!d.fillMode) out += ' ';
        } else out += ',';
        break;
      case 'L':
        out += ' ';
        break;
      case 'RN':
      case 'rn': {
        const r = n.key === 'RN' ? number.slice(p) : number.slice(p).toLowerCase();
        out += d.fillMode ? r : r.padStart(15, ' ');
        break;
      }
      case 'TH':
      case 'th':
        if (d.roman || number[0] === '#' || sign === '-' || d.decimal) break;
        out += ordinalSuffix(number, n.key === 'TH');
        break;
      case 'MI':
        if (sign === '-') out += '-';
        else if (!d.fillMode) out += ' ';
        break;
      case 'PL':
        if (sign === '+') out += '+';
        else if (!d.fillMode) out += ' ';
        break;
      case 'SG':
        out += sign;
        break;
      default:
    }
  }
  // A C string ends at its first NUL (a digit position past the end of the digits).
  const nul = out.indexOf('\u0000');
  return nul >= 0 ? out.slice(0, nul) : out;
}

/** to_char(number, picture). An empty picture gives ''. */
export function formatNumber(picture: string, v: NumberValue): string {
  if (picture.length === 0) return '';
  const nodes = parseFormat(picture, false);
  const d = describe(nodes);
  const { numstr, sign, outPreSpaces } = prepare(v, d);
  return processor(nodes, d, numstr, sign, outPreSpaces);
}

export type { FiniteNumeric };
