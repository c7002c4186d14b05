// Date/time core: storage constants (days / µs since 1970-01-01, ±infinity), PostgreSQL's valid
// ranges, the proleptic Gregorian calendar (Julian day numbers, as PostgreSQL's date2j/j2date),
// broken-down times, and the typed errors every date/time module raises.

import { ChorusError } from '../../../errors.js';

// ---- units ----
export const USECS_PER_SEC = 1_000_000;
export const USECS_PER_MINUTE = 60_000_000;
export const USECS_PER_HOUR = 3_600_000_000;
export const USECS_PER_DAY = 86_400_000_000;
export const SECS_PER_MINUTE = 60;
export const SECS_PER_HOUR = 3600;
export const SECS_PER_DAY = 86_400;
export const MINS_PER_HOUR = 60;
export const HOURS_PER_DAY = 24;
export const DAYS_PER_MONTH = 30;
export const MONTHS_PER_YEAR = 12;
export const DAYS_PER_WEEK = 7;
export const DAYS_PER_YEAR = 365.25;
export const US_PER_SEC_N = 1_000_000n;
export const US_PER_DAY_N = 86_400_000_000n;
export const US_PER_HOUR_N = 3_600_000_000n;
export const US_PER_MINUTE_N = 60_000_000n;

/** Largest fractional-second precision of time, timestamp and interval typmods. */
export const MAX_TIME_PRECISION = 6;
export const MAX_TIMESTAMP_PRECISION = 6;
export const MAX_INTERVAL_PRECISION = 6;

// ---- integer limits ----
export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
export const INT64_MIN = -9223372036854775808n;
export const INT64_MAX = 9223372036854775807n;

// ---- storage: ±infinity ----
export const DATE_NEG_INFINITY = -2147483648;
export const DATE_POS_INFINITY = 2147483647;
export const TIMESTAMP_NEG_INFINITY = INT64_MIN;
export const TIMESTAMP_POS_INFINITY = INT64_MAX;

// ---- Julian days ----
/** Julian day number of 1970-01-01 (the storage epoch). */
export const UNIX_EPOCH_JDATE = 2440588;
/** Julian day number of 2000-01-01 (PostgreSQL's own epoch). */
export const POSTGRES_EPOCH_JDATE = 2451545;
/** Julian day 0 = 4714-11-24 BC, the first date PostgreSQL accepts. */
export const DATETIME_MIN_JULIAN = 0;
/** First Julian day past the date range (5874898-01-01). */
export const DATE_END_JULIAN = 2147483494;
/** First Julian day past the timestamp range (294277-01-01). */
export const TIMESTAMP_END_JULIAN = 109203528;

/** Smallest date (days since 1970-01-01): 4714-11-24 BC. */
export const DATE_MIN_DAYS = DATETIME_MIN_JULIAN - UNIX_EPOCH_JDATE;
/** One past the largest date: 5874898-01-01. */
export const DATE_END_DAYS = DATE_END_JULIAN - UNIX_EPOCH_JDATE;
/** Smallest timestamp (µs since 1970-01-01): 4714-11-24 00:00:00 BC. */
export const TIMESTAMP_MIN_US = BigInt(DATETIME_MIN_JULIAN - UNIX_EPOCH_JDATE) * US_PER_DAY_N;
/**
 * One past the largest timestamp PostgreSQL allows (294277-01-01 00:00:00). It does not fit in the
 * int64 storage (µs since 1970, where PostgreSQL counts from 2000): values from
 * 294247-01-10 04:00:54.775807 up are out of range here.
 */
export const TIMESTAMP_END_US = BigInt(TIMESTAMP_END_JULIAN - UNIX_EPOCH_JDATE) * US_PER_DAY_N;

export function isDateFinite(d: number): boolean {
  return d !== DATE_NEG_INFINITY && d !== DATE_POS_INFINITY;
}

export function isTimestampFinite(t: bigint): boolean {
  return t !== TIMESTAMP_NEG_INFINITY && t !== TIMESTAMP_POS_INFINITY;
}

