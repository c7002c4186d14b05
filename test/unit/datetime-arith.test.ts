// Date/time and interval arithmetic, conversions, AT TIME ZONE, make_* and typmods against
// PostgreSQL 15.18: each row's SQL ran on a real server (same TimeZone) to give the expected text.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as arith from '../../src/sql/types/datetime/datetime-arith.js';
import * as convert from '../../src/sql/types/datetime/datetime-convert.js';
import {
  dateOut,
  timeOut,
  timestampOut,
  timestamptzOut,
} from '../../src/sql/types/datetime/datetime-format.js';
import * as make from '../../src/sql/types/datetime/datetime-make.js';
import { dateIn, timeIn, timestampIn, timestamptzIn } from '../../src/sql/types/datetime/datetime-parse.js';
import { type Interval, intervalTypmod } from '../../src/sql/types/interval/interval.js';
import * as ivArith from '../../src/sql/types/interval/interval-arith.js';
import { intervalOut } from '../../src/sql/types/interval/interval-format.js';
import { intervalIn } from '../../src/sql/types/interval/interval-parse.js';
import { sessionTimeZone, type TimeZone } from '../../src/sql/types/timezone/timezone.js';

const M = { ...arith, ...convert, ...make, ...ivArith, intervalTypmod };

interface Helpers {
  Z: TimeZone;
  ts(s: string, p?: number): bigint;
  tz(s: string, p?: number): bigint;
  d(s: string): number;
  t(s: string, p?: number): bigint;
  iv(s: string, p?: number): Interval;
  oTs(x: bigint | null): string;
  oTz(x: bigint | null): string;
  oD(x: number | null): string;
  oT(x: bigint | null): string;
  oIv(x: Interval | null): string;
  oN(x: number | bigint | string | null): string;
}

function helpers(zone: string): Helpers {
  const Z = sessionTimeZone(zone);
  const ctx = { zone: Z, nowUs: 0n };
  return {
    Z,
    ts: (s, p = -1) => timestampIn(s, ctx, p),
    tz: (s, p = -1) => timestamptzIn(s, ctx, p),
    d: (s) => dateIn(s, ctx),
    t: (s, p = -1) => timeIn(s, ctx, p),
    iv: (s, p = -1) => intervalIn(s, p),
    oTs: (x) => (x === null ? 'NULL' : timestampOut(x)),
    oTz: (x) => (x === null ? 'NULL' : timestamptzOut(x, Z)),
    oD: (x) => (x === null ? 'NULL' : dateOut(x)),
    oT: (x) => (x === null ? 'NULL' : timeOut(x)),
    oIv: (x) => (x === null ? 'NULL' : intervalOut(x)),
    oN: (x) => (x === null ? 'NULL' : String(x)),
  };
}

