// to_date(text, text) and to_timestamp(text, text) (PostgreSQL 15 formatting.c's do_to_timestamp,
// to_date and to_timestamp): the fields from-char-datetime.ts reads made into a date, or into a
// timestamptz in the string's TZH:TZM offset or else the session TimeZone.

import { ChorusError } from '../../../errors.js';
import {
  date2j,
  dateOutOfRange,
  daysInMonth,
  fieldOverflow,
  isLeap,
  isValidDate,
  isValidJulian,
  type Tm,
  timestampOutOfRange,
  tmToTimestamp,
  UNIX_EPOCH_JDATE,
} from '../../types/datetime/datetime-core.js';
import { adjustTimestampForTypmod } from '../../types/datetime/datetime-parse.js';
import { determineOffset } from '../../types/datetime/datetime-zone.js';
import type { TimeZone } from '../../types/timezone/timezone.js';
import { readDateTimeFields, type TmFromChar } from './from-char-datetime.js';

/** The largest zone offset hour a string may give (MAX_TZDISP_HOUR). */
const ZONE_HOURS_MAX = 15;

/** What do_to_timestamp returns: the broken-down value, FF's precision, the string's offset. */
export interface FromCharResult {
  tm: Tm;
  /** FF1..FF6 given: round the timestamp to that many digits (0: no rounding). */
  fprec: number;
  /** Seconds east of UTC from TZH / TZM, or null when the string gave none. */
  gmtoff: number | null;
}

// ---- PostgreSQL's calendar routines with C's int arithmetic (out-of-range inputs wrap as there) ----

/** date2j with C's truncating division. */
function date2jC(year: number, month: number, day: number): number {
  let y = year;
  let m = month;
  if (m > 2) {
    m += 1;
    y += 4800;
  } else {
    m += 13;
    y += 4799;
  }
  const century = Math.trunc(y / 100);
  let julian = y * 365 - 32167;
  julian += Math.trunc(y / 4) - century + Math.trunc(century / 4);
  julian += Math.trunc((7834 * m) / 256) + day;
  return julian | 0;
}

/** j2date with its unsigned arithmetic. */
function j2dateC(jd: number): [number, number, number] {
  let julian = (jd + 32044) >>> 0;
  let quad = Math.floor(julian / 146097);
  const extra = (julian - quad * 146097) * 4 + 3;
  julian = (julian + 60 + quad * 3 + Math.floor(extra / 146097)) >>> 0;
  quad = Math.floor(julian / 1461);
  julian -= quad * 1461;
  let y = Math.floor((julian * 4) / 1461);
  julian = (y !== 0 ? (julian + 305) % 365 : (julian + 306) % 366) + 123;
  y = (y + quad * 4) | 0;
  const year = (y - 4800) | 0;
  quad = Math.floor((julian * 2141) / 65536);
  const day = julian - Math.floor((7834 * quad) / 256);
  const month = ((quad + 10) % 12) + 1;
  return [year, month, day];
}

function j2dayC(jd: number): number {
  const d = (jd + 1) % 7;
  return d < 0 ? d + 7 : d;
}

function isoweek2jC(year: number, week: number): number {
  const day4 = date2jC(year, 1, 4);
  const day0 = j2dayC(day4 - 1);
  return ((week - 1) * 7 + (day4 - day0)) | 0;
}

const YEAR = 1;
const MONTH = 2;
const DAY = 4;
const DATE = YEAR | MONTH | DAY;

/** Cumulative days before each month, common and leap years. */
const ysum = [
  [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365],
  [0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335, 366],
];

function noFields(): TmFromChar {
  return readDateTimeFields('', '');
}

