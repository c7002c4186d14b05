// PostgreSQL 15's DecodeTimeOnly: the fields of a time input ('05:06:07.5', '050607', '5:06 PM',
// 'allballs', 'now', with an optional date or zone that time without time zone then ignores).

import { lookupTimeZone, type TimeZone } from '../timezone/timezone.js';
import {
  currentTime,
  type Decoded,
  type DecodeFailure,
  decodeLabelled,
  decodeTimezoneAbbrev,
  fail,
  type InputContext,
  type Labelled,
} from './datetime-decode.js';
import {
  decodeDate,
  decodeNumber,
  decodeNumberField,
  decodeTime,
  decodeTimezone,
  newDState,
  timeOverflows,
  validateDate,
} from './datetime-decode-fields.js';
import {
  AM,
  BC,
  DTK_DATE_M,
  DTK_TIME_M,
  DtErr,
  Dtk,
  decodeSpecial,
  dtkM,
  type Field,
  Ft,
  HR24,
  PM,
  Tk,
} from './datetime-lex.js';

const M = (t: Tk): number => dtkM(t);

/** DecodeTimeOnly (time input). The zone offset is not resolved: time without time zone drops it. */
export function decodeTimeOnly(fields: Field[], ctx: InputContext): Decoded | DecodeFailure {
  let fmask = 0;
  const l: Labelled = { ptype: 0, isjulian: false };
  let bc = false;
  let mer = HR24;
  let namedTz: TimeZone | null = null;
  let haveAbbrevTz = false;
  const st = newDState();
  const nf = fields.length;
  for (let i = 0; i < nf; i++) {
    const f = fields[i]!;
    const out: { tmask: number; tz?: number } = { tmask: 0 };
    let tmask = 0;
    switch (f.type) {
      case Ft.Date:
        if (i === 0 && nf >= 2 && (fields[nf - 1]!.type === Ft.Date || fields[1]!.type === Ft.Time)) {
          const e = decodeDate(f.text, fmask, st, out);
          if (e) return fail(e);
          tmask = out.tmask;
        } else if (f.text[0]! >= '0' && f.text[0]! <= '9') {
          if ((fmask & DTK_TIME_M) === DTK_TIME_M) return fail(DtErr.BadFormat);
          const dash = f.text.indexOf('-');
          if (dash < 0) return fail(DtErr.BadFormat);
          const z = decodeTimezone(f.text.slice(dash));
          if (typeof z === 'number') return fail(z);
          const e = decodeNumberField(f.text.slice(0, dash), fmask | DTK_DATE_M, st, out);
          if (e < 0) return fail(e);
          tmask = out.tmask | M(Tk.Tz);
        } else {
          namedTz = lookupTimeZone(f.text);
          if (namedTz === null) return fail(DtErr.BadTimezone, f.text);
          tmask = M(Tk.Tz);
        }
        break;
      case Ft.Time: {
        // unlike DecodeDateTime, PostgreSQL 15 leaves a pending unit label alone here
        const r = decodeTime(f.text, st);
        if (r < 0) return fail(r);
        tmask = r;
        break;
      }
      case Ft.Tz: {
        const z = decodeTimezone(f.text);
        if (typeof z === 'number') return fail(z);
        tmask = M(Tk.Tz);
        break;
      }
      case Ft.Number: {
        if (l.ptype !== 0) {
          const e = decodeLabelled(f, l, fmask, st, out);
          if (e) return fail(e);
          tmask = out.tmask;
          l.ptype = 0;
          break;
        }
        const dot = f.text.indexOf('.');
        let e: number;
        if (dot >= 0) {
          if (i === 0 && nf >= 2 && fields[nf - 1]!.type === Ft.Date) e = decodeDate(f.text, fmask, st, out);
          else if (dot > 2) e = Math.min(decodeNumberField(f.text, fmask | DTK_DATE_M, st, out), 0);
          else e = DtErr.BadFormat;
        } else if (f.text.length > 4) e = Math.min(decodeNumberField(f.text, fmask | DTK_DATE_M, st, out), 0);
        else e = decodeNumber(f.text, false, fmask | DTK_DATE_M, st, out);
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
            if (tok.value === Dtk.Now) {
              tmask = DTK_TIME_M;
              currentTime(ctx, st);
            } else if (tok.value === Dtk.Zulu) {
              tmask = DTK_TIME_M | M(Tk.Tz);
              st.hour = 0;
              st.min = 0;
              st.sec = 0;
            } else return fail(DtErr.BadFormat);
            break;
          case Tk.DtzMod:
            tmask |= M(Tk.Dtz);
            break;
          case Tk.Dtz:
            tmask |= M(Tk.Tz);
            break;
          case Tk.Tz:
            break;
          case Tk.DynTz:
            tmask |= M(Tk.Tz);
            haveAbbrevTz = true;
            break;
          case Tk.AmPm:
            mer = tok.value;
            break;
          case Tk.AdBc:
            bc = tok.value === BC;
            break;
          case Tk.Units:
            tmask = 0;
            l.ptype = tok.value;
            break;
          case Tk.IsoTime: {
            tmask = 0;
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
  if (timeOverflows(st.hour, st.min, st.sec, st.fsec)) return fail(DtErr.FieldOverflow);
  if ((fmask & DTK_TIME_M) !== DTK_TIME_M) return fail(DtErr.BadFormat);
  const dateMask = fmask & DTK_DATE_M;
  if (namedTz !== null) {
    if (fmask & M(Tk.DtzMod)) return fail(DtErr.BadFormat);
    if (namedTz.fixedOffset === null && dateMask !== DTK_DATE_M) return fail(DtErr.BadFormat);
  }
  if (haveAbbrevTz || !(fmask & M(Tk.Tz))) {
    if (fmask & M(Tk.DtzMod)) return fail(DtErr.BadFormat);
    if (dateMask !== 0 && dateMask !== DTK_DATE_M) return fail(DtErr.BadFormat);
  }
  return { dtype: Dtk.Time, st, tz: 0 };
}
