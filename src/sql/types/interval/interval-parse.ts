// interval_in as PostgreSQL 15 reads text: DecodeInterval ('1 day 02:03:04.5', '2 hours 30 mins',
// '1.5 days', '1-2', '@ 1 day ago', units right to left with fractions cascading down) and the ISO
// 8601 forms ('P1Y2M3DT4H5M6S', 'P0001-02-03T04:05:06'), then the typmod.

import { ChorusError } from '../../../errors.js';
import {
  INT32_MIN,
  INT64_MAX,
  INT64_MIN,
  intervalOutOfRange,
  invalidSyntax,
} from '../datetime/datetime-core.js';
import { decodeTimeCommon, strtol } from '../datetime/datetime-decode-fields.js';
import {
  DTK_ALL_SECS_M,
  DTK_TIME_M,
  DtErr,
  Dtk,
  decodeUnits,
  dtkM,
  type Field,
  Ft,
  INTERVAL_WORKBUF_CHARS,
  parseDateTime,
  Tk,
} from '../datetime/datetime-lex.js';
import {
  adjustIntervalForTypmod,
  INTERVAL_FULL_RANGE,
  INTERVAL_RANGE_MASKS,
  type Interval,
  intervalTypmodRange,
} from './interval.js';
import {
  adjustDays,
  adjustFractDays,
  adjustFractMicroseconds,
  adjustFractYears,
  adjustMicroseconds,
  adjustMonths,
  adjustYears,
  type ItmIn,
  int32Ok,
  US_PER_DAY_F,
  US_PER_HOUR,
  US_PER_MINUTE,
  US_PER_SEC,
} from './interval-parse-fields.js';
import { decodeIso8601Interval } from './interval-parse-iso.js';

export type IntervalStyle = 'postgres' | 'postgres_verbose' | 'sql_standard' | 'iso_8601';

/** DecodeTimeForInterval: replaces the µs accumulated so far, as PostgreSQL does. */
function decodeTimeForInterval(str: string, range: number, itm: ItmIn): number {
  const t = decodeTimeCommon(str, range);
  if (typeof t === 'number') return t;
  const us =
    t.hour * US_PER_HOUR + BigInt(t.min) * US_PER_MINUTE + BigInt(t.sec) * US_PER_SEC + BigInt(t.usec);
  if (us > INT64_MAX) return DtErr.FieldOverflow;
  itm.usec = us;
  return 0;
}

const IGNORE = -1;
const R = INTERVAL_RANGE_MASKS;

function defaultUnit(range: number): number {
  if (range === R.year) return Dtk.Year;
  if (range === R.month || range === R['year to month']) return Dtk.Month;
  if (range === R.day) return Dtk.Day;
  if (range === R.hour || range === R['day to hour']) return Dtk.Hour;
  if (range === R.minute || range === R['hour to minute'] || range === R['day to minute']) return Dtk.Minute;
  return Dtk.Second;
}

/** A number with its unit (DecodeInterval's DTK_NUMBER case); returns the field mask or an error. */
function addUnit(type: number, val: bigint, fval: number, itm: ItmIn): number {
  const ok = (b: boolean, m: number): number => (b ? m : DtErr.FieldOverflow);
  switch (type) {
    case Dtk.Microsec:
      return ok(adjustMicroseconds(val, fval, 1n, itm), dtkM(Tk.Microsecond));
    case Dtk.Millisec:
      return ok(adjustMicroseconds(val, fval, 1000n, itm), dtkM(Tk.Millisecond));
    case Dtk.Second:
      return ok(
        adjustMicroseconds(val, fval, US_PER_SEC, itm),
        fval === 0 ? dtkM(Tk.Second) : DTK_ALL_SECS_M,
      );
    case Dtk.Minute:
      return ok(adjustMicroseconds(val, fval, US_PER_MINUTE, itm), dtkM(Tk.Minute));
    case Dtk.Hour:
      return ok(adjustMicroseconds(val, fval, US_PER_HOUR, itm), dtkM(Tk.Hour));
    case Dtk.Day:
      return ok(adjustDays(val, 1, itm) && adjustFractMicroseconds(fval, US_PER_DAY_F, itm), dtkM(Tk.Day));
    case Dtk.Week:
      return ok(adjustDays(val, 7, itm) && adjustFractDays(fval, 7, itm), dtkM(Tk.Week));
    case Dtk.Month:
      return ok(adjustMonths(val, itm) && adjustFractDays(fval, 30, itm), dtkM(Tk.Month));
    case Dtk.Year:
      return ok(adjustYears(val, 1, itm) && adjustFractYears(fval, 1, itm), dtkM(Tk.Year));
    case Dtk.Decade:
      return ok(adjustYears(val, 10, itm) && adjustFractYears(fval, 10, itm), dtkM(Tk.Decade));
    case Dtk.Century:
      return ok(adjustYears(val, 100, itm) && adjustFractYears(fval, 100, itm), dtkM(Tk.Century));
    case Dtk.Millennium:
      return ok(adjustYears(val, 1000, itm) && adjustFractYears(fval, 1000, itm), dtkM(Tk.Millennium));
    default:
      return DtErr.BadFormat;
  }
}

