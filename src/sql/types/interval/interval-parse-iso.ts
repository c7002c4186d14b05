// ISO 8601 interval input as PostgreSQL 15's DecodeISO8601Interval reads it: designators
// ('P1Y2M3W4DT5H6M7.5S', fractions in any field) and the alternative forms ('P0001-02-03T04:05:06',
// 'P00010203T040506'). Numbers are read as C's strtod reads them (exponents, even hex).

import { DtErr } from '../datetime/datetime-lex.js';
import {
  adjustDays,
  adjustFractDays,
  adjustFractMicroseconds,
  adjustFractYears,
  adjustMicroseconds,
  adjustMonths,
  adjustYears,
  type ItmIn,
  US_PER_DAY_F,
  US_PER_HOUR,
  US_PER_MINUTE,
  US_PER_SEC,
} from './interval-parse-fields.js';

/** Largest magnitude ParseISO8601Number accepts (keeps the integer part exact). */
const ISO_NUMBER_LIMIT = 1.0e15;

/** C strtod at position i (C locale): the value and the index past it (i when nothing parsed). */
export function strtod(s: string, i: number): { value: number; end: number } {
  let j = i;
  while (j < s.length && /\s/.test(s[j]!)) j++;
  let sign = 1;
  if (s[j] === '+' || s[j] === '-') {
    if (s[j] === '-') sign = -1;
    j++;
  }
  const rest = s.slice(j);
  const special = /^(infinity|inf|nan)/i.exec(rest);
  if (special) {
    const v = special[1]!.toLowerCase() === 'nan' ? Number.NaN : Number.POSITIVE_INFINITY;
    return { value: sign * v, end: j + special[1]!.length };
  }
  const hex = /^0[xX](?:([0-9a-fA-F]+)(?:\.([0-9a-fA-F]*))?|\.([0-9a-fA-F]+))(?:[pP]([+-]?\d+))?/.exec(rest);
  if (hex) {
    const intPart = hex[1] ?? '';
    const fracPart = hex[2] ?? hex[3] ?? '';
    let v = 0;
    for (const c of intPart + fracPart) v = v * 16 + Number.parseInt(c, 16);
    v /= 16 ** fracPart.length;
    if (hex[4] !== undefined) v *= 2 ** Number(hex[4]);
    return { value: sign * v, end: j + hex[0].length };
  }
  const dec = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(rest);
  if (!dec) return { value: 0, end: i };
  // an exponent marker without digits is not part of the number
  return { value: sign * Number(dec[0]), end: j + dec[0].length };
}

interface IsoNumber {
  ipart: bigint;
  fpart: number;
  end: number;
}

/** ParseISO8601Number: integer part (truncated) and fraction of a decimal at position i. */
function isoNumber(s: string, i: number): IsoNumber | DtErr {
  const c = s[i];
  if (!(c !== undefined && ((c >= '0' && c <= '9') || c === '-' || c === '.'))) return DtErr.BadFormat;
  const r = strtod(s, i);
  if (r.end === i) return DtErr.BadFormat;
  const val = r.value;
  if (Number.isNaN(val) || val < -ISO_NUMBER_LIMIT || val > ISO_NUMBER_LIMIT) return DtErr.FieldOverflow;
  const ip = val >= 0 ? Math.floor(val) : -Math.floor(-val);
  return { ipart: BigInt(ip), fpart: val - ip, end: r.end };
}

/** Digits in an ISO number field (ignoring a leading '-' and any fraction). */
function integerWidth(s: string, i: number): number {
  let j = s[i] === '-' ? i + 1 : i;
  const start = j;
  while (j < s.length && s[j]! >= '0' && s[j]! <= '9') j++;
  return j - start;
}

const OVERFLOW = DtErr.FieldOverflow;

