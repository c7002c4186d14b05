// EXTRACT (numeric, as text with PostgreSQL's scale) and date_part (float8) of timestamp,
// timestamptz (in a zone), date and time, with PostgreSQL 15's unit names (abbreviations, 10-char
// prefixes), NULL/±Infinity for infinite inputs, and its 22023 / 0A000 errors.

import { ChorusError } from '../../../errors.js';
import type { TimeZone } from '../timezone/timezone.js';
import {
  asciiLower,
  DATE_NEG_INFINITY,
  date2isoweek,
  date2isoyear,
  date2j,
  isDateFinite,
  isTimestampFinite,
  j2date,
  j2day,
  TIMESTAMP_NEG_INFINITY,
  type Tm,
  timeFields,
  timestampOutOfRange,
  timestampToTm,
  UNIX_EPOCH_JDATE,
} from './datetime-core.js';
import { Dtk, decodeSpecial, decodeUnits, Tk, type Token } from './datetime-lex.js';
import { localTm } from './datetime-zone.js';

export const TYPE_TIMESTAMP = 'timestamp without time zone';
export const TYPE_TIMESTAMPTZ = 'timestamp with time zone';
export const TYPE_DATE = 'date';
export const TYPE_TIME = 'time without time zone';
export const TYPE_INTERVAL = 'interval';

export function unitNotRecognized(low: string, type: string): ChorusError {
  return new ChorusError('22023', `unit "${low}" not recognized for type ${type}`);
}

export function unitNotSupported(low: string, type: string, detail?: string): ChorusError {
  return new ChorusError(
    '0A000',
    `unit "${low}" not supported for type ${type}`,
    detail === undefined ? {} : { detail },
  );
}

/** The lower-cased unit and its token: DecodeUnits, then (for EXTRACT) DecodeSpecial. */
export function partUnit(field: string, special = true): { low: string; tok: Token } {
  const low = asciiLower(field);
  let tok = decodeUnits(low);
  if (special && tok.type === Tk.Unknown) tok = decodeSpecial(low);
  return { low, tok };
}

