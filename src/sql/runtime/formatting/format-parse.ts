// The template pictures of to_char / to_number / to_date as PostgreSQL 15 reads them (formatting.c's
// parse_format): keywords found by longest listed match from their first letter, FM / TM prefixes
// and TH / th / SP suffixes (date/time pictures only), double-quoted text, a backslash before a
// double quote, and every other character copied as it is.

/**
 * How the parsing direction treats a literal character: quoted text is 'char'; outside quotes a
 * date/time picture's ASCII punctuation is a 'separator' and white space a 'space'.
 */
export type CharType = 'char' | 'separator' | 'space';

/**
 * One item of a parsed picture: a keyword (`key` folded to the upper-case spelling where the
 * lower-case one means the same; `name` as written, for messages) or literal text.
 */
export type FormatNode =
  | {
      kind: 'key';
      key: string;
      name: string;
      fm: boolean;
      tm: boolean;
      th: 'TH' | 'th' | null;
      sp: boolean;
    }
  | { kind: 'char'; text: string; type: CharType };

/** formatting.c's is_separator_char: printable ASCII that is not a letter or digit. */
export function isSeparatorChar(c: string | undefined): boolean {
  if (c === undefined || c.length !== 1) return false;
  const x = c.charCodeAt(0);
  return x > 0x20 && x < 0x7f && !/[A-Za-z0-9]/.test(c);
}

/** C's isspace in the C locale. */
export function isCSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
}

/** Date/time keywords, in PostgreSQL's order (longer spellings before their prefixes). */
export const dateTimeKeywords = [
  'A.D.',
  'A.M.',
  'AD',
  'AM',
  'B.C.',
  'BC',
  'CC',
  'DAY',
  'DDD',
  'DD',
  'DY',
  'Day',
  'Dy',
  'D',
  'FF1',
  'FF2',
  'FF3',
  'FF4',
  'FF5',
  'FF6',
  'FX',
  'HH24',
  'HH12',
  'HH',
  'IDDD',
  'ID',
  'IW',
  'IYYY',
  'IYY',
  'IY',
  'I',
  'J',
  'MI',
  'MM',
  'MONTH',
  'MON',
  'MS',
  'Month',
  'Mon',
  'OF',
  'P.M.',
  'PM',
  'Q',
  'RM',
  'SSSSS',
  'SSSS',
  'SS',
  'TZH',
  'TZM',
  'TZ',
  'US',
  'WW',
  'W',
  'Y,YYY',
  'YYYY',
  'YYY',
  'YY',
  'Y',
  'a.d.',
  'a.m.',
  'ad',
  'am',
  'b.c.',
  'bc',
  'cc',
  'day',
  'ddd',
  'dd',
  'dy',
  'd',
  'ff1',
  'ff2',
  'ff3',
  'ff4',
  'ff5',
  'ff6',
  'fx',
  'hh24',
  'hh12',
  'hh',
  'iddd',
  'id',
  'iw',
  'iyyy',
  'iyy',
  'iy',
  'i',
  'j',
  'mi',
  'mm',
  'month',
  'mon',
  'ms',
  'of',
  'p.m.',
  'pm',
  'q',
  'rm',
  'sssss',
  'ssss',
  'ss',
  'tzh',
  'tzm',
  'tz',
  'us',
  'ww',
  'w',
  'y,yyy',
  'yyyy',
  'yyy',
  'yy',
  'y',
];

/** Number keywords. */
export const numberKeywords = [
  ',',
  '.',
  '0',
  '9',
  'B',
  'C',
  'D',
  'EEEE',
  'FM',
  'G',
  'L',
  'MI',
  'PL',
  'PR',
  'RN',
  'SG',
  'SP',
  'S',
  'TH',
  'V',
  'b',
  'c',
  'd',
  'eeee',
  'fm',
  'g',
  'l',
  'mi',
  'pl',
  'pr',
  'rn',
  'sg',
  'sp',
  's',
  'th',
  'v',
];

/**
 * Lower-case date/time keywords that mean the same as their upper-case form (PostgreSQL's table
 * maps them to one id); the others (day, mon, a.m., ...) print in lower case.
 */
