// The SQLite functions of runtime/datetime-functions.ts on a real better-sqlite3 connection: storage
// formats in and out, strictness, errors surfacing as ChorusError with SQLSTATE, interval BLOBs
// ordering and comparing in SQL. Expected texts were checked against PostgreSQL 15.18.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { isChorusError } from '../../src/errors.js';
import {
  DATETIME_FUNCTION_NAMES,
  registerDateTimeFunctions,
} from '../../src/sql/runtime/datetime-functions.js';

function open(): Database.Database {
  const db = new Database(':memory:');
  db.defaultSafeIntegers(true);
  registerDateTimeFunctions(db);
  return db;
}

function one(db: Database.Database, sql: string, ...params: unknown[]): unknown {
  const row = db.prepare(sql).get(...params) as Record<string, unknown>;
  return Object.values(row)[0];
}

const NOW = 1_796_626_620_968_243n; // 2026-12-07 07:37:00.968243 UTC

test('input and output in storage formats', () => {
  const db = open();
  assert.equal(one(db, `select pg_date_in('2026-12-07', 'UTC', ?)`, NOW), 20794n);
  assert.equal(one(db, `select pg_date_out(20794)`), '2026-12-07');
  assert.equal(
    one(db, `select pg_date_out(-2147483648) || ' ' || pg_date_out(2147483647)`),
    '-infinity infinity',
  );
  assert.equal(one(db, `select pg_time_in('05:06:07.5', 'UTC', ?, -1)`, NOW), 18_367_500_000n);
  assert.equal(one(db, `select pg_time_out(pg_time_in('23:59:59.9', 'UTC', ?, 0))`, NOW), '24:00:00');
  assert.equal(one(db, `select pg_timestamp_in('1970-01-01 00:00:01', 'UTC', ?, -1)`, NOW), 1_000_000n);
  assert.equal(
    one(
      db,
      `select pg_timestamptz_out(pg_timestamptz_in('2026-12-07 05:00 Europe/Paris', 'UTC', ?, -1), 'Asia/Kolkata')`,
      NOW,
    ),
    '2026-12-07 09:30:00+05:30',
  );
  assert.equal(
    one(
      db,
      `select pg_timestamptz_out(pg_timestamptz_in('today', 'Pacific/Auckland', ?, -1), 'Pacific/Auckland')`,
      NOW,
    ),
    '2026-12-07 00:00:00+13',
  );
  assert.equal(one(db, `select pg_timestamp_out(9223372036854775807)`), 'infinity');
  assert.equal(
    one(db, `select pg_interval_out(pg_interval_in('1 year 2 mons -3 days 04:05:06.5', -1))`),
    '1 year 2 mons -3 days +04:05:06.5',
  );
  assert.equal(
    one(db, `select pg_interval_out(pg_interval_in('P1Y2M3DT4H5M6S', -1), 'sql_standard')`),
    '+1-2 +3 +4:05:06',
  );
  assert.equal(
    one(db, `select pg_interval_out(pg_interval_in('-1 2:03', -1, 'sql_standard'))`),
    '-1 days -02:03:00',
  );
});

test('strict: NULL in, NULL out', () => {
  const db = open();
  assert.equal(one(db, `select pg_date_in(NULL, 'UTC', 0)`), null);
  assert.equal(one(db, `select pg_timestamp_pl_interval(NULL, pg_interval_in('1 day', -1))`), null);
  assert.equal(one(db, `select pg_extract_timestamp('hour', NULL)`), null);
  assert.equal(one(db, `select pg_timestamp_to_time(9223372036854775807)`), null);
});

test('errors carry PostgreSQL SQLSTATE and text', () => {
  const db = open();
  const fails = (sql: string, sqlstate: string, message: string) => {
    assert.throws(
      () => one(db, sql, NOW),
      (e: unknown) => isChorusError(e) && e.sqlstate === sqlstate && e.message === message,
      sql,
    );
  };
  fails(
    `select pg_date_in('2026-13-01', 'UTC', ?)`,
    '22008',
    'date/time field value out of range: "2026-13-01"',
  );
  fails(
    `select pg_timestamp_in('foo', 'UTC', ?, -1)`,
    '22007',
    'invalid input syntax for type timestamp: "foo"',
  );
  fails(
    `select pg_interval_in('1 day 2 days', -1) = ?`,
    '22007',
    'invalid input syntax for type interval: "1 day 2 days"',
  );
  fails(
    `select pg_date_trunc_timestamp('foo', 0) = ?`,
    '22023',
    'unit "foo" not recognized for type timestamp without time zone',
  );
  fails(
    `select pg_extract_interval('week', pg_interval_in('1 day', -1)) = ?`,
    '0A000',
    'unit "week" not supported for type interval',
  );
  fails(`select pg_timestamp_mi(9223372036854775807, 0) = ?`, '22008', 'cannot subtract infinite timestamps');
  fails(`select pg_timestamptz_at_zone(0, 'Foo/Bar') = ?`, '22023', 'time zone "Foo/Bar" not recognized');
  fails(`select pg_timezone_check('Foo') = ?`, '22023', 'invalid value for parameter "TimeZone": "Foo"');
});

