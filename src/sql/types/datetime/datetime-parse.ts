// Input functions: date_in, time_in, timestamp_in, timestamptz_in as PostgreSQL 15 reads text
// (through ParseDateTime and the decoders), with typmod rounding and PostgreSQL's error reports.

import { ChorusError } from '../../../errors.js';
import {
  DATE_NEG_INFINITY,
  DATE_POS_INFINITY,
  date2j,
  dateOutOfRange,
  daysInMonth,
  fieldOverflow,
  invalidSyntax,
  isValidDate,
  isValidJulian,
  MAX_TIME_PRECISION,
  MAX_TIMESTAMP_PRECISION,
  TIMESTAMP_NEG_INFINITY,
  TIMESTAMP_POS_INFINITY,
  type Tm,
  timestampOutOfRange,
  timeToUs,
  tmToTimestamp,
  UNIX_EPOCH_JDATE,
} from './datetime-core.js';
import { type Decoded, type DecodeFailure, decodeDateTime, type InputContext } from './datetime-decode.js';
import type { DState } from './datetime-decode-fields.js';
import { decodeTimeOnly } from './datetime-decode-time.js';
import { DATETIME_WORKBUF_CHARS, DtErr, Dtk, parseDateTime } from './datetime-lex.js';
import { determineOffset } from './datetime-zone.js';

export type { InputContext } from './datetime-decode.js';

/** DateTimeParseError: the error PostgreSQL raises for a decoding failure. */
export function dateTimeParseError(f: DecodeFailure, text: string, typeName: string): ChorusError {
  switch (f.err) {
    case DtErr.FieldOverflow:
      return fieldOverflow(text);
    case DtErr.MdFieldOverflow:
      return fieldOverflow(text, 'Perhaps you need a different "datestyle" setting.');
    case DtErr.IntervalOverflow:
      return new ChorusError('22015', `interval field value out of range: "${text}"`);
    case DtErr.TzDispOverflow:
      return new ChorusError('22009', `time zone displacement out of range: "${text}"`);
    case DtErr.BadTimezone:
      return new ChorusError('22023', `time zone "${f.zone}" not recognized`);
    default:
      return invalidSyntax(typeName, text);
  }
}

function isFailure(d: Decoded | DecodeFailure): d is DecodeFailure {
  return 'err' in d;
}

function decode(text: string, typeName: string, ctx: InputContext, needTz: boolean): Decoded {
  const fields = parseDateTime(text, DATETIME_WORKBUF_CHARS);
  if (typeof fields === 'number') throw dateTimeParseError({ err: fields }, text, typeName);
  const d = decodeDateTime(fields, ctx, needTz);
  if (isFailure(d)) throw dateTimeParseError(d, text, typeName);
  return d;
}

function tmOf(st: DState) {
  return {
    year: st.year,
    mon: st.mon,
    mday: st.mday,
    hour: st.hour,
    min: st.min,
    sec: st.sec,
    fsec: st.fsec,
  };
}

/** µs between 1970-01-01 and 2000-01-01, PostgreSQL's epoch (typmod rounding is relative to it). */
const PG_EPOCH_OFFSET_US = 946_684_800_000_000n;
const SCALES = [1_000_000n, 100_000n, 10_000n, 1_000n, 100n, 10n, 1n];

/**
 * AdjustTimestampForTypmod: rounds to p fractional digits, half away from zero as PostgreSQL does
 * on its 2000-based values (so a half before 2000 rounds down). 22023 when p is not 0..6.
 */
export function adjustTimestampForTypmod(t: bigint, typmod: number): bigint {
  if (t === TIMESTAMP_NEG_INFINITY || t === TIMESTAMP_POS_INFINITY) return t;
  if (typmod === -1 || typmod === MAX_TIMESTAMP_PRECISION) return t;
  if (typmod < 0 || typmod > MAX_TIMESTAMP_PRECISION) {
    throw new ChorusError(
      '22023',
      `timestamp(${typmod}) precision must be between 0 and ${MAX_TIMESTAMP_PRECISION}`,
    );
  }
  const scale = SCALES[typmod]!;
  const half = scale / 2n;
  const pg = t - PG_EPOCH_OFFSET_US;
  const r = pg >= 0n ? ((pg + half) / scale) * scale : -(((-pg + half) / scale) * scale);
  return r + PG_EPOCH_OFFSET_US;
}

/** AdjustTimeForTypmod: rounds a time of day half up; other typmods leave it alone. */
export function adjustTimeForTypmod(t: bigint, typmod: number): bigint {
  if (typmod < 0 || typmod > MAX_TIME_PRECISION) return t;
  const scale = SCALES[typmod]!;
  return ((t + scale / 2n) / scale) * scale;
}

