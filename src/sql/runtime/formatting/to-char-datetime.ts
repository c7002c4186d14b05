// to_char(timestamp | timestamptz | interval, text) as PostgreSQL 15 prints it (formatting.c's
// DCH_to_char) in the C locale: English month and day names, FM (no padding), TM (no padding),
// TH / th ordinal suffixes; interval values refuse the calendar-only patterns.

import { ChorusError } from '../../../errors.js';
import { date2isoweek, date2isoyear, date2j, isoweek2j } from '../../types/datetime/datetime-core.js';
import { daysFull, daysShort, monthsFull, monthsShort } from './calendar-names.js';
import { type FormatNode, parseFormat } from './format-parse.js';

/** The broken-down value to_char prints (PostgreSQL's TmToChar). */
export interface TmToChar {
  /** Astronomical year (0 = 1 BC) for dates; the interval's years for intervals. */
  year: number;
  mon: number;
  mday: number;
  hour: number;
  min: number;
  sec: number;
  /** Microseconds. */
  fsec: number;
  /** Day of the year (1-based); for intervals, the approximate span in days. */
  yday: number;
  /** 0 = Sunday. */
  wday: number;
  /** Seconds east of UTC. */
  gmtoff: number;
  /** The zone abbreviation (TZ), or null where there is none (timestamp without time zone). */
  tzn: string | null;
}

const romanMonthsUpper = ['XII', 'XI', 'X', 'IX', 'VIII', 'VII', 'VI', 'V', 'IV', 'III', 'II', 'I'];

/** C's "%0*d": zero-padded to `width` characters, the sign counted. */
export function zeroPad(v: number, width: number): string {
  const digits = Math.abs(v).toString();
  return v < 0 ? `-${digits.padStart(width - 1, '0')}` : digits.padStart(width, '0');
}

/** PostgreSQL's get_th: st / nd / rd / th for the number a string ends with. */
export function ordinalSuffix(num: string, upper: boolean): string {
  const last = num[num.length - 1];
  if (last === undefined || last < '0' || last > '9') {
    throw new ChorusError('22P02', `"${num}" is not a number`);
  }
  const teen = num.length > 1 && num[num.length - 2] === '1';
  const s = teen ? 'th' : last === '1' ? 'st' : last === '2' ? 'nd' : last === '3' ? 'rd' : 'th';
  return upper ? s.toUpperCase() : s;
}

function invalidForInterval(): ChorusError {
  return new ChorusError('22007', 'invalid format specification for an interval value', {
    hint: 'Intervals are not tied to specific calendar dates.',
  });
}

const adjustYear = (year: number, isInterval: boolean): number =>
  isInterval ? year : year <= 0 ? -(year - 1) : year;

/** C's integer division and remainder (truncating toward zero). */
const cdiv = (a: number, b: number): number => Math.trunc(a / b);
const cmod = (a: number, b: number): number => a % b;

/** Names padded to 9 characters unless FM or TM. */
const padName = (s: string, n: Extract<FormatNode, { kind: 'key' }>): string =>
  n.fm || n.tm ? s : s.padEnd(9, ' ');

