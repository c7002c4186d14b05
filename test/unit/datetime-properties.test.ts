// Properties of the date/time types: output text reads back to the same value (timestamp,
// timestamptz in DST zones, date, time, interval in every IntervalStyle), the ISO fast path of
// input agrees with the general decoder, and arithmetic identities PostgreSQL guarantees.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  timestampMi,
  timestampPlInterval,
  timestamptzPlInterval,
} from '../../src/sql/types/datetime/datetime-arith.js';
import {
  DATE_END_DAYS,
  DATE_MIN_DAYS,
  date2j,
  j2date,
  TIMESTAMP_MIN_US,
  UNIX_EPOCH_JDATE,
} from '../../src/sql/types/datetime/datetime-core.js';
import {
  dateOut,
  timeOut,
  timestampOut,
  timestamptzOut,
} from '../../src/sql/types/datetime/datetime-format.js';
import { dateIn, timeIn, timestampIn, timestamptzIn } from '../../src/sql/types/datetime/datetime-parse.js';
import { type Interval, intervalCmp } from '../../src/sql/types/interval/interval.js';
import { intervalOut } from '../../src/sql/types/interval/interval-format.js';
import { type IntervalStyle, intervalIn } from '../../src/sql/types/interval/interval-parse.js';
import { sessionTimeZone } from '../../src/sql/types/timezone/timezone.js';

const UTC = { zone: sessionTimeZone('UTC'), nowUs: 0n };
/** Largest µs the int64 storage holds below +infinity. */
const TIMESTAMP_MAX_US = 2n ** 63n - 2n;
const zones = [
  'UTC',
  'Europe/Paris',
  'America/New_York',
  'Asia/Kolkata',
  'Australia/Lord_Howe',
  'America/St_Johns',
];

test('calendar: date2j/j2date agree with PostgreSQL anchors and invert each other', () => {
  assert.equal(date2j(2000, 1, 1), 2451545);
  assert.equal(date2j(1970, 1, 1), UNIX_EPOCH_JDATE);
  assert.equal(date2j(-4713, 11, 24), 0);
  assert.deepEqual(j2date(0), [-4713, 11, 24]);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2147483493 }), (jd) => {
      const [y, m, d] = j2date(jd);
      assert.equal(date2j(y, m, d), jd);
    }),
  );
});

test('property: timestamp text round-trips (whole range, µs precision)', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: TIMESTAMP_MIN_US, max: TIMESTAMP_MAX_US }), (t) => {
      assert.equal(timestampIn(timestampOut(t), UTC), t);
    }),
    { numRuns: 3000 },
  );
});

test('property: timestamptz text round-trips in DST zones', () => {
  fc.assert(
    fc.property(
      fc.bigInt({ min: -5_000_000_000_000_000n, max: 5_000_000_000_000_000n }),
      fc.constantFrom(...zones),
      (t, name) => {
        const zone = sessionTimeZone(name);
        const text = timestamptzOut(t, zone);
        assert.equal(timestamptzIn(text, { zone, nowUs: 0n }), t, text);
      },
    ),
    { numRuns: 3000 },
  );
});

test('property: date and time text round-trip', () => {
  fc.assert(
    fc.property(fc.integer({ min: DATE_MIN_DAYS, max: DATE_END_DAYS - 1 }), (d) => {
      assert.equal(dateIn(dateOut(d), UTC), d);
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: 86_400_000_000n }), (t) => {
      assert.equal(timeIn(timeOut(t), UTC), t);
    }),
    { numRuns: 2000 },
  );
});

