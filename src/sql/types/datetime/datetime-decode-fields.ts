// Decoding of single date/time input fields, as PostgreSQL 15's datetime.c does it: numbers in
// context (DecodeNumber, DateStyle MDY), run-together digits (DecodeNumberField), delimited dates
// (DecodeDate), hh:mm:ss (DecodeTime), numeric zones (DecodeTimezone), and final date checks.

import { date2j, daysInMonth, INT32_MAX, INT32_MIN, isLeap, j2date, rint } from './datetime-core.js';
import {
  DTK_ALL_SECS_M,
  DTK_DATE_M,
  DTK_TIME_M,
  DtErr,
  Dtk,
  decodeSpecial,
  dtkM,
  Tk,
} from './datetime-lex.js';

/** Broken-down fields being decoded (struct pg_tm plus fsec and the 2-digit-year flag). */
export interface DState {
  year: number;
  mon: number;
  mday: number;
  hour: number;
  min: number;
  sec: number;
  fsec: number;
  yday: number;
  is2digits: boolean;
}

export function newDState(): DState {
  return { year: 0, mon: 0, mday: 0, hour: 0, min: 0, sec: 0, fsec: 0, yday: 0, is2digits: false };
}

/** Largest hour of a numeric zone displacement (MAX_TZDISP_HOUR). */
const MAX_TZDISP_HOUR = 15;

export interface Strtol {
  value: number;
  /** Index just past the digits (the start when there were none). */
  end: number;
  overflow: boolean;
}

/** C strtol/strtoint at position `from`: whitespace, sign, digits; overflow past int32 (or int64). */
export function strtol(s: string, from = 0, wide = false): Strtol {
  let i = from;
  while (i < s.length && (s[i] === ' ' || (s[i]! >= '\t' && s[i]! <= '\r'))) i++;
  let neg = false;
  if (s[i] === '+' || s[i] === '-') {
    neg = s[i] === '-';
    i++;
  }
  const digitsStart = i;
  while (i < s.length && s[i]! >= '0' && s[i]! <= '9') i++;
  if (i === digitsStart) return { value: 0, end: from, overflow: false };
  const big = BigInt(s.slice(digitsStart, i));
  const v = neg ? -big : big;
  const [lo, hi] = wide ? [-(2n ** 63n), 2n ** 63n - 1n] : [BigInt(INT32_MIN), BigInt(INT32_MAX)];
  if (v < lo || v > hi) return { value: Number(v < lo ? lo : hi), end: i, overflow: true };
  return { value: Number(v), end: i, overflow: false };
}

/** C atoi: strtol without error reporting, wrapped to 32 bits. */
function atoi(s: string): number {
  const r = strtol(s, 0, true);
  return r.overflow ? (r.value < 0 ? 0 : -1) : r.value | 0;
}

/** ParseFraction: '.digits' to the end of the string → its value, or null if malformed. */
export function parseFraction(s: string): number | null {
  if (s === '.') return 0;
  if (!/^\.\d+$/.test(s)) return null;
  return Number(`0${s}`);
}

/** ParseFractionalSecond: '.digits' → microseconds, rounded half-even. */
export function parseFractionalSecond(s: string): number | null {
  const f = parseFraction(s);
  return f === null ? null : rint(f * 1_000_000);
}