/** PostgreSQL 15's DecodeInterval: fields are read right to left so units come before numbers. */
function decodeInterval(fields: Field[], range: number, style: IntervalStyle, itm: ItmIn): number {
  let forceNegative = false;
  let isBefore = false;
  let fmask = 0;
  let type = IGNORE;
  const nf = fields.length;
  if (style === 'sql_standard' && nf > 0 && fields[0]!.text[0] === '-') {
    forceNegative = !fields.slice(1).some((f) => f.text[0] === '-' || f.text[0] === '+');
  }
  for (let i = nf - 1; i >= 0; i--) {
    const f = fields[i]!;
    let tmask = 0;
    let asNumber = false;
    switch (f.type) {
      case Ft.Time: {
        const e = decodeTimeForInterval(f.text, range, itm);
        if (e) return e;
        tmask = DTK_TIME_M;
        if (forceNegative && itm.usec > 0n) itm.usec = -itm.usec;
        type = Dtk.Day;
        break;
      }
      case Ft.Tz:
        if (f.text.indexOf(':', 1) >= 0 && decodeTimeForInterval(f.text.slice(1), range, itm) === 0) {
          if (f.text[0] === '-') {
            if (itm.usec === INT64_MIN) return DtErr.FieldOverflow;
            itm.usec = -itm.usec;
          }
          if (forceNegative && itm.usec > 0n) itm.usec = -itm.usec;
          tmask = DTK_TIME_M;
          type = Dtk.Day;
          break;
        }
        asNumber = true;
        break;
      case Ft.Date:
      case Ft.Number:
        asNumber = true;
        break;
      case Ft.String:
      case Ft.Special: {
        const tok = decodeUnits(f.text);
        if (tok.type === Tk.IgnoreDtf) continue;
        if (tok.type === Tk.Units) type = tok.value;
        else if (tok.type === Tk.Ago) {
          isBefore = true;
          type = tok.value;
        } else return DtErr.BadFormat;
        break;
      }
      default:
        return DtErr.BadFormat;
    }
    if (asNumber) {
      if (type === IGNORE) type = defaultUnit(range);
      const r = strtol(f.text, 0, true);
      if (r.overflow) return DtErr.FieldOverflow;
      let val = r.end === 0 ? 0n : BigInt(f.text.slice(0, r.end).trim());
      const rest = f.text.slice(r.end);
      let fval = 0;
      if (rest[0] === '-') {
        const r2 = strtol(rest, 1);
        if (r2.overflow || r2.value < 0 || r2.value >= 12) return DtErr.FieldOverflow;
        if (r2.end !== rest.length) return DtErr.BadFormat;
        type = Dtk.Month;
        const val2 = f.text[0] === '-' ? -r2.value : r2.value;
        val = val * 12n + BigInt(val2);
        if (val < INT64_MIN || val > INT64_MAX) return DtErr.FieldOverflow;
      } else if (rest[0] === '.') {
        if (rest !== '.' && !/^\.\d+$/.test(rest)) return DtErr.BadFormat;
        fval = rest === '.' ? 0 : Number(`0${rest}`);
        if (f.text[0] === '-') fval = -fval;
      } else if (rest !== '') return DtErr.BadFormat;
      if (forceNegative) {
        if (val > 0n) val = -val;
        if (fval > 0) fval = -fval;
      }
      const m = addUnit(type, val, fval, itm);
      if (m < 0) return m;
      tmask = m;
      if (type === Dtk.Hour) type = Dtk.Day;
    }
    if (tmask & fmask) return DtErr.BadFormat;
    fmask |= tmask;
  }
  if (fmask === 0) return DtErr.BadFormat;
  if (isBefore) {
    if (itm.usec === INT64_MIN || itm.mday === INT32_MIN || itm.mon === INT32_MIN || itm.year === INT32_MIN) {
      return DtErr.FieldOverflow;
    }
    itm.usec = -itm.usec;
    itm.mday = -itm.mday + 0;
    itm.mon = -itm.mon + 0;
    itm.year = -itm.year + 0;
  }
  return 0;
}

/**
 * interval_in: text → interval, PostgreSQL 15's rules and errors (22007 syntax, 22015 field out of
 * range, 22008 interval out of range). style matters only for 'sql_standard' ('-1 2:00' negates
 * all fields); typmod restricts fields / rounds seconds.
 */
export function intervalIn(text: string, typmod = -1, style: IntervalStyle = 'postgres'): Interval {
  const range = typmod >= 0 ? intervalTypmodRange(typmod) : INTERVAL_FULL_RANGE;
  const itm: ItmIn = { usec: 0n, mday: 0, mon: 0, year: 0 };
  const fields = parseDateTime(text, INTERVAL_WORKBUF_CHARS);
  let err = typeof fields === 'number' ? fields : decodeInterval(fields, range, style, itm);
  if (err === DtErr.BadFormat) {
    itm.usec = 0n;
    itm.mday = 0;
    itm.mon = 0;
    itm.year = 0;
    err = decodeIso8601Interval(text, itm);
  }
  if (err !== 0) {
    if (err === DtErr.FieldOverflow || err === DtErr.IntervalOverflow) {
      throw new ChorusError('22015', `interval field value out of range: "${text}"`);
    }
    throw invalidSyntax('interval', text);
  }
  const months = itm.year * 12 + itm.mon;
  if (!int32Ok(months)) throw intervalOutOfRange();
  return adjustIntervalForTypmod({ months: months + 0, days: itm.mday + 0, micros: itm.usec }, typmod);
}
