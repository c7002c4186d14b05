// Codecs of date, time, timestamp, timestamptz and interval: PostgreSQL's input and output
// functions (datetime-parse.ts, datetime-format.ts, interval-*.ts) in the session's TimeZone, the
// typmod roundings, and the binary formats (µs / days since 2000-01-01, as PostgreSQL sends them).

import { ChorusError } from '../../../errors.js';
import type { StorageValue, TypeCodec, ValueEnv } from '../codec.js';
import {
  adjustIntervalForTypmod,
  decodeInterval,
  encodeInterval,
  type Interval,
} from '../interval/interval.js';
import { intervalOut } from '../interval/interval-format.js';
import { intervalIn } from '../interval/interval-parse.js';
import { sessionTimeZone } from '../timezone/timezone.js';
import { DATE_NEG_INFINITY, DATE_POS_INFINITY, INT64_MAX, INT64_MIN } from './datetime-core.js';
import { dateOut, timeOut, timestampOut, timestamptzOut } from './datetime-format.js';
import {
  adjustTimeForTypmod,
  adjustTimestampForTypmod,
  dateIn,
  timeIn,
  timestampIn,
  timestamptzIn,
} from './datetime-parse.js';

/** Days and µs between 1970-01-01 and PostgreSQL's epoch 2000-01-01. */
const pgEpochDays = 10957;
const pgEpochUs = 946684800000000n;

function ctx(env: ValueEnv) {
  return { zone: sessionTimeZone(env.timeZone), nowUs: env.nowUs };
}

function big(v: StorageValue): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  throw new ChorusError('XX001', 'invalid date/time value in storage');
}

function days(v: StorageValue): number {
  return Number(big(v));
}

function interval(v: StorageValue): Interval {
  if (v instanceof Uint8Array) return decodeInterval(v);
  throw new ChorusError('XX001', 'invalid interval value in storage');
}

function badBinary(type: string): ChorusError {
  return new ChorusError('22P03', `incorrect binary data format in bind parameter of type ${type}`);
}

/** A timestamp's µs in PostgreSQL's binary form (since 2000; infinities kept). */
function tsToWire(us: bigint): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigInt64BE(us === INT64_MAX || us === INT64_MIN ? us : us - pgEpochUs);
  return b;
}

function tsFromWire(b: Buffer, type: string): bigint {
  if (b.length !== 8) throw badBinary(type);
  const v = b.readBigInt64BE();
  return v === INT64_MAX || v === INT64_MIN ? v : v + pgEpochUs;
}

const date: TypeCodec = {
  input: (text, _typmod, env) => dateIn(text, ctx(env)),
  output: (v) => dateOut(days(v)),
  toBinary: (v) => {
    const d = days(v);
    const b = Buffer.allocUnsafe(4);
    b.writeInt32BE(d === DATE_POS_INFINITY || d === DATE_NEG_INFINITY ? d : d - pgEpochDays);
    return b;
  },
  fromBinary: (b) => {
    if (b.length !== 4) throw badBinary('date');
    const d = b.readInt32BE();
    return BigInt(d === DATE_POS_INFINITY || d === DATE_NEG_INFINITY ? d : d + pgEpochDays);
  },
};

const time: TypeCodec = {
  input: (text, typmod, env) => timeIn(text, ctx(env), typmod),
  output: (v) => timeOut(big(v)),
  typmod: (v, typmod) => adjustTimeForTypmod(big(v), typmod),
  toBinary: (v) => {
    const b = Buffer.allocUnsafe(8);
    b.writeBigInt64BE(big(v));
    return b;
  },
  fromBinary: (b) => {
    if (b.length !== 8) throw badBinary('time without time zone');
    return b.readBigInt64BE();
  },
};

const timestamp: TypeCodec = {
  input: (text, typmod, env) => timestampIn(text, ctx(env), typmod),
  output: (v) => timestampOut(big(v)),
  typmod: (v, typmod) => adjustTimestampForTypmod(big(v), typmod),
  toBinary: (v) => tsToWire(big(v)),
  fromBinary: (b) => tsFromWire(b, 'timestamp without time zone'),
};

const timestamptz: TypeCodec = {
  input: (text, typmod, env) => timestamptzIn(text, ctx(env), typmod),
  output: (v, _typmod, env) => timestamptzOut(big(v), sessionTimeZone(env.timeZone)),
  typmod: (v, typmod) => adjustTimestampForTypmod(big(v), typmod),
  toBinary: (v) => tsToWire(big(v)),
  fromBinary: (b) => tsFromWire(b, 'timestamp with time zone'),
};

const intervalCodec: TypeCodec = {
  input: (text, typmod) => encodeInterval(intervalIn(text, typmod)),
  output: (v) => intervalOut(interval(v)),
  typmod: (v, typmod) => encodeInterval(adjustIntervalForTypmod(interval(v), typmod)),
  toBinary: (v) => {
    const iv = interval(v);
    const b = Buffer.allocUnsafe(16);
    b.writeBigInt64BE(iv.micros, 0);
    b.writeInt32BE(iv.days, 8);
    b.writeInt32BE(iv.months, 12);
    return b;
  },
  fromBinary: (b) => {
    if (b.length !== 16) throw badBinary('interval');
    return encodeInterval({ micros: b.readBigInt64BE(0), days: b.readInt32BE(8), months: b.readInt32BE(12) });
  },
};

export const dateTimeCodecs = { date, time, timestamp, timestamptz, interval: intervalCodec };
