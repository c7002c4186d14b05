// Constructors as PostgreSQL 15: make_date, make_time, make_timestamp, make_timestamptz (session
// zone or an explicit one, read as parse_sane_timezone does: '+05' is 5 hours EAST here),
// make_interval (int32 fields wrap as in PostgreSQL 15), to_timestamp(float8); their messages.

import { ChorusError } from '../../../errors.js';
import type { Interval } from '../interval/interval.js';
import { lookupTimeZone, type TimeZone } from '../timezone/timezone.js';
import { dynamicAbbrevZone, fixedAbbrev } from '../timezone/timezone-abbrevs.js';
import { timestampToTimestamptz } from './datetime-convert.js';
import {
  asciiLower,
  date2j,
  daysInMonth,
  INT64_MIN,
  isValidDate,
  isValidJulian,
  isValidTimestamp,
  rint,
  TIMESTAMP_NEG_INFINITY,
  TIMESTAMP_POS_INFINITY,
  timestampOutOfRange,
  timestampToTm,
  UNIX_EPOCH_JDATE,
  US_PER_SEC_N,
  USECS_PER_DAY,
} from './datetime-core.js';
import { decodeTimezone } from './datetime-decode-fields.js';
import { DtErr } from './datetime-lex.js';
import { determineOffset } from './datetime-zone.js';

/** 2^63, exact as a double: float8 → int64 casts must stay below it. */
const TWO_POW_63 = 2 ** 63;