test('arithmetic, conversions and fields through SQL', () => {
  const db = open();
  const ts = (s: string) => `pg_timestamp_in('${s}', 'UTC', 0, -1)`;
  const tz = (s: string) => `pg_timestamptz_in('${s}', 'UTC', 0, -1)`;
  const iv = (s: string) => `pg_interval_in('${s}', -1)`;
  assert.equal(
    one(db, `select pg_timestamp_out(pg_timestamp_pl_interval(${ts('2026-01-31')}, ${iv('1 mon')}))`),
    '2026-02-28 00:00:00',
  );
  assert.equal(
    one(
      db,
      `select pg_timestamptz_out(pg_timestamptz_pl_interval(${tz('2026-03-28 12:00+01')}, ${iv('1 day')}, 'Europe/Paris'), 'Europe/Paris')`,
    ),
    '2026-03-29 12:00:00+02',
  );
  assert.equal(
    one(db, `select pg_interval_out(pg_timestamp_mi(${ts('2026-12-07 05:00')}, ${ts('2026-12-05 07:30')}))`),
    '1 day 21:30:00',
  );
  assert.equal(
    one(db, `select pg_date_mi(pg_date_in('2026-12-07', 'UTC', 0), pg_date_in('2024-02-29', 'UTC', 0))`),
    1012n,
  );
  assert.equal(one(db, `select pg_interval_out(pg_interval_div(${iv('1 mon')}, 7))`), '4 days 06:51:25.6896');
  assert.equal(one(db, `select pg_interval_out(pg_justify_interval(${iv('1 mon -1 day')}))`), '29 days');
  assert.equal(
    one(db, `select pg_interval_out(pg_age_timestamp(${ts('2026-12-07')}, ${ts('2024-02-29 12:00')}))`),
    '2 years 9 mons 6 days 12:00:00',
  );
  assert.equal(
    one(db, `select pg_timestamp_out(pg_timestamptz_at_zone(${tz('2026-12-07 12:00+00')}, '+05'))`),
    '2026-12-07 07:00:00',
  );
  assert.equal(
    one(db, `select pg_timestamptz_out(pg_to_timestamp(1733547600.1234567), 'UTC')`),
    '2024-12-07 05:00:00.123457+00',
  );
  assert.equal(
    one(db, `select pg_extract_timestamptz('epoch', ${tz('2024-12-07 05:00:00.123456+00')}, 'UTC')`),
    '1733547600.123456',
  );
  assert.equal(
    one(db, `select pg_extract_timestamp('julian', ${ts('2026-12-07 05:00')})`),
    '2461382.20833333333333333333',
  );
  assert.equal(
    one(db, `select pg_date_part_interval('epoch', ${iv('1 year 2 mons 3 days 04:05:06.5')})`),
    37015506.5,
  );
  assert.equal(
    one(db, `select pg_date_part_timestamp('year', 9223372036854775807)`),
    Number.POSITIVE_INFINITY,
  );
  assert.equal(one(db, `select pg_date_out(pg_make_date(-44, 3, 15))`), '0044-03-15 BC');
  assert.equal(
    one(db, `select pg_interval_out(pg_make_interval(1, 2, 3, 4, 5, 6, 7.5))`),
    '1 year 2 mons 25 days 05:06:07.5',
  );
  assert.equal(
    one(
      db,
      `select pg_timestamptz_out(pg_date_trunc_timestamptz('day', ${tz('2026-10-25 12:00+00')}, 'Europe/Paris'), 'Europe/Paris')`,
    ),
    '2026-10-25 00:00:00+02',
  );
  assert.equal(one(db, `select pg_date_out(pg_current_date(?, 'Pacific/Kiritimati'))`, NOW), '2026-12-07');
});

test('interval BLOBs order and compare like PostgreSQL intervals', () => {
  const db = open();
  const rows = db
    .prepare(
      `with t(v) as (values (pg_interval_in('1 mon', -1)), (pg_interval_in('29 days 23:59', -1)),
        (pg_interval_in('-1 day', -1)), (pg_interval_in('1 year', -1)), (pg_interval_in('31 days', -1)))
       select pg_interval_out(v) as o from t order by v`,
    )
    .all() as { o: string }[];
  assert.deepEqual(
    rows.map((r) => r.o),
    ['-1 days', '29 days 23:59:00', '1 mon', '31 days', '1 year'],
  );
  assert.equal(
    one(
      db,
      `select substr(pg_interval_in('1 day', -1), 1, 16) = pg_interval_key(pg_interval_in('24 hours', -1))`,
    ),
    1n,
  );
  assert.equal(
    one(db, `select pg_interval_cmp(pg_interval_in('1 mon', -1), pg_interval_in('30 days', -1))`),
    0n,
  );
});

test('every documented function is registered', () => {
  const db = open();
  const names = new Set(
    (
      db.prepare(`select name from pragma_function_list where name like 'pg_%'`).all() as { name: string }[]
    ).map((r) => r.name),
  );
  for (const n of DATETIME_FUNCTION_NAMES) assert.ok(names.has(n), n);
});
