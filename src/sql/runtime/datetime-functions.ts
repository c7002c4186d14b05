// SQLite functions for PostgreSQL 15's date, time, timestamp, timestamptz and interval (storage
// formats of sql/DESIGN.md: date = INTEGER days since 1970-01-01, time = INTEGER µs since midnight,
// timestamp(tz) = INTEGER µs since 1970-01-01 (UTC), ±infinity = int64 max/min (date: ±2^31-1/-2^31),
// interval = 32-byte BLOB, see types/interval.ts). Strict (NULL in → NULL out), deterministic:
// the session TimeZone (tz) and transaction start (now_us) are ordinary arguments.
//
// | function                                          | result      | PostgreSQL                       |
// |---------------------------------------------------|-------------|----------------------------------|
// | pg_date_in(text, tz, now_us)                      | date        | date_in                          |
// | pg_time_in(text, tz, now_us, typmod)              | time        | time_in (typmod -1: none)        |
// | pg_timestamp_in(text, tz, now_us, typmod)         | timestamp   | timestamp_in                     |
// | pg_timestamptz_in(text, tz, now_us, typmod)       | timestamptz | timestamptz_in                   |
// | pg_interval_in(text, typmod [, intervalstyle])    | interval    | interval_in (typmod as PG's)     |
// | pg_date_out(d), pg_time_out(t), pg_timestamp_out(ts) | text     | output functions (DateStyle ISO) |
// | pg_timestamptz_out(ts, tz)                        | text        | timestamptz_out                  |
// | pg_interval_out(iv [, intervalstyle])             | text        | interval_out                     |
// | pg_time_scale(t, p), pg_timestamp_scale(ts, p)    | same type   | typmod rounding (also tz)        |
// | pg_interval_scale(iv, typmod)                     | interval    | interval_scale                   |
// | pg_interval_cmp(a, b)                             | -1 / 0 / 1  | interval_cmp                     |
// | pg_interval_key(iv)                               | blob(16)    | the order key alone              |
// | pg_timestamp_cmp_timestamptz(ts, tstz, tz)        | -1 / 0 / 1  | timestamp vs timestamptz         |
// | pg_timestamp_pl_interval(ts, iv), _mi_interval    | timestamp   | timestamp ± interval             |
// | pg_timestamptz_pl_interval(ts, iv, tz), _mi_      | timestamptz | ± interval in the zone           |
// | pg_timestamp_mi(a, b), pg_timestamptz_mi(a, b)    | interval    | timestamp - timestamp            |
// | pg_date_pli(d, n), pg_date_mii(d, n)              | date        | date ± integer                   |
// | pg_date_mi(a, b)                                  | integer     | date - date                      |
// | pg_date_pl_interval(d, iv), pg_date_mi_interval   | timestamp   | date ± interval                  |
// | pg_date_pl_time(d, t)                             | timestamp   | date + time                      |
// | pg_time_pl_interval(t, iv), pg_time_mi_interval   | time        | time ± interval                  |
// | pg_time_mi_time(a, b)                             | interval    | time - time                      |
// | pg_interval_pl(a, b), pg_interval_mi, pg_interval_um(a) | interval | + - unary minus              |
// | pg_interval_mul(iv, f), pg_interval_div(iv, f)    | interval    | interval * / float8              |
// | pg_justify_days(iv), _hours, _interval            | interval    | justify_*                        |
// | pg_age_timestamp(a, b), pg_age_timestamptz(a, b, tz) | interval | age(a, b)                        |
// | pg_age_timestamp_now(ts, now_us, tz)              | interval    | age(ts): from current_date       |
// | pg_age_timestamptz_now(ts, now_us, tz)            | interval    | age(tstz)                        |
// | pg_date_to_timestamp(d), pg_date_to_timestamptz(d, tz) | ts / tstz | casts                         |
// | pg_timestamp_to_date(ts), pg_timestamptz_to_date(ts, tz) | date   | casts                            |
// | pg_timestamp_to_timestamptz(ts, tz), pg_timestamptz_to_timestamp(ts, tz) |  | casts               |
// | pg_timestamp_to_time(ts), pg_timestamptz_to_time(ts, tz) | time   | casts (NULL for ±infinity)       |
// | pg_current_date(now_us, tz)                       | date        | CURRENT_DATE                     |
// | pg_timestamp_at_zone(ts, zone)                    | timestamptz | timestamp AT TIME ZONE text      |
// | pg_timestamptz_at_zone(ts, zone)                  | timestamp   | timestamptz AT TIME ZONE text    |
// | pg_timestamp_at_zone_interval(ts, iv), pg_timestamptz_at_zone_interval | | AT TIME ZONE interval |
// | pg_to_timestamp(f)                                | timestamptz | to_timestamp(float8)             |
// | pg_make_date(y, m, d)                             | date        | make_date                        |
// | pg_make_time(h, mi, s)                            | time        | make_time                        |
// | pg_make_timestamp(y, mo, d, h, mi, s)             | timestamp   | make_timestamp                   |
// | pg_make_timestamptz(y, mo, d, h, mi, s, tz)       | timestamptz | make_timestamptz (session zone)  |
// | pg_make_timestamptz_at(y, mo, d, h, mi, s, zone)  | timestamptz | make_timestamptz(..., zone)      |
// | pg_make_interval(y, mo, w, d, h, mi, s)           | interval    | make_interval                    |
// | pg_date_trunc_timestamp(field, ts)                | timestamp   | date_trunc                       |
// | pg_date_trunc_timestamptz(field, ts, tz)          | timestamptz | date_trunc (session zone)        |
// | pg_date_trunc_timestamptz_zone(field, ts, zone)   | timestamptz | date_trunc(field, ts, zone)      |
// | pg_date_trunc_interval(field, iv)                 | interval    | date_trunc                       |
// | pg_extract_timestamp(field, ts), pg_extract_date(field, d), pg_extract_time(field, t), pg_extract_interval(field, iv) | text | EXTRACT → numeric as decimal text |
// | pg_extract_timestamptz(field, ts, tz)             | text        | EXTRACT in the session zone      |
// | pg_date_part_timestamp(field, ts), pg_date_part_date(field, d), pg_date_part_time(field, t), pg_date_part_interval(field, iv) | real | date_part → float8 |
// | pg_date_part_timestamptz(field, ts, tz)           | real        | date_part in the session zone    |
// | pg_timezone_check(setting)                        | text        | SET TIME ZONE's stored value     |

