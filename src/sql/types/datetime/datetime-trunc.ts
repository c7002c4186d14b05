// date_trunc for timestamp, timestamptz (in the session zone or a named one: units of a day or more
// are re-resolved in the zone, smaller ones keep the instant's offset) and interval, with
// PostgreSQL 15's units (microseconds .. millennium, week) and errors.

import type { TimeZone } from '../timezone/timezone.js';
import { resolveZoneArg, zoneOfArg } from './datetime-convert.js';
import {
  date2isoweek,
  isoweek2j,
  isTimestampFinite,
  j2date,
  type Tm,
  timestampOutOfRange,
  timestampToTm,
  tmToTimestamp,
} from './datetime-core.js';
import {
  partUnit,
  TYPE_TIMESTAMP,
  TYPE_TIMESTAMPTZ,
  unitNotRecognized,
  unitNotSupported,
} from './datetime-extract.js';
import { Dtk, Tk } from './datetime-lex.js';
import { determineOffset, localTm } from './datetime-zone.js';

/** Truncates broken-down fields in place; false when the unit is not one date_trunc knows. */
function truncTm(unit: number, tm: Tm): boolean {
  switch (unit) {
    case Dtk.Week: {
      const woy = date2isoweek(tm.year, tm.mon, tm.mday);
      let y = tm.year;
      if (woy >= 52 && tm.mon === 1) y--;
      if (woy <= 1 && tm.mon === 12) y++;
      [tm.year, tm.mon, tm.mday] = j2date(isoweek2j(y, woy));
      tm.hour = 0;
      tm.min = 0;
      tm.sec = 0;
      tm.fsec = 0;
      return true;
    }
    case Dtk.Millennium:
    case Dtk.Century:
    case Dtk.Decade:
    case Dtk.Year:
    case Dtk.Quarter:
    case Dtk.Month:
    case Dtk.Day:
    case Dtk.Hour:
    case Dtk.Minute:
    case Dtk.Second: {
      const order = [
        Dtk.Millennium,
        Dtk.Century,
        Dtk.Decade,
        Dtk.Year,
        Dtk.Quarter,
        Dtk.Month,
        Dtk.Day,
        Dtk.Hour,
        Dtk.Minute,
        Dtk.Second,
      ];
      const at = (u: Dtk): boolean => order.indexOf(unit) <= order.indexOf(u);
      if (unit === Dtk.Millennium) {
        tm.year =
          tm.year > 0
            ? Math.trunc((tm.year + 999) / 1000) * 1000 - 999
            : -Math.trunc((999 - (tm.year - 1)) / 1000) * 1000 + 1;
      }
      if (unit === Dtk.Millennium || unit === Dtk.Century) {
        tm.year =
          tm.year > 0
            ? Math.trunc((tm.year + 99) / 100) * 100 - 99
            : -Math.trunc((99 - (tm.year - 1)) / 100) * 100 + 1;
      }
      if (unit === Dtk.Decade) {
        tm.year = tm.year > 0 ? Math.trunc(tm.year / 10) * 10 : -Math.trunc((8 - (tm.year - 1)) / 10) * 10;
      }
      if (at(Dtk.Year)) tm.mon = 1;
      if (at(Dtk.Quarter)) tm.mon = 3 * Math.trunc((tm.mon - 1) / 3) + 1;
      if (at(Dtk.Month)) tm.mday = 1;
      if (at(Dtk.Day)) tm.hour = 0;
      if (at(Dtk.Hour)) tm.min = 0;
      if (at(Dtk.Minute)) tm.sec = 0;
      tm.fsec = 0;
      return true;
    }
    case Dtk.Millisec:
      tm.fsec = Math.trunc(tm.fsec / 1000) * 1000;
      return true;
    case Dtk.Microsec:
      return true;
    default:
      return false;
  }
}

/** date_trunc(field, timestamp). */
export function truncTimestamp(field: string, ts: bigint): bigint {
  if (!isTimestampFinite(ts)) return ts;
  const { low, tok } = partUnit(field, false);
  if (tok.type !== Tk.Units) throw unitNotRecognized(low, TYPE_TIMESTAMP);
  const tm = timestampToTm(ts);
  if (tm === null) throw timestampOutOfRange();
  if (!truncTm(tok.value, tm)) throw unitNotSupported(low, TYPE_TIMESTAMP);
  const r = tmToTimestamp(tm);
  if (r === null) throw timestampOutOfRange();
  return r;
}

function truncTimestamptzIn(field: string, ts: bigint, zone: TimeZone): bigint {
  const { low, tok } = partUnit(field, false);
  if (tok.type !== Tk.Units) throw unitNotRecognized(low, TYPE_TIMESTAMPTZ);
  const { tm, gmtoff } = localTm(ts, zone);
  if (!truncTm(tok.value, tm)) throw unitNotSupported(low, TYPE_TIMESTAMPTZ);
  const redo = [
    Dtk.Week,
    Dtk.Millennium,
    Dtk.Century,
    Dtk.Decade,
    Dtk.Year,
    Dtk.Quarter,
    Dtk.Month,
    Dtk.Day,
  ].includes(tok.value);
  const r = tmToTimestamp(tm, redo ? determineOffset(zone, tm) : gmtoff);
  if (r === null) throw timestampOutOfRange();
  return r;
}

/** date_trunc(field, timestamptz): truncated in the session zone. */
export function truncTimestamptz(field: string, ts: bigint, sessionZone: TimeZone): bigint {
  if (!isTimestampFinite(ts)) return ts;
  return truncTimestamptzIn(field, ts, sessionZone);
}

/** date_trunc(field, timestamptz, zone): truncated in a named zone (abbreviation, name, POSIX). */
export function truncTimestamptzAtZone(field: string, ts: bigint, zoneName: string): bigint {
  if (!isTimestampFinite(ts)) return ts;
  return truncTimestamptzIn(field, ts, zoneOfArg(resolveZoneArg(zoneName)));
}
