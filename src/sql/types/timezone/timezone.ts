// Time zones as PostgreSQL's TimeZone setting names them: IANA zones (through Node's Intl, with a
// cache of UTC offsets per zone and week), POSIX TZ strings ('UTC+3', '<+05>-05', 'EST5EDT,M3.2.0,
// M11.1.0'), the local-time → offset rule of DetermineTimeZoneOffset (DST gaps and overlaps), and
// the SET TIME ZONE value check. Offsets are seconds east of UTC (ISO sign).

import { ChorusError } from '../../../errors.js';
import { intervalIn } from '../interval/interval-parse.js';
import { legacyZone } from './timezone-legacy.js';
import { parsePosixZone } from './timezone-posix.js';

/** A time zone: its UTC offset at any instant. */
export interface TimeZone {
  /** The name PostgreSQL shows for it (SHOW timezone). */
  readonly name: string;
  /** The offset in seconds east of UTC only when it never changes (pg_get_timezone_offset). */
  readonly fixedOffset: number | null;
  /** Seconds east of UTC in effect at utcSec (seconds since 1970-01-01 UTC). */
  offsetAt(utcSec: number): number;
}

const SECS_PER_DAY = 86_400;
const WEEK_SECS = 7 * SECS_PER_DAY;
/** 400 Gregorian years: calendars and DST rules repeat with this period. */
const CYCLE_400Y_SECS = 146_097 * SECS_PER_DAY;
/** Before 1600-01-01 every zone is at its first (local mean time) offset. */
const EARLIEST_PROBE_SECS = -11_676_096_000;
/**
 * Past about year 255000 (JavaScript dates end at 275760) offsets are taken 400-year cycles
 * earlier: a zone's final rule repeats with the Gregorian cycle, as PostgreSQL extrapolates it.
 */
const LATEST_PROBE_SECS = 8_000_000_000_000;
/** Longest zone name PostgreSQL accepts (TZ_STRLEN_MAX). */
const TZ_NAME_MAX_CHARS = 255;
const ZONE_CACHE_MAX_ENTRIES = 1024;
const OFFSET_CACHE_MAX_WEEKS = 100_000;

export class FixedZone implements TimeZone {
  readonly fixedOffset: number;
  constructor(
    readonly name: string,
    offset: number,
  ) {
    this.fixedOffset = offset;
  }
  offsetAt(): number {
    return this.fixedOffset;
  }
}

/** One week of offsets: constant, or one transition at `at` from `before` to `after`. */
type WeekOffsets = number | { at: number; before: number; after: number };

class IanaZone implements TimeZone {
  readonly fixedOffset: number | null;
  private readonly fmt: Intl.DateTimeFormat;
  private readonly weeks = new Map<number, WeekOffsets>();

  constructor(
    readonly name: string,
    ianaId: string,
  ) {
    this.fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: ianaId,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    this.fixedOffset = /^(etc\/)?(utc|gmt|uct|zulu|universal|greenwich)([+-]0?)?$/i.test(ianaId)
      ? this.rawOffset(0)
      : null;
  }

  offsetAt(utcSec: number): number {
    let t = utcSec;
    if (t < EARLIEST_PROBE_SECS) t = EARLIEST_PROBE_SECS;
    else if (t >= LATEST_PROBE_SECS)
      t -= Math.ceil((t - LATEST_PROBE_SECS + 1) / CYCLE_400Y_SECS) * CYCLE_400Y_SECS;
    const week = Math.floor(t / WEEK_SECS);
    let entry = this.weeks.get(week);
    if (entry === undefined) {
      entry = this.probeWeek(week);
      if (this.weeks.size >= OFFSET_CACHE_MAX_WEEKS) this.weeks.clear();
      this.weeks.set(week, entry);
    }
    if (typeof entry === 'number') return entry;
    return t < entry.at ? entry.before : entry.after;
  }