const dateTimeSameAsUpper = new Set([
  'cc',
  'ddd',
  'dd',
  'd',
  'ff1',
  'ff2',
  'ff3',
  'ff4',
  'ff5',
  'ff6',
  'fx',
  'hh24',
  'hh12',
  'hh',
  'iddd',
  'id',
  'iw',
  'iyyy',
  'iyy',
  'iy',
  'i',
  'j',
  'mi',
  'mm',
  'ms',
  'of',
  'q',
  'sssss',
  'ssss',
  'ss',
  'tzh',
  'tzm',
  'us',
  'ww',
  'w',
  'y,yyy',
  'yyyy',
  'yyy',
  'yy',
  'y',
]);
/** Number keywords whose lower-case form is the upper-case one (rn and th print in lower case). */
const numberSameAsUpper = new Set([
  'b',
  'c',
  'd',
  'eeee',
  'fm',
  'g',
  'l',
  'mi',
  'pl',
  'pr',
  'sg',
  'sp',
  's',
  'v',
]);

const byFirstChar = (words: readonly string[]): Map<string, string[]> => {
  const m = new Map<string, string[]>();
  for (const w of words) {
    const c = w[0]!;
    if (!m.has(c)) m.set(c, []);
    m.get(c)!.push(w);
  }
  return m;
};
const dateTimeIndex = byFirstChar(dateTimeKeywords);
const numberIndex = byFirstChar(numberKeywords);

/** Pictures parsed, by kind and text (bounded: cleared when full). */
const parsedPictures = new Map<string, FormatNode[]>();
const parsedPicturesMax = 256;

/** Parse a picture; `dateTime` selects the date/time keywords and the FM/TM/TH/SP suffixes. */
export function parseFormat(picture: string, dateTime: boolean): FormatNode[] {
  const cacheKey = (dateTime ? 'd' : 'n') + picture;
  const cached = parsedPictures.get(cacheKey);
  if (cached) return cached;
  const index = dateTime ? dateTimeIndex : numberIndex;
  const same = dateTime ? dateTimeSameAsUpper : numberSameAsUpper;
  const out: FormatNode[] = [];
  let i = 0;
  while (i < picture.length) {
    let fm = false;
    let tm = false;
    if (dateTime) {
      const p = picture.slice(i, i + 2);
      if (p === 'FM' || p === 'fm') {
        fm = true;
        i += 2;
      } else if (p === 'TM' || p === 'tm') {
        tm = true;
        i += 2;
      }
    }
    const key =
      i < picture.length ? (index.get(picture[i]!) ?? []).find((k) => picture.startsWith(k, i)) : undefined;
    if (key !== undefined) {
      i += key.length;
      let th: 'TH' | 'th' | null = null;
      let sp = false;
      if (dateTime) {
        const s = picture.slice(i, i + 2);
        if (s === 'TH' || s === 'th') {
          th = s;
          i += 2;
        } else if (s === 'SP') {
          sp = true;
          i += 2;
        }
      }
      out.push({ kind: 'key', key: same.has(key) ? key.toUpperCase() : key, name: key, fm, tm, th, sp });
      continue;
    }
    if (i >= picture.length) break;
    const c = picture[i]!;
    if (c === '"') {
      i++;
      while (i < picture.length) {
        if (picture[i] === '"') {
          i++;
          break;
        }
        if (picture[i] === '\\' && i + 1 < picture.length) i++;
        const ch = String.fromCodePoint(picture.codePointAt(i)!);
        out.push({ kind: 'char', text: ch, type: 'char' });
        i += ch.length;
      }
      continue;
    }
    if (c === '\\' && picture[i + 1] === '"') i++;
    const ch = String.fromCodePoint(picture.codePointAt(i)!);
    const type: CharType = dateTime && isSeparatorChar(ch) ? 'separator' : isCSpace(ch) ? 'space' : 'char';
    out.push({ kind: 'char', text: ch, type });
    i += ch.length;
  }
  if (parsedPictures.size >= parsedPicturesMax) parsedPictures.clear();
  parsedPictures.set(cacheKey, out);
  return out;
}