/** DecodeISO8601Interval on the raw text; fills itm, returns 0 or an error. */
export function decodeIso8601Interval(str: string, itm: ItmIn): number {
  let datepart = true;
  let havefield = false;
  if (str.length < 2 || str[0] !== 'P') return DtErr.BadFormat;
  let p = 1;
  while (p < str.length) {
    if (str[p] === 'T') {
      datepart = false;
      havefield = false;
      p++;
      continue;
    }
    const fieldstart = p;
    let n = isoNumber(str, p);
    if (typeof n === 'number') return n;
    p = n.end;
    const unit = str[p] ?? '';
    p++;
    if (datepart) {
      switch (unit) {
        case 'Y':
          if (!adjustYears(n.ipart, 1, itm) || !adjustFractYears(n.fpart, 1, itm)) return OVERFLOW;
          break;
        case 'M':
          if (!adjustMonths(n.ipart, itm) || !adjustFractDays(n.fpart, 30, itm)) return OVERFLOW;
          break;
        case 'W':
          if (!adjustDays(n.ipart, 7, itm) || !adjustFractDays(n.fpart, 7, itm)) return OVERFLOW;
          break;
        case 'D':
          if (!adjustDays(n.ipart, 1, itm) || !adjustFractMicroseconds(n.fpart, US_PER_DAY_F, itm))
            return OVERFLOW;
          break;
        case 'T':
        case '':
        case '-': {
          if ((unit === 'T' || unit === '') && integerWidth(str, fieldstart) === 8 && !havefield) {
            const v = n.ipart;
            if (
              !adjustYears(v / 10000n, 1, itm) ||
              !adjustMonths((v / 100n) % 100n, itm) ||
              !adjustDays(v % 100n, 1, itm) ||
              !adjustFractMicroseconds(n.fpart, US_PER_DAY_F, itm)
            ) {
              return OVERFLOW;
            }
            if (unit === '') return 0;
            datepart = false;
            havefield = false;
            continue;
          }
          if (havefield) return DtErr.BadFormat;
          if (!adjustYears(n.ipart, 1, itm) || !adjustFractYears(n.fpart, 1, itm)) return OVERFLOW;
          if (unit === '') return 0;
          if (unit === 'T') {
            datepart = false;
            havefield = false;
            continue;
          }
          n = isoNumber(str, p);
          if (typeof n === 'number') return n;
          p = n.end;
          if (!adjustMonths(n.ipart, itm) || !adjustFractDays(n.fpart, 30, itm)) return OVERFLOW;
          if (p >= str.length) return 0;
          if (str[p] === 'T') {
            datepart = false;
            havefield = false;
            continue;
          }
          if (str[p] !== '-') return DtErr.BadFormat;
          p++;
          n = isoNumber(str, p);
          if (typeof n === 'number') return n;
          p = n.end;
          if (!adjustDays(n.ipart, 1, itm) || !adjustFractMicroseconds(n.fpart, US_PER_DAY_F, itm))
            return OVERFLOW;
          if (p >= str.length) return 0;
          if (str[p] === 'T') {
            datepart = false;
            havefield = false;
            continue;
          }
          return DtErr.BadFormat;
        }
        default:
          return DtErr.BadFormat;
      }
    } else {
      switch (unit) {
        case 'H':
          if (!adjustMicroseconds(n.ipart, n.fpart, US_PER_HOUR, itm)) return OVERFLOW;
          break;
        case 'M':
          if (!adjustMicroseconds(n.ipart, n.fpart, US_PER_MINUTE, itm)) return OVERFLOW;
          break;
        case 'S':
          if (!adjustMicroseconds(n.ipart, n.fpart, US_PER_SEC, itm)) return OVERFLOW;
          break;
        case '':
        case ':': {
          if (unit === '' && integerWidth(str, fieldstart) === 6 && !havefield) {
            const v = n.ipart;
            if (
              !adjustMicroseconds(v / 10000n, 0, US_PER_HOUR, itm) ||
              !adjustMicroseconds((v / 100n) % 100n, 0, US_PER_MINUTE, itm) ||
              !adjustMicroseconds(v % 100n, 0, US_PER_SEC, itm) ||
              !adjustFractMicroseconds(n.fpart, 1, itm)
            ) {
              return OVERFLOW;
            }
            return 0;
          }
          if (havefield) return DtErr.BadFormat;
          if (!adjustMicroseconds(n.ipart, n.fpart, US_PER_HOUR, itm)) return OVERFLOW;
          if (unit === '') return 0;
          n = isoNumber(str, p);
          if (typeof n === 'number') return n;
          p = n.end;
          if (!adjustMicroseconds(n.ipart, n.fpart, US_PER_MINUTE, itm)) return OVERFLOW;
          if (p >= str.length) return 0;
          if (str[p] !== ':') return DtErr.BadFormat;
          p++;
          n = isoNumber(str, p);
          if (typeof n === 'number') return n;
          p = n.end;
          if (!adjustMicroseconds(n.ipart, n.fpart, US_PER_SEC, itm)) return OVERFLOW;
          if (p >= str.length) return 0;
          return DtErr.BadFormat;
        }
        default:
          return DtErr.BadFormat;
      }
    }
    havefield = true;
  }
  return 0;
}
