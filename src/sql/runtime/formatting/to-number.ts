// to_number(text, text) as PostgreSQL 15 reads a number by a picture (formatting.c's NUM_processor
// with is_to_char = false, NUM_numpart_from_char and numeric_to_number), in the C locale: digits for
// 9 / 0, the decimal point, signs (S, MI, PL, SG, PR's '<'), V scaling; EEEE and RN are refused.

import { ChorusError } from '../../../errors.js';
import {
  finite,
  NUMERIC_TYPMOD_OFFSET_BYTES,
  type Numeric,
  parseNumeric,
} from '../../types/numeric/numeric.js';
import { numericMul } from '../../types/numeric/numeric-arith.js';
import { parseFormat } from './format-parse.js';
import { describe, type NumDesc } from './to-char-number.js';

/** Digits power(10, -n) keeps (NUMERIC_MIN_SIG_DIGITS): V's divisor is rounded to this scale. */
const POWER_SCALE_DIGITS = 16;

/** The input is read byte by byte, as PostgreSQL does (a 9 facing a multi-byte character eats one byte). */
const isDigit = (b: number | undefined): boolean => b !== undefined && b >= 0x30 && b <= 0x39;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const COMMA = 0x2c;
const SPACE = 0x20;
const LESS = 0x3c;
const dataBytes = new Set(Buffer.from('0123456789.,+-'));

/** pg_utf_mblen: the length of the UTF-8 sequence a byte starts (1 for a stray continuation byte). */
function mblen(b: number): number {
  if ((b & 0x80) === 0) return 1;
  if ((b & 0xe0) === 0xc0) return 2;
  if ((b & 0xf0) === 0xe0) return 3;
  if ((b & 0xf8) === 0xf0) return 4;
  return 1;
}

/** Reads the number's characters from the input into `digits`, and its sign. */
class NumberReader {
  pos = 0;
  /** ' ' (no sign read yet), '-' or '+'. */
  sign = ' ';
  digits = '';
  readPre = 0;
  readPost = 0;
  readDec = false;

  constructor(
    readonly s: Buffer,
    private readonly d: NumDesc,
  ) {}

  get atEnd(): boolean {
    return this.pos >= this.s.length;
  }

  /** The byte at the read position. */
  get c(): number | undefined {
    return this.s[this.pos];
  }

  /** Past the character at the read position (pg_mblen). */
  skipChar(): void {
    this.pos += mblen(this.s[this.pos]!);
  }

  /** NUM_eat_non_data_chars: skip up to n characters that cannot be part of the number. */
  eatNonData(n: number): void {
    for (let k = 0; k < n && !this.atEnd; k++) {
      if (dataBytes.has(this.c!)) break;
      this.skipChar();
    }
  }

  /** NUM_numpart_from_char for a 9, 0, '.' or D of the picture. */
  numpart(id: string): void {
    const s = this.s;
    const d = this.d;
    if (this.atEnd) return;
    if (this.c === SPACE) this.pos++;
    if (this.atEnd) return;
    // a sign before the first digit
    if (this.sign === ' ' && (id === '0' || id === '9') && this.readPre + this.readPost === 0) {
      const c = this.c;
      if (d.localeSign && d.lsign === 'pre') {
        if (c === MINUS || c === PLUS) {
          this.pos++;
          this.sign = c === MINUS ? '-' : '+';
        }
      } else if (c === MINUS || (d.bracket && c === LESS)) {
        this.sign = '-';
        this.pos++;
      } else if (c === PLUS) {
        this.sign = '+';
        this.pos++;
      }
    }
    if (this.atEnd) return;
    let isRead = false;
    const c = this.c!;
    if (isDigit(c)) {
      if (this.readDec && this.readPost === d.post) return;
      this.digits += String.fromCharCode(c);
      if (this.readDec) this.readPost++;
      else this.readPre++;
      isRead = true;
    } else if (d.decimal && !this.readDec && c === DOT) {
      this.digits += '.';
      this.readDec = true;
      isRead = true;
    }
    if (this.atEnd) return;
    // a sign after the last digit
    if (this.sign === ' ' && this.readPre + this.readPost > 0) {
      if (d.localeSign && isRead && this.pos + 1 < s.length && !isDigit(s[this.pos + 1])) {
        const next = s[this.pos + 1];
        if (next === MINUS || next === PLUS) {
          this.pos++;
          this.sign = next === MINUS ? '-' : '+';
        }
      } else if (!isRead && !d.localeSign && (d.plus || d.minus)) {
        if (c === MINUS || c === PLUS) this.sign = c === MINUS ? '-' : '+';
      }
    }
  }
}

/** to_number(text, text); null for an empty picture, as PostgreSQL. */
export function toNumber(input: string, picture: string): Numeric | null {
  if (picture.length === 0) return null;
  const nodes = parseFormat(picture, false);
  const d = describe(nodes);
  if (d.eeee) throw new ChorusError('0A000', '"EEEE" not supported for input');
  if (d.roman) throw new ChorusError('0A000', '"RN" not supported for input');
  const r = new NumberReader(Buffer.from(input), d);
  for (const n of nodes) {
    if (r.atEnd) break;
    if (n.kind === 'char') {
      // one character of the input per literal of the picture, whatever it is
      r.skipChar();
      continue;
    }
    switch (n.key) {
      case '9':
      case '0':
      case '.':
      case 'D':
        r.numpart(n.key);
        break;
      case ',':
      case 'G':
        // (a group separator is never inside the number here: FM skips none)
        if (d.fillMode || r.c !== COMMA) continue;
        break;
      case 'L':
        r.eatNonData(1);
        continue;
      case 'TH':
      case 'th':
        if (d.decimal) continue;
        r.eatNonData(2);
        continue;
      case 'MI':
      case 'PL':
      case 'SG': {
        const c = r.c;
        const accepted =
          n.key === 'MI' ? c === MINUS : n.key === 'PL' ? c === PLUS : c === MINUS || c === PLUS;
        if (!accepted) {
          r.eatNonData(1);
          continue;
        }
        r.sign = c === MINUS ? '-' : '+';
        break;
      }
      default:
        continue;
    }
    r.pos++;
  }
  let digits = r.digits;
  if (digits.endsWith('.')) digits = digits.slice(0, -1);
  const scale = r.readPost;
  const precision = d.pre + d.multi + scale;
  const result = parseNumeric(r.sign + digits, ((precision << 16) | scale) + NUMERIC_TYPMOD_OFFSET_BYTES);
  if (!d.multiply) return result;
  // × power(10, -multi), which PostgreSQL computes to 16 decimal places
  const divisor =
    d.multi <= POWER_SCALE_DIGITS
      ? finite(10n ** BigInt(POWER_SCALE_DIGITS - d.multi), POWER_SCALE_DIGITS)
      : finite(0n, POWER_SCALE_DIGITS);
  return numericMul(result, divisor);
}