test('property: interval text round-trips in every IntervalStyle', () => {
  // INT32_MIN fields print as '... ago' of an out-of-range magnitude: PostgreSQL cannot read them back either
  const iv = fc.record({
    months: fc.integer({ min: -2147483647, max: 2147483647 }),
    days: fc.integer({ min: -2147483647, max: 2147483647 }),
    micros: fc.bigInt({ min: -(2n ** 63n) + 1n, max: 2n ** 63n - 1n }),
  });
  const styles: IntervalStyle[] = ['postgres', 'postgres_verbose', 'iso_8601', 'sql_standard'];
  fc.assert(
    fc.property(iv, fc.constantFrom(...styles), (v: Interval, style) => {
      const text = intervalOut(v, style);
      const back = intervalIn(text, -1, style);
      assert.deepEqual(back, { ...v }, `${style}: ${text}`);
    }),
    { numRuns: 3000 },
  );
});

test('property: the ISO fast path of input agrees with the general decoder', () => {
  const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
  const iso = fc
    .tuple(
      fc.integer({ min: 0, max: 9999 }).map((n) => String(n).padStart(4, '0')),
      two(13),
      two(32),
      fc.constantFrom(' ', 'T'),
      two(25),
      two(61),
      two(61),
      fc.option(fc.stringMatching(/^[0-9]{1,6}$/)),
      fc.constantFrom('', 'Z', '+02', '-0530', '+05:45', '-15', '+16', '+05:60'),
    )
    .map(
      ([y, mo, d, sep, h, mi, s, f, z]) =>
        `${y}-${mo}-${d}${sep}${h}:${mi}:${s}${f === null ? '' : `.${f}`}${z}`,
    );
  const outcome = (f: () => bigint): string => {
    try {
      return String(f());
    } catch (e) {
      return `${(e as { sqlstate: string }).sqlstate} ${(e as Error).message}`;
    }
  };
  fc.assert(
    fc.property(iso, fc.constantFrom(...zones), (text, name) => {
      const ctx = { zone: sessionTimeZone(name), nowUs: 0n };
      // a trailing space keeps the text off the fast path; messages name the text, so compare codes
      const fast = outcome(() => timestamptzIn(text, ctx)).replace(/: ".*"$/, '');
      const slow = outcome(() => timestamptzIn(`${text} `, ctx)).replace(/: ".*"$/, '');
      assert.equal(fast, slow, text);
      const fastTs = outcome(() => timestampIn(text, ctx)).replace(/: ".*"$/, '');
      const slowTs = outcome(() => timestampIn(`${text} `, ctx)).replace(/: ".*"$/, '');
      assert.equal(fastTs, slowTs, text);
    }),
    { numRuns: 5000 },
  );
});

test('property: timestamp + (b - a) = b, and + interval then - interval within a month-end clamp', () => {
  fc.assert(
    fc.property(
      fc.bigInt({ min: -60_000_000_000_000_000n, max: 250_000_000_000_000_000n }),
      fc.bigInt({ min: -60_000_000_000_000_000n, max: 250_000_000_000_000_000n }),
      (a, b) => {
        assert.equal(timestampPlInterval(a, timestampMi(b, a)), b);
      },
    ),
    { numRuns: 2000 },
  );
});

test('property: timestamptz + N days keeps the local time of day in the zone when it exists', () => {
  const zone = sessionTimeZone('Europe/Paris');
  fc.assert(
    fc.property(
      fc.bigInt({ min: 0n, max: 4_000_000_000_000_000n }),
      fc.integer({ min: -800, max: 800 }),
      (t, n) => {
        const r = timestamptzPlInterval(t, { months: 0, days: n, micros: 0n }, zone);
        const before = timestamptzOut(t, zone).slice(11, 19);
        const after = timestamptzOut(r, zone).slice(11, 19);
        // equal unless the wall time falls into a spring-forward gap on the target day
        if (before !== after) assert.ok(before.startsWith('02:'), `${before} vs ${after}`);
      },
    ),
    { numRuns: 2000 },
  );
});

test('intervals compare by their 30-day-month span', () => {
  assert.equal(intervalCmp(intervalIn('1 year'), intervalIn('360 days')), 0);
  assert.equal(intervalCmp(intervalIn('1 mon 1 day'), intervalIn('31 days')), 0);
  assert.equal(intervalCmp(intervalIn('-1 mon'), intervalIn('-29 days')), -1);
});
