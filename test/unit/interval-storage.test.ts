// The interval storage BLOB: layout, round trip, and an order key that compares (byte-wise, as
// SQLite compares BLOBs) exactly as PostgreSQL's interval_cmp, even where the span passes int64.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  decodeInterval,
  encodeInterval,
  INTERVAL_BLOB_BYTES,
  INTERVAL_KEY_BYTES,
  type Interval,
  intervalCmp,
  intervalKey,
  intervalSpan,
} from '../../src/sql/types/interval/interval.js';
import { intervalIn } from '../../src/sql/types/interval/interval-parse.js';

const INT32 = { min: -2147483648, max: 2147483647 };
const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };

const anyInterval: fc.Arbitrary<Interval> = fc.record({
  months: fc.oneof(fc.integer(INT32), fc.integer({ min: -24, max: 24 })),
  days: fc.oneof(fc.integer(INT32), fc.integer({ min: -60, max: 60 })),
  micros: fc.oneof(fc.bigInt(INT64), fc.bigInt({ min: -200_000_000_000n, max: 200_000_000_000n })),
});

test('blob layout: 16-byte key, then months, days, µs big-endian', () => {
  const b = encodeInterval({ months: 14, days: 3, micros: 14_706_500_000n });
  assert.equal(b.length, INTERVAL_BLOB_BYTES);
  assert.equal(INTERVAL_KEY_BYTES, 16);
  assert.equal(b.readInt32BE(16), 14);
  assert.equal(b.readInt32BE(20), 3);
  assert.equal(b.readBigInt64BE(24), 14_706_500_000n);
  // key = span + 2^127, big-endian
  const span = (14n * 30n + 3n) * 86_400_000_000n + 14_706_500_000n;
  assert.equal(b.subarray(0, 16).toString('hex'), (span + (1n << 127n)).toString(16).padStart(32, '0'));
  assert.equal(
    encodeInterval({ months: 0, days: 0, micros: 0n }).subarray(0, 16).toString('hex'),
    `80${'0'.repeat(30)}`,
  );
});

test('equal spans have equal keys (PostgreSQL: 1 day = 24 hours, 1 mon = 30 days)', () => {
  const key = (s: string) => intervalKey(intervalIn(s)).toString('hex');
  assert.equal(key('1 day'), key('24 hours'));
  assert.equal(key('1 mon'), key('30 days'));
  assert.equal(key('1 year'), key('360 days'));
  assert.notEqual(
    encodeInterval(intervalIn('1 day')).toString('hex'),
    encodeInterval(intervalIn('24 hours')).toString('hex'),
  );
  assert.equal(intervalCmp(intervalIn('1 mon'), intervalIn('29 days 24:00:00')), 0);
  assert.equal(intervalCmp(intervalIn('-1 day'), intervalIn('-23:59:59.999999')), -1);
});

test('extreme spans beyond int64 keep their order', () => {
  const max: Interval = { months: 2147483647, days: 2147483647, micros: 2n ** 63n - 1n };
  const min: Interval = { months: -2147483648, days: -2147483648, micros: -(2n ** 63n) };
  assert.ok(intervalSpan(max) > 2n ** 63n);
  assert.equal(Buffer.compare(intervalKey(min), intervalKey({ months: 0, days: 0, micros: 0n })), -1);
  assert.equal(
    Buffer.compare(intervalKey(max), intervalKey({ months: 2147483647, days: 2147483647, micros: 0n })),
    1,
  );
  assert.deepEqual(decodeInterval(encodeInterval(max)), max);
  assert.deepEqual(decodeInterval(encodeInterval(min)), min);
});

test('property: decode(encode(iv)) = iv', () => {
  fc.assert(
    fc.property(anyInterval, (iv) => {
      assert.deepEqual(decodeInterval(encodeInterval(iv)), { ...iv });
    }),
    { numRuns: 2000 },
  );
});

test('property: byte order of keys = interval_cmp', () => {
  fc.assert(
    fc.property(anyInterval, anyInterval, (a, b) => {
      assert.equal(Math.sign(Buffer.compare(intervalKey(a), intervalKey(b))), intervalCmp(a, b));
    }),
    { numRuns: 5000 },
  );
});

test('decodeInterval refuses a blob of the wrong size', () => {
  assert.throws(() => decodeInterval(new Uint8Array(24)), { sqlstate: 'XX000' });
});