import type Database from 'better-sqlite3';
import { ChorusError } from '../../errors.js';
import {
  dateMi,
  dateMiInterval,
  dateMii,
  datePlInterval,
  datePli,
  datePlTime,
  timeMi,
  timeMiInterval,
  timePlInterval,
  timestampAge,
  timestampMi,
  timestampMiInterval,
  timestampPlInterval,
  timestamptzAge,
  timestamptzMiInterval,
  timestamptzPlInterval,
} from '../types/datetime/datetime-arith.js';
import {
  dateToTimestamp,
  dateToTimestamptz,
  timestampAtZone,
  timestampAtZoneInterval,
  timestampToDate,
  timestampToTime,
  timestampToTimestamptz,
  timestamptzAtZone,
  timestamptzAtZoneInterval,
  timestamptzToDate,
  timestamptzToTime,
  timestamptzToTimestamp,
} from '../types/datetime/datetime-convert.js';
import { TIMESTAMP_NEG_INFINITY, TIMESTAMP_POS_INFINITY } from '../types/datetime/datetime-core.js';
import {
  datePartTime,
  datePartTimestamp,
  datePartTimestamptz,
  extractDate,
  extractTime,
  extractTimestamp,
  extractTimestamptz,
} from '../types/datetime/datetime-extract.js';
import { dateOut, timeOut, timestampOut, timestamptzOut } from '../types/datetime/datetime-format.js';
import {
  makeDate,
  makeInterval,
  makeTime,
  makeTimestamp,
  makeTimestamptz,
  makeTimestamptzAt,
  toTimestamp,
} from '../types/datetime/datetime-make.js';
import {
  adjustTimeForTypmod,
  adjustTimestampForTypmod,
  dateIn,
  timeIn,
  timestampIn,
  timestamptzIn,
} from '../types/datetime/datetime-parse.js';
import {
  truncTimestamp,
  truncTimestamptz,
  truncTimestamptzAtZone,
} from '../types/datetime/datetime-trunc.js';
import {
  adjustIntervalForTypmod,
  decodeInterval,
  encodeInterval,
  type Interval,
  intervalCmp,
  intervalKey,
} from '../types/interval/interval.js';
import {
  intervalDiv,
  intervalMi,
  intervalMul,
  intervalPl,
  intervalUm,
  justifyDays,
  justifyHours,
  justifyInterval,
} from '../types/interval/interval-arith.js';
import { datePartInterval, extractInterval, truncInterval } from '../types/interval/interval-fields.js';
import { intervalOut } from '../types/interval/interval-format.js';
import { type IntervalStyle, intervalIn } from '../types/interval/interval-parse.js';
import { checkTimeZoneSetting, sessionTimeZone, type TimeZone } from '../types/timezone/timezone.js';

