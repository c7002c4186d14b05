// PostgreSQL 15's DecodeDateTime: interprets the fields of a date or timestamp input in context
// (ISO and traditional forms, MDY order, keywords, AM/PM, BC, zones by offset, abbreviation or
// name, 'now'/'today'/...), and leaves the zone offset resolved. Shared helpers for DecodeTimeOnly.

import { lookupTimeZone, type TimeZone } from '../timezone/timezone.js';
import { dynamicAbbrevZone } from '../timezone/timezone-abbrevs.js';
import { date2j, floorDiv, j2date, timeFields, timestampToTm, US_PER_SEC_N } from './datetime-core.js';
import {
  type DState,
  decodeDate,
  decodeNumber,
  decodeNumberField,
  decodeTime,
  decodeTimezone,
  newDState,
  parseFraction,
  parseFractionalSecond,
  strtol,
  timeOverflows,
  validateDate,
} from './datetime-decode-fields.js';
import {
  AM,
  BC,
  DTK_ALL_SECS_M,
  DTK_DATE_M,
  DTK_TIME_M,
  DtErr,
  Dtk,
  decodeFixedAbbrev,
  decodeSpecial,
  dtkM,
  type Field,
  Ft,
  HR24,
  PM,
  Tk,
  type Token,
} from './datetime-lex.js';
import { determineOffset } from './datetime-zone.js';

/** Session values date/time input depends on. */
export interface InputContext {
  /** The session TimeZone. */
  zone: TimeZone;
  /** Transaction start, µs since 1970 UTC: 'now', 'today', 'tomorrow', 'yesterday'. */
  nowUs: bigint;
}

export interface Decoded {
  /** Dtk.Date (fields in st), Dtk.Epoch, Dtk.Late, Dtk.Early (DecodeTimeOnly: Dtk.Time). */
  dtype: Dtk;
  st: DState;
  /** Zone offset in seconds WEST of UTC (PostgreSQL's sign); resolved only when asked for. */
  tz: number;
}

/** A decoding failure; `zone` names the zone of DtErr.BadTimezone. */
export interface DecodeFailure {
  err: DtErr;
  zone?: string;
}

export function fail(err: number, zone?: string): DecodeFailure {
  return zone === undefined ? { err: err as DtErr } : { err: err as DtErr, zone };
}

/** DecodeTimezoneAbbrev: fixed (TZ/DTZ) or zone-defined (DYNTZ) abbreviation, else Unknown. */
export function decodeTimezoneAbbrev(lowtoken: string): { tok: Token; zone?: TimeZone } {
  const fixed = decodeFixedAbbrev(lowtoken);
  if (fixed) return { tok: fixed };
  const zname = dynamicAbbrevZone(lowtoken);
  if (zname !== undefined) {
    const zone = lookupTimeZone(zname);
    if (zone) return { tok: { type: Tk.DynTz, value: 0 }, zone };
  }
  return { tok: { type: Tk.Unknown, value: 0 } };
}

/** GetCurrentTimeUsec: local 'now' in the session zone into st; returns its offset (west). */
export function currentTime(ctx: InputContext, st: DState): number {
  const gmtoff = ctx.zone.offsetAt(Number(floorDiv(ctx.nowUs, US_PER_SEC_N)));
  const tm = timestampToTm(ctx.nowUs + BigInt(gmtoff) * US_PER_SEC_N)!;
  st.year = tm.year;
  st.mon = tm.mon;
  st.mday = tm.mday;
  st.hour = tm.hour;
  st.min = tm.min;
  st.sec = tm.sec;
  st.fsec = tm.fsec;
  return -gmtoff;
}

/** DetermineTimeZoneOffset for decoded fields: seconds WEST of UTC (0 outside the Julian range). */
export function zoneOffsetWest(zone: TimeZone, st: DState): number {
  return -determineOffset(zone, { ...st });
}

/** State of labelled-number decoding ('y2026m12d07', 'J2451545', 'T050607'). */
export interface Labelled {
  ptype: number;
  isjulian: boolean;
}

