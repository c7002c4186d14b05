// Dates and times: PostgreSQL text forms and binary encodings (microseconds or days since
// 2000-01-01), parsed from and formatted to the text SQLite stores.

import { ChorusError } from '../errors.js';
import { Oid } from '../sql/types/oids.js';

// ---- date / time / timestamp: text <-> PostgreSQL binary (microseconds / days since 2000-01-01) ----

export const pgEpochDays = 10957; // 2000-01-01 in days since 1970-01-01
export const usPerDay = 86_400_000_000n;
export const int64Max = 2n ** 63n - 1n;
export const int64Min = -(2n ** 63n);
export const timestampPattern =
  /^(\d{4,})-(\d{1,2})-(\d{1,2})(?:(?:[ T]|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{1,2}(?::?\d{2}(?::?\d{2})?)?)?(\s+BC)?$/i;
export const timePattern = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/;

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}

export function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

export function fractionMicros(f: string | undefined): number {
  if (!f) return 0;
  const us = Number(f.slice(0, 6).padEnd(6, '0'));
  return f.length > 6 && f.charCodeAt(6) >= 0x35 ? us + 1 : us;
}

export function badDatetime(type: string, s: string): ChorusError {
  return new ChorusError('22007', `invalid input syntax for type ${type}: "${s}"`);
}

export function timeOfDayMicros(
  h: string,
  mi: string,
  sec: string | undefined,
  frac: string | undefined,
): number {
  const hh = Number(h);
  const mm = Number(mi);
  const ss = Number(sec ?? '0');
  if (hh > 24 || mm > 59 || ss > 60) return -1;
  const us = ((hh * 60 + mm) * 60 + ss) * 1e6 + fractionMicros(frac);
  return us > 86_400_000_000 ? -1 : us;
}

/** Days since 2000-01-01, or null when y-m-d is not a real date. */
export function pgDays(y: number, m: number, d: number): number | null {
  if (m < 1 || m > 12 || d < 1) return null;
  return d > daysInMonth(y, m) ? null : daysFromCivil(y, m, d) - pgEpochDays;
}

/** Days in month m (1-12) of year y, in the proleptic Gregorian calendar. */
export function daysInMonth(y: number, m: number): number {
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return m === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31;
}

/** Microseconds since 2000-01-01 UTC; offsets are applied only for timestamptz. */
export function parseTimestamp(s: string, withZone: boolean): bigint {
  const type = withZone ? 'timestamp with time zone' : 'timestamp';
  const t = s.trim();
  const lower = t.toLowerCase();
  if (lower === 'infinity' || lower === '+infinity') return int64Max;
  if (lower === '-infinity') return int64Min;
  const m = timestampPattern.exec(t);
  if (!m) throw badDatetime(type, s);
  const [, ys, mos, ds, h, mi, sec, frac, zone, bc] = m;
  const year = bc ? 1 - Number(ys) : Number(ys);
  const days = pgDays(year, Number(mos), Number(ds));
  const tod = h === undefined ? 0 : timeOfDayMicros(h, mi!, sec, frac);
  if (days === null || tod < 0) throw badDatetime(type, s);
  let offsetSeconds = 0;
  if (withZone && zone && zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(/:/g, '');
    const oh = Number(digits.length % 2 === 1 ? digits.slice(0, 1) : digits.slice(0, 2));
    const rest = digits.slice(digits.length % 2 === 1 ? 1 : 2);
    offsetSeconds = oh * 3600 + Number(rest.slice(0, 2) || '0') * 60 + Number(rest.slice(2, 4) || '0');
    if (zone[0] === '-') offsetSeconds = -offsetSeconds;
  }
  return BigInt(days) * usPerDay + BigInt(tod) - BigInt(offsetSeconds) * 1_000_000n;
}

export function parseDate(s: string): number {
  const t = s.trim();
  const lower = t.toLowerCase();
  if (lower === 'infinity' || lower === '+infinity') return 0x7fffffff;
  if (lower === '-infinity') return -0x80000000;
  const m = timestampPattern.exec(t);
  const days = m ? pgDays(m[9] ? 1 - Number(m[1]) : Number(m[1]), Number(m[2]), Number(m[3])) : null;
  if (days === null) throw badDatetime('date', s);
  return days;
}

export function parseTime(s: string): bigint {
  const m = timePattern.exec(s.trim());
  const us = m ? timeOfDayMicros(m[1]!, m[2]!, m[3], m[4]) : -1;
  if (us < 0) throw badDatetime('time without time zone', s);
  return BigInt(us);
}

export function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

export function formatDate(days: number): string {
  if (days === 0x7fffffff) return 'infinity';
  if (days === -0x80000000) return '-infinity';
  const [y, m, d] = civilFromDays(days + pgEpochDays);
  const body = `${String(y > 0 ? y : 1 - y).padStart(4, '0')}-${two(m)}-${two(d)}`;
  return y > 0 ? body : `${body} BC`;
}

/** 'HH:MM:SS.ffffff' for microseconds since midnight. */
export function formatTime(us: bigint): string {
  const secs = Number(us / 1_000_000n);
  const frac = String(Number(us % 1_000_000n)).padStart(6, '0');
  return `${two(Math.floor(secs / 3600))}:${two(Math.floor(secs / 60) % 60)}:${two(secs % 60)}.${frac}`;
}

export function formatTimestamp(us: bigint): string {
  if (us === int64Max) return 'infinity';
  if (us === int64Min) return '-infinity';
  let days = us / usPerDay;
  let rem = us % usPerDay;
  if (rem < 0n) {
    rem += usPerDay;
    days -= 1n;
  }
  const date = formatDate(Number(days));
  const time = formatTime(rem);
  return date.endsWith(' BC') ? `${date.slice(0, -3)} ${time} BC` : `${date} ${time}`;
}

function trimFraction(text: string): string {
  // PostgreSQL prints only the significant fractional digits: 10:00:00.120000 -> 10:00:00.12
  return text.replace(/\.(\d*?)0+(?=$|\s|\+)/, (_m, d: string) => (d ? `.${d}` : ''));
}

/**
 * The text a PostgreSQL server would send for a stored date/time value: ISO 'T' separators and
 * offsets are normalized (timestamptz to UTC with +00, timestamp without zone, date without time).
 * Values that do not parse are sent as stored.
 */
export function dateTimeText(oid: number, s: string): string {
  try {
    if (oid === Oid.timestamptz) {
      const us = parseTimestamp(s, true);
      if (us === int64Max || us === int64Min) return formatTimestamp(us);
      const t = trimFraction(formatTimestamp(us));
      return t.endsWith(' BC') ? `${t.slice(0, -3)}+00 BC` : `${t}+00`;
    }
    if (oid === Oid.timestamp) {
      if (!/[Tt]|[+-]\d\d(:?\d\d)?$|Z$/.test(s)) return s;
      return trimFraction(formatTimestamp(parseTimestamp(s, false)));
    }
    if (oid === Oid.date) {
      if (s.length === 10) return s;
      return formatDate(parseDate(s));
    }
  } catch {
    return s;
  }
  return s;
}