// ---- argument conversion ----

function big(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  throw new ChorusError('XX000', `expected an integer storage value, got ${typeof v}`);
}
function int(v: unknown): number {
  return Number(big(v));
}
function float(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v === 'NaN') return Number.NaN;
  throw new ChorusError('XX000', `expected a float storage value, got ${typeof v}`);
}
function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  return String(v);
}
function iv(v: unknown): Interval {
  if (v instanceof Uint8Array) return decodeInterval(v);
  throw new ChorusError('XX000', 'expected an interval BLOB');
}
function zone(v: unknown): TimeZone {
  return sessionTimeZone(str(v));
}
function style(v: unknown): IntervalStyle {
  const s = str(v).toLowerCase();
  if (s === 'postgres' || s === 'postgres_verbose' || s === 'sql_standard' || s === 'iso_8601') return s;
  throw new ChorusError('22023', `invalid value for parameter "IntervalStyle": "${str(v)}"`);
}
function ctx(tz: unknown, now: unknown) {
  return { zone: zone(tz), nowUs: big(now) };
}
/** float8 results: SQLite has no NaN (DESIGN.md stores it as TEXT 'NaN'). */
function f8(x: number | null): number | string | null {
  return x !== null && Number.isNaN(x) ? 'NaN' : x;
}
const enc = encodeInterval;

type Fn = (...args: unknown[]) => unknown;

