// Instants and wall-clock times in a zone: the UTC offset of an instant, the local broken-down time
// (timestamp2tm with a zone), and the offset of a local time (DetermineTimeZoneOffset on a tm).

import { localOffset, type TimeZone } from '../timezone/timezone.js';
import {
  date2j,
  daysToTm,
  floorDiv,
  isValidJulian,
  splitDays,
  type Tm,
  timestampOutOfRange,
  timestampToTm,
  UNIX_EPOCH_JDATE,
  US_PER_SEC_N,
} from './datetime-core.js';

/** The UTC offset (seconds east) in effect at an instant (µs since 1970 UTC). */
export function zoneOffsetAt(zone: TimeZone, us: bigint): number {
  return zone.offsetAt(Number(floorDiv(us, US_PER_SEC_N)));
}

/** Local broken-down time of an instant in a zone, with its offset; 22008 when out of range. */
export function localTm(us: bigint, zone: TimeZone): { tm: Tm; gmtoff: number } {
  // PostgreSQL range-checks the UTC value; the local fields may fall a day outside it
  if (timestampToTm(us) === null) throw timestampOutOfRange();
  const gmtoff = zoneOffsetAt(zone, us);
  const [days, tod] = splitDays(us + BigInt(gmtoff) * US_PER_SEC_N);
  return { tm: daysToTm(days, tod), gmtoff };
}

/**
 * DetermineTimeZoneOffset: the offset (seconds east) a zone gives a local date and time (a time in
 * a DST gap takes the offset before the jump; a repeated time, the later one). 0 outside the
 * Julian range, as PostgreSQL.
 */
export function determineOffset(zone: TimeZone, tm: Tm): number {
  if (!isValidJulian(tm.year, tm.mon)) return 0;
  const days = date2j(tm.year, tm.mon, tm.mday) - UNIX_EPOCH_JDATE;
  return localOffset(zone, days * 86_400 + tm.hour * 3600 + tm.min * 60 + tm.sec);
}