  private probeWeek(week: number): WeekOffsets {
    const start = week * WEEK_SECS;
    const end = start + WEEK_SECS;
    const before = this.rawOffset(start);
    const after = this.rawOffset(end);
    if (before === after) return before;
    // binary search for the first second with the new offset
    let lo = start;
    let hi = end;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.rawOffset(mid) === before) lo = mid;
      else hi = mid;
    }
    return { at: hi, before, after };
  }

  /** The offset Intl gives at one instant: local wall time minus UTC. */
  private rawOffset(utcSec: number): number {
    const parts = this.fmt.formatToParts(utcSec * 1000);
    let y = 0;
    let mo = 0;
    let d = 0;
    let h = 0;
    let mi = 0;
    let s = 0;
    for (const p of parts) {
      switch (p.type) {
        case 'year':
          y = Number(p.value);
          break;
        case 'month':
          mo = Number(p.value);
          break;
        case 'day':
          d = Number(p.value);
          break;
        case 'hour':
          h = Number(p.value);
          break;
        case 'minute':
          mi = Number(p.value);
          break;
        case 'second':
          s = Number(p.value);
          break;
        default:
      }
    }
    const date = new Date(0);
    date.setUTCFullYear(y, mo - 1, d);
    date.setUTCHours(h, mi, s, 0);
    return date.getTime() / 1000 - utcSec;
  }
}

export const UTC_ZONE: TimeZone = new FixedZone('UTC', 0);
const GMT_ZONE: TimeZone = new FixedZone('GMT', 0);

const zoneCache = new Map<string, TimeZone | null>();
let ianaNames: Map<string, string> | undefined;

function ianaCanonicalName(name: string): string {
  if (ianaNames === undefined) {
    ianaNames = new Map();
    for (const n of Intl.supportedValuesOf('timeZone')) ianaNames.set(n.toLowerCase(), n);
    for (const n of ['UTC', 'GMT', 'UCT', 'Zulu', 'Universal', 'Greenwich'])
      ianaNames.set(n.toLowerCase(), n);
  }
  return ianaNames.get(name.toLowerCase()) ?? name;
}

function loadIana(name: string): TimeZone | null {
  // Offsets and POSIX strings are never IANA names here (newer Intl reads '+02:00' with ISO sign).
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(name) || name.includes('..')) return null;
  try {
    const id = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
    const display = ianaCanonicalName(name);
    if (/^(utc|etc\/utc|etc\/uct|uct|universal|etc\/universal|zulu|etc\/zulu)$/i.test(id)) {
      return new FixedZone(display, 0);
    }
    return new IanaZone(display, id);
  } catch {
    return null;
  }
}

/**
 * The zone a name denotes, as PostgreSQL's pg_tzset finds it: an IANA zone (case-insensitive),
 * 'GMT', or a POSIX TZ string. Null when nothing matches.
 */
export function lookupTimeZone(name: string): TimeZone | null {
  const key = name.toUpperCase();
  const cached = zoneCache.get(key);
  if (cached !== undefined) return cached;
  let zone: TimeZone | null;
  if (name.length > TZ_NAME_MAX_CHARS) zone = null;
  else if (key === 'GMT') zone = GMT_ZONE;
  else if (key === 'UTC') zone = UTC_ZONE;
  else if (key.startsWith(':')) {
    // tzload skips a leading ':'; tzparse never sees such a name
    const file = name.slice(1);
    zone = legacyZone(file) ?? loadIana(file);
  } else zone = legacyZone(name) ?? loadIana(name) ?? parsePosixZone(key);
  if (zoneCache.size >= ZONE_CACHE_MAX_ENTRIES) zoneCache.clear();
  zoneCache.set(key, zone);
  return zone;
}

/**
 * The zone of a TimeZone setting: what checkTimeZoneSetting stored ('Europe/Paris', '<+05>-05',
 * 'UTC+3') or the value as given to SET (a bare number is hours east, as SET reads it). 22023 when
 * PostgreSQL would not have accepted it.
 */
export function sessionTimeZone(setting: string): TimeZone {
  const zone = NUMERIC_HOURS.test(setting)
    ? lookupTimeZone(checkTimeZoneSetting(setting))
    : lookupTimeZone(setting);
  if (zone === null) {
    throw new ChorusError('22023', `invalid value for parameter "TimeZone": "${setting}"`);
  }
  return zone;
}

