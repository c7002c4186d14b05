// Interval arithmetic as PostgreSQL 15: + - and unary minus field by field (22008 "interval out
// of range" on int32/int64 overflow), * and / by float8 with the fractional month → day → µs
// cascade, and justify_hours / justify_days / justify_interval.

import { ChorusError } from '../../../errors.js';
import { INT32_MIN, intervalOutOfRange, rint, trunc } from '../datetime/datetime-core.js';
import { checkedInt32, checkedInt64, type Interval } from './interval.js';

/** 2^63, exact as a double: float8 → int64 casts must stay below it. */
const TWO_POW_63 = 2 ** 63;

const US_PER_DAY = 86_400_000_000n;
const DAYS_PER_MONTH = 30;
const SECS_PER_DAY = 86_400;
/** TSROUND: results rounded to 1e-6 to tame float error (TS_PREC_INV). */
const TS_PREC_INV = 1_000_000;

function tsround(x: number): number {
  return rint(x * TS_PREC_INV) / TS_PREC_INV;
}

export function intervalPl(a: Interval, b: Interval): Interval {
  return {
    months: checkedInt32(a.months + b.months),
    days: checkedInt32(a.days + b.days),
    micros: checkedInt64(a.micros + b.micros),
  };
}

export function intervalMi(a: Interval, b: Interval): Interval {
  return {
    months: checkedInt32(a.months - b.months),
    days: checkedInt32(a.days - b.days),
    micros: checkedInt64(a.micros - b.micros),
  };
}

export function intervalUm(a: Interval): Interval {
  return {
    months: checkedInt32(-a.months + 0),
    days: checkedInt32(-a.days + 0),
    micros: checkedInt64(-a.micros),
  };
}

/** FLOAT8_FITS_IN_INT32 / FLOAT8_FITS_IN_INT64. */
function fitsInt32(x: number): boolean {
  return !Number.isNaN(x) && x >= INT32_MIN && x < -INT32_MIN;
}
function fitsInt64(x: number): boolean {
  return !Number.isNaN(x) && x >= -TWO_POW_63 && x < TWO_POW_63;
}

/** interval_mul / interval_div: whole parts per field, fractions cascaded down to days and µs. */
function scale(iv: Interval, factor: number, divide: boolean): Interval {
  const f = (x: number): number => (divide ? x / factor : x * factor);
  const monthsD = f(iv.months);
  if (!fitsInt32(monthsD)) throw intervalOutOfRange();
  const months = trunc(monthsD);
  const daysD = f(iv.days);
  if (!fitsInt32(daysD)) throw intervalOutOfRange();
  let days = trunc(daysD);
  const monthRemainderDays = tsround((f(iv.months) - months) * DAYS_PER_MONTH);
  let secRemainder = tsround(
    (f(iv.days) - days + monthRemainderDays - trunc(monthRemainderDays)) * SECS_PER_DAY,
  );
  if (Math.abs(secRemainder) >= SECS_PER_DAY) {
    const extra = trunc(secRemainder / SECS_PER_DAY);
    days = checkedInt32(days + extra);
    secRemainder -= extra * SECS_PER_DAY;
  }
  days = checkedInt32(days + trunc(monthRemainderDays));
  const microsD = rint(f(Number(iv.micros)) + secRemainder * 1_000_000);
  if (!fitsInt64(microsD)) throw intervalOutOfRange();
  return { months, days, micros: BigInt(microsD) };
}

/** interval * float8. */
export function intervalMul(iv: Interval, factor: number): Interval {
  if (Number.isNaN(factor)) throw intervalOutOfRange();
  return scale(iv, factor, false);
}

/** interval / float8: 22012 division by zero. */
export function intervalDiv(iv: Interval, factor: number): Interval {
  if (factor === 0) throw new ChorusError('22012', 'division by zero');
  if (Number.isNaN(factor)) throw intervalOutOfRange();
  return scale(iv, factor, true);
}

/** justify_hours: whole days out of the µs field; day and time signs made to agree. */
export function justifyHours(iv: Interval): Interval {
  let micros = iv.micros % US_PER_DAY;
  const wholeDay = Number(iv.micros / US_PER_DAY);
  let days = checkedInt32(iv.days + wholeDay);
  if (days > 0 && micros < 0n) {
    micros += US_PER_DAY;
    days--;
  } else if (days < 0 && micros > 0n) {
    micros -= US_PER_DAY;
    days++;
  }
  return { months: iv.months, days: days + 0, micros };
}

/** justify_days: whole 30-day months out of the day field; month and day signs made to agree. */
export function justifyDays(iv: Interval): Interval {
  const wholeMonth = trunc(iv.days / DAYS_PER_MONTH);
  let days = iv.days - wholeMonth * DAYS_PER_MONTH;
  let months = checkedInt32(iv.months + wholeMonth);
  if (months > 0 && days < 0) {
    days += DAYS_PER_MONTH;
    months--;
  } else if (months < 0 && days > 0) {
    days -= DAYS_PER_MONTH;
    months++;
  }
  return { months: months + 0, days: days + 0, micros: iv.micros };
}

/** justify_interval: both justifications, every field with the same sign. */
export function justifyInterval(iv: Interval): Interval {
  let { months, days, micros } = iv;
  if ((days > 0 && micros > 0n) || (days < 0 && micros < 0n)) {
    const wholeMonth = trunc(days / DAYS_PER_MONTH);
    days -= wholeMonth * DAYS_PER_MONTH;
    months = checkedInt32(months + wholeMonth);
  }
  const wholeDay = Number(micros / US_PER_DAY);
  micros %= US_PER_DAY;
  days += wholeDay;
  const wholeMonth = trunc(days / DAYS_PER_MONTH);
  days -= wholeMonth * DAYS_PER_MONTH;
  months = checkedInt32(months + wholeMonth);
  if (months > 0 && (days < 0 || (days === 0 && micros < 0n))) {
    days += DAYS_PER_MONTH;
    months--;
  } else if (months < 0 && (days > 0 || (days === 0 && micros > 0n))) {
    days -= DAYS_PER_MONTH;
    months++;
  }
  if (days > 0 && micros < 0n) {
    micros += US_PER_DAY;
    days--;
  } else if (days < 0 && micros > 0n) {
    micros -= US_PER_DAY;
    days++;
  }
  return { months: months + 0, days: days + 0, micros };
}