function timestampFromDecoded(d: Decoded, text: string, gmtoff: number): bigint {
  switch (d.dtype) {
    case Dtk.Date: {
      const t = tmToTimestamp(tmOf(d.st), gmtoff);
      if (t === null) throw timestampOutOfRange(text);
      return t;
    }
    case Dtk.Epoch:
      return 0n;
    case Dtk.Late:
      return TIMESTAMP_POS_INFINITY;
    default:
      return TIMESTAMP_NEG_INFINITY;
  }
}

/**
 * The common ISO form 'YYYY-MM-DD[( |T)HH:MM[:SS[.ffffff]][Z|±HH[[:]MM]]]' with in-range fields,
 * read without the general decoder (same result); null sends the text down the general path.
 */
const ISO_TIMESTAMP =
  /^(\d{4})-(\d\d)-(\d\d)(?:[ T](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,6}))?)?(?:(Z)|([+-])(\d\d)(?::?(\d\d))?)?)?$/;

interface FastIso {
  tm: Tm;
  /** Seconds east of UTC when the text names an offset. */
  gmtoff: number | null;
}

function fastIso(text: string): FastIso | null {
  const m = ISO_TIMESTAMP.exec(text);
  if (m === null) return null;
  const year = Number(m[1]);
  const mon = Number(m[2]);
  const mday = Number(m[3]);
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const min = m[5] === undefined ? 0 : Number(m[5]);
  const sec = m[6] === undefined ? 0 : Number(m[6]);
  if (
    year < 1 ||
    mon < 1 ||
    mon > 12 ||
    mday < 1 ||
    mday > daysInMonth(year, mon) ||
    hour > 23 ||
    min > 59 ||
    sec > 59
  ) {
    return null;
  }
  const fsec = m[7] === undefined ? 0 : Number(m[7].padEnd(6, '0'));
  let gmtoff: number | null = null;
  if (m[8] !== undefined) gmtoff = 0;
  else if (m[9] !== undefined) {
    const oh = Number(m[10]);
    const om = m[11] === undefined ? 0 : Number(m[11]);
    if (oh > 15 || om > 59) return null;
    gmtoff = (m[9] === '-' ? -1 : 1) * (oh * 3600 + om * 60);
  }
  return { tm: { year, mon, mday, hour, min, sec, fsec }, gmtoff };
}

/** timestamp_in: µs since 1970-01-01 (no zone: any zone in the text is ignored). */
export function timestampIn(text: string, ctx: InputContext, typmod = -1): bigint {
  const f = fastIso(text);
  if (f !== null) return adjustTimestampForTypmod(tmToTimestamp(f.tm)!, typmod);
  const d = decode(text, 'timestamp', ctx, false);
  return adjustTimestampForTypmod(timestampFromDecoded(d, text, 0), typmod);
}

/** timestamptz_in: µs since 1970-01-01 UTC; text without a zone is local time in ctx.zone. */
export function timestamptzIn(text: string, ctx: InputContext, typmod = -1): bigint {
  const f = fastIso(text);
  if (f !== null) {
    const t = tmToTimestamp(f.tm, f.gmtoff ?? determineOffset(ctx.zone, f.tm))!;
    return adjustTimestampForTypmod(t, typmod);
  }
  const d = decode(text, 'timestamp with time zone', ctx, true);
  return adjustTimestampForTypmod(timestampFromDecoded(d, text, -d.tz), typmod);
}

/** date_in: days since 1970-01-01. */
export function dateIn(text: string, ctx: InputContext): number {
  const f = text.length === 10 ? fastIso(text) : null;
  if (f !== null) return date2j(f.tm.year, f.tm.mon, f.tm.mday) - UNIX_EPOCH_JDATE;
  const d = decode(text, 'date', ctx, false);
  switch (d.dtype) {
    case Dtk.Date: {
      const { year, mon, mday } = d.st;
      if (!isValidJulian(year, mon)) throw dateOutOfRange(text);
      const days = date2j(year, mon, mday) - UNIX_EPOCH_JDATE;
      if (!isValidDate(days)) throw dateOutOfRange(text);
      return days;
    }
    case Dtk.Epoch:
      return 0;
    case Dtk.Late:
      return DATE_POS_INFINITY;
    case Dtk.Early:
      return DATE_NEG_INFINITY;
    default:
      throw invalidSyntax('date', text);
  }
}

/** time_in: µs since midnight (24:00:00 allowed); a date or zone in the text is ignored. */
export function timeIn(text: string, ctx: InputContext, typmod = -1): bigint {
  const fields = parseDateTime(text, DATETIME_WORKBUF_CHARS);
  if (typeof fields === 'number') throw dateTimeParseError({ err: fields }, text, 'time');
  const d = decodeTimeOnly(fields, ctx);
  if (isFailure(d)) throw dateTimeParseError(d, text, 'time');
  const us = BigInt(timeToUs(d.st.hour, d.st.min, d.st.sec, d.st.fsec));
  return adjustTimeForTypmod(us, typmod);
}
