// Conversions between date, timestamp, timestamptz and time (the zone-dependent ones take the
// zone), and AT TIME ZONE: timestamptz → local timestamp in a zone, timestamp read as local time
// in a zone → timestamptz; zone names resolved as PostgreSQL does (abbreviation, then zone name
// or POSIX string — so '+05' means 5 hours WEST here, unlike in timestamp input).

import { ChorusError } from '../../../errors.js';
import type { Interval } from '../interval/interval.js';
import { intervalOut } from '../interval/interval-format.js';
import { lookupTimeZone, type TimeZone } from '../timezone/timezone.js';
import { dynamicAbbrevZone, fixedAbbrev } from '../timezone/timezone-abbrevs.js';
import { dateToTimestamp } from './datetime-arith.js';
import {
  asciiLower,
  DATE_NEG_INFINITY,
  DATE_POS_INFINITY,
  date2j,
  isTimestampFinite,
  isValidTimestamp,
  TIMESTAMP_NEG_INFINITY,
  TIMESTAMP_POS_INFINITY,
  type Tm,
  timestampOutOfRange,
  timestampToTm,
  timeZoneNotRecognized,
  tmToTimestamp,
  UNIX_EPOCH_JDATE,
  US_PER_DAY_N,
  US_PER_SEC_N,
} from './datetime-core.js';
import { determineOffset, localTm, zoneOffsetAt } from './datetime-zone.js';

function dateOfTm(tm: Tm): number {
  return date2j(tm.year, tm.mon, tm.mday) - UNIX_EPOCH_JDATE;
}

/** timestamp → date. */
export function timestampToDate(ts: bigint): number {
  if (ts === TIMESTAMP_NEG_INFINITY) return DATE_NEG_INFINITY;
  if (ts === TIMESTAMP_POS_INFINITY) return DATE_POS_INFINITY;
  const tm = timestampToTm(ts);
  if (tm === null) throw timestampOutOfRange();
  return dateOfTm(tm);
}

/** timestamptz → date: the local date in a zone. */
export function timestamptzToDate(ts: bigint, zone: TimeZone): number {
  if (ts === TIMESTAMP_NEG_INFINITY) return DATE_NEG_INFINITY;
  if (ts === TIMESTAMP_POS_INFINITY) return DATE_POS_INFINITY;
  return dateOfTm(localTm(ts, zone).tm);
}

/** date → timestamp: midnight. */
export { dateToTimestamp };

/** date → timestamptz: local midnight in a zone. */
export function dateToTimestamptz(d: number, zone: TimeZone): bigint {
  const t = dateToTimestamp(d);
  if (!isTimestampFinite(t)) return t;
  const tm = timestampToTm(t)!;
  const r = t - BigInt(determineOffset(zone, tm)) * US_PER_SEC_N;
  if (!isValidTimestamp(r)) throw new ChorusError('22008', 'date out of range for timestamp');
  return r;
}

/** timestamp → timestamptz: the timestamp read as local time in a zone. */
export function timestampToTimestamptz(ts: bigint, zone: TimeZone): bigint {
  if (!isTimestampFinite(ts)) return ts;
  const tm = timestampToTm(ts);
  if (tm === null) throw timestampOutOfRange();
  const r = ts - BigInt(determineOffset(zone, tm)) * US_PER_SEC_N;
  if (!isValidTimestamp(r)) throw timestampOutOfRange();
  return r;
}

/** timestamptz → timestamp: the local time in a zone. */
export function timestamptzToTimestamp(ts: bigint, zone: TimeZone): bigint {
  if (!isTimestampFinite(ts)) return ts;
  const { tm } = localTm(ts, zone);
  const r = tmToTimestamp(tm);
  if (r === null) throw timestampOutOfRange();
  return r;
}

/** timestamp → time: the time of day; null for ±infinity (as PostgreSQL). */
export function timestampToTime(ts: bigint): bigint | null {
  if (!isTimestampFinite(ts)) return null;
  const r = ts % US_PER_DAY_N;
  return r < 0n ? r + US_PER_DAY_N : r;
}