/** DecodeNumberField: run-together yymmdd / hhmmss[.fff]. Returns Dtk.Date/Dtk.Time and sets *tmask. */
export function decodeNumberField(str: string, fmask: number, st: DState, out: { tmask: number }): number {
  let s = str;
  const dot = s.indexOf('.');
  if (dot >= 0) {
    const frac = s.slice(dot);
    if (frac.length === 1) st.fsec = 0;
    else {
      const v = Number(`0${frac}`.replace(/[^0-9.eE+-].*$/, ''));
      st.fsec = rint((Number.isNaN(v) ? 0 : v) * 1_000_000);
    }
    s = s.slice(0, dot);
  } else if ((fmask & DTK_DATE_M) !== DTK_DATE_M) {
    if (s.length >= 6) {
      out.tmask = DTK_DATE_M;
      const len = s.length;
      st.mday = atoi(s.slice(len - 2));
      st.mon = atoi(s.slice(len - 4, len - 2));
      st.year = atoi(s.slice(0, len - 4));
      if (len - 4 === 2) st.is2digits = true;
      return Dtk.Date;
    }
  }
  if ((fmask & DTK_TIME_M) !== DTK_TIME_M) {
    if (s.length === 6) {
      out.tmask = DTK_TIME_M;
      st.sec = atoi(s.slice(4));
      st.min = atoi(s.slice(2, 4));
      st.hour = atoi(s.slice(0, 2));
      return Dtk.Time;
    }
    if (s.length === 4) {
      out.tmask = DTK_TIME_M;
      st.sec = 0;
      st.min = atoi(s.slice(2));
      st.hour = atoi(s.slice(0, 2));
      return Dtk.Time;
    }
  }
  return DtErr.BadFormat;
}

/** DecodeNumber: a plain number read as year, month or day by context (DateStyle MDY). */
export function decodeNumber(
  str: string,
  haveTextMonth: boolean,
  fmask: number,
  st: DState,
  out: { tmask: number },
): number {
  const flen = str.length;
  out.tmask = 0;
  const r = strtol(str);
  if (r.overflow) return DtErr.FieldOverflow;
  if (r.end === 0) return DtErr.BadFormat;
  const val = r.value;
  const rest = str.slice(r.end);
  if (rest.startsWith('.')) {
    if (r.end > 2) {
      const e = decodeNumberField(str, fmask | DTK_DATE_M, st, out);
      return Math.min(e, 0);
    }
    const f = parseFractionalSecond(rest);
    if (f === null) return DtErr.BadFormat;
    st.fsec = f;
  } else if (rest !== '') return DtErr.BadFormat;

  if (flen === 3 && (fmask & DTK_DATE_M) === dtkM(Tk.Year) && val >= 1 && val <= 366) {
    out.tmask = dtkM(Tk.Doy) | dtkM(Tk.Month) | dtkM(Tk.Day);
    st.yday = val;
    return 0;
  }
  const Y = dtkM(Tk.Year);
  const M = dtkM(Tk.Month);
  const D = dtkM(Tk.Day);
  switch (fmask & DTK_DATE_M) {
    case 0:
      if (flen >= 3) {
        out.tmask = Y;
        st.year = val;
      } else {
        out.tmask = M;
        st.mon = val;
      }
      break;
    case Y:
      out.tmask = M;
      st.mon = val;
      break;
    case M:
      if (haveTextMonth && flen >= 3) {
        out.tmask = Y;
        st.year = val;
      } else {
        out.tmask = D;
        st.mday = val;
      }
      break;
    case Y | M:
      if (haveTextMonth && flen >= 3 && st.is2digits) {
        out.tmask = D;
        st.mday = st.year;
        st.year = val;
        st.is2digits = false;
      } else {
        out.tmask = D;
        st.mday = val;
      }
      break;
    case D:
      out.tmask = M;
      st.mon = val;
      break;
    case M | D:
      out.tmask = Y;
      st.year = val;
      break;
    case Y | M | D: {
      const e = decodeNumberField(str, fmask, st, out);
      return Math.min(e, 0);
    }
    default:
      return DtErr.BadFormat;
  }
  if (out.tmask === Y) st.is2digits = flen <= 2;
  return 0;
}

