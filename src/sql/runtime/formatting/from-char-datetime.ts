// to_date / to_timestamp reading a string by a date/time picture (PostgreSQL 15 formatting.c's
// DCH_from_char, not the SQL/JSON standard mode): each keyword's field, and the skipping of spaces
// and separators between them. C locale: English month and day names in any case.

import { ChorusError } from '../../../errors.js';
import { daysFull, daysShort, monthsFull, monthsShort } from './calendar-names.js';
import { isCSpace, isSeparatorChar, parseFormat } from './format-parse.js';
import { formatError, isDigit, type KeyNode, Reader, type TmFromChar } from './from-char-fields.js';

export type { TmFromChar } from './from-char-fields.js';

const romanMonthsLower = ['xii', 'xi', 'x', 'ix', 'viii', 'vii', 'vi', 'v', 'iv', 'iii', 'ii', 'i'];
const adBc = ['ad', 'bc', 'AD', 'BC'];
const adBcLong = ['a.d.', 'b.c.', 'A.D.', 'B.C.'];
const amPm = ['am', 'pm', 'AM', 'PM'];
const amPmLong = ['a.m.', 'p.m.', 'A.M.', 'P.M.'];

/** One keyword (DCH_from_char's switch); returns whether FX mode starts. */
function readField(r: Reader, n: KeyNode, i: number, extraSkip: number): boolean {
  const out = r.out;
  switch (n.key) {
    case 'FX':
    case 'fx':
      return true;
    case 'A.M.':
    case 'P.M.':
    case 'a.m.':
    case 'p.m.':
      r.setInt('pm', r.seqSearch(amPmLong, n) % 2, n);
      out.clock12 = true;
      break;
    case 'AM':
    case 'PM':
    case 'am':
    case 'pm':
      r.setInt('pm', r.seqSearch(amPm, n) % 2, n);
      out.clock12 = true;
      break;
    case 'HH':
    case 'HH12':
      r.parseInt('hh', 2, i);
      out.clock12 = true;
      r.skipTh(n);
      break;
    case 'HH24':
      r.parseInt('hh', 2, i);
      r.skipTh(n);
      break;
    case 'MI':
      r.parseInt('mi', n.name.length, i);
      r.skipTh(n);
      break;
    case 'SS':
      r.parseInt('ss', n.name.length, i);
      r.skipTh(n);
      break;
    case 'MS': {
      const len = r.parseInt('ms', 3, i);
      // 25 is 0.25 and 250 is 0.25 too; 025 is 0.025
      out.ms *= len === 1 ? 100 : len === 2 ? 10 : 1;
      r.skipTh(n);
      break;
    }
    case 'FF1':
    case 'FF2':
    case 'FF3':
    case 'FF4':
    case 'FF5':
    case 'FF6':
    case 'US': {
      if (n.key !== 'US') out.ff = Number(n.key[2]);
      const len = r.parseInt('us', n.key === 'US' ? 6 : out.ff, i);
      out.us *= [1, 100000, 10000, 1000, 100, 10][len] ?? 1;
      r.skipTh(n);
      break;
    }
    case 'SSSS':
    case 'SSSSS':
      r.parseInt('ssss', n.name.length, i);
      r.skipTh(n);
      break;
    case 'tz':
    case 'TZ':
    case 'OF':
      throw new ChorusError('0A000', `formatting field "${n.name}" is only supported in to_char`);
    case 'TZH': {
      // A minus skipped as a separator before TZH is its sign.
      const c = r.s[r.pos];
      if (c === '+' || c === '-' || c === ' ') {
        out.tzsign = c === '-' ? -1 : 1;
        r.pos++;
      } else out.tzsign = extraSkip > 0 && r.s[r.pos - 1] === '-' ? -1 : 1;
      r.parseInt('tzh', 2, i);
      break;
    }
    case 'TZM':
      if (!out.tzsign) out.tzsign = 1;
      r.parseInt('tzm', 2, i);
      break;
    case 'A.D.':
    case 'B.C.':
    case 'a.d.':
    case 'b.c.':
      r.setInt('bc', r.seqSearch(adBcLong, n) % 2, n);
      break;
    case 'AD':
    case 'BC':
    case 'ad':
    case 'bc':
      r.setInt('bc', r.seqSearch(adBc, n) % 2, n);
      break;
    case 'MONTH':
    case 'Month':
    case 'month':
      r.setInt('mm', r.seqSearch(monthsFull, n) + 1, n);
      break;
    case 'MON':
    case 'Mon':
    case 'mon':
      r.setInt('mm', r.seqSearch(monthsShort, n) + 1, n);
      break;
    case 'MM':
      r.parseInt('mm', 2, i);
      r.skipTh(n);
      break;
    case 'DAY':
    case 'Day':
    case 'day':
      r.setInt('d', r.seqSearch(daysFull, n), n);
      out.d++;
      break;
    case 'DY':
    case 'Dy':
    case 'dy':
      r.setInt('d', r.seqSearch(daysShort, n), n);
      out.d++;
      break;
    case 'DDD':
    case 'IDDD':
      r.parseInt('ddd', 3, i);
      r.skipTh(n);
      break;
    case 'DD':
      r.parseInt('dd', 2, i);
      r.skipTh(n);
      break;
    case 'D':
      r.parseInt('d', 1, i);
      r.skipTh(n);
      break;
    case 'ID':
      r.parseInt('d', 1, i);
      // Sunday = 1, as in the Gregorian numbering
      if (++out.d > 7) out.d = 1;
      r.skipTh(n);
      break;
    case 'WW':
    case 'IW':
      r.parseInt('ww', 2, i);
      r.skipTh(n);
      break;
    case 'Q':
      // Read and ignored: which day of the quarter would it be?
      r.parseInt(null, 1, i);
      r.skipTh(n);
      break;
    case 'CC':
      r.parseInt('cc', 2, i);
      r.skipTh(n);
      break;
    case 'Y,YYY':
      readThousandsYear(r, n, r.s);
      r.skipTh(n);
      break;
    case 'YYYY':
    case 'IYYY':
      r.parseInt('year', 4, i);
      out.yysz = 4;
      r.skipTh(n);
      break;
    case 'YYY':
    case 'IYY':
    case 'YY':
    case 'IY':
    case 'Y':
    case 'I': {
      const len = r.parseInt('year', n.key.length, i);
      if (len < 4) out.year = adjustPartialYear(out.year);
      out.yysz = n.key.length;
      r.skipTh(n);
      break;
    }
    case 'RM':
    case 'rm':
      r.setInt('mm', 12 - r.seqSearch(romanMonthsLower, n), n);
      break;
    case 'W':
      r.parseInt('w', 1, i);
      r.skipTh(n);
      break;
    case 'J':
      r.parseInt('j', 1, i);
      r.skipTh(n);
      break;
    default:
      break;
  }
  return false;
}