/** name → implementation; every function is strict. */
const FUNCTIONS: Record<string, Fn> = {
  pg_date_in: (s, tz, now) => dateIn(str(s), ctx(tz, now)),
  pg_time_in: (s, tz, now, p) => timeIn(str(s), ctx(tz, now), int(p)),
  pg_timestamp_in: (s, tz, now, p) => timestampIn(str(s), ctx(tz, now), int(p)),
  pg_timestamptz_in: (s, tz, now, p) => timestamptzIn(str(s), ctx(tz, now), int(p)),
  pg_date_out: (d) => dateOut(int(d)),
  pg_time_out: (t) => timeOut(big(t)),
  pg_timestamp_out: (ts) => timestampOut(big(ts)),
  pg_timestamptz_out: (ts, tz) => timestamptzOut(big(ts), zone(tz)),
  pg_time_scale: (t, p) => adjustTimeForTypmod(big(t), int(p)),
  pg_timestamp_scale: (ts, p) => adjustTimestampForTypmod(big(ts), int(p)),
  pg_interval_scale: (a, p) => enc(adjustIntervalForTypmod(iv(a), int(p))),
  pg_interval_cmp: (a, b) => intervalCmp(iv(a), iv(b)),
  pg_interval_key: (a) => intervalKey(iv(a)),
  pg_timestamp_cmp_timestamptz: (ts, tstz, tz) => {
    const a = big(ts);
    const b = big(tstz);
    let x: bigint;
    try {
      x = timestampToTimestamptz(a, zone(tz));
    } catch (e) {
      if (!(e instanceof ChorusError) || e.sqlstate !== '22008') throw e;
      // out of timestamptz range: just beyond the finite values, before ±infinity
      if (a > 0n) return b === TIMESTAMP_POS_INFINITY ? -1 : 1;
      return b === TIMESTAMP_NEG_INFINITY ? 1 : -1;
    }
    return x < b ? -1 : x > b ? 1 : 0;
  },
  pg_timestamp_pl_interval: (ts, a) => timestampPlInterval(big(ts), iv(a)),
  pg_timestamp_mi_interval: (ts, a) => timestampMiInterval(big(ts), iv(a)),
  pg_timestamptz_pl_interval: (ts, a, tz) => timestamptzPlInterval(big(ts), iv(a), zone(tz)),
  pg_timestamptz_mi_interval: (ts, a, tz) => timestamptzMiInterval(big(ts), iv(a), zone(tz)),
  pg_timestamp_mi: (a, b) => enc(timestampMi(big(a), big(b))),
  pg_timestamptz_mi: (a, b) => enc(timestampMi(big(a), big(b))),
  pg_date_pli: (d, n) => datePli(int(d), int(n)),
  pg_date_mii: (d, n) => dateMii(int(d), int(n)),
  pg_date_mi: (a, b) => dateMi(int(a), int(b)),
  pg_date_pl_interval: (d, a) => datePlInterval(int(d), iv(a)),
  pg_date_mi_interval: (d, a) => dateMiInterval(int(d), iv(a)),
  pg_date_pl_time: (d, t) => datePlTime(int(d), big(t)),
  pg_time_pl_interval: (t, a) => timePlInterval(big(t), iv(a)),
  pg_time_mi_interval: (t, a) => timeMiInterval(big(t), iv(a)),
  pg_time_mi_time: (a, b) => enc(timeMi(big(a), big(b))),
  pg_interval_pl: (a, b) => enc(intervalPl(iv(a), iv(b))),
  pg_interval_mi: (a, b) => enc(intervalMi(iv(a), iv(b))),
  pg_interval_um: (a) => enc(intervalUm(iv(a))),
  pg_interval_mul: (a, f) => enc(intervalMul(iv(a), float(f))),
  pg_interval_div: (a, f) => enc(intervalDiv(iv(a), float(f))),
  pg_justify_days: (a) => enc(justifyDays(iv(a))),
  pg_justify_hours: (a) => enc(justifyHours(iv(a))),
  pg_justify_interval: (a) => enc(justifyInterval(iv(a))),
  pg_age_timestamp: (a, b) => enc(timestampAge(big(a), big(b))),
  pg_age_timestamptz: (a, b, tz) => enc(timestamptzAge(big(a), big(b), zone(tz))),
  pg_age_timestamp_now: (ts, now, tz) =>
    enc(timestampAge(dateToTimestamp(timestamptzToDate(big(now), zone(tz))), big(ts))),
  pg_age_timestamptz_now: (ts, now, tz) => {
    const z = zone(tz);
    return enc(timestamptzAge(dateToTimestamptz(timestamptzToDate(big(now), z), z), big(ts), z));
  },
  pg_date_to_timestamp: (d) => dateToTimestamp(int(d)),
  pg_date_to_timestamptz: (d, tz) => dateToTimestamptz(int(d), zone(tz)),
  pg_timestamp_to_date: (ts) => timestampToDate(big(ts)),
  pg_timestamptz_to_date: (ts, tz) => timestamptzToDate(big(ts), zone(tz)),
  pg_timestamp_to_timestamptz: (ts, tz) => timestampToTimestamptz(big(ts), zone(tz)),
  pg_timestamptz_to_timestamp: (ts, tz) => timestamptzToTimestamp(big(ts), zone(tz)),
  pg_timestamp_to_time: (ts) => timestampToTime(big(ts)),
  pg_timestamptz_to_time: (ts, tz) => timestamptzToTime(big(ts), zone(tz)),
  pg_current_date: (now, tz) => timestamptzToDate(big(now), zone(tz)),
  pg_timestamp_at_zone: (ts, z) => timestampAtZone(big(ts), str(z)),
  pg_timestamptz_at_zone: (ts, z) => timestamptzAtZone(big(ts), str(z)),
  pg_timestamp_at_zone_interval: (ts, a) => timestampAtZoneInterval(big(ts), iv(a)),
  pg_timestamptz_at_zone_interval: (ts, a) => timestamptzAtZoneInterval(big(ts), iv(a)),
  pg_to_timestamp: (f) => toTimestamp(float(f)),
  pg_make_date: (y, m, d) => makeDate(int(y), int(m), int(d)),
  pg_make_time: (h, m, s) => makeTime(int(h), int(m), float(s)),
  pg_make_timestamp: (y, mo, d, h, mi, s) =>
    makeTimestamp(int(y), int(mo), int(d), int(h), int(mi), float(s)),
  pg_make_timestamptz: (y, mo, d, h, mi, s, tz) =>
    makeTimestamptz(int(y), int(mo), int(d), int(h), int(mi), float(s), zone(tz)),
  pg_make_timestamptz_at: (y, mo, d, h, mi, s, z) =>
    makeTimestamptzAt(int(y), int(mo), int(d), int(h), int(mi), float(s), str(z)),
  pg_make_interval: (y, mo, w, d, h, mi, s) =>
    enc(makeInterval(int(y), int(mo), int(w), int(d), int(h), int(mi), float(s))),
  pg_date_trunc_timestamp: (f, ts) => truncTimestamp(str(f), big(ts)),
  pg_date_trunc_timestamptz: (f, ts, tz) => truncTimestamptz(str(f), big(ts), zone(tz)),
  pg_date_trunc_timestamptz_zone: (f, ts, z) => truncTimestamptzAtZone(str(f), big(ts), str(z)),
  pg_date_trunc_interval: (f, a) => enc(truncInterval(str(f), iv(a))),
  pg_extract_timestamp: (f, ts) => extractTimestamp(str(f), big(ts)),
  pg_extract_timestamptz: (f, ts, tz) => extractTimestamptz(str(f), big(ts), zone(tz)),
  pg_extract_date: (f, d) => extractDate(str(f), int(d)),
  pg_extract_time: (f, t) => extractTime(str(f), big(t)),
  pg_extract_interval: (f, a) => extractInterval(str(f), iv(a)),
  pg_date_part_timestamp: (f, ts) => f8(datePartTimestamp(str(f), big(ts))),
  pg_date_part_timestamptz: (f, ts, tz) => f8(datePartTimestamptz(str(f), big(ts), zone(tz))),
  pg_date_part_date: (f, d) => f8(datePartTimestamp(str(f), dateToTimestamp(int(d)))),
  pg_date_part_time: (f, t) => f8(datePartTime(str(f), big(t))),
  pg_date_part_interval: (f, a) => f8(datePartInterval(str(f), iv(a))),
  pg_timezone_check: (s) => checkTimeZoneSetting(str(s)),
};

