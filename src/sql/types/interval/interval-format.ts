// interval_out in PostgreSQL's IntervalStyle forms: postgres ('1 year 2 mons -3 days +04:05:06.5',
// the default), iso_8601 ('P1Y2M-3DT4H5M6.5S'), sql_standard ('+1-2 -3 +4:05:06.5') and
// postgres_verbose ('@ 1 year 2 mons -3 days 4 hours 5 mins 6.5 secs').

import { pad } from '../datetime/datetime-core.js';
import type { Interval } from './interval.js';
import type { IntervalStyle } from './interval-parse.js';

/** struct pg_itm: the interval broken down, every field carrying the sign of its source. */
interface Itm {
  year: number;
  mon: number;
  mday: number;
  hour: bigint;
  min: number;
  sec: number;
  usec: number;
}

const US_PER_HOUR = 3_600_000_000n;
const US_PER_MINUTE = 60_000_000n;
const US_PER_SEC = 1_000_000n;

/** interval2itm. */
function breakDown(iv: Interval): Itm {
  let t = iv.micros;
  const hour = t / US_PER_HOUR;
  t -= hour * US_PER_HOUR;
  const min = t / US_PER_MINUTE;
  t -= min * US_PER_MINUTE;
  const sec = t / US_PER_SEC;
  t -= sec * US_PER_SEC;
  return {
    year: Math.trunc(iv.months / 12) + 0,
    mon: (iv.months % 12) + 0,
    mday: iv.days,
    hour,
    min: Number(min),
    sec: Number(sec),
    usec: Number(t),
  };
}

/** AppendSeconds: |sec| (2 digits when fill), then up to 6 fraction digits without trailing zeros. */
function seconds(sec: number, usec: number, fill: boolean): string {
  const s = fill ? pad(sec, 2) : String(Math.abs(sec));
  if (usec === 0) return s;
  const f = String(Math.abs(usec)).padStart(6, '0').replace(/0+$/, '');
  return `${s}.${f}`;
}

function absBig(v: bigint): bigint {
  return v < 0n ? -v : v;
}

function hourText(h: bigint): string {
  const s = String(absBig(h));
  return s.length < 2 ? `0${s}` : s;
}

function postgresStyle(t: Itm): string {
  const parts: string[] = [];
  let isBefore = false;
  let isZero = true;
  const add = (value: number, unit: string): void => {
    if (value === 0) return;
    parts.push(`${isBefore && value > 0 ? '+' : ''}${value} ${unit}${value !== 1 ? 's' : ''}`);
    isBefore = value < 0;
    isZero = false;
  };
  add(t.year, 'year');
  add(t.mon, 'mon');
  add(t.mday, 'day');
  if (isZero || t.hour !== 0n || t.min !== 0 || t.sec !== 0 || t.usec !== 0) {
    const minus = t.hour < 0n || t.min < 0 || t.sec < 0 || t.usec < 0;
    parts.push(
      `${minus ? '-' : isBefore ? '+' : ''}${hourText(t.hour)}:${pad(t.min, 2)}:${seconds(t.sec, t.usec, true)}`,
    );
  }
  return parts.join(' ');
}

function isoStyle(t: Itm): string {
  if (
    t.year === 0 &&
    t.mon === 0 &&
    t.mday === 0 &&
    t.hour === 0n &&
    t.min === 0 &&
    t.sec === 0 &&
    t.usec === 0
  ) {
    return 'PT0S';
  }
  let s = 'P';
  if (t.year !== 0) s += `${t.year}Y`;
  if (t.mon !== 0) s += `${t.mon}M`;
  if (t.mday !== 0) s += `${t.mday}D`;
  if (t.hour !== 0n || t.min !== 0 || t.sec !== 0 || t.usec !== 0) s += 'T';
  if (t.hour !== 0n) s += `${t.hour}H`;
  if (t.min !== 0) s += `${t.min}M`;
  if (t.sec !== 0 || t.usec !== 0) {
    if (t.sec < 0 || t.usec < 0) s += '-';
    s += `${seconds(t.sec, t.usec, false)}S`;
  }
  return s;
}

