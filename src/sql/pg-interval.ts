// PostgreSQL interval and date/time literals, evaluated when a statement is rewritten: parse
// '1 day 2 hours' / '01:30:00' / '2 weeks ago' into months, days and microseconds, print them as
// PostgreSQL does (IntervalStyle postgres), turn them into SQLite datetime() modifiers, and
// canonicalize TIMESTAMP / DATE / TIME literals to the text PostgreSQL prints.

import { ChorusError, FeatureNotSupportedError } from '../errors.js';
import { daysInMonth } from './types/datetime/datetime-core.js';

/** An interval as PostgreSQL keeps it: months, days and microseconds are independent. */
export interface Interval {
  months: number;
  days: number;
  micros: number;
}

const usPerSecond = 1_000_000;
const usPerMinute = 60 * usPerSecond;
const usPerHour = 60 * usPerMinute;
const usPerDay = 24 * usPerHour;
const daysPerMonth = 30;

type Unit = { months: number } | { days: number } | { micros: number };

const units: Record<string, Unit> = {
  microsecond: { micros: 1 },
  us: { micros: 1 },
  usec: { micros: 1 },
  millisecond: { micros: 1000 },
  ms: { micros: 1000 },
  msec: { micros: 1000 },
  second: { micros: usPerSecond },
  sec: { micros: usPerSecond },
  s: { micros: usPerSecond },
  minute: { micros: usPerMinute },
  min: { micros: usPerMinute },
  m: { micros: usPerMinute },
  hour: { micros: usPerHour },
  hr: { micros: usPerHour },
  h: { micros: usPerHour },
  day: { days: 1 },
  d: { days: 1 },
  week: { days: 7 },
  w: { days: 7 },
  month: { months: 1 },
  mon: { months: 1 },
  year: { months: 12 },
  yr: { months: 12 },
  y: { months: 12 },
  decade: { months: 120 },
  century: { months: 1200 },
  millennium: { months: 12000 },
};

function unitOf(word: string): Unit | undefined {
  const w = word.toLowerCase();
  if (w === 'centuries') return units.century;
  if (w === 'millennia') return units.millennium;
  return units[w] ?? (w.endsWith('s') ? units[w.slice(0, -1)] : undefined);
}

function badInterval(text: string): ChorusError {
  return new ChorusError('22007', `invalid input syntax for type interval: "${text}"`);
}

/** Adds n of a unit, spilling fractions down (months → days → microseconds) as PostgreSQL does. */
function addUnit(iv: Interval, n: number, unit: Unit): void {
  if ('micros' in unit) {
    iv.micros += Math.round(n * unit.micros);
    return;
  }
  let days = 0;
  if ('months' in unit) {
    const months = n * unit.months;
    const whole = Math.trunc(months);
    iv.months += whole;
    days = (months - whole) * daysPerMonth;
  } else days = n * unit.days;
  const wholeDays = Math.trunc(Math.round(days * 1e6) / 1e6);
  iv.days += wholeDays;
  iv.micros += Math.round((days - wholeDays) * usPerDay);
}

const timeRe = /^([+-])?(\d+):(\d{1,2})(?::(\d{1,2}(?:\.\d+)?))?$/;
const numberUnitRe = /^([+-]?(?:\d+\.?\d*|\.\d+))([a-zµ]*)$/i;

/** Parses PostgreSQL's interval input ('1 day 2 hours', '-1 days +02:00:00', '@ 3 mins ago', '90'). */
export function parseInterval(text: string): Interval {
  const iv: Interval = { months: 0, days: 0, micros: 0 };
  let words = text.trim().split(/\s+/).filter(Boolean);
  if (words[0] === '@') words = words.slice(1);
  if (words.length === 0) throw badInterval(text);
  if (/^P/i.test(words[0]!)) throw new FeatureNotSupportedError(`ISO 8601 interval '${text}'`);
  let ago = false;
  if (words[words.length - 1]!.toLowerCase() === 'ago') {
    ago = true;
    words = words.slice(0, -1);
  }
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const time = timeRe.exec(w);
    if (time) {
      const [, sign, h, m, s] = time;
      const us = Number(h) * usPerHour + Number(m) * usPerMinute + Math.round(Number(s ?? '0') * usPerSecond);
      iv.micros += sign === '-' ? -us : us;
      continue;
    }
    const num = numberUnitRe.exec(w);
    if (!num) throw badInterval(text);
    const n = Number(num[1]);
    let unitWord = num[2]!;
    if (unitWord === '') {
      const next = words[i + 1];
      if (next !== undefined && /^[a-zµ]+$/i.test(next)) {
        unitWord = next;
        i++;
      }
    }
    const unit = unitWord === '' ? units.second! : unitOf(unitWord);
    if (!unit || !Number.isFinite(n)) throw badInterval(text);
    addUnit(iv, n, unit);
  }
  if (ago) {
    iv.months = -iv.months;
    iv.days = -iv.days;
    iv.micros = -iv.micros;
  }
  return iv;
}