/** DecodeDate: a delimited date such as 2026-12-07, 12/07/2026 or 7-dec-2026. */
export function decodeDate(str: string, fmaskIn: number, st: DState, out: { tmask: number }): number {
  let fmask = fmaskIn;
  out.tmask = 0;
  const parts: (string | null)[] = [];
  let i = 0;
  const isAlnum = (c: string): boolean => /[0-9A-Za-z]/.test(c);
  while (i < str.length && parts.length < 25) {
    while (i < str.length && !isAlnum(str[i]!)) i++;
    if (i >= str.length) return DtErr.BadFormat;
    const start = i;
    if (/[0-9]/.test(str[i]!)) while (i < str.length && /[0-9]/.test(str[i]!)) i++;
    else while (i < str.length && /[A-Za-z]/.test(str[i]!)) i++;
    parts.push(str.slice(start, i));
    if (i < str.length) i++;
  }
  let haveTextMonth = false;
  for (let k = 0; k < parts.length; k++) {
    const p = parts[k]!;
    if (!/^[A-Za-z]/.test(p)) continue;
    const tok = decodeSpecial(p);
    if (tok.type === Tk.IgnoreDtf) continue;
    if (tok.type !== Tk.Month) return DtErr.BadFormat;
    const dmask = dtkM(tok.type);
    st.mon = tok.value;
    haveTextMonth = true;
    if (fmask & dmask) return DtErr.BadFormat;
    fmask |= dmask;
    out.tmask |= dmask;
    parts[k] = null;
  }
  for (const p of parts) {
    if (p === null) continue;
    if (p.length === 0) return DtErr.BadFormat;
    const o = { tmask: 0 };
    const e = decodeNumber(p, haveTextMonth, fmask, st, o);
    if (e) return e;
    if (fmask & o.tmask) return DtErr.BadFormat;
    fmask |= o.tmask;
    out.tmask |= o.tmask;
  }
  if ((fmask & ~(dtkM(Tk.Doy) | dtkM(Tk.Tz))) !== DTK_DATE_M) return DtErr.BadFormat;
  return 0;
}

/** DecodeTimeCommon's result: hour may be large for intervals. */
export interface TimeParts {
  hour: bigint;
  min: number;
  sec: number;
  usec: number;
}

/** Interval ranges that read 'a:b' as minutes:seconds (INTERVAL MINUTE TO SECOND). */
export const RANGE_MINUTE_TO_SECOND = (1 << 11) | (1 << 12);

/** DecodeTimeCommon: h:m[:s[.f]] (or m:s.f); the caller range-checks the hour. */
export function decodeTimeCommon(str: string, range: number): TimeParts | DtErr {
  const h = strtol(str, 0, true);
  if (h.overflow) return DtErr.FieldOverflow;
  if (str[h.end] !== ':') return DtErr.BadFormat;
  let hour = BigInt(str.slice(0, h.end).trim());
  const m = strtol(str, h.end + 1);
  if (m.overflow) return DtErr.FieldOverflow;
  let min = m.value;
  let sec = 0;
  let fsec = 0;
  const rest = str.slice(m.end);
  if (rest === '') {
    if (range === RANGE_MINUTE_TO_SECOND) {
      if (hour > BigInt(INT32_MAX) || hour < BigInt(INT32_MIN)) return DtErr.FieldOverflow;
      sec = min;
      min = Number(hour);
      hour = 0n;
    }
  } else if (rest[0] === '.') {
    const f = parseFractionalSecond(rest);
    if (f === null) return DtErr.BadFormat;
    fsec = f;
    if (hour > BigInt(INT32_MAX) || hour < BigInt(INT32_MIN)) return DtErr.FieldOverflow;
    sec = min;
    min = Number(hour);
    hour = 0n;
  } else if (rest[0] === ':') {
    const s = strtol(str, m.end + 1);
    if (s.overflow) return DtErr.FieldOverflow;
    sec = s.value;
    const tail = str.slice(s.end);
    if (tail.startsWith('.')) {
      const f = parseFractionalSecond(tail);
      if (f === null) return DtErr.BadFormat;
      fsec = f;
    } else if (tail !== '') return DtErr.BadFormat;
  } else return DtErr.BadFormat;
  if (hour < 0n || min < 0 || min > 59 || sec < 0 || sec > 60 || fsec < 0 || fsec > 1_000_000) {
    return DtErr.FieldOverflow;
  }
  return { hour, min, sec, usec: fsec };
}

