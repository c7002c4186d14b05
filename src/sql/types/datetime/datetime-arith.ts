// Date/time arithmetic as PostgreSQL 15: timestamp(tz) ± interval (months with the day clamped to
// the month's end, then days — in the zone for timestamptz, DST-aware — then µs), differences
// (timestamp - timestamp = justify_hours'd interval, date - date = days), date ± days,
// time ± interval (wrapping at midnight), date + time, and age().

import { ChorusError } from '../../../errors.js';
import { checkedInt64, type Interval } from '../interval/interval.js';
import { intervalUm, justifyHours } from '../interval/interval-arith.js';
import type { TimeZone } from '../timezone/timezone.js';
import {
  DATE_NEG_INFINITY,
  DATE_POS_INFINITY,
  date2j,
  daysInMonth,
  INT32_MAX,
  INT32_MIN,
  INT64_MAX,
  INT64_MIN,
  intervalOutOfRange,
  isDateFinite,
  isTimestampFinite,
  isValidDate,
  isValidTimestamp,
  j2date,
  TIMESTAMP_NEG_INFINITY,
  TIMESTAMP_POS_INFINITY,
  type Tm,
  timestampOutOfRange,
  timestampToTm,
  tmToTimestamp,
  US_PER_DAY_N,
} from './datetime-core.js';
import { determineOffset, localTm } from './datetime-zone.js';

function dateOutOfRange(): ChorusError {
  return new ChorusError('22008', 'date out of range');
}

/** Adds months to a broken-down time, clamping the day to the new month's length. */
function addMonths(tm: Tm, months: number): void {
  let mon = tm.mon + months;
  if (mon < INT32_MIN || mon > INT32_MAX) throw timestampOutOfRange();
  if (mon > 12) {
    tm.year += Math.trunc((mon - 1) / 12);
    mon = ((mon - 1) % 12) + 1;
  } else if (mon < 1) {
    tm.year += Math.trunc(mon / 12) - 1;
    mon = (mon % 12) + 12;
  }
  tm.mon = mon;
  const last = daysInMonth(tm.year, tm.mon);
  if (tm.mday > last) tm.mday = last;
}

function addDays(tm: Tm, days: number): void {
  const julian = date2j(tm.year, tm.mon, tm.mday) + days;
  if (julian < 0 || julian > INT32_MAX) throw timestampOutOfRange();
  [tm.year, tm.mon, tm.mday] = j2date(julian);
}

function addMicros(t: bigint, micros: bigint): bigint {
  const r = t + micros;
  if (!isValidTimestamp(r)) throw timestampOutOfRange();
  return r;
}

/** timestamp + interval. */
export function timestampPlInterval(ts: bigint, iv: Interval): bigint {
  if (!isTimestampFinite(ts)) return ts;
  let t = ts;
  if (iv.months !== 0) {
    const tm = timestampToTm(t);
    if (tm === null) throw timestampOutOfRange();
    addMonths(tm, iv.months);
    const r = tmToTimestamp(tm);
    if (r === null) throw timestampOutOfRange();
    t = r;
  }
  if (iv.days !== 0) {
    const tm = timestampToTm(t);
    if (tm === null) throw timestampOutOfRange();
    addDays(tm, iv.days);
    const r = tmToTimestamp(tm);
    if (r === null) throw timestampOutOfRange();
    t = r;
  }
  return addMicros(t, iv.micros);
}

/** timestamp - interval. */
export function timestampMiInterval(ts: bigint, iv: Interval): bigint {
  return timestampPlInterval(ts, intervalUm(iv));
}

/** timestamptz + interval: months and days move the wall clock in `zone` (DST-aware), then µs. */
export function timestamptzPlInterval(ts: bigint, iv: Interval, zone: TimeZone): bigint {
  if (!isTimestampFinite(ts)) return ts;
  const toUtc = (tm: Tm): bigint => {
    const r = tmToTimestamp(tm, determineOffset(zone, tm));
    if (r === null) throw timestampOutOfRange();
    return r;
  };
  let t = ts;
  if (iv.months !== 0) {
    const { tm } = localTm(t, zone);
    addMonths(tm, iv.months);
    t = toUtc(tm);
  }
  if (iv.days !== 0) {
    const { tm } = localTm(t, zone);
    addDays(tm, iv.days);
    t = toUtc(tm);
  }
  return addMicros(t, iv.micros);
}

/** timestamptz - interval. */
export function timestamptzMiInterval(ts: bigint, iv: Interval, zone: TimeZone): bigint {
  return timestamptzPlInterval(ts, intervalUm(iv), zone);
}

/**
 * timestamp - timestamp (also timestamptz - timestamptz): the µs difference, justify_hours'd. As in
 * PostgreSQL 15 the difference wraps around int64 when it overflows (no error).
 */
export function timestampMi(a: bigint, b: bigint): Interval {
  if (!isTimestampFinite(a) || !isTimestampFinite(b)) {
    throw new ChorusError('22008', 'cannot subtract infinite timestamps');
  }
  return justifyHours({ months: 0, days: 0, micros: BigInt.asIntN(64, a - b) });
}

