// Fields of an interval as PostgreSQL 15: EXTRACT (numeric text) and date_part (float8) —
// microseconds .. millennium and epoch (a year = 365.25 days, a month = 30 days) — and date_trunc.

import { intervalOutOfRange } from '../datetime/datetime-core.js';
import {
  decimalText,
  partUnit,
  TYPE_INTERVAL,
  unitNotRecognized,
  unitNotSupported,
} from '../datetime/datetime-extract.js';
import { Dtk, Tk } from '../datetime/datetime-lex.js';
import type { Interval } from './interval.js';

const US_PER_HOUR = 3_600_000_000n;
const US_PER_MINUTE = 60_000_000n;
const US_PER_SEC = 1_000_000n;

function fields(iv: Interval) {
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

function intervalPart(field: string, iv: Interval, numeric: boolean): string | number {
  const { low, tok } = partUnit(field);
  if (tok.type === Tk.Units) {
    const f = fields(iv);
    const secUs = f.sec * 1_000_000 + f.usec;
    let v: number | bigint;
    switch (tok.value) {
      case Dtk.Microsec:
        v = secUs;
        break;
      case Dtk.Millisec:
        return numeric ? decimalText(BigInt(secUs), 3) : f.sec * 1000.0 + f.usec / 1000.0;
      case Dtk.Second:
        return numeric ? decimalText(BigInt(secUs), 6) : f.sec + f.usec / 1000000.0;
      case Dtk.Minute:
        v = f.min;
        break;
      case Dtk.Hour:
        v = f.hour;
        break;
      case Dtk.Day:
        v = f.mday;
        break;
      case Dtk.Month:
        v = f.mon;
        break;
      case Dtk.Quarter:
        v = Math.trunc(f.mon / 3) + 1;
        break;
      case Dtk.Year:
        v = f.year;
        break;
      case Dtk.Decade:
        v = Math.trunc(f.year / 10);
        break;
      case Dtk.Century:
        v = Math.trunc(f.year / 100);
        break;
      case Dtk.Millennium:
        v = Math.trunc(f.year / 1000);
        break;
      default:
        throw unitNotSupported(low, TYPE_INTERVAL);
    }
    return numeric ? String(v) : Number(v) + 0;
  }
  if (tok.type === Tk.Reserv && tok.value === Dtk.Epoch) {
    if (numeric) {
      const secs =
        (1461n * BigInt(Math.trunc(iv.months / 12)) + 120n * BigInt(iv.months % 12) + 4n * BigInt(iv.days)) *
        21600n;
      return decimalText(secs * 1_000_000n + iv.micros, 6);
    }
    let r = Number(iv.micros) / 1000000.0;
    r += 365.25 * 86400 * Math.trunc(iv.months / 12);
    r += 30 * 86400 * (iv.months % 12);
    r += 86400 * iv.days;
    return r;
  }
  throw unitNotRecognized(low, TYPE_INTERVAL);
}

/** EXTRACT(field FROM interval): numeric text. */
export function extractInterval(field: string, iv: Interval): string {
  return intervalPart(field, iv, true) as string;
}

/** date_part(field, interval): float8. */
export function datePartInterval(field: string, iv: Interval): number {
  return intervalPart(field, iv, false) as number;
}

/** date_trunc(field, interval). */
export function truncInterval(field: string, iv: Interval): Interval {
  const { low, tok } = partUnit(field, false);
  if (tok.type !== Tk.Units) throw unitNotRecognized(low, TYPE_INTERVAL);
  const f = fields(iv);
  const order = [
    Dtk.Millennium,
    Dtk.Century,
    Dtk.Decade,
    Dtk.Year,
    Dtk.Quarter,
    Dtk.Month,
    Dtk.Day,
    Dtk.Hour,
    Dtk.Minute,
    Dtk.Second,
  ];
  const idx = order.indexOf(tok.value);
  if (idx >= 0) {
    const at = (u: Dtk): boolean => idx <= order.indexOf(u);
    if (tok.value === Dtk.Millennium) f.year = Math.trunc(f.year / 1000) * 1000;
    if (at(Dtk.Century)) f.year = Math.trunc(f.year / 100) * 100;
    if (at(Dtk.Decade)) f.year = Math.trunc(f.year / 10) * 10;
    if (at(Dtk.Year)) f.mon = 0;
    if (at(Dtk.Quarter)) f.mon = 3 * Math.trunc(f.mon / 3);
    if (at(Dtk.Month)) f.mday = 0;
    if (at(Dtk.Day)) f.hour = 0n;
    if (at(Dtk.Hour)) f.min = 0;
    if (at(Dtk.Minute)) f.sec = 0;
    f.usec = 0;
  } else if (tok.value === Dtk.Millisec) f.usec = Math.trunc(f.usec / 1000) * 1000;
  else if (tok.value !== Dtk.Microsec) {
    throw unitNotSupported(
      low,
      TYPE_INTERVAL,
      tok.value === Dtk.Week ? 'Months usually have fractional weeks.' : undefined,
    );
  }
  const months = f.year * 12 + f.mon;
  if (months < -2147483648 || months > 2147483647) throw intervalOutOfRange();
  const micros =
    f.hour * US_PER_HOUR + BigInt(f.min) * US_PER_MINUTE + BigInt(f.sec) * US_PER_SEC + BigInt(f.usec);
  return { months: months + 0, days: f.mday, micros };
}