/** A number following a unit label (PostgreSQL 15 still accepts y/m/d/h/mm/s/j labels). */
export function decodeLabelled(
  f: Field,
  l: Labelled,
  fmask: number,
  st: DState,
  out: { tmask: number; tz?: number },
): number {
  const r = strtol(f.text);
  if (r.overflow) return DtErr.FieldOverflow;
  const rest = f.text.slice(r.end);
  const val = r.value;
  if (rest.startsWith('.')) {
    if (l.ptype !== Dtk.Julian && l.ptype !== Dtk.Time && l.ptype !== Dtk.Second) return DtErr.BadFormat;
  } else if (rest !== '') return DtErr.BadFormat;
  switch (l.ptype) {
    case Dtk.Year:
      st.year = val;
      out.tmask = dtkM(Tk.Year);
      break;
    case Dtk.Month:
      if (fmask & dtkM(Tk.Month) && fmask & dtkM(Tk.Hour)) {
        st.min = val;
        out.tmask = dtkM(Tk.Minute);
      } else {
        st.mon = val;
        out.tmask = dtkM(Tk.Month);
      }
      break;
    case Dtk.Day:
      st.mday = val;
      out.tmask = dtkM(Tk.Day);
      break;
    case Dtk.Hour:
      st.hour = val;
      out.tmask = dtkM(Tk.Hour);
      break;
    case Dtk.Minute:
      st.min = val;
      out.tmask = dtkM(Tk.Minute);
      break;
    case Dtk.Second:
      st.sec = val;
      out.tmask = dtkM(Tk.Second);
      if (rest.startsWith('.')) {
        const fs = parseFractionalSecond(rest);
        if (fs === null) return DtErr.BadFormat;
        st.fsec = fs;
        out.tmask = DTK_ALL_SECS_M;
      }
      break;
    case Dtk.Julian: {
      if (val < 0) return DtErr.FieldOverflow;
      out.tmask = DTK_DATE_M;
      [st.year, st.mon, st.mday] = j2date(val);
      l.isjulian = true;
      if (rest.startsWith('.')) {
        const frac = parseFraction(rest);
        if (frac === null) return DtErr.BadFormat;
        [st.hour, st.min, st.sec, st.fsec] = timeFields(Math.trunc(frac * 86_400_000_000));
        out.tmask |= DTK_TIME_M;
      }
      break;
    }
    case Dtk.Time: {
      const e = decodeNumberField(f.text, fmask | DTK_DATE_M, st, out);
      if (e < 0) return e;
      if (out.tmask !== DTK_TIME_M) return DtErr.BadFormat;
      break;
    }
    default:
      return DtErr.BadFormat;
  }
  return 0;
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const M = (t: Tk): number => dtkM(t);

/**
 * DecodeDateTime. With needTz false the zone offset is not computed (timestamp and date input
 * ignore it), but every check that can reject the input still runs.
 */
export function decodeDateTime(fields: Field[], ctx: InputContext, needTz: boolean): Decoded | DecodeFailure {
  let fmask = 0;
  const l: Labelled = { ptype: 0, isjulian: false };
  let mer = HR24;
  let haveTextMonth = false;
  let bc = false;
  let namedTz: TimeZone | null = null;
  let abbrevTz: TimeZone | null = null;
  const st = newDState();
  let dtype: Dtk = Dtk.Date;
  let tz = 0;
  const nf = fields.length;
  for (let i = 0; i < nf; i++) {
    const f = fields[i]!;
    const out: { tmask: number; tz?: number } = { tmask: 0 };
    let tmask = 0;
    switch (f.type) {
      case Ft.Date:
        if (l.ptype === Dtk.Julian) {
          const r = strtol(f.text);
          if (r.overflow || r.value < 0) return fail(DtErr.FieldOverflow);
          [st.year, st.mon, st.mday] = j2date(r.value);
          l.isjulian = true;
          const z = decodeTimezone(f.text.slice(r.end));
          if (typeof z === 'number') return fail(z);
          tz = z.tz;
          tmask = DTK_DATE_M | DTK_TIME_M | M(Tk.Tz);
          l.ptype = 0;
        } else if (l.ptype !== 0 || (fmask & (M(Tk.Month) | M(Tk.Day))) === (M(Tk.Month) | M(Tk.Day))) {
          if (isDigit(f.text[0]) || l.ptype !== 0) {
            if (l.ptype !== 0) {
              if (l.ptype !== Dtk.Time) return fail(DtErr.BadFormat);
              l.ptype = 0;
            }
            if ((fmask & DTK_TIME_M) === DTK_TIME_M) return fail(DtErr.BadFormat);
            const dash = f.text.indexOf('-');
            if (dash < 0) return fail(DtErr.BadFormat);
            const z = decodeTimezone(f.text.slice(dash));
            if (typeof z === 'number') return fail(z);
            tz = z.tz;
            const e = decodeNumberField(f.text.slice(0, dash), fmask, st, out);
            if (e < 0) return fail(e);
            tmask = out.tmask | M(Tk.Tz);
          } else {
            namedTz = lookupTimeZone(f.text);
            if (namedTz === null) return fail(DtErr.BadTimezone, f.text);
            tmask = M(Tk.Tz);
          }
        } else {
          const e = decodeDate(f.text, fmask, st, out);
          if (e) return fail(e);
          tmask = out.tmask;
        }
        break;
      case Ft.Time: {
        if (l.ptype !== 0) {
          if (l.ptype !== Dtk.Time) return fail(DtErr.BadFormat);
          l.ptype = 0;
        }
        const r = decodeTime(f.text, st);
        if (r < 0) return fail(r);
        tmask = r;
        if (timeOverflows(st.hour, st.min, st.sec, st.fsec)) return fail(DtErr.FieldOverflow);
        break;
      }
      case Ft.Tz: {
        const z = decodeTimezone(f.text);
        if (typeof z === 'number') return fail(z);
        tz = z.tz;
        tmask = M(Tk.Tz);
        break;
      }
      case Ft.Number: {
        if (l.ptype !== 0) {
          const e = decodeLabelled(f, l, fmask, st, out);
          if (e) return fail(e);
          tmask = out.tmask;
          if (out.tz !== undefined) tz = out.tz;
          l.ptype = 0;
          dtype = Dtk.Date;
          break;
        }
        const flen = f.text.length;
        const dot = f.text.indexOf('.');
        let e: number;
        if (dot >= 0 && !(fmask & DTK_DATE_M)) e = decodeDate(f.text, fmask, st, out);
        else if (dot > 2) e = Math.min(decodeNumberField(f.text, fmask, st, out), 0);
        else if (flen >= 6 && (!(fmask & DTK_DATE_M) || !(fmask & DTK_TIME_M)))
          e = Math.min(decodeNumberField(f.text, fmask, st, out), 0);
        else e = decodeNumber(f.text, haveTextMonth, fmask, st, out);
        if (e) return fail(e);
        tmask = out.tmask;
        break;
      }
      case Ft.String:
      case Ft.Special: {
        const ab = decodeTimezoneAbbrev(f.text);
        let tok = ab.tok;
        if (tok.type === Tk.Unknown) tok = decodeSpecial(f.text);
        if (tok.type === Tk.IgnoreDtf) continue;
        tmask = M(tok.type);
        switch (tok.type) {
          case Tk.Reserv:
            switch (tok.value) {
              case Dtk.Now:
                tmask = DTK_DATE_M | DTK_TIME_M | M(Tk.Tz);
                dtype = Dtk.Date;
                tz = currentTime(ctx, st);
                break;
              case Dtk.Yesterday:
              case Dtk.Today:
              case Dtk.Tomorrow: {
                tmask = DTK_DATE_M;
                dtype = Dtk.Date;
                const cur = newDState();
                currentTime(ctx, cur);
                const shift = tok.value === Dtk.Yesterday ? -1 : tok.value === Dtk.Tomorrow ? 1 : 0;
                [st.year, st.mon, st.mday] = j2date(date2j(cur.year, cur.mon, cur.mday) + shift);
                break;
              }
              case Dtk.Zulu:
                tmask = DTK_TIME_M | M(Tk.Tz);
                dtype = Dtk.Date;
                st.hour = 0;
                st.min = 0;
                st.sec = 0;
                tz = 0;
                break;
              case Dtk.Epoch:
              case Dtk.Late:
              case Dtk.Early:
                // PostgreSQL 15 leaves the mask at DTK_M(RESERV): other fields may come along
                dtype = tok.value;
                break;
              default:
                return fail(DtErr.BadFormat);
            }
            break;
          case Tk.Month:
            if (
              fmask & M(Tk.Month) &&
              !haveTextMonth &&
              !(fmask & M(Tk.Day)) &&
              st.mon >= 1 &&
              st.mon <= 31
            ) {
              st.mday = st.mon;
              tmask = M(Tk.Day);
            }
            haveTextMonth = true;
            st.mon = tok.value;
            break;
          case Tk.DtzMod:
            tmask |= M(Tk.Dtz);
            tz -= tok.value;
            break;
          case Tk.Dtz:
            tmask |= M(Tk.Tz);
            tz = -tok.value;
            break;
          case Tk.Tz:
            tz = -tok.value;
            break;
          case Tk.DynTz:
            tmask |= M(Tk.Tz);
            abbrevTz = ab.zone!;
            break;
          case Tk.AmPm:
            mer = tok.value;
            break;
          case Tk.AdBc:
            bc = tok.value === BC;
            break;
          case Tk.Dow:
            break;
          case Tk.Units:
            tmask = 0;
            l.ptype = tok.value;
            break;
          case Tk.IsoTime: {
            tmask = 0;
            if ((fmask & DTK_DATE_M) !== DTK_DATE_M) return fail(DtErr.BadFormat);
            const next = fields[i + 1];
            if (
              next === undefined ||
              (next.type !== Ft.Number && next.type !== Ft.Time && next.type !== Ft.Date)
            ) {
              return fail(DtErr.BadFormat);
            }
            l.ptype = tok.value;
            break;
          }
          case Tk.Unknown:
            namedTz = lookupTimeZone(f.text);
            if (namedTz === null) return fail(DtErr.BadFormat);
            tmask = M(Tk.Tz);
            break;
          default:
            return fail(DtErr.BadFormat);
        }
        break;
      }
      default:
        return fail(DtErr.BadFormat);
    }
    if (tmask & fmask) return fail(DtErr.BadFormat);
    fmask |= tmask;
  }

  const e = validateDate(fmask, l.isjulian, bc, st);
  if (e) return fail(e);
  if (mer !== HR24 && st.hour > 12) return fail(DtErr.FieldOverflow);
  if (mer === AM && st.hour === 12) st.hour = 0;
  else if (mer === PM && st.hour !== 12) st.hour += 12;
  if (dtype === Dtk.Date) {
    if ((fmask & DTK_DATE_M) !== DTK_DATE_M) return fail(DtErr.BadFormat);
    if (namedTz !== null) {
      if (fmask & M(Tk.DtzMod)) return fail(DtErr.BadFormat);
      if (needTz) tz = zoneOffsetWest(namedTz, st);
    }
    if (abbrevTz !== null) {
      if (fmask & M(Tk.DtzMod)) return fail(DtErr.BadFormat);
      if (needTz) tz = zoneOffsetWest(abbrevTz, st);
    }
    if (!(fmask & M(Tk.Tz))) {
      if (fmask & M(Tk.DtzMod)) return fail(DtErr.BadFormat);
      if (needTz) tz = zoneOffsetWest(ctx.zone, st);
    }
  }
  return { dtype, st, tz };
}