/** timestamptz → time: the local time of day in a zone; null for ±infinity. */
export function timestamptzToTime(ts: bigint, zone: TimeZone): bigint | null {
  if (!isTimestampFinite(ts)) return null;
  return timestampToTime(ts + BigInt(zoneOffsetAt(zone, ts)) * US_PER_SEC_N);
}

/** A zone argument of AT TIME ZONE / date_trunc / timezone(): fixed offset or a zone. */
export type ZoneArg = { fixed: number } | { zone: TimeZone };

/**
 * How PostgreSQL reads a zone name argument: a time zone abbreviation first ('EST', 'MSK'), then
 * an IANA name or POSIX string; 22023 `time zone "..." not recognized` otherwise.
 */
export function resolveZoneArg(name: string): ZoneArg {
  const low = asciiLower(name);
  const abbrev = fixedAbbrev(low);
  if (abbrev !== undefined) return { fixed: abbrev.offset };
  const dyn = dynamicAbbrevZone(low);
  const zone = dyn === undefined ? lookupTimeZone(name) : lookupTimeZone(dyn);
  if (zone === null) throw timeZoneNotRecognized(name);
  return { zone };
}

/** The zone a name argument denotes (fixed abbreviations become fixed zones). */
export function zoneOfArg(arg: ZoneArg): TimeZone {
  if ('zone' in arg) return arg.zone;
  const east = arg.fixed;
  return { name: String(east), fixedOffset: east, offsetAt: () => east };
}

/** timestamp AT TIME ZONE zone → timestamptz (the timestamp is local time there). */
export function timestampAtZone(ts: bigint, zoneName: string): bigint {
  if (!isTimestampFinite(ts)) return ts;
  const arg = resolveZoneArg(zoneName);
  let r: bigint | null;
  if ('fixed' in arg) r = ts - BigInt(arg.fixed) * US_PER_SEC_N;
  else {
    const tm = timestampToTm(ts);
    if (tm === null) throw timestampOutOfRange();
    r = tmToTimestamp(tm, determineOffset(arg.zone, tm));
  }
  if (r === null || !isValidTimestamp(r)) throw timestampOutOfRange();
  return r;
}

/** timestamptz AT TIME ZONE zone → timestamp (the local time there). */
export function timestamptzAtZone(ts: bigint, zoneName: string): bigint {
  if (!isTimestampFinite(ts)) return ts;
  const arg = resolveZoneArg(zoneName);
  const r = 'fixed' in arg ? ts + BigInt(arg.fixed) * US_PER_SEC_N : timestamptzToTimestamp(ts, arg.zone);
  if (!isValidTimestamp(r)) throw timestampOutOfRange();
  return r;
}

function intervalZoneSeconds(iv: Interval): bigint {
  if (iv.months !== 0 || iv.days !== 0) {
    throw new ChorusError('22023', `interval time zone "${intervalOut(iv)}" must not include months or days`);
  }
  return iv.micros / US_PER_SEC_N;
}

/** timestamp AT TIME ZONE interval → timestamptz (the interval is the offset east of UTC). */
export function timestampAtZoneInterval(ts: bigint, zone: Interval): bigint {
  if (!isTimestampFinite(ts)) return ts;
  const r = ts - intervalZoneSeconds(zone) * US_PER_SEC_N;
  if (!isValidTimestamp(r)) throw timestampOutOfRange();
  return r;
}

/** timestamptz AT TIME ZONE interval → timestamp. */
export function timestamptzAtZoneInterval(ts: bigint, zone: Interval): bigint {
  if (!isTimestampFinite(ts)) return ts;
  const r = ts + intervalZoneSeconds(zone) * US_PER_SEC_N;
  if (!isValidTimestamp(r)) throw timestampOutOfRange();
  return r;
}
