// The SQLite functions behind the formatting functions: pg_to_char(value, picture, type oid,
// TimeZone) turns a stored timestamp, timestamptz, interval or number into PostgreSQL's broken-down
// form and formats it (also the zone abbreviation the TZ pattern prints); pg_to_date,
// pg_to_timestamp_text and pg_to_number read text by a picture into a date, timestamptz or numeric.

import type Database from 'better-sqlite3';
import { ChorusError, FeatureNotSupportedError } from '../../../errors.js';
import {
  date2j,
  TIMESTAMP_NEG_INFINITY,
  TIMESTAMP_POS_INFINITY,
  timestampToTm,
} from '../../types/datetime/datetime-core.js';
import { decodeInterval } from '../../types/interval/interval.js';
import { decodeNumeric, encodeNumeric } from '../../types/numeric/numeric-key.js';
import { T } from '../../types/pg-types.js';
import { sessionTimeZone, type TimeZone } from '../../types/timezone/timezone.js';
import type { StorageValue } from '../../types/values.js';
import { floatOf } from '../../types/values-simple.js';
import { formatDateTime, type TmToChar } from './to-char-datetime.js';
import { formatNumber } from './to-char-number.js';
import { toNumber } from './to-number.js';
import { toDate, toTimestamp } from './to-timestamp.js';

const utcNames = /^(utc|etc\/utc|uct|etc\/uct|universal|etc\/universal|zulu|etc\/zulu)$/i;
const posixAbbrev =
  /^(?:<([^>]*)>|([A-Za-z]{3,}))([+-]?\d{1,3}(?::\d{1,2}){0,2})(?:(?:<([^>]*)>|([A-Za-z]{3,}))(.*))?$/;
/** Zones whose zero offset the tz database calls GMT (Intl says GMT for others, e.g. WET). */
const gmtZones =
  /^(europe\/(london|dublin|belfast|guernsey|isle_of_man|jersey)|gb|eire|atlantic\/(reykjavik|st_helena)|iceland|africa\/(abidjan|accra|bamako|banjul|bissau|conakry|dakar|freetown|lome|monrovia|nouakchott|ouagadougou|sao_tome))$/i;
const abbrevCache = new Map<string, Intl.DateTimeFormat>();
const abbrevCacheMax = 256;

/**
 * The abbreviation PostgreSQL's TZ prints for `zone` at utcSec: UTC / GMT, a POSIX zone's own
 * names, or (for IANA zones) what Intl knows when it is a real abbreviation. Where Intl has only
 * "GMT+9" the tz database's name (JST) is unknown here: 0A000 rather than a different answer.
 */
export function zoneAbbrev(zone: TimeZone, utcSec: number): string {
  const name = zone.name;
  if (utcNames.test(name)) return 'UTC';
  if (/^(gmt|etc\/gmt|greenwich|etc\/greenwich)$/i.test(name)) return 'GMT';
  const posix = posixAbbrev.exec(name);
  if (posix) {
    const std = posix[1] ?? posix[2]!;
    const dst = posix[4] ?? posix[5];
    if (dst === undefined || zone.fixedOffset !== null) return std;
    const stdOffset = zone.offsetAt(Date.UTC(2001, 0, 15) / 1000);
    const julyOffset = zone.offsetAt(Date.UTC(2001, 6, 15) / 1000);
    const standard = Math.min(stdOffset, julyOffset);
    return zone.offsetAt(utcSec) === standard ? std : dst;
  }
  let fmt = abbrevCache.get(name);
  if (!fmt) {
    try {
      fmt = new Intl.DateTimeFormat('en-US', { timeZone: name, timeZoneName: 'short' });
    } catch {
      throw new FeatureNotSupportedError(`the to_char pattern TZ in time zone "${name}"`, {
        hint: 'Use OF or TZH:TZM for the offset.',
      });
    }
    if (abbrevCache.size >= abbrevCacheMax) abbrevCache.clear();
    abbrevCache.set(name, fmt);
  }
  const ms = Math.min(Math.max(utcSec * 1000, -8.64e15), 8.64e15);
  const part = fmt.formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')?.value ?? '';
  if (/^[A-Z]{2,5}$/.test(part) && (part !== 'GMT' || gmtZones.test(name))) return part;
  throw new FeatureNotSupportedError(`the to_char pattern TZ in time zone "${name}"`, {
    hint: 'Use OF or TZH:TZM for the offset.',
  });
}