/** One keyword's text (before any TH suffix); null when the keyword prints nothing. */
function keyword(n: Extract<FormatNode, { kind: 'key' }>, tm: TmToChar, isInterval: boolean): string | null {
  const fm = n.fm;
  const w = (normal: number, v: number) => zeroPad(v, fm ? 0 : v >= 0 ? normal : normal + 1);
  const calendarOnly = () => {
    if (isInterval) throw invalidForInterval();
  };
  const pm = cmod(tm.hour, 24) >= 12;
  const gmt = Math.abs(Math.trunc(tm.gmtoff));
  const isoYear = () => date2isoyear(tm.year, tm.mon, tm.mday);
  switch (n.key) {
    case 'A.M.':
    case 'P.M.':
      return pm ? 'P.M.' : 'A.M.';
    case 'AM':
    case 'PM':
      return pm ? 'PM' : 'AM';
    case 'a.m.':
    case 'p.m.':
      return pm ? 'p.m.' : 'a.m.';
    case 'am':
    case 'pm':
      return pm ? 'pm' : 'am';
    case 'HH':
    case 'HH12':
      return w(2, cmod(tm.hour, 12) === 0 ? 12 : cmod(tm.hour, 12));
    case 'HH24':
      return w(2, tm.hour);
    case 'MI':
      return w(2, tm.min);
    case 'SS':
      return w(2, tm.sec);
    case 'FF1':
      return zeroPad(cdiv(tm.fsec, 100000), 1);
    case 'FF2':
      return zeroPad(cdiv(tm.fsec, 10000), 2);
    case 'FF3':
    case 'MS':
      return zeroPad(cdiv(tm.fsec, 1000), 3);
    case 'FF4':
      return zeroPad(cdiv(tm.fsec, 100), 4);
    case 'FF5':
      return zeroPad(cdiv(tm.fsec, 10), 5);
    case 'FF6':
    case 'US':
      return zeroPad(tm.fsec, 6);
    case 'SSSS':
    case 'SSSSS':
      return String(tm.hour * 3600 + tm.min * 60 + tm.sec);
    case 'tz':
      calendarOnly();
      return tm.tzn === null ? '' : tm.tzn.toLowerCase();
    case 'TZ':
      calendarOnly();
      return tm.tzn ?? '';
    case 'TZH':
      calendarOnly();
      return `${tm.gmtoff >= 0 ? '+' : '-'}${zeroPad(cdiv(gmt, 3600), 2)}`;
    case 'TZM':
      calendarOnly();
      return zeroPad(cdiv(gmt % 3600, 60), 2);
    case 'OF': {
      calendarOnly();
      let s = `${tm.gmtoff >= 0 ? '+' : '-'}${zeroPad(cdiv(gmt, 3600), fm ? 0 : 2)}`;
      if (gmt % 3600 !== 0) s += `:${zeroPad(cdiv(gmt % 3600, 60), 2)}`;
      return s;
    }
    case 'A.D.':
    case 'B.C.':
      calendarOnly();
      return tm.year <= 0 ? 'B.C.' : 'A.D.';
    case 'AD':
    case 'BC':
      calendarOnly();
      return tm.year <= 0 ? 'BC' : 'AD';
    case 'a.d.':
    case 'b.c.':
      calendarOnly();
      return tm.year <= 0 ? 'b.c.' : 'a.d.';
    case 'ad':
    case 'bc':
      calendarOnly();
      return tm.year <= 0 ? 'bc' : 'ad';
    case 'MONTH':
    case 'Month':
    case 'month': {
      calendarOnly();
      if (!tm.mon) return null;
      const name = monthsFull[tm.mon - 1]!;
      return padName(
        n.key === 'MONTH' ? name.toUpperCase() : n.key === 'month' ? name.toLowerCase() : name,
        n,
      );
    }
    case 'MON':
    case 'Mon':
    case 'mon': {
      calendarOnly();
      if (!tm.mon) return null;
      const name = monthsShort[tm.mon - 1]!;
      return n.key === 'MON' ? name.toUpperCase() : n.key === 'mon' ? name.toLowerCase() : name;
    }
    case 'MM':
      return w(2, tm.mon);
    case 'DAY':
    case 'Day':
    case 'day': {
      calendarOnly();
      const name = daysFull[tm.wday]!;
      return padName(n.key === 'DAY' ? name.toUpperCase() : n.key === 'day' ? name.toLowerCase() : name, n);
    }
    case 'DY':
    case 'Dy':
    case 'dy': {
      calendarOnly();
      const name = daysShort[tm.wday]!;
      return n.key === 'DY' ? name.toUpperCase() : n.key === 'dy' ? name.toLowerCase() : name;
    }
    case 'DDD':
      return zeroPad(tm.yday, fm ? 0 : 3);
    case 'IDDD':
      return zeroPad(date2j(tm.year, tm.mon, tm.mday) - isoweek2j(isoYear(), 1) + 1, fm ? 0 : 3);
    case 'DD':
      return zeroPad(tm.mday, fm ? 0 : 2);
    case 'D':
      calendarOnly();
      return String(tm.wday + 1);
    case 'ID':
      calendarOnly();
      return String(tm.wday === 0 ? 7 : tm.wday);
    case 'WW':
      return zeroPad(cdiv(tm.yday - 1, 7) + 1, fm ? 0 : 2);
    case 'IW':
      return zeroPad(date2isoweek(tm.year, tm.mon, tm.mday), fm ? 0 : 2);
    case 'Q':
      if (!tm.mon) return null;
      return String(cdiv(tm.mon - 1, 3) + 1);
    case 'CC': {
      const i = isInterval
        ? cdiv(tm.year, 100)
        : tm.year > 0
          ? cdiv(tm.year - 1, 100) + 1
          : cdiv(tm.year, 100) - 1;
      return i <= 99 && i >= -99 ? zeroPad(i, fm ? 0 : i >= 0 ? 2 : 3) : String(i);
    }
    case 'Y,YYY': {
      const y = adjustYear(tm.year, isInterval);
      const i = cdiv(y, 1000);
      return `${i},${zeroPad(y - i * 1000, 3)}`;
    }
    case 'YYYY':
    case 'IYYY': {
      const y = adjustYear(n.key === 'YYYY' ? tm.year : isoYear(), isInterval);
      return zeroPad(y, fm ? 0 : adjustYear(tm.year, isInterval) >= 0 ? 4 : 5);
    }
    case 'YYY':
    case 'IYY': {
      const y = adjustYear(n.key === 'YYY' ? tm.year : isoYear(), isInterval);
      return zeroPad(cmod(y, 1000), fm ? 0 : adjustYear(tm.year, isInterval) >= 0 ? 3 : 4);
    }
    case 'YY':
    case 'IY': {
      const y = adjustYear(n.key === 'YY' ? tm.year : isoYear(), isInterval);
      return zeroPad(cmod(y, 100), fm ? 0 : adjustYear(tm.year, isInterval) >= 0 ? 2 : 3);
    }
    case 'Y':
    case 'I': {
      const y = adjustYear(n.key === 'Y' ? tm.year : isoYear(), isInterval);
      return zeroPad(cmod(y, 10), 1);
    }
    case 'RM':
    case 'rm': {
      if (!tm.mon && !tm.year) return null;
      let mon: number;
      if (tm.mon === 0) mon = tm.year >= 0 ? 0 : 11;
      else if (tm.mon < 0) mon = -1 * (tm.mon + 1);
      else mon = 12 - tm.mon;
      const name = romanMonthsUpper[mon]!;
      const s = n.key === 'RM' ? name : name.toLowerCase();
      return fm ? s : s.padEnd(4, ' ');
    }
    case 'W':
      return String(cdiv(tm.mday - 1, 7) + 1);
    case 'J':
      return String(date2j(tm.year, tm.mon, tm.mday));
    default:
      // FX and anything without output
      return null;
  }
}

/** Keywords whose output may take an ordinal suffix (TH / th). */
const takesOrdinal = new Set([
  'HH',
  'HH12',
  'HH24',
  'MI',
  'SS',
  'FF1',
  'FF2',
  'FF3',
  'MS',
  'FF4',
  'FF5',
  'FF6',
  'US',
  'SSSS',
  'SSSSS',
  'MM',
  'DDD',
  'IDDD',
  'DD',
  'D',
  'ID',
  'WW',
  'IW',
  'Q',
  'CC',
  'Y,YYY',
  'YYYY',
  'IYYY',
  'YYY',
  'IYY',
  'YY',
  'IY',
  'Y',
  'I',
  'W',
  'J',
]);

/** DCH_to_char: the picture applied to one broken-down value. */
export function formatDateTime(picture: string, tm: TmToChar, isInterval: boolean): string {
  let out = '';
  for (const n of parseFormat(picture, true)) {
    if (n.kind === 'char') {
      out += n.text;
      continue;
    }
    const s = keyword(n, tm, isInterval);
    if (s === null) continue;
    out += n.th !== null && takesOrdinal.has(n.key) ? s + ordinalSuffix(s, n.th === 'TH') : s;
  }
  return out;
}