/** DecodeTime for timestamps: sets hour/min/sec/fsec; returns the field mask or an error. */
export function decodeTime(str: string, st: DState): number {
  const t = decodeTimeCommon(str, -1);
  if (typeof t === 'number') return t;
  if (t.hour > BigInt(INT32_MAX)) return DtErr.FieldOverflow;
  st.hour = Number(t.hour);
  st.min = t.min;
  st.sec = t.sec;
  st.fsec = t.usec;
  return DTK_TIME_M;
}

/** time_overflows: hour <= 24, sec <= 60, total <= 24:00:00. */
export function timeOverflows(hour: number, min: number, sec: number, fsec: number): boolean {
  if (hour < 0 || hour > 24 || min < 0 || min >= 60 || sec < 0 || sec > 60 || fsec < 0 || fsec > 1_000_000) {
    return true;
  }
  return ((hour * 60 + min) * 60 + sec) * 1_000_000 + fsec > 86_400_000_000;
}

/** DecodeTimezone: '+hh', '-hhmm', '+hh:mm[:ss]' → seconds WEST of UTC (PostgreSQL's tz sign). */
export function decodeTimezone(str: string): { tz: number } | DtErr {
  if (str[0] !== '+' && str[0] !== '-') return DtErr.BadFormat;
  const h = strtol(str, 1);
  if (h.overflow) return DtErr.TzDispOverflow;
  let hr = h.value;
  let min = 0;
  let sec = 0;
  let end = h.end;
  if (str[end] === ':') {
    const m = strtol(str, end + 1);
    if (m.overflow) return DtErr.TzDispOverflow;
    min = m.value;
    end = m.end;
    if (str[end] === ':') {
      const s = strtol(str, end + 1);
      if (s.overflow) return DtErr.TzDispOverflow;
      sec = s.value;
      end = s.end;
    }
  } else if (end === str.length && str.length > 3) {
    min = hr % 100;
    hr = Math.trunc(hr / 100);
  }
  if (hr < 0 || hr > MAX_TZDISP_HOUR || min < 0 || min >= 60 || sec < 0 || sec >= 60) {
    return DtErr.TzDispOverflow;
  }
  let tz = (hr * 60 + min) * 60 + sec;
  if (str[0] === '-') tz = -tz;
  if (end !== str.length) return DtErr.BadFormat;
  return { tz: -tz };
}

/** ValidateDate: BC years, 2-digit years (1970-2069), day of year, month and day ranges. */
export function validateDate(fmask: number, isjulian: boolean, bc: boolean, st: DState): number {
  if (fmask & dtkM(Tk.Year)) {
    if (isjulian) {
      // year is right as it is
    } else if (bc) {
      if (st.year <= 0) return DtErr.FieldOverflow;
      st.year = -(st.year - 1);
    } else if (st.is2digits) {
      if (st.year < 0) return DtErr.FieldOverflow;
      if (st.year < 70) st.year += 2000;
      else if (st.year < 100) st.year += 1900;
    } else if (st.year <= 0) return DtErr.FieldOverflow;
  }
  if (fmask & dtkM(Tk.Doy)) {
    [st.year, st.mon, st.mday] = j2date(date2j(st.year, 1, 1) + st.yday - 1);
  }
  if (fmask & dtkM(Tk.Month)) {
    if (st.mon < 1 || st.mon > 12) return DtErr.MdFieldOverflow;
  }
  if (fmask & dtkM(Tk.Day)) {
    if (st.mday < 1 || st.mday > 31) return DtErr.MdFieldOverflow;
  }
  if ((fmask & DTK_DATE_M) === DTK_DATE_M) {
    if (st.mday > daysInMonth(st.year, st.mon)) return DtErr.FieldOverflow;
  }
  return 0;
}

export { DTK_ALL_SECS_M, isLeap };
