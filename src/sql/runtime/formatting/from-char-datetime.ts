// to_date / to_timestamp reading a string by a date/time picture (PostgreSQL 15 formatting.c's
// DCH_from_char, not the SQL/JSON standard mode): the fields the picture finds, before
// to-timestamp.ts turns them into a date. C locale: English month and day names in any case.

import { ChorusError } from '../../../errors.js';
import { type FormatNode, isCSpace, isSeparatorChar, parseFormat } from './format-parse.js';

/** Which calendar the picture's date fields belong to (FromCharDateMode). */
export type DateMode = 'none' | 'gregorian' | 'isoweek';

/** PostgreSQL's TmFromChar: each field as the string gave it, 0 where it was not given. */
export interface TmFromChar {
  mode: DateMode;
  hh: number;
  pm: number;
  mi: number;
  ss: number;
  ssss: number;
  /** Day of the week, 1 = Sunday. */
  d: number;
  dd: number;
  ddd: number;
  mm: number;
  ms: number;
  year: number;
  bc: number;
  ww: number;
  w: number;
  cc: number;
  j: number;
  us: number;
  /** Digits of the year field that set `year` (YY → 2). */
  yysz: number;
  clock12: boolean;
  /** +1, -1, or 0 when the string gave no zone offset. */
  tzsign: number;
  tzh: number;
  tzm: number;
  /** FF1..FF6's precision, 0 if none. */
  ff: number;
}

type KeyNode = Extract<FormatNode, { kind: 'key' }>;
type IntField = Exclude<keyof TmFromChar, 'mode' | 'clock12'>;

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

/** Keywords whose text is not a number (is_digit = false in PostgreSQL's table). */
const notDigit = new Set([
  'A.D.',
  'A.M.',
  'AD',
  'AM',
  'B.C.',
  'BC',
  'DAY',
  'DY',
  'Day',
  'Dy',
  'FX',
  'MONTH',
  'MON',
  'Month',
  'Mon',
  'OF',
  'P.M.',
  'PM',
  'RM',
  'TZH',
  'TZ',
  'a.d.',
  'a.m.',
  'ad',
  'am',
  'b.c.',
  'bc',
  'day',
  'dy',
  'month',
  'mon',
  'p.m.',
  'pm',
  'rm',
  'tz',
]);
const gregorianKeys = new Set([
  'DDD',
  'DD',
  'D',
  'MM',
  'MONTH',
  'MON',
  'Month',
  'Mon',
  'month',
  'mon',
  'RM',
  'rm',
  'WW',
  'W',
  'Y,YYY',
  'YYYY',
  'YYY',
  'YY',
  'Y',
]);
const isoWeekKeys = new Set(['IDDD', 'ID', 'IW', 'IYYY', 'IYY', 'IY', 'I']);

const monthsFull = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const monthsShort = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const daysFull = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const daysShort = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const romanMonthsLower = ['xii', 'xi', 'x', 'ix', 'viii', 'vii', 'vi', 'v', 'iv', 'iii', 'ii', 'i'];
const adBc = ['ad', 'bc', 'AD', 'BC'];
const adBcLong = ['a.d.', 'b.c.', 'A.D.', 'B.C.'];
const amPm = ['am', 'pm', 'AM', 'PM'];
const amPmLong = ['a.m.', 'p.m.', 'A.M.', 'P.M.'];

const FM_HINT = 'If your source string is not fixed-width, try using the "FM" modifier.';