/** Variants with an extra trailing argument (IntervalStyle). */
const STYLED: Record<string, Fn> = {
  pg_interval_in: (s, p, st) => enc(intervalIn(str(s), int(p), style(st))),
  pg_interval_out: (a, st) => intervalOut(iv(a), style(st)),
};
const PLAIN_INTERVAL: Record<string, Fn> = {
  pg_interval_in: (s, p) => enc(intervalIn(str(s), int(p))),
  pg_interval_out: (a) => intervalOut(iv(a)),
};

/** Functions whose result is an SQL integer (dates, day counts, comparisons): SQLite gets an int64. */
const INTEGER_RESULTS = new Set([
  'pg_date_in',
  'pg_interval_cmp',
  'pg_timestamp_cmp_timestamptz',
  'pg_date_pli',
  'pg_date_mii',
  'pg_date_mi',
  'pg_timestamp_to_date',
  'pg_timestamptz_to_date',
  'pg_current_date',
  'pg_make_date',
]);

function strict(name: string, fn: Fn): Fn {
  const integer = INTEGER_RESULTS.has(name);
  return (...args: unknown[]) => {
    for (const a of args) if (a === null || a === undefined) return null;
    const r = fn(...args);
    // a JS number would reach SQLite as a REAL
    return integer && typeof r === 'number' ? BigInt(r) : r;
  };
}

/** Registers every pg_* date/time function on a connection. */
export function registerDateTimeFunctions(db: Database.Database): void {
  const opts = { deterministic: true, safeIntegers: true } as const;
  for (const table of [FUNCTIONS, PLAIN_INTERVAL, STYLED]) {
    for (const [name, fn] of Object.entries(table)) {
      const wrapped = strict(name, fn);
      Object.defineProperty(wrapped, 'length', { value: fn.length });
      db.function(name, opts, wrapped as (...args: unknown[]) => unknown);
    }
  }
}

/** The names registered (for the catalog and tests). */
export const DATETIME_FUNCTION_NAMES: readonly string[] = Object.freeze([
  ...new Set([...Object.keys(FUNCTIONS), ...Object.keys(STYLED)]),
]);