/** do_to_timestamp: read `input` by `picture` and check the result. */
export function fromChar(input: string, picture: string): FromCharResult {
  const f = picture.length > 0 ? readDateTimeFields(input, picture) : noFields();
  const tm: Tm = { year: 0, mon: 1, mday: 1, hour: 0, min: 0, sec: 0, fsec: 0 };
  let fmask = 0;
  if (f.ssss) {
    let x = f.ssss;
    tm.hour = Math.trunc(x / 3600);
    x %= 3600;
    tm.min = Math.trunc(x / 60);
    tm.sec = x % 60;
  }
  if (f.ss) tm.sec = f.ss;
  if (f.mi) tm.min = f.mi;
  if (f.hh) tm.hour = f.hh;
  if (f.clock12) {
    if (tm.hour < 1 || tm.hour > 12) {
      throw new ChorusError('22007', `hour "${tm.hour}" is invalid for the 12-hour clock`, {
        hint: 'Use the 24-hour clock, or give an hour between 1 and 12.',
      });
    }
    if (f.pm && tm.hour < 12) tm.hour += 12;
    else if (!f.pm && tm.hour === 12) tm.hour = 0;
  }
  if (f.year) {
    if (f.cc && f.yysz <= 2) {
      // YY in century CC: the 21st century runs from 2001 to 2100, the 6th BC from 600 to 501 BC
      const cc = f.bc ? -f.cc | 0 : f.cc;
      let year = f.year % 100;
      if (year) year = cc >= 0 ? (year + (cc - 1) * 100) | 0 : ((cc + 1) * 100 - year + 1) | 0;
      else year = (cc * 100 + (cc >= 0 ? 0 : 1)) | 0;
      tm.year = year;
    } else {
      tm.year = f.bc ? -f.year | 0 : f.year;
      if (tm.year < 0) tm.year++;
    }
    fmask |= YEAR;
  } else if (f.cc) {
    const cc = f.bc ? -f.cc | 0 : f.cc;
    tm.year = cc >= 0 ? ((cc - 1) * 100 + 1) | 0 : (cc * 100 + 1) | 0;
    fmask |= YEAR;
  }
  if (f.j) {
    [tm.year, tm.mon, tm.mday] = j2dateC(f.j);
    fmask |= DATE;
  }
  let ddd = f.ddd;
  let dd = f.dd;
  if (f.ww) {
    if (f.mode === 'isoweek') {
      // without a day of the week, the Monday of the ISO week
      let jd = isoweek2jC(tm.year, f.ww);
      if (f.d) jd = (jd + (f.d > 1 ? f.d - 2 : 6)) | 0;
      [tm.year, tm.mon, tm.mday] = j2dateC(jd);
      fmask |= DATE;
    } else ddd = ((f.ww - 1) * 7 + 1) | 0;
  }
  if (f.w) dd = ((f.w - 1) * 7 + 1) | 0;
  if (dd) {
    tm.mday = dd;
    fmask |= DAY;
  }
  if (f.mm) {
    tm.mon = f.mm;
    fmask |= MONTH;
  }
  if (ddd && (tm.mon <= 1 || tm.mday <= 1)) {
    if (!tm.year && !f.bc) {
      throw new ChorusError('22007', 'cannot calculate day of year without year information');
    }
    if (f.mode === 'isoweek') {
      const j0 = isoweek2jC(tm.year, 1) - 1;
      [tm.year, tm.mon, tm.mday] = j2dateC((j0 + ddd) | 0);
      fmask |= DATE;
    } else {
      const y = ysum[isLeap(tm.year) ? 1 : 0]!;
      let i = 1;
      while (i <= 12 && ddd > y[i]!) i++;
      if (tm.mon <= 1) tm.mon = i;
      if (tm.mday <= 1) tm.mday = (ddd - y[i - 1]!) | 0;
      fmask |= MONTH | DAY;
    }
  }
  let fsec = 0;
  if (f.ms) fsec = (fsec + Math.imul(f.ms, 1000)) | 0;
  if (f.us) fsec = (fsec + f.us) | 0;
  tm.fsec = fsec;
  // ValidateDate (the year was already made astronomical)
  if (
    ((fmask & MONTH) !== 0 && (tm.mon < 1 || tm.mon > 12)) ||
    ((fmask & DAY) !== 0 && (tm.mday < 1 || tm.mday > 31))
  ) {
    throw fieldOverflow(input);
  }
  if ((fmask & DATE) === DATE && tm.mday > daysInMonth(tm.year, tm.mon)) throw fieldOverflow(input);
  if (
    tm.hour < 0 ||
    tm.hour >= 24 ||
    tm.min < 0 ||
    tm.min >= 60 ||
    tm.sec < 0 ||
    tm.sec >= 60 ||
    fsec < 0 ||
    fsec >= 1_000_000
  ) {
    throw fieldOverflow(input);
  }
  let gmtoff: number | null = null;
  if (f.tzsign) {
    if (f.tzh < 0 || f.tzh > ZONE_HOURS_MAX || f.tzm < 0 || f.tzm >= 60) {
      throw new ChorusError('22009', `time zone displacement out of range: "${input}"`);
    }
    gmtoff = f.tzsign * (f.tzh * 3600 + f.tzm * 60);
  }
  return { tm, fprec: f.ff, gmtoff };
}

/** to_date(text, text): days since 1970-01-01. */
export function toDate(input: string, picture: string): number {
  const { tm } = fromChar(input, picture);
  if (!isValidJulian(tm.year, tm.mon)) throw dateOutOfRange(input);
  const days = date2j(tm.year, tm.mon, tm.mday) - UNIX_EPOCH_JDATE;
  if (!isValidDate(days)) throw dateOutOfRange(input);
  return days;
}

/** to_timestamp(text, text): µs since 1970-01-01 UTC. */
export function toTimestamp(input: string, picture: string, zone: TimeZone): bigint {
  const { tm, fprec, gmtoff } = fromChar(input, picture);
  const t = tmToTimestamp(tm, gmtoff ?? determineOffset(zone, tm));
  if (t === null) throw timestampOutOfRange();
  return fprec ? adjustTimestampForTypmod(t, fprec) : t;
}