/** [TimeZone, the SQL PostgreSQL ran, our computation, PostgreSQL's result or error] */
const CASES: [string, string, (h: Helpers) => string, string][] = [
  [
    'UTC',
    "timestamp '2026-01-31' + interval '1 mon'",
    (h) => h.oTs(M.timestampPlInterval(h.ts('2026-01-31'), h.iv('1 mon'))),
    '2026-02-28 00:00:00',
  ],
  [
    'UTC',
    "timestamp '2024-02-29' + interval '1 year'",
    (h) => h.oTs(M.timestampPlInterval(h.ts('2024-02-29'), h.iv('1 year'))),
    '2025-02-28 00:00:00',
  ],
  [
    'UTC',
    "timestamp '2024-02-29' - interval '1 year'",
    (h) => h.oTs(M.timestampMiInterval(h.ts('2024-02-29'), h.iv('1 year'))),
    '2023-02-28 00:00:00',
  ],
  [
    'UTC',
    "timestamp '2026-03-31' - interval '1 mon'",
    (h) => h.oTs(M.timestampMiInterval(h.ts('2026-03-31'), h.iv('1 mon'))),
    '2026-02-28 00:00:00',
  ],
  [
    'UTC',
    "timestamp '2026-12-07' + interval '-13 mons'",
    (h) => h.oTs(M.timestampPlInterval(h.ts('2026-12-07'), h.iv('-13 mons'))),
    '2025-11-07 00:00:00',
  ],
  [
    'UTC',
    "timestamp '0001-01-01 BC' + interval '-1 day'",
    (h) => h.oTs(M.timestampPlInterval(h.ts('0001-01-01 BC'), h.iv('-1 day'))),
    '0002-12-31 00:00:00 BC',
  ],
  [
    'UTC',
    "timestamp '2026-01-31 10:00' + interval '1 mon 1 day 1 hour'",
    (h) => h.oTs(M.timestampPlInterval(h.ts('2026-01-31 10:00'), h.iv('1 mon 1 day 1 hour'))),
    '2026-03-01 11:00:00',
  ],
  [
    'UTC',
    "timestamp 'infinity' + interval '1 day'",
    (h) => h.oTs(M.timestampPlInterval(h.ts('infinity'), h.iv('1 day'))),
    'infinity',
  ],
  [
    'UTC',
    "timestamp '4714-11-24 BC' - interval '1 us'",
    (h) => h.oTs(M.timestampMiInterval(h.ts('4714-11-24 BC'), h.iv('1 us'))),
    'ERR 22008 timestamp out of range',
  ],
  [
    'Europe/Paris',
    "timestamptz '2026-03-28 12:00' + interval '1 day'",
    (h) => h.oTz(M.timestamptzPlInterval(h.tz('2026-03-28 12:00'), h.iv('1 day'), h.Z)),
    '2026-03-29 12:00:00+02',
  ],
  [
    'Europe/Paris',
    "timestamptz '2026-03-28 12:00' + interval '24 hours'",
    (h) => h.oTz(M.timestamptzPlInterval(h.tz('2026-03-28 12:00'), h.iv('24 hours'), h.Z)),
    '2026-03-29 13:00:00+02',
  ],
  [
    'Europe/Paris',
    "timestamptz '2026-03-28 02:30' + interval '1 day'",
    (h) => h.oTz(M.timestamptzPlInterval(h.tz('2026-03-28 02:30'), h.iv('1 day'), h.Z)),
    '2026-03-29 03:30:00+02',
  ],
  [
    'Europe/Paris',
    "timestamptz '2026-10-24 02:30' + interval '1 day'",
    (h) => h.oTz(M.timestamptzPlInterval(h.tz('2026-10-24 02:30'), h.iv('1 day'), h.Z)),
    '2026-10-25 02:30:00+01',
  ],
  [
    'Europe/Paris',
    "timestamptz '2026-02-28 02:30' + interval '1 mon'",
    (h) => h.oTz(M.timestamptzPlInterval(h.tz('2026-02-28 02:30'), h.iv('1 mon'), h.Z)),
    '2026-03-28 02:30:00+01',
  ],
  [
    'America/New_York',
    "timestamptz '2026-03-07 02:30' + interval '1 day'",
    (h) => h.oTz(M.timestamptzPlInterval(h.tz('2026-03-07 02:30'), h.iv('1 day'), h.Z)),
    '2026-03-08 03:30:00-04',
  ],
  [
    'America/New_York',
    "timestamptz '2026-11-01 00:30' + interval '1 hour'",
    (h) => h.oTz(M.timestamptzPlInterval(h.tz('2026-11-01 00:30'), h.iv('1 hour'), h.Z)),
    '2026-11-01 01:30:00-04',
  ],
  [
    'America/New_York',
    "timestamptz '2026-11-01 00:30' + interval '2 hour'",
    (h) => h.oTz(M.timestamptzPlInterval(h.tz('2026-11-01 00:30'), h.iv('2 hour'), h.Z)),
    '2026-11-01 01:30:00-05',
  ],
  [
    'America/New_York',
    "timestamptz '2026-10-31 01:30' + interval '1 day'",
    (h) => h.oTz(M.timestamptzPlInterval(h.tz('2026-10-31 01:30'), h.iv('1 day'), h.Z)),
    '2026-11-01 01:30:00-05',
  ],
  [
    'America/New_York',
    "timestamptz '2026-11-01 12:00' - timestamptz '2026-10-31 12:00'",
    (h) => h.oIv(M.timestampMi(h.tz('2026-11-01 12:00'), h.tz('2026-10-31 12:00'))),
    '1 day 01:00:00',
  ],
  [
    'UTC',
    "timestamp '2026-12-07 05:00' - timestamp '2026-12-05 07:30'",
    (h) => h.oIv(M.timestampMi(h.ts('2026-12-07 05:00'), h.ts('2026-12-05 07:30'))),
    '1 day 21:30:00',
  ],
  [
    'UTC',
    "timestamp '2026-12-05 07:30' - timestamp '2026-12-07 05:00'",
    (h) => h.oIv(M.timestampMi(h.ts('2026-12-05 07:30'), h.ts('2026-12-07 05:00'))),
    '-1 days -21:30:00',
  ],
  [
    'UTC',
    "timestamp 'infinity' - timestamp '2026-12-07'",
    (h) => h.oIv(M.timestampMi(h.ts('infinity'), h.ts('2026-12-07'))),
    'ERR 22008 cannot subtract infinite timestamps',
  ],
  [
    'UTC',
    "timestamp '294246-12-31' - timestamp '4714-11-24 BC'",
    (h) => h.oIv(M.timestampMi(h.ts('294246-12-31'), h.ts('4714-11-24 BC'))),
    '-104311413 days -08:01:49.551616',
  ],
  [
    'UTC',
    "date '2026-12-07' - date '2024-02-29'",
    (h) => h.oN(M.dateMi(h.d('2026-12-07'), h.d('2024-02-29'))),
    '1012',
  ],
  [
    'UTC',
    "date 'infinity' - date '2026-12-07'",
    (h) => h.oN(M.dateMi(h.d('infinity'), h.d('2026-12-07'))),
    'ERR 22008 cannot subtract infinite dates',
  ],
  ['UTC', "date '2026-12-07' + 30", (h) => h.oD(M.datePli(h.d('2026-12-07'), 30)), '2027-01-06'],
  [
    'UTC',
    "date '2026-12-07' - 2147483647",
    (h) => h.oD(M.dateMii(h.d('2026-12-07'), 2147483647)),
    'ERR 22008 date out of range',
  ],
  [
    'UTC',
    "date '2026-12-07' + 2147483647",
    (h) => h.oD(M.datePli(h.d('2026-12-07'), 2147483647)),
    'ERR 22008 date out of range',
  ],
  ['UTC', "date 'infinity' + 1", (h) => h.oD(M.datePli(h.d('infinity'), 1)), 'infinity'],
  [
    'UTC',
    "date '2026-12-07' + interval '1 mon'",
    (h) => h.oTs(M.datePlInterval(h.d('2026-12-07'), h.iv('1 mon'))),
    '2027-01-07 00:00:00',
  ],
  [
    'UTC',
    "date '2026-12-07' - interval '1 hour'",
    (h) => h.oTs(M.dateMiInterval(h.d('2026-12-07'), h.iv('1 hour'))),
    '2026-12-06 23:00:00',
  ],
  [
    'UTC',
    "date '5874897-12-31' + interval '1 day'",
    (h) => h.oTs(M.datePlInterval(h.d('5874897-12-31'), h.iv('1 day'))),
    'ERR 22008 date out of range for timestamp',
  ],
  [
    'UTC',
    "date '2026-12-07' + time '24:00'",
    (h) => h.oTs(M.datePlTime(h.d('2026-12-07'), h.t('24:00'))),
    '2026-12-08 00:00:00',
  ],
  [
    'UTC',
    "time '23:00' + interval '2 hours 1 day 1 mon'",
    (h) => h.oT(M.timePlInterval(h.t('23:00'), h.iv('2 hours 1 day 1 mon'))),
    '01:00:00',
  ],
  [
    'UTC',
    "time '01:00' - interval '2 hours'",
    (h) => h.oT(M.timeMiInterval(h.t('01:00'), h.iv('2 hours'))),
    '23:00:00',
  ],
  [
    'UTC',
    "time '01:00' - interval '-50 hours'",
    (h) => h.oT(M.timeMiInterval(h.t('01:00'), h.iv('-50 hours'))),
    '03:00:00',
  ],
  ['UTC', "time '01:00' - time '23:00'", (h) => h.oIv(M.timeMi(h.t('01:00'), h.t('23:00'))), '-22:00:00'],
  [
    'UTC',
    "age(timestamp '2026-12-07', timestamp '2024-02-29 12:00')",
    (h) => h.oIv(M.timestampAge(h.ts('2026-12-07'), h.ts('2024-02-29 12:00'))),
    '2 years 9 mons 6 days 12:00:00',
  ],
  [
    'UTC',
    "age(timestamp '2024-02-29 12:00', timestamp '2026-12-07')",
    (h) => h.oIv(M.timestampAge(h.ts('2024-02-29 12:00'), h.ts('2026-12-07'))),
    '-2 years -9 mons -6 days -12:00:00',
  ],
  [
    'UTC',
    "age(timestamp '2026-03-01', timestamp '2026-01-31')",
    (h) => h.oIv(M.timestampAge(h.ts('2026-03-01'), h.ts('2026-01-31'))),
    '1 mon 1 day',
  ],
  [
    'UTC',
    "age(timestamp '2026-01-31', timestamp '2026-03-01')",
    (h) => h.oIv(M.timestampAge(h.ts('2026-01-31'), h.ts('2026-03-01'))),
    '-1 mons -1 days',
  ],
  [
    'UTC',
    "age(timestamp '-infinity', timestamp '2026-12-07')",
    (h) => h.oIv(M.timestampAge(h.ts('-infinity'), h.ts('2026-12-07'))),
    'ERR 22008 timestamp out of range',
  ],
  [
    'UTC',
    "age(timestamp '2026-12-07', timestamp 'infinity')",
    (h) => h.oIv(M.timestampAge(h.ts('2026-12-07'), h.ts('infinity'))),
    '-292250 years -1 mons -2 days -04:00:54.775807',
  ],
  [
    'Europe/Paris',
    "age(timestamptz '2026-12-07', timestamptz '2026-03-29 01:00')",
    (h) => h.oIv(M.timestamptzAge(h.tz('2026-12-07'), h.tz('2026-03-29 01:00'), h.Z)),
    '8 mons 8 days 23:00:00',
  ],
  ['UTC', "interval '1 day' * 1.5", (h) => h.oIv(M.intervalMul(h.iv('1 day'), 1.5)), '1 day 12:00:00'],
  ['UTC', "interval '1 mon' * 0.3", (h) => h.oIv(M.intervalMul(h.iv('1 mon'), 0.3)), '9 days'],
  ['UTC', "interval '1 mon' / 7", (h) => h.oIv(M.intervalDiv(h.iv('1 mon'), 7)), '4 days 06:51:25.6896'],
  [
    'UTC',
    "interval '-1 day -5 hours' / 3",
    (h) => h.oIv(M.intervalDiv(h.iv('-1 day -5 hours'), 3)),
    '-09:40:00',
  ],
  [
    'UTC',
    "interval '1 day' / 0",
    (h) => h.oIv(M.intervalDiv(h.iv('1 day'), 0)),
    'ERR 22012 division by zero',
  ],
  [
    'UTC',
    "interval '1 day' / 'NaN'::float8",
    (h) => h.oIv(M.intervalDiv(h.iv('1 day'), NaN)),
    'ERR 22008 interval out of range',
  ],
  [
    'UTC',
    "interval '1 day' / 'Infinity'::float8",
    (h) => h.oIv(M.intervalDiv(h.iv('1 day'), Infinity)),
    '00:00:00',
  ],
  [
    'UTC',
    "interval '1 day' * 'Infinity'::float8",
    (h) => h.oIv(M.intervalMul(h.iv('1 day'), Infinity)),
    'ERR 22008 interval out of range',
  ],
  [
    'UTC',
    "interval '1 mon' * 2147483647.5",
    (h) => h.oIv(M.intervalMul(h.iv('1 mon'), 2147483647.5)),
    '178956970 years 7 mons 15 days',
  ],
  [
    'UTC',
    "interval '1 mon' * 2147483648",
    (h) => h.oIv(M.intervalMul(h.iv('1 mon'), 2147483648)),
    'ERR 22008 interval out of range',
  ],
  [
    'UTC',
    "interval '1 year 2 mons 3 days 04:05:06.789' * 3.3333",
    (h) => h.oIv(M.intervalMul(h.iv('1 year 2 mons 3 days 04:05:06.789'), 3.3333)),
    '3 years 10 mons 29 days 37:16:43.899774',
  ],
  [
    'UTC',
    "interval '1 year 2 mons 3 days 04:05:06.789' / 3.3333",
    (h) => h.oIv(M.intervalDiv(h.iv('1 year 2 mons 3 days 04:05:06.789'), 3.3333)),
    '4 mons 6 days 22:51:21.722429',
  ],
  [
    'UTC',
    "interval '29 days 23:59:59.999999' * -7.1",
    (h) => h.oIv(M.intervalMul(h.iv('29 days 23:59:59.999999'), -7.1)),
    '-205 days -191:59:59.999993',
  ],
  [
    'UTC',
    "justify_interval(interval '1 mon -1 day')",
    (h) => h.oIv(M.justifyInterval(h.iv('1 mon -1 day'))),
    '29 days',
  ],
  [
    'UTC',
    "justify_interval(interval '-2147483648 mons -30 days')",
    (h) => h.oIv(M.justifyInterval(h.iv('-2147483648 mons -30 days'))),
    'ERR 22008 interval out of range',
  ],
  [
    'UTC',
    "justify_interval(interval '2147483647 days 1 hour')",
    (h) => h.oIv(M.justifyInterval(h.iv('2147483647 days 1 hour'))),
    '5965232 years 4 mons 7 days 01:00:00',
  ],
  [
    'UTC',
    "justify_days(interval '2147483647 mons 30 days')",
    (h) => h.oIv(M.justifyDays(h.iv('2147483647 mons 30 days'))),
    'ERR 22008 interval out of range',
  ],
  [
    'UTC',
    "justify_hours(interval '2147483647 days 24 hours')",
    (h) => h.oIv(M.justifyHours(h.iv('2147483647 days 24 hours'))),
    'ERR 22008 interval out of range',
  ],
  [
    'UTC',
    "justify_hours(interval '-1 days 50 hours')",
    (h) => h.oIv(M.justifyHours(h.iv('-1 days 50 hours'))),
    '1 day 02:00:00',
  ],
  [
    'UTC',
    "justify_days(interval '1 mon -65 days')",
    (h) => h.oIv(M.justifyDays(h.iv('1 mon -65 days'))),
    '-1 mons -5 days',
  ],
  [
    'UTC',
    "justify_interval(interval '1 mon -65 days 3 hours')",
    (h) => h.oIv(M.justifyInterval(h.iv('1 mon -65 days 3 hours'))),
    '-1 mons -4 days -21:00:00',
  ],
  [
    'UTC',
    "-interval '-2147483648 days'",
    (h) => h.oIv(M.intervalUm(h.iv('-2147483648 days'))),
    'ERR 22008 interval out of range',
  ],
  [
    'UTC',
    "interval '2147483647 days' + interval '1 day'",
    (h) => h.oIv(M.intervalPl(h.iv('2147483647 days'), h.iv('1 day'))),
    'ERR 22008 interval out of range',
  ],
  [
    'UTC',
    "interval '1 day' - interval '25 hours'",
    (h) => h.oIv(M.intervalMi(h.iv('1 day'), h.iv('25 hours'))),
    '1 day -25:00:00',
  ],
  [
    'UTC',
    'make_interval(years => 178956971)',
    (h) => h.oIv(M.makeInterval(178956971)),
    '-178956970 years -4 mons',
  ],
  [
    'UTC',
    'make_interval(days => 2147483647, weeks => 1)',
    (h) => h.oIv(M.makeInterval(0, 0, 1, 2147483647)),
    '-2147483642 days',
  ],
  [
    'UTC',
    'make_interval(hours => 2147483647, mins => 2147483647, secs => 1e12)',
    (h) => h.oIv(M.makeInterval(0, 0, 0, 0, 2147483647, 2147483647, 1e12)),
    '2461052818:53:40',
  ],
  [
    'UTC',
    'make_interval(secs => 9.3e12)',
    (h) => h.oIv(M.makeInterval(0, 0, 0, 0, 0, 0, 9.3e12)),
    '-2562047788:00:54.775808',
  ],
  [
    'UTC',
    "make_interval(secs => 'Infinity')",
    (h) => h.oIv(M.makeInterval(0, 0, 0, 0, 0, 0, Infinity)),
    'ERR 22008 interval out of range',
  ],
  [
    'UTC',
    'make_interval(1,2,3,4,5,6,7.5)',
    (h) => h.oIv(M.makeInterval(1, 2, 3, 4, 5, 6, 7.5)),
    '1 year 2 mons 25 days 05:06:07.5',
  ],
  [
    'UTC',
    'make_date(2026, -1, 5)',
    (h) => h.oD(M.makeDate(2026, -1, 5)),
    'ERR 22008 date field value out of range: 2026--1-05',
  ],
  [
    'UTC',
    'make_date(0, 1, 1)',
    (h) => h.oD(M.makeDate(0, 1, 1)),
    'ERR 22008 date field value out of range: 0-01-01',
  ],
  [
    'UTC',
    'make_date(-5000, 1, 1)',
    (h) => h.oD(M.makeDate(-5000, 1, 1)),
    'ERR 22008 date out of range: -4999-01-01',
  ],
  [
    'UTC',
    'make_date(-2026, 2, 30)',
    (h) => h.oD(M.makeDate(-2026, 2, 30)),
    'ERR 22008 date field value out of range: -2025-02-30',
  ],
  ['UTC', 'make_date(-44, 3, 15)', (h) => h.oD(M.makeDate(-44, 3, 15)), '0044-03-15 BC'],
  ['UTC', 'make_date(2024, 2, 29)', (h) => h.oD(M.makeDate(2024, 2, 29)), '2024-02-29'],
  [
    'UTC',
    'make_time(5, -1, 5)',
    (h) => h.oT(M.makeTime(5, -1, 5)),
    'ERR 22008 time field value out of range: 5:-1:05',
  ],
  [
    'UTC',
    'make_time(-5, 1, 5)',
    (h) => h.oT(M.makeTime(-5, 1, 5)),
    'ERR 22008 time field value out of range: -5:01:05',
  ],
  [
    'UTC',
    'make_time(5, 1, -5)',
    (h) => h.oT(M.makeTime(5, 1, -5)),
    'ERR 22008 time field value out of range: 5:01:-5',
  ],
  ['UTC', 'make_time(24, 0, 0.0000001)', (h) => h.oT(M.makeTime(24, 0, 0.0000001)), '24:00:00'],
  ['UTC', 'make_time(23, 59, 60)', (h) => h.oT(M.makeTime(23, 59, 60)), '24:00:00'],
  ['UTC', 'make_time(5, 6, 1e-7)', (h) => h.oT(M.makeTime(5, 6, 1e-7)), '05:06:00'],
  [
    'UTC',
    'make_time(5, 6, 123456789)',
    (h) => h.oT(M.makeTime(5, 6, 123456789)),
    'ERR 22008 time field value out of range: 5:06:1.23457e+08',
  ],
  [
    'UTC',
    "make_time(5, 6, 'NaN')",
    (h) => h.oT(M.makeTime(5, 6, NaN)),
    'ERR 22008 time field value out of range: 5:06:NaN',
  ],
  ['UTC', 'make_time(5, 6, 7.1234565)', (h) => h.oT(M.makeTime(5, 6, 7.1234565)), '05:06:07.123456'],
  [
    'UTC',
    'make_timestamp(-44, 3, 15, 12, 0, 0)',
    (h) => h.oTs(M.makeTimestamp(-44, 3, 15, 12, 0, 0)),
    '0044-03-15 12:00:00 BC',
  ],
  [
    'UTC',
    'make_timestamp(0, 3, 15, 12, 0, 0)',
    (h) => h.oTs(M.makeTimestamp(0, 3, 15, 12, 0, 0)),
    'ERR 22008 date field value out of range: 0-03-15',
  ],
  [
    'UTC',
    'make_timestamp(294277, 1, 1, 0, 0, 0)',
    (h) => h.oTs(M.makeTimestamp(294277, 1, 1, 0, 0, 0)),
    'ERR 22008 timestamp out of range: 294277-01-01 0:00:00',
  ],
  [
    'UTC',
    'make_timestamp(-4714, 11, 24, 0, 0, 0)',
    (h) => h.oTs(M.makeTimestamp(-4714, 11, 24, 0, 0, 0)),
    '4714-11-24 00:00:00 BC',
  ],
  [
    'UTC',
    'make_timestamp(-4714, 11, 23, 23, 59, 59)',
    (h) => h.oTs(M.makeTimestamp(-4714, 11, 23, 23, 59, 59)),
    'ERR 22008 timestamp out of range: -4714-11-23 23:59:59',
  ],
  [
    'UTC',
    'make_timestamp(-4714, 10, 23, 23, 59, 59.5)',
    (h) => h.oTs(M.makeTimestamp(-4714, 10, 23, 23, 59, 59.5)),
    'ERR 22008 date out of range: -4714-10-23',
  ],
  [
    'UTC',
    'make_timestamp(2026, 2, 28, 0, 0, 61.5)',
    (h) => h.oTs(M.makeTimestamp(2026, 2, 28, 0, 0, 61.5)),
    'ERR 22008 time field value out of range: 0:00:61.5',
  ],
  [
    'Europe/Paris',
    'make_timestamptz(2026, 3, 29, 2, 30, 0)',
    (h) => h.oTz(M.makeTimestamptz(2026, 3, 29, 2, 30, 0, h.Z)),
    '2026-03-29 03:30:00+02',
  ],
  [
    'UTC',
    "make_timestamptz(2026,12,7,5,0,0,'+05')",
    (h) => h.oTz(M.makeTimestamptzAt(2026, 12, 7, 5, 0, 0, '+05')),
    '2026-12-07 00:00:00+00',
  ],
  [
    'UTC',
    "make_timestamptz(2026,12,7,5,0,0,'05')",
    (h) => h.oTz(M.makeTimestamptzAt(2026, 12, 7, 5, 0, 0, '05')),
    'ERR 22023 invalid input syntax for type numeric time zone: "05" HINT: Numeric time zones must have "-" or "+" as first character.',
  ],
  [
    'UTC',
    "make_timestamptz(2026,12,7,5,0,0,'+25')",
    (h) => h.oTz(M.makeTimestamptzAt(2026, 12, 7, 5, 0, 0, '+25')),
    'ERR 22023 numeric time zone "+25" out of range',
  ],
  [
    'UTC',
    "make_timestamptz(2026,12,7,5,0,0,'Foo')",
    (h) => h.oTz(M.makeTimestamptzAt(2026, 12, 7, 5, 0, 0, 'Foo')),
    'ERR 22023 time zone "Foo" not recognized',
  ],
  [
    'UTC',
    "make_timestamptz(2026,7,7,5,0,0,'Europe/Paris')",
    (h) => h.oTz(M.makeTimestamptzAt(2026, 7, 7, 5, 0, 0, 'Europe/Paris')),
    '2026-07-07 03:00:00+00',
  ],
  [
    'UTC',
    "make_timestamptz(2026,7,7,5,0,0,'EST')",
    (h) => h.oTz(M.makeTimestamptzAt(2026, 7, 7, 5, 0, 0, 'EST')),
    '2026-07-07 10:00:00+00',
  ],
  [
    'UTC',
    "make_timestamptz(2026,7,7,5,0,0,'+05:30')",
    (h) => h.oTz(M.makeTimestamptzAt(2026, 7, 7, 5, 0, 0, '+05:30')),
    '2026-07-06 23:30:00+00',
  ],
  [
    'UTC',
    'to_timestamp(1e20)',
    (h) => h.oTz(M.toTimestamp(1e20)),
    'ERR 22008 timestamp out of range: "1e+20"',
  ],
  ['UTC', "to_timestamp('NaN')", (h) => h.oTz(M.toTimestamp(NaN)), 'ERR 22008 timestamp cannot be NaN'],
  ['UTC', "to_timestamp('-Infinity')", (h) => h.oTz(M.toTimestamp(-Infinity)), '-infinity'],
  [
    'UTC',
    'to_timestamp(1733547600.1234567)',
    (h) => h.oTz(M.toTimestamp(1733547600.1234567)),
    '2024-12-07 05:00:00.123457+00',
  ],
  [
    'UTC',
    'to_timestamp(-210866803200)',
    (h) => h.oTz(M.toTimestamp(-210866803200)),
    '4714-11-24 00:00:00+00 BC',
  ],
  [
    'UTC',
    'to_timestamp(-210866803200.5)',
    (h) => h.oTz(M.toTimestamp(-210866803200.5)),
    'ERR 22008 timestamp out of range: "-2.10867e+11"',
  ],
  [
    'UTC',
    'to_timestamp(-0.0000015)',
    (h) => h.oTz(M.toTimestamp(-0.0000015)),
    '1969-12-31 23:59:59.999998+00',
  ],
  ['UTC', 'to_timestamp(0.0000005)', (h) => h.oTz(M.toTimestamp(0.0000005)), '1970-01-01 00:00:00+00'],
  [
    'UTC',
    'to_timestamp(123.0000025)',
    (h) => h.oTz(M.toTimestamp(123.0000025)),
    '1970-01-01 00:02:03.000002+00',
  ],
  [
    'UTC',
    "timestamp '2026-12-07 12:00' AT TIME ZONE 'Europe/Paris'",
    (h) => h.oTz(M.timestampAtZone(h.ts('2026-12-07 12:00'), 'Europe/Paris')),
    '2026-12-07 11:00:00+00',
  ],
  [
    'UTC',
    "timestamp '2026-03-29 02:30' AT TIME ZONE 'Europe/Paris'",
    (h) => h.oTz(M.timestampAtZone(h.ts('2026-03-29 02:30'), 'Europe/Paris')),
    '2026-03-29 01:30:00+00',
  ],
  [
    'UTC',
    "timestamp '2026-12-07 12:00' AT TIME ZONE 'EST'",
    (h) => h.oTz(M.timestampAtZone(h.ts('2026-12-07 12:00'), 'EST')),
    '2026-12-07 17:00:00+00',
  ],
  [
    'UTC',
    "timestamp '2026-12-07 12:00' AT TIME ZONE '+05'",
    (h) => h.oTz(M.timestampAtZone(h.ts('2026-12-07 12:00'), '+05')),
    '2026-12-07 17:00:00+00',
  ],
  [
    'UTC',
    "timestamp '2026-12-07 12:00' AT TIME ZONE 'UTC+3'",
    (h) => h.oTz(M.timestampAtZone(h.ts('2026-12-07 12:00'), 'UTC+3')),
    '2026-12-07 15:00:00+00',
  ],
  [
    'UTC',
    "timestamp '2026-12-07 12:00' AT TIME ZONE 'Foo'",
    (h) => h.oTz(M.timestampAtZone(h.ts('2026-12-07 12:00'), 'Foo')),
    'ERR 22023 time zone "Foo" not recognized',
  ],
  [
    'UTC',
    "timestamp '2026-12-07 12:00' AT TIME ZONE 'msk'",
    (h) => h.oTz(M.timestampAtZone(h.ts('2026-12-07 12:00'), 'msk')),
    '2026-12-07 09:00:00+00',
  ],
  [
    'America/New_York',
    "timestamptz '2026-12-07 12:00+00' AT TIME ZONE 'Asia/Kolkata'",
    (h) => h.oTs(M.timestamptzAtZone(h.tz('2026-12-07 12:00+00'), 'Asia/Kolkata')),
    '2026-12-07 17:30:00',
  ],
  [
    'America/New_York',
    "timestamptz '2026-12-07 12:00+00' AT TIME ZONE '+05'",
    (h) => h.oTs(M.timestamptzAtZone(h.tz('2026-12-07 12:00+00'), '+05')),
    '2026-12-07 07:00:00',
  ],
  [
    'America/New_York',
    "timestamptz '2026-12-07 12:00+00' AT TIME ZONE 'PST'",
    (h) => h.oTs(M.timestamptzAtZone(h.tz('2026-12-07 12:00+00'), 'PST')),
    '2026-12-07 04:00:00',
  ],
  [
    'America/New_York',
    "timestamptz 'infinity' AT TIME ZONE 'Foo'",
    (h) => h.oTs(M.timestamptzAtZone(h.tz('infinity'), 'Foo')),
    'infinity',
  ],
  [
    'UTC',
    "timestamp '2026-12-07 12:00' AT TIME ZONE interval '+05:30'",
    (h) => h.oTz(M.timestampAtZoneInterval(h.ts('2026-12-07 12:00'), h.iv('+05:30'))),
    '2026-12-07 06:30:00+00',
  ],
  [
    'UTC',
    "timestamptz '2026-12-07 12:00' AT TIME ZONE interval '-03:00'",
    (h) => h.oTs(M.timestamptzAtZoneInterval(h.tz('2026-12-07 12:00'), h.iv('-03:00'))),
    '2026-12-07 09:00:00',
  ],
  [
    'UTC',
    "timestamptz '2026-12-07 12:00' AT TIME ZONE interval '1 day'",
    (h) => h.oTs(M.timestamptzAtZoneInterval(h.tz('2026-12-07 12:00'), h.iv('1 day'))),
    'ERR 22023 interval time zone "1 day" must not include months or days',
  ],
  [
    'Europe/Paris',
    "timestamptz '2026-07-07 23:30+00'::date",
    (h) => h.oD(M.timestamptzToDate(h.tz('2026-07-07 23:30+00'), h.Z)),
    '2026-07-08',
  ],
  [
    'Europe/Paris',
    "timestamptz '2026-07-07 23:30+00'::time",
    (h) => h.oT(M.timestamptzToTime(h.tz('2026-07-07 23:30+00'), h.Z)),
    '01:30:00',
  ],
  [
    'Europe/Paris',
    "timestamptz '2026-07-07 23:30+00'::timestamp",
    (h) => h.oTs(M.timestamptzToTimestamp(h.tz('2026-07-07 23:30+00'), h.Z)),
    '2026-07-08 01:30:00',
  ],
  [
    'Europe/Paris',
    "timestamp '2026-03-29 02:30'::timestamptz",
    (h) => h.oTz(M.timestampToTimestamptz(h.ts('2026-03-29 02:30'), h.Z)),
    '2026-03-29 03:30:00+02',
  ],
  [
    'Europe/Paris',
    "date '2026-03-29'::timestamptz",
    (h) => h.oTz(M.dateToTimestamptz(h.d('2026-03-29'), h.Z)),
    '2026-03-29 00:00:00+01',
  ],
  [
    'America/Sao_Paulo',
    "date '2018-11-04'::timestamptz",
    (h) => h.oTz(M.dateToTimestamptz(h.d('2018-11-04'), h.Z)),
    '2018-11-04 01:00:00-02',
  ],
  [
    'UTC',
    "date '294277-01-01'::timestamptz",
    (h) => h.oTz(M.dateToTimestamptz(h.d('294277-01-01'), h.Z)),
    'ERR 22008 date out of range for timestamp',
  ],
  ['UTC', "timestamp 'infinity'::time", (h) => h.oT(M.timestampToTime(h.ts('infinity'))), 'NULL'],
  [
    'UTC',
    "timestamp '1900-01-01 05:06:07.5'::time",
    (h) => h.oT(M.timestampToTime(h.ts('1900-01-01 05:06:07.5'))),
    '05:06:07.5',
  ],
  ['UTC', "timestamp '-infinity'::date", (h) => h.oD(M.timestampToDate(h.ts('-infinity'))), '-infinity'],
  [
    'UTC',
    "timestamp '0044-03-15 12:00 BC'::date",
    (h) => h.oD(M.timestampToDate(h.ts('0044-03-15 12:00 BC'))),
    '0044-03-15 BC',
  ],
  [
    'UTC',
    "'1 day 02:03:04.5678'::interval hour to second(2)",
    (h) => h.oIv(h.iv('1 day 02:03:04.5678', M.intervalTypmod('hour to second', 2))),
    '1 day 02:03:04.57',
  ],
  [
    'UTC',
    "'1 year 2 mons 1 day 02:03:04.5678'::interval year",
    (h) => h.oIv(h.iv('1 year 2 mons 1 day 02:03:04.5678', M.intervalTypmod('year'))),
    '1 year',
  ],
  [
    'UTC',
    "'1 year 2 mons 1 day 02:03:04.5678'::interval month",
    (h) => h.oIv(h.iv('1 year 2 mons 1 day 02:03:04.5678', M.intervalTypmod('month'))),
    '1 year 2 mons',
  ],
  [
    'UTC',
    "'1 year 2 mons 1 day 02:03:04.5678'::interval day",
    (h) => h.oIv(h.iv('1 year 2 mons 1 day 02:03:04.5678', M.intervalTypmod('day'))),
    '1 year 2 mons 1 day',
  ],
  [
    'UTC',
    "'1 year 2 mons 1 day 02:03:04.5678'::interval day to hour",
    (h) => h.oIv(h.iv('1 year 2 mons 1 day 02:03:04.5678', M.intervalTypmod('day to hour'))),
    '1 year 2 mons 1 day 02:00:00',
  ],
  [
    'UTC',
    "'1 year 2 mons 1 day 02:03:04.5678'::interval day to minute",
    (h) => h.oIv(h.iv('1 year 2 mons 1 day 02:03:04.5678', M.intervalTypmod('day to minute'))),
    '1 year 2 mons 1 day 02:03:00',
  ],
  [
    'UTC',
    "'-1 day -02:03:04.5678'::interval minute",
    (h) => h.oIv(h.iv('-1 day -02:03:04.5678', M.intervalTypmod('minute'))),
    '-1 days -02:03:00',
  ],
  [
    'UTC',
    "'-1 day -02:03:04.5678'::interval second(0)",
    (h) => h.oIv(h.iv('-1 day -02:03:04.5678', M.intervalTypmod('second', 0))),
    '-1 days -02:03:05',
  ],
  ['UTC', "'5'::interval year", (h) => h.oIv(h.iv('5', M.intervalTypmod('year'))), '5 years'],
  [
    'UTC',
    "'5'::interval year to month",
    (h) => h.oIv(h.iv('5', M.intervalTypmod('year to month'))),
    '5 mons',
  ],
  ['UTC', "'5'::interval day", (h) => h.oIv(h.iv('5', M.intervalTypmod('day'))), '5 days'],
  ['UTC', "'5'::interval day to hour", (h) => h.oIv(h.iv('5', M.intervalTypmod('day to hour'))), '05:00:00'],
  [
    'UTC',
    "'5'::interval hour to minute",
    (h) => h.oIv(h.iv('5', M.intervalTypmod('hour to minute'))),
    '00:05:00',
  ],
  [
    'UTC',
    "'5'::interval minute to second",
    (h) => h.oIv(h.iv('5', M.intervalTypmod('minute to second'))),
    '00:00:05',
  ],
  [
    'UTC',
    "'1:30'::interval minute to second",
    (h) => h.oIv(h.iv('1:30', M.intervalTypmod('minute to second'))),
    '00:01:30',
  ],
  [
    'UTC',
    "'1:30'::interval hour to second",
    (h) => h.oIv(h.iv('1:30', M.intervalTypmod('hour to second'))),
    '01:30:00',
  ],
  [
    'UTC',
    "'1 2:30'::interval day to minute",
    (h) => h.oIv(h.iv('1 2:30', M.intervalTypmod('day to minute'))),
    '1 day 02:30:00',
  ],
  ['UTC', "'1.5'::interval(0)", (h) => h.oIv(h.iv('1.5', M.intervalTypmod(undefined, 0))), '00:00:02'],
  ['UTC', "'2.5'::interval(0)", (h) => h.oIv(h.iv('2.5', M.intervalTypmod(undefined, 0))), '00:00:03'],
  ['UTC', "'-2.5'::interval(0)", (h) => h.oIv(h.iv('-2.5', M.intervalTypmod(undefined, 0))), '-00:00:03'],
  [
    'UTC',
    "'1.23456789'::interval(3)",
    (h) => h.oIv(h.iv('1.23456789', M.intervalTypmod(undefined, 3))),
    '00:00:01.235',
  ],
  ['UTC', "'1.5'::interval(7)", (h) => h.oIv(h.iv('1.5', M.intervalTypmod(undefined, 7))), '00:00:01.5'],
  ['UTC', "'12:34:56.789'::time(1)", (h) => h.oT(h.t('12:34:56.789', 1)), '12:34:56.8'],
  ['UTC', "'23:59:59.96'::time(1)", (h) => h.oT(h.t('23:59:59.96', 1)), '24:00:00'],
  [
    'UTC',
    "'2026-12-07 12:34:56.789'::timestamp(1)",
    (h) => h.oTs(h.ts('2026-12-07 12:34:56.789', 1)),
    '2026-12-07 12:34:56.8',
  ],
  [
    'UTC',
    "'1999-12-31 23:59:59.5'::timestamp(0)",
    (h) => h.oTs(h.ts('1999-12-31 23:59:59.5', 0)),
    '1999-12-31 23:59:59',
  ],
  [
    'UTC',
    "'2000-01-01 00:00:00.5'::timestamp(0)",
    (h) => h.oTs(h.ts('2000-01-01 00:00:00.5', 0)),
    '2000-01-01 00:00:01',
  ],
  [
    'UTC',
    "'1960-06-01 00:00:00.05'::timestamptz(1)",
    (h) => h.oTz(h.tz('1960-06-01 00:00:00.05', 1)),
    '1960-06-01 00:00:00+00',
  ],
  [
    'UTC',
    "'1960-06-01 00:00:00.15'::timestamptz(1)",
    (h) => h.oTz(h.tz('1960-06-01 00:00:00.15', 1)),
    '1960-06-01 00:00:00.1+00',
  ],
  ['UTC', "'infinity'::timestamp(0)", (h) => h.oTs(h.ts('infinity', 0)), 'infinity'],
];

test('arithmetic, conversions and constructors give PostgreSQL 15 results', () => {
  const failures: string[] = [];
  for (const [zone, sql, compute, expected] of CASES) {
    let actual: string;
    try {
      actual = compute(helpers(zone));
    } catch (e) {
      const err = e as { sqlstate?: string; message: string; hint?: string; detail?: string };
      if (err.sqlstate === undefined) throw e;
      actual = `ERR ${err.sqlstate} ${err.message}${err.hint ? ` HINT: ${err.hint}` : ''}${err.detail ? ` DETAIL: ${err.detail}` : ''}`;
    }
    if (actual !== expected) failures.push(`[${zone}] ${sql}: expected ${expected}, got ${actual}`);
  }
  assert.deepEqual(failures, []);
});