/**
 * DetermineTimeZoneOffset: the offset to apply to a local wall-clock time (seconds since
 * 1970-01-01 as if UTC). A time skipped by a forward DST jump takes the offset before the jump
 * (02:30 → 03:30 DST); a time repeated by a backward jump takes the later, standard-time offset.
 */
export function localOffset(zone: TimeZone, localSec: number): number {
  if (zone.fixedOffset !== null) return zone.fixedOffset;
  const before = zone.offsetAt(localSec - SECS_PER_DAY);
  const after = zone.offsetAt(localSec + SECS_PER_DAY);
  if (before === after) return before;
  const beforeTime = localSec - before;
  const afterTime = localSec - after;
  const atBefore = zone.offsetAt(beforeTime);
  const atAfter = zone.offsetAt(afterTime);
  if (atBefore === before && atAfter === before) return before;
  if (atBefore === after && atAfter === after) return after;
  return beforeTime > afterTime ? before : after;
}

/** Name of a fixed offset as pg_tzset_offset spells it: '<+05:30>-05:30' for +05:30. */
export function fixedOffsetZoneName(offsetSecs: number): string {
  let abs = Math.abs(offsetSecs);
  let text = String(Math.floor(abs / 3600)).padStart(2, '0');
  abs %= 3600;
  if (abs !== 0) {
    text += `:${String(Math.floor(abs / 60)).padStart(2, '0')}`;
    abs %= 60;
    if (abs !== 0) text += `:${String(abs).padStart(2, '0')}`;
  }
  return offsetSecs < 0 ? `<-${text}>+${text}` : `<+${text}>-${text}`;
}

/** Hours PostgreSQL accepts in a numeric TimeZone (POSIX offsets stop at 167 hours). */
const MAX_NUMERIC_ZONE_HOURS = 167;
const NUMERIC_HOURS = /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * What SET TIME ZONE / SET timezone stores for a value, as PostgreSQL's check_timezone: a number
 * is hours east of UTC ('5' → '<+05>-05'), "INTERVAL '+02:30'" (what PostgreSQL makes of SET TIME
 * ZONE INTERVAL ...) an offset east, anything else a zone name or POSIX string (so '+02:00' means
 * 2 hours WEST, as in PostgreSQL). Throws 22023 when PostgreSQL rejects the value.
 */
export function checkTimeZoneSetting(value: string): string {
  const invalid = (detail?: string): ChorusError =>
    new ChorusError(
      '22023',
      `invalid value for parameter "TimeZone": "${value}"`,
      detail === undefined ? {} : { detail },
    );
  if (/^interval/i.test(value)) {
    const iv = /^interval\s*'([^']*)'$/i.exec(value);
    if (iv === null) throw invalid();
    // SET TIME ZONE INTERVAL '...': PostgreSQL passes "INTERVAL '<interval_out>'"
    const { months, days, micros } = intervalIn(iv[1]!);
    if (months !== 0) throw invalid('Cannot specify months in time zone interval.');
    if (days !== 0) throw invalid('Cannot specify days in time zone interval.');
    return fixedOffsetZoneName(Number(micros / 1_000_000n));
  }
  if (NUMERIC_HOURS.test(value)) {
    const hours = Number(value.trim());
    if (!Number.isFinite(hours) || Math.abs(hours) > MAX_NUMERIC_ZONE_HOURS) {
      throw invalid('UTC timezone offset is out of range.');
    }
    return fixedOffsetZoneName(Math.round(hours * 3600));
  }
  const zone = lookupTimeZone(value);
  if (zone === null) throw invalid();
  // pg_tz_acceptable: offsets with seconds look like leap-second zones
  if (zone.offsetAt(946_684_800) % 60 !== 0) {
    throw new ChorusError('22023', `time zone "${value}" appears to use leap seconds`, {
      detail: 'PostgreSQL does not support leap seconds.',
    });
  }
  return zone.name;
}