export function addIntervals(a: Interval, b: Interval, sign: 1 | -1): Interval {
  return {
    months: a.months + sign * b.months,
    days: a.days + sign * b.days,
    micros: a.micros + sign * b.micros,
  };
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** Seconds with the fraction PostgreSQL prints: trailing zeros dropped, none when whole. */
function secondsText(us: number): string {
  const whole = Math.floor(us / usPerSecond);
  const frac = us % usPerSecond;
  return frac === 0 ? pad2(whole) : `${pad2(whole)}.${String(frac).padStart(6, '0').replace(/0+$/, '')}`;
}

/** The interval as PostgreSQL prints it with IntervalStyle = postgres ('1 year 2 mons 3 days 04:05:06'). */
export function formatInterval(iv: Interval): string {
  const parts: string[] = [];
  let isBefore = false;
  const add = (value: number, unit: string): void => {
    if (value === 0) return;
    parts.push(`${isBefore && value > 0 ? '+' : ''}${value} ${unit}${value === 1 ? '' : 's'}`);
    isBefore = value < 0;
  };
  add(Math.trunc(iv.months / 12), 'year');
  add(iv.months % 12, 'mon');
  add(iv.days, 'day');
  if (parts.length === 0 || iv.micros !== 0) {
    const abs = Math.abs(iv.micros);
    const sign = iv.micros < 0 ? '-' : isBefore ? '+' : '';
    const h = Math.floor(abs / usPerHour);
    const m = Math.floor((abs % usPerHour) / usPerMinute);
    parts.push(`${sign}${pad2(h)}:${pad2(m)}:${secondsText(abs % usPerMinute)}`);
  }
  return parts.join(' ');
}

/** SQLite datetime() modifiers adding the interval: months first (clamped to the month's end, like PostgreSQL), then days, then time. */
export function intervalModifiers(iv: Interval, negate: boolean): string[] {
  const s = negate ? -1 : 1;
  const signed = (n: number, unit: string): string => `${n * s < 0 ? '' : '+'}${n * s} ${unit}`;
  const out: string[] = [];
  if (iv.months !== 0) out.push(signed(iv.months, 'months'), 'floor');
  if (iv.days !== 0) out.push(signed(iv.days, 'days'));
  if (iv.micros !== 0) {
    if (iv.micros % usPerHour === 0) out.push(signed(iv.micros / usPerHour, 'hours'));
    else if (iv.micros % usPerMinute === 0) out.push(signed(iv.micros / usPerMinute, 'minutes'));
    else out.push(signed(iv.micros / usPerSecond, 'seconds'));
  }
  return out;
}

/** EXTRACT(field FROM interval), as PostgreSQL computes it; null for fields intervals do not have. */
export function extractFromInterval(field: string, iv: Interval): number | null {
  switch (field) {
    case 'EPOCH':
      return (
        iv.micros / usPerSecond +
        365.25 * 86400 * Math.trunc(iv.months / 12) +
        daysPerMonth * 86400 * (iv.months % 12) +
        86400 * iv.days
      );
    case 'YEAR':
      return Math.trunc(iv.months / 12);
    case 'MONTH':
      return iv.months % 12;
    case 'DAY':
      return iv.days;
    case 'HOUR':
      return Math.trunc(iv.micros / usPerHour);
    case 'MINUTE':
      return Math.trunc((iv.micros % usPerHour) / usPerMinute);
    case 'SECOND':
      return (iv.micros % usPerMinute) / usPerSecond;
    default:
      return null;
  }
}

// ---------------------------------------------------------------------------------------------
// TIMESTAMP / DATE / TIME literals

const dateTimeRe =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[ T]|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|[+-]\d{1,2}(?::?\d{2})?)?$/i;
const timeOfDayRe = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?$/;

function outOfRange(type: string, text: string): ChorusError {
  return new ChorusError('22008', `date/time field value out of range: "${text}" (${type})`);
}

function fractionText(frac: string | undefined): string {
  if (!frac) return '';
  const us = Math.round(Number(`0.${frac}`) * usPerSecond);
  return us === 0 ? '' : `.${String(us).padStart(6, '0').replace(/0+$/, '')}`;
}

/**
 * The text PostgreSQL prints for a `type 'text'` literal (TIMESTAMP, TIMESTAMPTZ, DATE, TIME), in
 * a form SQLite's date functions read: timestamptz as UTC with '+00:00'. Only ISO 8601 input is
 * understood; other spellings fail with 0A000 naming the literal.
 */
export function canonicalDateTime(type: 'TIMESTAMP' | 'TIMESTAMPTZ' | 'DATE' | 'TIME', text: string): string {
  const t = text.trim();
  if (type === 'TIME') {
    const m = timeOfDayRe.exec(t);
    if (!m) throw new FeatureNotSupportedError(`TIME '${text}' (only hh:mm[:ss] literals)`);
    const [, h, mi, s, f] = m;
    if (Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 59) throw outOfRange('time', text);
    return `${pad2(Number(h))}:${mi}:${s ?? '00'}${fractionText(f)}`;
  }
  if (t.toLowerCase() === 'epoch') return type === 'DATE' ? '1970-01-01' : '1970-01-01 00:00:00';
  const m = dateTimeRe.exec(t);
  if (!m)
    throw new FeatureNotSupportedError(`${type} '${text}' (only ISO 8601 yyyy-mm-dd [hh:mm[:ss]] literals)`);
  const [, y, mo, d, h = '0', mi = '0', s = '0', f, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw outOfRange(type.toLowerCase(), text);
  }
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) throw outOfRange(type.toLowerCase(), text);
  const date = `${y}-${pad2(month)}-${pad2(day)}`;
  if (type === 'DATE') return date;
  const frac = fractionText(f);
  if (type === 'TIMESTAMP') return `${date} ${pad2(Number(h))}:${mi}:${pad2(Number(s))}${frac}`;
  // timestamptz: shift to UTC
  let offsetMin = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const z = /^([+-])(\d{1,2}):?(\d{2})?$/.exec(zone)!;
    offsetMin = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3] ?? 0));
  }
  const ms = Date.UTC(year, month - 1, day, Number(h), Number(mi) - offsetMin, Number(s));
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac}+00:00`;
}
