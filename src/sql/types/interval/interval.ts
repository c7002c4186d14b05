// The interval type: months, days and µs kept apart as PostgreSQL keeps them; its storage BLOB with
// an order key (PostgreSQL's interval_cmp_value, a 128-bit span), comparison, and typmod
// (field restriction and fractional-second precision) rounding.

import { ChorusError } from '../../../errors.js';
import { INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN, intervalOutOfRange } from '../datetime/datetime-core.js';

/** An interval: the three fields are independent (1 mon ≠ 30 days ≠ 720 h, but they compare equal). */
export interface Interval {
  months: number;
  days: number;
  micros: bigint;
}

/**
 * Storage BLOB layout (32 bytes):
 *   bytes  0..15  order key: the span in µs (month = 30 days, day = 24 h), plus 2^127, unsigned
 *                 big-endian — byte-wise order is PostgreSQL's interval order; the span needs
 *                 about 74 bits, so the key is 16 bytes, not 8
 *   bytes 16..19  months, int32 big-endian
 *   bytes 20..23  days, int32 big-endian
 *   bytes 24..31  µs, int64 big-endian
 * Compare `substr(blob, 1, 16)` for PostgreSQL's =, <, ... ('1 day' = '24 hours'); the whole blob
 * still sorts in PostgreSQL's order.
 */
export const INTERVAL_KEY_BYTES = 16;
export const INTERVAL_BLOB_BYTES = 32;

const US_PER_DAY = 86_400_000_000n;
const KEY_BIAS = 1n << 127n;

export const ZERO_INTERVAL: Interval = Object.freeze({ months: 0, days: 0, micros: 0n });

/** PostgreSQL's interval_cmp_value: the span in µs with 30-day months and 24-hour days. */
export function intervalSpan(iv: Interval): bigint {
  return (BigInt(iv.months) * 30n + BigInt(iv.days)) * US_PER_DAY + iv.micros;
}

/** interval_cmp: -1, 0, 1. */
export function intervalCmp(a: Interval, b: Interval): number {
  const x = intervalSpan(a);
  const y = intervalSpan(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function encodeInterval(iv: Interval): Buffer {
  const buf = Buffer.allocUnsafe(INTERVAL_BLOB_BYTES);
  let key = intervalSpan(iv) + KEY_BIAS;
  for (let i = INTERVAL_KEY_BYTES - 1; i >= 0; i--) {
    buf[i] = Number(key & 0xffn);
    key >>= 8n;
  }
  buf.writeInt32BE(iv.months, 16);
  buf.writeInt32BE(iv.days, 20);
  buf.writeBigInt64BE(iv.micros, 24);
  return buf;
}

export function decodeInterval(blob: Uint8Array): Interval {
  if (blob.length !== INTERVAL_BLOB_BYTES) {
    throw new ChorusError(
      'XX000',
      `interval value has ${blob.length} bytes, expected ${INTERVAL_BLOB_BYTES}`,
    );
  }
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  return { months: view.getInt32(16), days: view.getInt32(20), micros: view.getBigInt64(24) };
}

/** The 16-byte order key of an interval (what SQL compares). */
export function intervalKey(iv: Interval): Buffer {
  return encodeInterval(iv).subarray(0, INTERVAL_KEY_BYTES);
}

// ---- checked field arithmetic ----

export function checkedInt32(v: number): number {
  if (!Number.isFinite(v) || v < INT32_MIN || v > INT32_MAX) throw intervalOutOfRange();
  return v;
}

export function checkedInt64(v: bigint): bigint {
  if (v < INT64_MIN || v > INT64_MAX) throw intervalOutOfRange();
  return v;
}

// ---- typmod ----

/** Token types of the interval range bits (INTERVAL_MASK). */
const MONTH = 1;
const YEAR = 2;
const DAY = 3;
const HOUR = 10;
const MINUTE = 11;
const SECOND = 12;
const mask = (b: number): number => 1 << b;
export const INTERVAL_FULL_RANGE = 0x7fff;
export const INTERVAL_FULL_PRECISION = 0xffff;
export const INTERVAL_RANGE_MASKS = {
  year: mask(YEAR),
  month: mask(MONTH),
  day: mask(DAY),
  hour: mask(HOUR),
  minute: mask(MINUTE),
  second: mask(SECOND),
  'year to month': mask(YEAR) | mask(MONTH),
  'day to hour': mask(DAY) | mask(HOUR),
  'day to minute': mask(DAY) | mask(HOUR) | mask(MINUTE),
  'day to second': mask(DAY) | mask(HOUR) | mask(MINUTE) | mask(SECOND),
  'hour to minute': mask(HOUR) | mask(MINUTE),
  'hour to second': mask(HOUR) | mask(MINUTE) | mask(SECOND),
  'minute to second': mask(MINUTE) | mask(SECOND),
} as const;

export type IntervalFields = keyof typeof INTERVAL_RANGE_MASKS;

/** The typmod PostgreSQL gives INTERVAL [fields] [(p)]; -1 for plain INTERVAL. */
export function intervalTypmod(fields?: IntervalFields, precision?: number): number {
  const range = fields === undefined ? INTERVAL_FULL_RANGE : INTERVAL_RANGE_MASKS[fields];
  if (precision === undefined)
    return range === INTERVAL_FULL_RANGE ? -1 : (range << 16) | INTERVAL_FULL_PRECISION;
  if (precision < 0) throw new ChorusError('22023', `INTERVAL(${precision}) precision must not be negative`);
  return (range << 16) | Math.min(precision, 6);
}

export function intervalTypmodRange(typmod: number): number {
  return typmod < 0 ? INTERVAL_FULL_RANGE : (typmod >> 16) & 0x7fff;
}

const SCALES = [1_000_000n, 100_000n, 10_000n, 1_000n, 100n, 10n, 1n];
const US_PER_HOUR = 3_600_000_000n;
const US_PER_MINUTE = 60_000_000n;

/** AdjustIntervalForTypmod: zero the fields right of the range, round seconds to the precision. */
export function adjustIntervalForTypmod(iv: Interval, typmod: number): Interval {
  if (typmod < 0) return iv;
  const range = intervalTypmodRange(typmod);
  const precision = typmod & 0xffff;
  let { months, days, micros } = iv;
  const R = INTERVAL_RANGE_MASKS;
  if (range === R.year) {
    months = Math.trunc(months / 12) * 12;
    days = 0;
    micros = 0n;
  } else if (range === R.month || range === R['year to month']) {
    days = 0;
    micros = 0n;
  } else if (range === R.day) {
    micros = 0n;
  } else if (range === R.hour || range === R['day to hour']) {
    micros = (micros / US_PER_HOUR) * US_PER_HOUR;
  } else if (range === R.minute || range === R['day to minute'] || range === R['hour to minute']) {
    micros = (micros / US_PER_MINUTE) * US_PER_MINUTE;
  }
  if (precision !== INTERVAL_FULL_PRECISION) {
    if (precision < 0 || precision > 6) {
      throw new ChorusError('22023', `interval(${precision}) precision must be between 0 and 6`);
    }
    const scale = SCALES[precision]!;
    const half = scale / 2n;
    micros =
      micros >= 0n
        ? checkedInt64(((micros + half) / scale) * scale)
        : -checkedInt64(((-micros + half) / scale) * scale);
  }
  return { months: months + 0, days: days + 0, micros };
}