function sqlStandardStyle(t0: Itm): string {
  const t = { ...t0 };
  const hasNegative =
    t.year < 0 || t.mon < 0 || t.mday < 0 || t.hour < 0n || t.min < 0 || t.sec < 0 || t.usec < 0;
  const hasPositive =
    t.year > 0 || t.mon > 0 || t.mday > 0 || t.hour > 0n || t.min > 0 || t.sec > 0 || t.usec > 0;
  const hasYearMonth = t.year !== 0 || t.mon !== 0;
  const hasDayTime = t.mday !== 0 || t.hour !== 0n || t.min !== 0 || t.sec !== 0 || t.usec !== 0;
  const sqlStandardValue = !(hasNegative && hasPositive) && !(hasYearMonth && hasDayTime);
  let s = '';
  if (hasNegative && sqlStandardValue) {
    s = '-';
    t.year = -t.year;
    t.mon = -t.mon;
    t.mday = -t.mday;
    t.hour = -t.hour;
    t.min = -t.min;
    t.sec = -t.sec;
    t.usec = -t.usec;
  }
  if (!hasNegative && !hasPositive) return `${s}0`;
  if (!sqlStandardValue) {
    const yearSign = t.year < 0 || t.mon < 0 ? '-' : '+';
    const daySign = t.mday < 0 ? '-' : '+';
    const secSign = t.hour < 0n || t.min < 0 || t.sec < 0 || t.usec < 0 ? '-' : '+';
    return `${s}${yearSign}${Math.abs(t.year)}-${Math.abs(t.mon)} ${daySign}${Math.abs(t.mday)} ${secSign}${absBig(t.hour)}:${pad(t.min, 2)}:${seconds(t.sec, t.usec, true)}`;
  }
  if (hasYearMonth) return `${s}${t.year}-${t.mon}`;
  if (t.mday !== 0) return `${s}${t.mday} ${t.hour}:${pad(t.min, 2)}:${seconds(t.sec, t.usec, true)}`;
  return `${s}${t.hour}:${pad(t.min, 2)}:${seconds(t.sec, t.usec, true)}`;
}

function verboseStyle(t: Itm): string {
  let s = '@';
  let isBefore = false;
  let isZero = true;
  const add = (v0: number | bigint, unit: string): void => {
    let v = typeof v0 === 'bigint' ? v0 : BigInt(v0);
    if (v === 0n) return;
    if (isZero) {
      isBefore = v < 0n;
      v = absBig(v);
    } else if (isBefore) v = -v;
    s += ` ${v} ${unit}${v === 1n ? '' : 's'}`;
    isZero = false;
  };
  add(t.year, 'year');
  add(t.mon, 'mon');
  add(t.mday, 'day');
  add(t.hour, 'hour');
  add(t.min, 'min');
  if (t.sec !== 0 || t.usec !== 0) {
    s += ' ';
    if (t.sec < 0 || (t.sec === 0 && t.usec < 0)) {
      if (isZero) isBefore = true;
      else if (!isBefore) s += '-';
    } else if (isBefore) s += '-';
    s += `${seconds(t.sec, t.usec, false)} sec${Math.abs(t.sec) !== 1 || t.usec !== 0 ? 's' : ''}`;
    isZero = false;
  }
  if (isZero) s += ' 0';
  if (isBefore) s += ' ago';
  return s;
}

/** interval_out with an IntervalStyle (default 'postgres'). */
export function intervalOut(iv: Interval, style: IntervalStyle = 'postgres'): string {
  const t = breakDown(iv);
  switch (style) {
    case 'iso_8601':
      return isoStyle(t);
    case 'sql_standard':
      return sqlStandardStyle(t);
    case 'postgres_verbose':
      return verboseStyle(t);
    default:
      return postgresStyle(t);
  }
}