/** A decimal with `scale` fraction digits: (1234567n, 6) → '1.234567'. */
export function decimalText(v: bigint, scale: number): string {
  const neg = v < 0n;
  let digits = (neg ? -v : v).toString();
  if (scale === 0) return `${neg ? '-' : ''}${digits}`;
  digits = digits.padStart(scale + 1, '0');
  return `${neg ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/** numeric's select_div_scale for positive integer / 86400000000 (the Julian day fraction). */
function julianFractionScale(x: bigint): number {
  const w = (n: bigint): [number, bigint] => {
    if (n === 0n) return [0, 0n];
    let weight = 0;
    let first = n;
    while (first >= 10000n) {
      first /= 10000n;
      weight++;
    }
    return [weight, first];
  };
  const [w1, f1] = w(x);
  const [w2, f2] = w(86_400_000_000n);
  let qweight = w1 - w2;
  if (f1 <= f2) qweight--;
  return Math.max(16 - qweight * 4, 0);
}

/** EXTRACT(julian ...): Julian day plus the day fraction, at numeric division's scale. */
function julianNumeric(jd: number, usOfDay: bigint): string {
  const scale = julianFractionScale(usOfDay);
  const pow = 10n ** BigInt(scale);
  const den = 86_400_000_000n;
  const frac = (usOfDay * pow * 2n + den) / (2n * den);
  return decimalText(BigInt(jd) * pow + frac, scale);
}

const MONOTONIC = new Set<number>([
  Dtk.Year,
  Dtk.Decade,
  Dtk.Century,
  Dtk.Millennium,
  Dtk.Julian,
  Dtk.IsoYear,
  Dtk.Epoch,
]);
const OSCILLATING = new Set<number>([
  Dtk.Microsec,
  Dtk.Millisec,
  Dtk.Second,
  Dtk.Minute,
  Dtk.Hour,
  Dtk.Day,
  Dtk.Month,
  Dtk.Quarter,
  Dtk.Week,
  Dtk.Dow,
  Dtk.IsoDow,
  Dtk.Doy,
  Dtk.Tz,
  Dtk.TzMinute,
  Dtk.TzHour,
]);

/** NonFiniteTimestampTzPart: null, or the sign of an infinite result. */
function nonFinitePart(tok: Token, low: string, type: string): null | 1 | -1 {
  if (tok.type !== Tk.Units && tok.type !== Tk.Reserv) throw unitNotRecognized(low, type);
  if (OSCILLATING.has(tok.value)) return null;
  if (MONOTONIC.has(tok.value)) return 1;
  throw unitNotSupported(low, type);
}

function yearPart(value: number, y: number): number {
  switch (value) {
    case Dtk.Year:
      return y > 0 ? y : y - 1;
    case Dtk.Decade:
      return y >= 0 ? Math.trunc(y / 10) : -Math.trunc((8 - (y - 1)) / 10);
    case Dtk.Century:
      return y > 0 ? Math.trunc((y + 99) / 100) : -Math.trunc((99 - (y - 1)) / 100);
    default:
      return y > 0 ? Math.trunc((y + 999) / 1000) : -Math.trunc((999 - (y - 1)) / 1000);
  }
}

/** The integer fields every date-bearing type shares; undefined when `value` is not one of them. */
function dateFieldPart(value: number, y: number, m: number, d: number): number | undefined {
  switch (value) {
    case Dtk.Day:
      return d;
    case Dtk.Month:
      return m;
    case Dtk.Quarter:
      return Math.trunc((m - 1) / 3) + 1;
    case Dtk.Week:
      return date2isoweek(y, m, d);
    case Dtk.Year:
    case Dtk.Decade:
    case Dtk.Century:
    case Dtk.Millennium:
      return yearPart(value, y);
    case Dtk.IsoYear: {
      const iy = date2isoyear(y, m, d);
      return iy <= 0 ? iy - 1 : iy;
    }
    case Dtk.Dow:
    case Dtk.IsoDow: {
      const dow = j2day(date2j(y, m, d));
      return value === Dtk.IsoDow && dow === 0 ? 7 : dow;
    }
    case Dtk.Doy:
      return date2j(y, m, d) - date2j(y, 1, 1) + 1;
    default:
      return undefined;
  }
}

/** One part of a finite timestamp's fields; numeric → decimal text, else float8. */
function tmPart(
  tok: Token,
  low: string,
  type: string,
  tm: Tm,
  us: bigint,
  gmtoff: number | null,
  numeric: boolean,
): string | number {
  if (tok.type === Tk.Reserv) {
    if (tok.value !== Dtk.Epoch) throw unitNotSupported(low, type);
    return numeric ? decimalText(us, 6) : Number(us) / 1e6;
  }
  if (tok.type !== Tk.Units) throw unitNotRecognized(low, type);
  const secUs = tm.sec * 1_000_000 + tm.fsec;
  let v: number | undefined;
  switch (tok.value) {
    case Dtk.Microsec:
      v = secUs;
      break;
    case Dtk.Millisec:
      return numeric ? decimalText(BigInt(secUs), 3) : tm.sec * 1000.0 + tm.fsec / 1000.0;
    case Dtk.Second:
      return numeric ? decimalText(BigInt(secUs), 6) : tm.sec + tm.fsec / 1000000.0;
    case Dtk.Minute:
      v = tm.min;
      break;
    case Dtk.Hour:
      v = tm.hour;
      break;
    case Dtk.Julian: {
      const jd = date2j(tm.year, tm.mon, tm.mday);
      const dayUs = ((tm.hour * 60 + tm.min) * 60 + tm.sec) * 1_000_000 + tm.fsec;
      if (numeric) return julianNumeric(jd, BigInt(dayUs));
      return jd + ((tm.hour * 60 + tm.min) * 60 + tm.sec + tm.fsec / 1000000.0) / 86400;
    }
    case Dtk.Tz:
    case Dtk.TzMinute:
    case Dtk.TzHour:
      if (gmtoff === null) throw unitNotSupported(low, type);
      v =
        tok.value === Dtk.Tz
          ? gmtoff
          : tok.value === Dtk.TzHour
            ? Math.trunc(gmtoff / 3600)
            : Math.trunc(gmtoff / 60) % 60;
      break;
    default:
      v = dateFieldPart(tok.value, tm.year, tm.mon, tm.mday);
  }
  if (v === undefined) throw unitNotSupported(low, type);
  return numeric ? String(v + 0) : v + 0;
}

function infinite(sign: 1 | -1, numeric: boolean): string | number {
  if (numeric) return sign > 0 ? 'Infinity' : '-Infinity';
  return sign > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
}

function timestampPartCommon(
  field: string,
  ts: bigint,
  zone: TimeZone | null,
  numeric: boolean,
): string | number | null {
  const type = zone === null ? TYPE_TIMESTAMP : TYPE_TIMESTAMPTZ;
  const { low, tok } = partUnit(field);
  if (!isTimestampFinite(ts)) {
    const r = nonFinitePart(tok, low, type);
    return r === null ? null : infinite(ts === TIMESTAMP_NEG_INFINITY ? -1 : 1, numeric);
  }
  if (tok.type === Tk.Units) {
    if (zone === null) {
      const tm = timestampToTm(ts);
      if (tm === null) throw timestampOutOfRange();
      return tmPart(tok, low, type, tm, ts, null, numeric);
    }
    const { tm, gmtoff } = localTm(ts, zone);
    return tmPart(tok, low, type, tm, ts, gmtoff, numeric);
  }
  const tm = { year: 0, mon: 1, mday: 1, hour: 0, min: 0, sec: 0, fsec: 0 };
  return tmPart(tok, low, type, tm, ts, null, numeric);
}

/** EXTRACT(field FROM timestamp): numeric text; null when PostgreSQL returns NULL. */
export function extractTimestamp(field: string, ts: bigint): string | null {
  return timestampPartCommon(field, ts, null, true) as string | null;
}

/** date_part(field, timestamp): float8. */
export function datePartTimestamp(field: string, ts: bigint): number | null {
  return timestampPartCommon(field, ts, null, false) as number | null;
}

/** EXTRACT(field FROM timestamptz) with the local fields of `zone`. */
export function extractTimestamptz(field: string, ts: bigint, zone: TimeZone): string | null {
  return timestampPartCommon(field, ts, zone, true) as string | null;
}

/** date_part(field, timestamptz) with the local fields of `zone`. */
export function datePartTimestamptz(field: string, ts: bigint, zone: TimeZone): number | null {
  return timestampPartCommon(field, ts, zone, false) as number | null;
}

/**
 * EXTRACT(field FROM date): numeric text (integers). date_part(text, date) is PostgreSQL's SQL
 * function over timestamp: use datePartTimestamp on the date's midnight.
 */
export function extractDate(field: string, d: number): string | null {
  const { low, tok } = partUnit(field);
  const known = tok.type === Tk.Units || tok.type === Tk.Reserv;
  if (!isDateFinite(d) && known) {
    if ([Dtk.Day, Dtk.Month, Dtk.Quarter, Dtk.Week, Dtk.Dow, Dtk.IsoDow, Dtk.Doy].includes(tok.value))
      return null;
    if (MONOTONIC.has(tok.value)) return d === DATE_NEG_INFINITY ? '-Infinity' : 'Infinity';
    throw unitNotSupported(low, TYPE_DATE);
  }
  if (tok.type === Tk.Units) {
    const jd = d + UNIX_EPOCH_JDATE;
    const [y, m, day] = j2date(jd);
    const v = tok.value === Dtk.Julian ? jd : dateFieldPart(tok.value, y, m, day);
    if (v === undefined) throw unitNotSupported(low, TYPE_DATE);
    return String(v + 0);
  }
  if (tok.type === Tk.Reserv) {
    if (tok.value !== Dtk.Epoch) throw unitNotSupported(low, TYPE_DATE);
    return String(BigInt(d) * 86_400n);
  }
  throw unitNotRecognized(low, TYPE_DATE);
}

function timePart(field: string, us: bigint, numeric: boolean): string | number {
  const { low, tok } = partUnit(field);
  if (tok.type === Tk.Units) {
    const [h, m, s, f] = timeFields(Number(us));
    const secUs = s * 1_000_000 + f;
    switch (tok.value) {
      case Dtk.Microsec:
        return numeric ? String(secUs) : secUs;
      case Dtk.Millisec:
        return numeric ? decimalText(BigInt(secUs), 3) : s * 1000.0 + f / 1000.0;
      case Dtk.Second:
        return numeric ? decimalText(BigInt(secUs), 6) : s + f / 1000000.0;
      case Dtk.Minute:
        return numeric ? String(m) : m;
      case Dtk.Hour:
        return numeric ? String(h) : h;
      default:
        throw unitNotSupported(low, TYPE_TIME);
    }
  }
  if (tok.type === Tk.Reserv && tok.value === Dtk.Epoch) {
    return numeric ? decimalText(us, 6) : Number(us) / 1000000.0;
  }
  throw unitNotRecognized(low, TYPE_TIME);
}

/** EXTRACT(field FROM time): numeric text. */
export function extractTime(field: string, us: bigint): string {
  return timePart(field, us, true) as string;
}

/** date_part(field, time): float8. */
export function datePartTime(field: string, us: bigint): number {
  return timePart(field, us, false) as number;
}