/** date + integer. */
export function datePli(d: number, days: number): number {
  if (!isDateFinite(d)) return d;
  const r = d + days;
  if (!isValidDate(r)) throw dateOutOfRange();
  return r;
}

/** date - integer. */
export function dateMii(d: number, days: number): number {
  if (!isDateFinite(d)) return d;
  const r = d - days;
  if (!isValidDate(r)) throw dateOutOfRange();
  return r;
}

/** date - date: days. */
export function dateMi(a: number, b: number): number {
  if (!isDateFinite(a) || !isDateFinite(b)) throw new ChorusError('22008', 'cannot subtract infinite dates');
  return a - b;
}

/** date2timestamp: midnight of a date (22008 "date out of range for timestamp" past the range). */
export function dateToTimestamp(d: number): bigint {
  if (d === DATE_NEG_INFINITY) return TIMESTAMP_NEG_INFINITY;
  if (d === DATE_POS_INFINITY) return TIMESTAMP_POS_INFINITY;
  const t = BigInt(d) * US_PER_DAY_N;
  if (!isValidTimestamp(t)) throw new ChorusError('22008', 'date out of range for timestamp');
  return t;
}

/** date + interval → timestamp. */
export function datePlInterval(d: number, iv: Interval): bigint {
  return timestampPlInterval(dateToTimestamp(d), iv);
}

/** date - interval → timestamp. */
export function dateMiInterval(d: number, iv: Interval): bigint {
  return timestampMiInterval(dateToTimestamp(d), iv);
}

/** date + time → timestamp. */
export function datePlTime(d: number, time: bigint): bigint {
  const t = dateToTimestamp(d);
  if (!isTimestampFinite(t)) return t;
  const r = t + time;
  if (!isValidTimestamp(r)) throw timestampOutOfRange();
  return r;
}

/** time + interval: the µs part only, wrapped into one day. */
export function timePlInterval(time: bigint, iv: Interval): bigint {
  let r = (time + iv.micros) % US_PER_DAY_N;
  if (r < 0n) r += US_PER_DAY_N;
  return r;
}

/** time - interval. */
export function timeMiInterval(time: bigint, iv: Interval): bigint {
  let r = (time - iv.micros) % US_PER_DAY_N;
  if (r < 0n) r += US_PER_DAY_N;
  return r;
}

/** time - time → interval (µs only). */
export function timeMi(a: bigint, b: bigint): Interval {
  return { months: 0, days: 0, micros: checkedInt64(a - b) };
}

// ---- age ----

const PG_EPOCH_OFFSET_US = 946_684_800_000_000n;

/** PostgreSQL 15's age() reads ±infinity as its int64 extremes (2000-based), not as infinity. */
function ageValue(ts: bigint): bigint {
  if (ts === TIMESTAMP_POS_INFINITY) return INT64_MAX + PG_EPOCH_OFFSET_US;
  if (ts === TIMESTAMP_NEG_INFINITY) return INT64_MIN + PG_EPOCH_OFFSET_US;
  return ts;
}

/** The symbolic difference tm1 - tm2 (years, months, days, time), borrowing as age() does. */
function symbolicDiff(tm1: Tm, tm2: Tm, negative: boolean): Interval {
  const s = negative ? -1 : 1;
  let usec = s * (tm1.fsec - tm2.fsec);
  let sec = s * (tm1.sec - tm2.sec);
  let min = s * (tm1.min - tm2.min);
  let hour = s * (tm1.hour - tm2.hour);
  let mday = s * (tm1.mday - tm2.mday);
  let mon = s * (tm1.mon - tm2.mon);
  let year = s * (tm1.year - tm2.year);
  while (usec < 0) {
    usec += 1_000_000;
    sec--;
  }
  while (sec < 0) {
    sec += 60;
    min--;
  }
  while (min < 0) {
    min += 60;
    hour--;
  }
  while (hour < 0) {
    hour += 24;
    mday--;
  }
  const ref = negative ? tm1 : tm2;
  while (mday < 0) {
    mday += daysInMonth(ref.year, ref.mon);
    mon--;
  }
  while (mon < 0) {
    mon += 12;
    year--;
  }
  const months = s * (year * 12 + mon);
  if (months < INT32_MIN || months > INT32_MAX) throw intervalOutOfRange();
  const micros =
    BigInt(s) * (((BigInt(hour) * 60n + BigInt(min)) * 60n + BigInt(sec)) * 1_000_000n + BigInt(usec));
  return { months: months + 0, days: s * mday + 0, micros: checkedInt64(micros) };
}

/** age(timestamp, timestamp). */
export function timestampAge(a: bigint, b: bigint): Interval {
  const x = ageValue(a);
  const y = ageValue(b);
  const tm1 = timestampToTm(x);
  const tm2 = timestampToTm(y);
  if (tm1 === null || tm2 === null) throw timestampOutOfRange();
  return symbolicDiff(tm1, tm2, x < y);
}

/** age(timestamptz, timestamptz): the local times in `zone` (offset differences ignored). */
export function timestamptzAge(a: bigint, b: bigint, zone: TimeZone): Interval {
  const x = ageValue(a);
  const y = ageValue(b);
  return symbolicDiff(localTm(x, zone).tm, localTm(y, zone).tm, x < y);
}