function formatError(message: string, detail?: string, hint?: string): ChorusError {
  const extras: { detail?: string; hint?: string } = {};
  if (detail !== undefined) extras.detail = detail;
  if (hint !== undefined) extras.hint = hint;
  return new ChorusError('22007', message, extras);
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
/** pg_ascii_tolower. */
const asciiLower = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

/**
 * The first `bytes` bytes of s in UTF-8, as PostgreSQL copies them into its message (a character
 * cut in two reaches the client as U+FFFD).
 */
function utf8Prefix(s: string, bytes: number): string {
  return Buffer.from(s.slice(0, bytes)).subarray(0, bytes).toString('utf8');
}

/** C's strtol(s + from, &end, 10); `end` is `from` when there are no digits. */
function strtol(s: string, from: number): { value: number; end: number; outOfRange: boolean } {
  let i = from;
  while (isCSpace(s[i])) i++;
  let negative = false;
  if (s[i] === '+' || s[i] === '-') negative = s[i++] === '-';
  const start = i;
  while (isDigit(s[i])) i++;
  if (i === start) return { value: 0, end: from, outOfRange: false };
  const digits = s.slice(start, i).replace(/^0+(?=\d)/, '');
  const magnitude = digits.length > 12 ? Number.POSITIVE_INFINITY : Number(digits);
  const value = negative ? -magnitude : magnitude;
  return { value: value + 0, end: i, outOfRange: value < INT_MIN || value > INT_MAX };
}

/** Reads one picture against one input string; `pos` is the read position. */
class Reader {
  pos = 0;
  readonly out: TmFromChar = {
    mode: 'none',
    hh: 0,
    pm: 0,
    mi: 0,
    ss: 0,
    ssss: 0,
    d: 0,
    dd: 0,
    ddd: 0,
    mm: 0,
    ms: 0,
    year: 0,
    bc: 0,
    ww: 0,
    w: 0,
    cc: 0,
    j: 0,
    us: 0,
    yysz: 0,
    clock12: false,
    tzsign: 0,
    tzh: 0,
    tzm: 0,
    ff: 0,
  };

  constructor(
    readonly s: string,
    private readonly nodes: readonly FormatNode[],
  ) {}

  /** The length of the character at the read position (pg_mblen; 1 at the end). */
  charLen(): number {
    const cp = this.s.codePointAt(this.pos);
    return cp !== undefined && cp > 0xffff ? 2 : 1;
  }

  /** from_char_set_int: a field given twice must agree. */
  setInt(field: IntField, value: number, n: KeyNode): void {
    const cur = this.out[field];
    if (cur !== 0 && cur !== value) {
      throw formatError(
        `conflicting values for "${n.name}" field in formatting string`,
        'This value contradicts a previous setting for the same field type.',
      );
    }
    this.out[field] = value;
  }

  setMode(n: KeyNode): void {
    const mode: DateMode = gregorianKeys.has(n.key)
      ? 'gregorian'
      : isoWeekKeys.has(n.key)
        ? 'isoweek'
        : 'none';
    if (mode === 'none') return;
    if (this.out.mode === 'none') this.out.mode = mode;
    else if (this.out.mode !== mode) {
      throw formatError(
        'invalid combination of date conventions',
        undefined,
        'Do not mix Gregorian and ISO week date conventions in a formatting template.',
      );
    }
  }

  /** is_next_separator: whether the field after node i cannot be digits. */
  nextIsSeparator(i: number): boolean {
    const n = this.nodes[i]!;
    if (n.kind === 'key' && n.th !== null) return true;
    const next = this.nodes[i + 1];
    if (next === undefined) return true;
    if (next.kind === 'key') return notDigit.has(next.key);
    return !(next.text.length === 1 && isDigit(next.text));
  }

  /**
   * from_char_parse_int_len: an integer of `len` characters (any number under FM or before a
   * non-digit field), after white space; stored in `field` unless null. Returns the characters
   * consumed, white space included.
   */
  parseInt(field: IntField | null, len: number, i: number): number {
    const n = this.nodes[i] as KeyNode;
    const s = this.s;
    const init = this.pos;
    while (isCSpace(s[this.pos])) this.pos++;
    const rest = s.slice(this.pos);
    const copy = utf8Prefix(rest, len);
    let value: number;
    let outOfRange: boolean;
    if (n.fm || this.nextIsSeparator(i)) {
      const r = strtol(s, init);
      value = r.value;
      outOfRange = r.outOfRange;
      this.pos = r.end;
    } else {
      const remaining = Buffer.byteLength(rest);
      if (remaining < len) {
        throw formatError(
          `source string too short for "${n.name}" formatting field`,
          `Field requires ${len} characters, but only ${remaining} remain.`,
          FM_HINT,
        );
      }
      const r = strtol(copy, 0);
      const used = r.end;
      if (used > 0 && used < len) {
        throw formatError(
          `invalid value "${copy}" for "${n.name}"`,
          `Field requires ${len} characters, but only ${used} could be parsed.`,
          FM_HINT,
        );
      }
      value = r.value;
      outOfRange = r.outOfRange;
      this.pos += used;
    }
    if (this.pos === init) {
      throw formatError(`invalid value "${copy}" for "${n.name}"`, 'Value must be an integer.');
    }
    if (outOfRange) {
      throw new ChorusError('22008', `value for "${n.name}" in source string is out of range`, {
        detail: `Value must be in the range ${INT_MIN} to ${INT_MAX}.`,
      });
    }
    if (field !== null) this.setInt(field, value, n);
    return this.pos - init;
  }

  /** from_char_seq_search: the index of the word (any case) the string continues with. */
  seqSearch(words: readonly string[], n: KeyNode): number {
    const s = this.s;
    for (let k = 0; k < words.length; k++) {
      const w = words[k]!;
      if (
        s.length - this.pos >= w.length &&
        asciiLower(s.slice(this.pos, this.pos + w.length)) === asciiLower(w)
      ) {
        this.pos += w.length;
        return k;
      }
    }
    let shown = s.slice(this.pos);
    const cut = shown.search(/[ \t\n\r\f]/);
    if (cut >= 0) shown = shown.slice(0, cut);
    throw formatError(
      `invalid value "${shown}" for "${n.name}"`,
      'The given value did not match any of the allowed values for this field.',
    );
  }

  /** SKIP_THth: an ordinal suffix in the picture skips two characters of the string. */
  skipTh(n: KeyNode): void {
    if (n.th === null) return;
    for (let k = 0; k < 2; k++) if (this.pos < this.s.length) this.pos += this.charLen();
  }
}

/** One keyword (DCH_from_char's switch); returns whether FX mode starts. */
function readField(r: Reader, n: KeyNode, i: number, extraSkip: number): boolean {
  const out = r.out;
  const s = r;
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
      const c = s.s[r.pos];
      if (c === '+' || c === '-' || c === ' ') {
        out.tzsign = c === '-' ? -1 : 1;
        r.pos++;
      } else out.tzsign = extraSkip > 0 && s.s[r.pos - 1] === '-' ? -1 : 1;
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
      readThousandsYear(r, n, s.s);
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