/** adjust_partial_year_to_2020: 0-69 → 2000s, 70-99 → 1900s, 100-519 → 2000s, 520-999 → 1000s. */
function adjustPartialYear(year: number): number {
  if (year < 70) return year + 2000;
  if (year < 100) return year + 1900;
  if (year < 520) return year + 2000;
  if (year < 1000) return year + 1000;
  return year;
}

/** Y,YYY: sscanf(s, "%d,%03d%n"). */
function readThousandsYear(r: Reader, n: KeyNode, s: string): void {
  const scanInt = (from: number, width: number): { value: number; end: number } | null => {
    let i = from;
    while (isCSpace(s[i])) i++;
    const start = i;
    let negative = false;
    if ((s[i] === '+' || s[i] === '-') && i - start < width) negative = s[i++] === '-';
    const digitsStart = i;
    while (isDigit(s[i]) && i - start < width) i++;
    if (i === digitsStart) return null;
    const v = Number(s.slice(digitsStart, i).slice(-10)) | 0;
    return { value: negative ? -v : v, end: i };
  };
  const millennia = scanInt(r.pos, Number.POSITIVE_INFINITY);
  const years = millennia && s[millennia.end] === ',' ? scanInt(millennia.end + 1, 3) : null;
  if (!millennia || !years) throw formatError('invalid input string for "Y,YYY"');
  r.setInt('year', (years.value + millennia.value * 1000) | 0, n);
  r.out.yysz = 4;
  r.pos = years.end;
}

/** DCH_from_char: the fields of `input` by `picture` (to_date / to_timestamp, non-standard mode). */
export function readDateTimeFields(input: string, picture: string): TmFromChar {
  const nodes = parseFormat(picture, true);
  const r = new Reader(input, nodes);
  let fx = false;
  // characters skipped beyond those the picture accounts for
  let extraSkip = 0;
  let i = 0;
  for (; i < nodes.length && r.pos < input.length; i++) {
    const n = nodes[i]!;
    const isFx = n.kind === 'key' && n.key === 'FX';
    if (!fx && !isFx && (n.kind === 'key' || i === 0)) {
      while (r.pos < input.length && isCSpace(input[r.pos])) {
        r.pos++;
        extraSkip++;
      }
    }
    if (n.kind === 'char') {
      if (n.type !== 'char') {
        // one separator or space of the picture matches one of the string, or nothing
        if (!fx) {
          extraSkip--;
          const c = input[r.pos];
          if (isCSpace(c) || isSeparatorChar(c)) {
            r.pos++;
            extraSkip++;
          }
        } else r.pos += r.charLen();
      } else if (!fx && extraSkip > 0) {
        // a skipped character may stand for this one
        extraSkip--;
      } else r.pos += r.charLen();
      continue;
    }
    r.setMode(n);
    if (readField(r, n, i, extraSkip)) fx = true;
    if (!fx) {
      extraSkip = 0;
      while (r.pos < input.length && isCSpace(input[r.pos])) {
        r.pos++;
        extraSkip++;
      }
    }
  }
  return r.out;
}
