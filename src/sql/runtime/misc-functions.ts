// Smaller PostgreSQL functions the front end's SQL calls: SHA-2 digests, date_bin, and the numeric
// form of generate_series (a generator pg_generate_series uses).
//
// | function                          | does                                                  |
// |-----------------------------------|-------------------------------------------------------|
// | pg_sha(bytes, algorithm)          | sha224 / sha256 / sha384 / sha512 of a bytea (bytea)  |
// | pg_date_bin(stride, ts, origin)   | date_bin over timestamp(tz) storage (µs)              |
// | pg_overlay_bytea(s, r, from, n)   | overlay(bytea placing bytea from int [for int])       |

import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { ChorusError } from '../../errors.js';
import { decodeInterval } from '../types/interval/interval.js';
import { finite, type Numeric, numericCmp } from '../types/numeric/numeric.js';
import { numericAdd } from '../types/numeric/numeric-arith.js';
import { decodeNumeric, encodeNumeric } from '../types/numeric/numeric-key.js';

const int64Max = 9223372036854775807n;
const int64Min = -9223372036854775808n;
const usPerDay = 86_400_000_000n;

/** PostgreSQL's timestamp_bin / timestamptz_bin (the same arithmetic on µs since an epoch). */
export function dateBin(strideBytes: Uint8Array, ts: bigint, origin: bigint): bigint {
  if (ts === int64Max || ts === int64Min) return ts;
  if (origin === int64Max || origin === int64Min) throw new ChorusError('22008', 'origin out of range');
  const stride = decodeInterval(strideBytes);
  if (stride.months !== 0) {
    throw new ChorusError('0A000', 'timestamps cannot be binned into intervals containing months or years');
  }
  const strideUs = BigInt(stride.days) * usPerDay + stride.micros;
  if (strideUs > int64Max || strideUs < int64Min) throw new ChorusError('22008', 'interval out of range');
  if (strideUs <= 0n) throw new ChorusError('22008', 'stride must be greater than zero');
  const diff = ts - origin;
  if (diff > int64Max || diff < int64Min) throw new ChorusError('22008', 'interval out of range');
  const modulo = diff % strideUs; // truncating, as C's %
  let result = origin + (diff - modulo);
  if (modulo < 0n) {
    result -= strideUs;
    if (result <= int64Min || result >= int64Max) throw new ChorusError('22008', 'timestamp out of range');
  }
  return result;
}

/** generate_series(numeric, numeric [, numeric]): PostgreSQL's checks, then start, start + step, ... */
export function* numericSeries(
  startBytes: Uint8Array,
  stopBytes: Uint8Array,
  stepBytes: Uint8Array | null,
  rowsMax: number,
): Generator<Buffer> {
  const start = decodeNumeric(Buffer.from(startBytes));
  const stop = decodeNumeric(Buffer.from(stopBytes));
  const step: Numeric = stepBytes ? decodeNumeric(Buffer.from(stepBytes)) : finite(1n, 0);
  const check = (n: Numeric, what: string) => {
    if (n.kind === 'nan') throw new ChorusError('22023', `${what} cannot be NaN`);
    if (n.kind === 'inf') throw new ChorusError('22023', `${what} cannot be infinity`);
  };
  check(start, 'start value');
  check(stop, 'stop value');
  check(step, 'step size');
  const direction = numericCmp(step, finite(0n, 0));
  if (direction === 0) throw new ChorusError('22023', 'step size cannot equal zero');
  let n = 0;
  for (
    let v = start;
    direction > 0 ? numericCmp(v, stop) <= 0 : numericCmp(v, stop) >= 0;
    v = numericAdd(v, step)
  ) {
    if (++n > rowsMax) throw new ChorusError('54000', `generate_series: more than ${rowsMax} rows`);
    yield encodeNumeric(v);
  }
}

/** PostgreSQL's byteaoverlay: s[1, from) || r || s[from + n, end]; n defaults to r's length. */
export function overlayBytes(s: Buffer, r: Buffer, from: number, count: number | null): Buffer {
  const n = count ?? r.length;
  if (from < 1) throw new ChorusError('22011', 'negative substring length not allowed');
  const tail = Math.max(from + n - 1, 0);
  return Buffer.concat([s.subarray(0, from - 1), r, s.subarray(Math.min(tail, s.length))]);
}

export function registerMiscFunctions(db: Database.Database): void {
  db.function(
    'pg_overlay_bytea',
    { deterministic: true },
    (s: unknown, r: unknown, from: unknown, n: unknown) => {
      if (s === null || r === null || from === null) return null;
      return overlayBytes(
        Buffer.from(s as Uint8Array),
        Buffer.from(r as Uint8Array),
        Number(from),
        n === null ? null : Number(n),
      );
    },
  );
  db.function('pg_sha', { deterministic: true }, (bytes: unknown, algorithm: unknown) => {
    if (bytes === null) return null;
    const data = typeof bytes === 'string' ? Buffer.from(bytes) : Buffer.from(bytes as Uint8Array);
    return createHash(String(algorithm)).update(data).digest();
  });
  db.function(
    'pg_date_bin',
    { deterministic: true, safeIntegers: true },
    (stride: unknown, ts: unknown, origin: unknown) => {
      if (stride === null || ts === null || origin === null) return null;
      return dateBin(stride as Uint8Array, BigInt(ts as bigint), BigInt(origin as bigint));
    },
  );
}
