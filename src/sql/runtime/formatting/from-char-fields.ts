// The reading primitives of to_date / to_timestamp (PostgreSQL 15 formatting.c's from_char_*
// helpers): the fields a picture sets (TmFromChar), integers of a fixed width or up to a separator,
// words in any case, a field given twice, the date convention, with PostgreSQL's messages.

import { ChorusError } from '../../../errors.js';
import { type FormatNode, isCSpace } from './format-parse.js';

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

export type KeyNode = Extract<FormatNode, { kind: 'key' }>;
export type IntField = Exclude<keyof TmFromChar, 'mode' | 'clock12'>;

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

/** Keywords whose text is not a number (is_digit = false in PostgreSQL's table; keys as folded). */
const notDigit = new Set(
  'A.D. A.M. AD AM B.C. BC DAY DY Day Dy FX MONTH MON Month Mon OF P.M. PM RM TZH TZ a.d. a.m. ad am b.c. bc day dy month mon p.m. pm rm tz'.split(
    ' ',
  ),
);
/** Keywords of the Gregorian calendar and of the ISO week calendar (which may not be mixed). */
const gregorianKeys = new Set(
  'DDD DD D MM MONTH MON Month Mon month mon RM rm WW W Y,YYY YYYY YYY YY Y'.split(' '),
);
const isoWeekKeys = new Set(['IDDD', 'ID', 'IW', 'IYYY', 'IYY', 'IY', 'I']);

const FM_HINT = 'If your source string is not fixed-width, try using the "FM" modifier.';

export function formatError(message: string, detail?: string, hint?: string): ChorusError {
  const extras: { detail?: string; hint?: string } = {};
  if (detail !== undefined) extras.detail = detail;
  if (hint !== undefined) extras.hint = hint;
  return new ChorusError('22007', message, extras);
}

export const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
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
export class Reader {
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