/** PostgreSQL's IS_VALID_DATE, on days since 1970-01-01. */
export function isValidDate(d: number): boolean {
  return d >= DATE_MIN_DAYS && d < DATE_END_DAYS;
}

/** PostgreSQL's IS_VALID_TIMESTAMP, narrowed to what the int64 storage holds (infinity excluded). */
export function isValidTimestamp(t: bigint): boolean {
  return t >= TIMESTAMP_MIN_US && t < TIMESTAMP_END_US && t < INT64_MAX;
}

/** PostgreSQL's IS_VALID_JULIAN: the year/month range date2j handles (the day is not checked). */
export function isValidJulian(y: number, m: number): boolean {
  return (y > -4713 || (y === -4713 && m >= 11)) && (y < 5874898 || (y === 5874898 && m < 6));
}

// ---- calendar ----
const DAY_TAB = [
  [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31],
  [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31],
];

/** Leap year in the proleptic Gregorian calendar; year 0 is 1 BC. */
export function isLeap(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

export function daysInMonth(y: number, m: number): number {
  return DAY_TAB[isLeap(y) ? 1 : 0]![m - 1]!;
}

/** Julian day number of y-m-d (astronomical years: 0 = 1 BC); linear in d, like date2j. */
export function date2j(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy + 1721120;
}

/** Year, month, day of a Julian day number. */
export function j2date(jd: number): [number, number, number] {
  const z = jd - 1721120;
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

/** Day of week of a Julian day: 0 = Sunday .. 6 = Saturday. */
export function j2day(jd: number): number {
  return (((jd + 1) % 7) + 7) % 7;
}

/** Days since 1970-01-01 of y-m-d. */
export function daysFromYmd(y: number, m: number, d: number): number {
  return date2j(y, m, d) - UNIX_EPOCH_JDATE;
}

/** Broken-down date and time of day; fsec is microseconds (0..999999). */
export interface Tm {
  year: number;
  mon: number;
  mday: number;
  hour: number;
  min: number;
  sec: number;
  fsec: number;
}

export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** Splits µs since 1970 into whole days and µs of day (0 <= µs < 1 day). */
export function splitDays(us: bigint): [number, number] {
  const days = floorDiv(us, US_PER_DAY_N);
  return [Number(days), Number(us - days * US_PER_DAY_N)];
}

/** Hours, minutes, seconds, µs of a time of day in µs. */
export function timeFields(us: number): [number, number, number, number] {
  const hour = Math.floor(us / USECS_PER_HOUR);
  let rest = us - hour * USECS_PER_HOUR;
  const min = Math.floor(rest / USECS_PER_MINUTE);
  rest -= min * USECS_PER_MINUTE;
  const sec = Math.floor(rest / USECS_PER_SEC);
  return [hour, min, sec, rest - sec * USECS_PER_SEC];
}

/** timestamp2tm without a zone: null when the Julian day is outside what PostgreSQL converts. */
export function timestampToTm(us: bigint): Tm | null {
  const [days, tod] = splitDays(us);
  const jd = days + UNIX_EPOCH_JDATE;
  if (jd < 0 || jd > INT32_MAX) return null;
  return daysToTm(days, tod);
}

/** Broken-down fields of whole days since 1970 and µs of day (no range check). */
export function daysToTm(days: number, tod: number): Tm {
  const [year, mon, mday] = j2date(days + UNIX_EPOCH_JDATE);
  const [hour, min, sec, fsec] = timeFields(tod);
  return { year, mon, mday, hour, min, sec, fsec };
}

export function timeToUs(hour: number, min: number, sec: number, fsec: number): number {
  return ((hour * MINS_PER_HOUR + min) * SECS_PER_MINUTE + sec) * USECS_PER_SEC + fsec;
}

/**
 * tm2timestamp: µs since 1970 of a local date and time, minus gmtoff seconds (east of UTC). Null
 * when out of range.
 */
export function tmToTimestamp(tm: Tm, gmtoff = 0): bigint | null {
  if (!isValidJulian(tm.year, tm.mon)) return null;
  const days = BigInt(daysFromYmd(tm.year, tm.mon, tm.mday));
  const t =
    days * US_PER_DAY_N + BigInt(timeToUs(tm.hour, tm.min, tm.sec, tm.fsec)) - BigInt(gmtoff) * US_PER_SEC_N;
  return isValidTimestamp(t) ? t : null;
}

// ---- ISO weeks ----

/** ISO 8601 week number of y-m-d (date2isoweek). */
export function date2isoweek(y: number, m: number, d: number): number {
  const dayn = date2j(y, m, d);
  let day4 = date2j(y, 1, 4);
  let day0 = j2day(day4 - 1);
  if (dayn < day4 - day0) {
    day4 = date2j(y - 1, 1, 4);
    day0 = j2day(day4 - 1);
  }
  let result = Math.trunc((dayn - (day4 - day0)) / 7) + 1;
  if (result >= 52) {
    day4 = date2j(y + 1, 1, 4);
    day0 = j2day(day4 - 1);
    if (dayn >= day4 - day0) result = Math.trunc((dayn - (day4 - day0)) / 7) + 1;
  }
  return result;
}

/** ISO 8601 year of y-m-d (date2isoyear; year 0 exists). */
export function date2isoyear(y: number, m: number, d: number): number {
  const dayn = date2j(y, m, d);
  let year = y;
  let day4 = date2j(year, 1, 4);
  let day0 = j2day(day4 - 1);
  if (dayn < day4 - day0) {
    year--;
    day4 = date2j(year, 1, 4);
    day0 = j2day(day4 - 1);
  }
  const result = Math.trunc((dayn - (day4 - day0)) / 7) + 1;
  if (result >= 52) {
    day4 = date2j(year + 1, 1, 4);
    day0 = j2day(day4 - 1);
    if (dayn >= day4 - day0) year++;
  }
  return year;
}

/** Julian day of the Monday starting ISO week `week` of ISO year `year` (isoweek2j). */
export function isoweek2j(year: number, week: number): number {
  const day4 = date2j(year, 1, 4);
  const day0 = j2day(day4 - 1);
  return (week - 1) * 7 + (day4 - day0);
}

// ---- errors ----

export function invalidSyntax(type: string, text: string): ChorusError {
  return new ChorusError('22007', `invalid input syntax for type ${type}: "${text}"`);
}

export function fieldOverflow(text: string, hint?: string): ChorusError {
  return new ChorusError(
    '22008',
    `date/time field value out of range: "${text}"`,
    hint === undefined ? {} : { hint },
  );
}

export function timestampOutOfRange(text?: string): ChorusError {
  return new ChorusError(
    '22008',
    text === undefined ? 'timestamp out of range' : `timestamp out of range: "${text}"`,
  );
}

export function dateOutOfRange(text?: string): ChorusError {
  return new ChorusError('22008', text === undefined ? 'date out of range' : `date out of range: "${text}"`);
}

export function intervalOutOfRange(): ChorusError {
  return new ChorusError('22008', 'interval out of range');
}

export function timeZoneNotRecognized(name: string): ChorusError {
  return new ChorusError('22023', `time zone "${name}" not recognized`);
}

// ---- small helpers ----

export function pad(n: number, width: number): string {
  const s = String(Math.abs(n));
  return s.length >= width ? s : '0'.repeat(width - s.length) + s;
}

/** C's (int) cast of a double: truncation toward zero. */
export function trunc(x: number): number {
  return Math.trunc(x) + 0;
}

/** C's rint(): round half to even. */
export function rint(x: number): number {
  if (!Number.isFinite(x)) return x;
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function clampToInt64(x: bigint): bigint | null {
  return x < INT64_MIN || x > INT64_MAX ? null : x;
}

/** Lower-cases ASCII letters only, as PostgreSQL's downcase_truncate_identifier does in UTF8. */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}