/** Lazily computed zone name: TZ is the only pattern that needs it. */
class TzTm implements TmToChar {
  year = 0;
  mon = 0;
  mday = 0;
  hour = 0;
  min = 0;
  sec = 0;
  fsec = 0;
  yday = 0;
  wday = 0;
  gmtoff = 0;
  private name: string | null | undefined;
  constructor(
    private readonly zone: TimeZone | null,
    private readonly utcSec: number,
  ) {
    if (zone === null) this.name = null;
  }
  get tzn(): string | null {
    if (this.name === undefined) this.name = zoneAbbrev(this.zone!, this.utcSec);
    return this.name;
  }
}

function timestampTm(us: bigint, zone: TimeZone | null): TmToChar | null {
  if (us === TIMESTAMP_POS_INFINITY || us === TIMESTAMP_NEG_INFINITY) return null;
  const utcSec = Number(us / 1_000_000n);
  const offset = zone ? zone.offsetAt(utcSec) : 0;
  const tm = timestampToTm(us + BigInt(offset) * 1_000_000n);
  if (!tm) throw new ChorusError('22008', 'timestamp out of range');
  const out = new TzTm(zone, utcSec);
  Object.assign(out, tm);
  const jd = date2j(tm.year, tm.mon, tm.mday);
  out.wday = (jd + 1) % 7;
  out.yday = jd - date2j(tm.year, 1, 1) + 1;
  out.gmtoff = offset;
  return out;
}

function intervalTm(blob: Uint8Array): TmToChar {
  const iv = decodeInterval(blob);
  const year = Math.trunc(iv.months / 12);
  const mon = iv.months % 12;
  const t = iv.micros;
  const hour = Number(t / 3_600_000_000n);
  const rest = t % 3_600_000_000n;
  const min = Number(rest / 60_000_000n);
  const sec = Number((rest % 60_000_000n) / 1_000_000n);
  const fsec = Number(t % 1_000_000n);
  return {
    year,
    mon,
    mday: iv.days,
    hour,
    min,
    sec,
    fsec,
    yday: (year * 12 + mon) * 30 + iv.days,
    wday: 0,
    gmtoff: 0,
    tzn: null,
  };
}

/** to_char of one stored value of type `oid`; null where PostgreSQL returns NULL. */
export function toChar(v: StorageValue, picture: string, oid: number, tz: string): string | null {
  if (v === null) return null;
  switch (oid) {
    case T.timestamp.oid:
    case T.timestamptz.oid: {
      if (picture.length === 0) return null;
      const tm = timestampTm(BigInt(v as bigint), oid === T.timestamptz.oid ? sessionTimeZone(tz) : null);
      return tm === null ? null : formatDateTime(picture, tm, false);
    }
    case T.interval.oid:
      if (picture.length === 0) return null;
      return formatDateTime(picture, intervalTm(v as Uint8Array), true);
    case T.int2.oid:
    case T.int4.oid:
    case T.int8.oid:
      return formatNumber(picture, {
        kind: 'int',
        value: BigInt(v as bigint),
        bits: oid === T.int8.oid ? 64 : oid === T.int4.oid ? 32 : 16,
      });
    case T.float4.oid:
    case T.float8.oid:
      return formatNumber(picture, { kind: 'float', value: floatOf(v), float4: oid === T.float4.oid });
    case T.numeric.oid:
      return formatNumber(picture, { kind: 'numeric', value: decodeNumeric(Buffer.from(v as Uint8Array)) });
    default:
      throw new ChorusError('XX000', `pg_to_char: unexpected type ${oid}`);
  }
}

export function registerFormattingFunctions(db: Database.Database): void {
  db.function(
    'pg_to_char',
    { deterministic: true, safeIntegers: true },
    (v: unknown, picture: unknown, oid: unknown, tz: unknown) => {
      if (v === null || picture === null) return null;
      return toChar(v as StorageValue, String(picture), Number(oid), String(tz));
    },
  );
  db.function('pg_to_date', { deterministic: true, safeIntegers: true }, (text: unknown, picture: unknown) =>
    text === null || picture === null ? null : BigInt(toDate(String(text), String(picture))),
  );
  db.function(
    'pg_to_timestamp_text',
    { deterministic: true, safeIntegers: true },
    (text: unknown, picture: unknown, tz: unknown) =>
      text === null || picture === null
        ? null
        : toTimestamp(String(text), String(picture), sessionTimeZone(String(tz))),
  );
  db.function(
    'pg_to_number',
    { deterministic: true, safeIntegers: true },
    (text: unknown, picture: unknown) => {
      if (text === null || picture === null) return null;
      const n = toNumber(String(text), String(picture));
      return n === null ? null : encodeNumeric(n);
    },
  );
}