/** C's printf("%g") as PostgreSQL's snprintf prints it (NaN, Infinity spelled out). */
export function formatG(x: number, zeroPadWidth = 0): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  let s: string;
  if (x === 0) s = Object.is(x, -0) ? '-0' : '0';
  else {
    const e = x.toExponential(5);
    const exp = Number(e.slice(e.indexOf('e') + 1));
    if (exp < -4 || exp >= 6) {
      const mant = e.slice(0, e.indexOf('e')).replace(/\.?0+$/, '');
      s = `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
    } else {
      s = x.toFixed(5 - exp);
      if (s.includes('.')) s = s.replace(/\.?0+$/, '');
    }
  }
  if (s.length >= zeroPadWidth) return s;
  const neg = s.startsWith('-');
  const digits = neg ? s.slice(1) : s;
  return `${neg ? '-' : ''}${digits.padStart(zeroPadWidth - (neg ? 1 : 0), '0')}`;
}

/** printf("%02d"). */
function d02(n: number): string {
  return n < 0 ? `-${String(-n).padStart(1, '0')}` : String(n).padStart(2, '0');
}

/** ValidateDate for make_date/make_timestamp: negative years are BC. Returns the adjusted year. */
function validateYmd(year: number, month: number, day: number): { y: number; ok: boolean } {
  let y = year;
  if (y === -2147483648) return { y, ok: false };
  if (y < 0) {
    y = -y;
    y = -(y - 1);
  } else if (y <= 0) return { y, ok: false };
  if (month < 1 || month > 12 || day < 1 || day > 31) return { y, ok: false };
  if (day > daysInMonth(y, month)) return { y, ok: false };
  return { y, ok: true };
}

/** make_date(year, month, day): days since 1970 (negative years are BC). */
export function makeDate(year: number, month: number, day: number): number {
  const v = validateYmd(year, month, day);
  const shown = year < 0 ? v.y : year;
  if (!v.ok) {
    throw new ChorusError('22008', `date field value out of range: ${shown}-${d02(month)}-${d02(day)}`);
  }
  const outOfRange = (): ChorusError =>
    new ChorusError('22008', `date out of range: ${shown}-${d02(month)}-${d02(day)}`);
  if (!isValidJulian(v.y, month)) throw outOfRange();
  const d = date2j(v.y, month, day) - UNIX_EPOCH_JDATE;
  if (!isValidDate(d)) throw outOfRange();
  return d;
}

/** float_time_overflows: hour <= 24, sec rounded to µs within 0..60, total <= 24:00:00. */
function floatTimeOverflows(hour: number, min: number, sec: number): boolean {
  if (hour < 0 || hour > 24 || min < 0 || min >= 60) return true;
  if (Number.isNaN(sec)) return true;
  const us = rint(sec * 1_000_000);
  if (us < 0 || us > 60_000_000) return true;
  return (hour * 60 + min) * 60 * 1_000_000 + us > USECS_PER_DAY;
}

function timeFieldError(hour: number, min: number, sec: number): ChorusError {
  return new ChorusError('22008', `time field value out of range: ${hour}:${d02(min)}:${formatG(sec, 2)}`);
}

/** make_time(hour, min, sec): µs since midnight. */
export function makeTime(hour: number, min: number, sec: number): bigint {
  if (floatTimeOverflows(hour, min, sec)) throw timeFieldError(hour, min, sec);
  return BigInt((hour * 60 + min) * 60 * 1_000_000 + rint(sec * 1_000_000));
}

const PG_EPOCH_OFFSET_US = 946_684_800_000_000n;

/** make_timestamp(year, month, day, hour, min, sec): µs since 1970. */
export function makeTimestamp(
  year: number,
  month: number,
  day: number,
  hour: number,
  min: number,
  sec: number,
): bigint {
  const v = validateYmd(year, month, day);
  if (!v.ok)
    throw new ChorusError('22008', `date field value out of range: ${year}-${d02(month)}-${d02(day)}`);
  if (!isValidJulian(v.y, month)) {
    throw new ChorusError('22008', `date out of range: ${year}-${d02(month)}-${d02(day)}`);
  }
  if (floatTimeOverflows(hour, min, sec)) throw timeFieldError(hour, min, sec);
  const time = BigInt((hour * 60 + min) * 60 * 1_000_000 + rint(sec * 1_000_000));
  const days = date2j(v.y, month, day) - UNIX_EPOCH_JDATE;
  const result = BigInt(days) * 86_400_000_000n + time;
  if (!isValidTimestamp(result)) {
    throw new ChorusError(
      '22008',
      `timestamp out of range: ${year}-${d02(month)}-${d02(day)} ${hour}:${d02(min)}:${formatG(sec, 2)}`,
    );
  }
  return result;
}

/** make_timestamptz(..., sec): the wall-clock time in the session zone. */
export function makeTimestamptz(
  year: number,
  month: number,
  day: number,
  hour: number,
  min: number,
  sec: number,
  sessionZone: TimeZone,
): bigint {
  return timestampToTimestamptz(makeTimestamp(year, month, day, hour, min, sec), sessionZone);
}

/**
 * parse_sane_timezone: a numeric zone ('+05', '-03:30', ISO sign: east positive), an abbreviation
 * or a zone name, for a local time. Returns seconds east of UTC.
 */
export function parseSaneTimezone(name: string, localFields: Parameters<typeof determineOffset>[1]): number {
  if (name[0] !== undefined && name[0] >= '0' && name[0] <= '9') {
    throw new ChorusError('22023', `invalid input syntax for type numeric time zone: "${name}"`, {
      hint: 'Numeric time zones must have "-" or "+" as first character.',
    });
  }
  const z = decodeTimezone(name);
  if (typeof z !== 'number') return -z.tz;
  if (z === DtErr.TzDispOverflow) throw new ChorusError('22023', `numeric time zone "${name}" out of range`);
  if (z !== DtErr.BadFormat) throw new ChorusError('22023', `time zone "${name}" not recognized`);
  const low = asciiLower(name);
  const fixed = fixedAbbrev(low);
  if (fixed !== undefined) return fixed.offset;
  const dyn = dynamicAbbrevZone(low);
  const zone = lookupTimeZone(dyn ?? name);
  if (zone === null) throw new ChorusError('22023', `time zone "${name}" not recognized`);
  return determineOffset(zone, localFields);
}

/** make_timestamptz(..., sec, zone): the wall-clock time in an explicitly named zone. */
export function makeTimestamptzAt(
  year: number,
  month: number,
  day: number,
  hour: number,
  min: number,
  sec: number,
  zoneName: string,
): bigint {
  const ts = makeTimestamp(year, month, day, hour, min, sec);
  const tm = timestampToTm(ts);
  if (tm === null) throw timestampOutOfRange();
  const r = ts - BigInt(parseSaneTimezone(zoneName, tm)) * US_PER_SEC_N;
  if (!isValidTimestamp(r)) throw timestampOutOfRange();
  return r;
}

/** make_interval(years, months, weeks, days, hours, mins, secs); int32 fields wrap as in PostgreSQL 15. */
export function makeInterval(
  years = 0,
  months = 0,
  weeks = 0,
  days = 0,
  hours = 0,
  mins = 0,
  secs = 0,
): Interval {
  if (!Number.isFinite(secs)) throw new ChorusError('22008', 'interval out of range');
  const us = rint(secs * 1_000_000);
  const secPart = us >= -TWO_POW_63 && us < TWO_POW_63 ? BigInt(us) : INT64_MIN;
  return {
    months: (Math.imul(years, 12) + months) | 0,
    days: (Math.imul(weeks, 7) + days) | 0,
    micros: BigInt.asIntN(64, BigInt(hours) * 3_600_000_000n + BigInt(mins) * 60_000_000n + secPart),
  };
}

/** Seconds since 1970 at the ends of PostgreSQL's timestamp range (4714-11-24 BC, 294277-01-01). */
const TO_TIMESTAMP_MIN_SECS = -210_866_803_200;
const TO_TIMESTAMP_END_SECS = 9_224_318_016_000;
const PG_EPOCH_SECS = 946_684_800;

/** to_timestamp(float8): Unix epoch seconds → timestamptz, rounded to µs as PostgreSQL does. */
export function toTimestamp(seconds: number): bigint {
  if (Number.isNaN(seconds)) throw new ChorusError('22008', 'timestamp cannot be NaN');
  if (!Number.isFinite(seconds)) return seconds < 0 ? TIMESTAMP_NEG_INFINITY : TIMESTAMP_POS_INFINITY;
  const oor = (): ChorusError => new ChorusError('22008', `timestamp out of range: "${formatG(seconds)}"`);
  if (seconds < TO_TIMESTAMP_MIN_SECS || seconds >= TO_TIMESTAMP_END_SECS) throw oor();
  const pgUs = BigInt(rint((seconds - PG_EPOCH_SECS) * 1_000_000));
  const r = pgUs + PG_EPOCH_OFFSET_US;
  if (!isValidTimestamp(r)) throw oor();
  return r;
}
