// PostgreSQL's regular expression lexer (regc_lex.c): prefixes (***: ***= and embedded options),
// ARE / ERE / literal tokens, bracket contents and backslash escapes, with PostgreSQL's errors. The
// parser (parse.ts) extends it.

import { ChorusError, FeatureNotSupportedError } from '../../../errors.js';
import { newline } from './charset.js';

/** Compile flags (PostgreSQL's cflags bits). */
export const reExtended = 1;
export const reAdvancedFeatures = 2;
export const reAdvanced = 3;
export const reQuote = 4;
export const reIcase = 8;
export const reExpanded = 16;
export const reNlStop = 32;
export const reNlAnchor = 64;
export const reNewline = 96;

/** Largest bound in {m,n} (PostgreSQL's DUPMAX). */
export const repeatCountMax = 255;

/** PostgreSQL's regerror texts. */
const messages = {
  badpat: 'invalid regexp (reg version 0.8)',
  ecollate: 'invalid collating element',
  ectype: 'invalid character class',
  eescape: 'invalid escape \\ sequence',
  esubreg: 'invalid backreference number',
  ebrack: 'brackets [] not balanced',
  eparen: 'parentheses () not balanced',
  ebrace: 'braces {} not balanced',
  badbr: 'invalid repetition count(s)',
  erange: 'invalid character range',
  badrpt: 'quantifier operand invalid',
  badopt: 'invalid embedded option',
  etoobig: 'regular expression is too complex',
} as const;

export type ReErrorCode = keyof typeof messages;

/** The error PostgreSQL raises for a pattern it cannot compile (2201B). */
export function reError(code: ReErrorCode): ChorusError {
  return new ChorusError('2201B', `invalid regular expression: ${messages[code]}`);
}

/** POSIX collating element names PostgreSQL knows ([[.name.]]), for the C locale. */
export const collatingNames: ReadonlyMap<string, number> = new Map(
  'NUL SOH STX ETX EOT ENQ ACK BEL BS HT LF VT FF CR SO SI DLE DC1 DC2 DC3 DC4 NAK SYN ETB CAN EM SUB ESC IS4 IS3 IS2 IS1'
    .split(' ')
    .map((n, i): [string, number] => [n, i])
    .concat([
      ['alert', 7],
      ['backspace', 8],
      ['tab', 9],
      ['newline', 10],
      ['vertical-tab', 11],
      ['form-feed', 12],
      ['carriage-return', 13],
      ['FS', 28],
      ['GS', 29],
      ['RS', 30],
      ['US', 31],
      ['space', 32],
      ['exclamation-mark', 33],
      ['quotation-mark', 34],
      ['number-sign', 35],
      ['dollar-sign', 36],
      ['percent-sign', 37],
      ['ampersand', 38],
      ['apostrophe', 39],
      ['left-parenthesis', 40],
      ['right-parenthesis', 41],
      ['asterisk', 42],
      ['plus-sign', 43],
      ['comma', 44],
      ['hyphen', 45],
      ['hyphen-minus', 45],
      ['period', 46],
      ['full-stop', 46],
      ['slash', 47],
      ['solidus', 47],
      ['zero', 48],
      ['one', 49],
      ['two', 50],
      ['three', 51],
      ['four', 52],
      ['five', 53],
      ['six', 54],
      ['seven', 55],
      ['eight', 56],
      ['nine', 57],
      ['colon', 58],
      ['semicolon', 59],
      ['less-than-sign', 60],
      ['equals-sign', 61],
      ['greater-than-sign', 62],
      ['question-mark', 63],
      ['commercial-at', 64],
      ['left-square-bracket', 91],
      ['backslash', 92],
      ['reverse-solidus', 92],
      ['right-square-bracket', 93],
      ['circumflex', 94],
      ['circumflex-accent', 94],
      ['underscore', 95],
      ['low-line', 95],
      ['grave-accent', 96],
      ['left-brace', 123],
      ['left-curly-bracket', 123],
      ['vertical-line', 124],
      ['right-brace', 125],
      ['right-curly-bracket', 125],
      ['tilde', 126],
      ['DEL', 127],
    ]),
);

export type Tok =
  | 'EOS'
  | 'PLAIN'
  | 'DIGIT'
  | 'RANGE'
  | 'COLLEL'
  | 'ECLASS'
  | 'CCLASS'
  | 'END'
  | 'SBEGIN'
  | 'SEND'
  | 'WBDRY'
  | 'NWBDRY'
  | 'LACON'
  | 'CCLASSS'
  | 'CCLASSC'
  | 'BACKREF'
  | 'EMPTY'
  | '|'
  | '*'
  | '+'
  | '?'
  | '{'
  | '}'
  | ','
  | '('
  | ')'
  | '['
  | ']'
  | '.'
  | '^'
  | '$'
  | '<'
  | '>';

export type LexContext = 'ere' | 'quote' | 'bound' | 'bracket' | 'collel' | 'eclass' | 'cclass';

export const lookTypes = ['aheadPos', 'aheadNeg', 'behindPos', 'behindNeg'] as const;

/** ARE escapes that stand for one token (regc_lex.c lexescape). */
const simpleEscapes: Record<string, [Tok, number]> = {
  a: ['PLAIN', 7],
  A: ['SBEGIN', 0],
  b: ['PLAIN', 8],
  B: ['PLAIN', 92],
  d: ['CCLASSS', 0],
  D: ['CCLASSC', 0],
  e: ['PLAIN', 27],
  f: ['PLAIN', 12],
  m: ['<', 0],
  M: ['>', 0],
  n: ['PLAIN', 10],
  r: ['PLAIN', 13],
  s: ['CCLASSS', 1],
  S: ['CCLASSC', 1],
  t: ['PLAIN', 9],
  v: ['PLAIN', 11],
  w: ['CCLASSS', 2],
  W: ['CCLASSC', 2],
  y: ['WBDRY', 0],
  Y: ['NWBDRY', 0],
  Z: ['SEND', 0],
};
export const classNames = ['digit', 'space', 'word'] as const;

export const ch = (s: string): number => s.charCodeAt(0);
const isAsciiAlpha = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isAsciiDigit = (c: number): boolean => c >= 48 && c <= 57;
const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);

export class Lexer {
  protected now = 0;
  protected lexcon: LexContext = 'ere';
  protected nexttype: Tok = 'EMPTY';
  protected nextvalue = 0;
  protected lasttype: Tok = 'EMPTY';
  /** Capturing groups opened so far (the parser counts them; \N reads it). */
  protected nsubexp = 0;

  constructor(
    protected readonly p: number[],
    protected cflags: number,
  ) {}

  /** Applies prefixes and reads the first token. */
  protected start(): void {
    this.prefixes();
    if (this.cflags & reQuote) this.lexcon = 'quote';
    else if (this.cflags & reExtended) this.lexcon = 'ere';
    else throw new FeatureNotSupportedError('basic regular expression (BRE) syntax');
    this.nexttype = 'EMPTY';
    this.next();
  }

  protected atEos(): boolean {
    return this.now >= this.p.length;
  }

  protected next1(c: string): boolean {
    return !this.atEos() && this.p[this.now] === ch(c);
  }

  protected set(t: Tok, v = 0): void {
    this.nexttype = t;
    this.nextvalue = v;
  }

  protected see(t: Tok): boolean {
    return this.nexttype === t;
  }

  protected eat(t: Tok): boolean {
    if (!this.see(t)) return false;
    this.next();
    return true;
  }

  protected prefixes(): void {
    const p = this.p;
    if (this.cflags & reQuote) return;
    if (p.length >= 4 && p[0] === ch('*') && p[1] === ch('*') && p[2] === ch('*')) {
      const c = p[3];
      if (c === ch('?')) throw reError('badpat');
      if (c === ch('=')) {
        this.cflags = (this.cflags | reQuote) & ~(reAdvanced | reExpanded | reNewline);
        this.now = 4;
        return;
      }
      if (c !== ch(':')) throw reError('badrpt');
      this.cflags |= reAdvanced;
      this.now = 4;
    }
    if ((this.cflags & reAdvanced) !== reAdvanced) return;
    const at = this.now;
    if (p.length - at >= 3 && p[at] === ch('(') && p[at + 1] === ch('?') && isAsciiAlpha(p[at + 2]!)) {
      this.now += 2;
      for (; !this.atEos() && isAsciiAlpha(p[this.now]!); this.now++) {
        const f = String.fromCodePoint(p[this.now]!);
        if (f === 'b') this.cflags &= ~(reAdvanced | reQuote);
        else if (f === 'c') this.cflags &= ~reIcase;
        else if (f === 'e') this.cflags = (this.cflags | reExtended) & ~(reAdvancedFeatures | reQuote);
        else if (f === 'i') this.cflags |= reIcase;
        else if (f === 'm' || f === 'n') this.cflags |= reNewline;
        else if (f === 'p') this.cflags = (this.cflags | reNlStop) & ~reNlAnchor;
        else if (f === 'q') this.cflags = (this.cflags | reQuote) & ~reAdvanced;
        else if (f === 's') this.cflags &= ~reNewline;
        else if (f === 't') this.cflags &= ~reExpanded;
        else if (f === 'w') this.cflags = (this.cflags & ~reNlStop) | reNlAnchor;
        else if (f === 'x') this.cflags |= reExpanded;
        else throw reError('badopt');
      }
      if (!this.next1(')')) throw reError('badopt');
      this.now++;
      if (this.cflags & reQuote) this.cflags &= ~(reExpanded | reNewline);
    }
  }

  protected skip(): void {
    for (;;) {
      while (!this.atEos() && isSpace(this.p[this.now]!)) this.now++;
      if (this.atEos() || this.p[this.now] !== ch('#')) break;
      while (!this.atEos() && this.p[this.now] !== newline) this.now++;
    }
  }

  protected next(): void {
    for (;;) {
      if (this.lexOne()) return;
    }
  }

  /** One token; false when a comment was eaten and lexing must restart. */
  protected lexOne(): boolean {
    const advf = (this.cflags & reAdvancedFeatures) !== 0;
    this.lasttype = this.nexttype;
    if (this.cflags & reExpanded && (this.lexcon === 'ere' || this.lexcon === 'bound')) this.skip();
    if (this.atEos()) {
      if (this.lexcon === 'ere' || this.lexcon === 'quote') this.set('EOS');
      else if (this.lexcon === 'bound') throw reError('ebrace');
      else throw reError('ebrack');
      return true;
    }
    const c = this.p[this.now++]!;
    switch (this.lexcon) {
      case 'quote':
        this.set('PLAIN', c);
        return true;
      case 'bound':
        if (isAsciiDigit(c)) this.set('DIGIT', c - 48);
        else if (c === ch(',')) this.set(',');
        else if (c === ch('}')) {
          this.lexcon = 'ere';
          if (advf && this.next1('?')) {
            this.now++;
            this.set('}', 0);
          } else this.set('}', 1);
        } else throw reError('badbr');
        return true;
      case 'bracket':
        return this.lexBracket(c, advf);
      case 'collel':
      case 'eclass':
      case 'cclass': {
        const end = this.lexcon === 'collel' ? '.' : this.lexcon === 'eclass' ? '=' : ':';
        if (c === ch(end) && this.next1(']')) {
          this.now++;
          this.lexcon = 'bracket';
          this.set('END');
        } else this.set('PLAIN', c);
        return true;
      }
      default:
        return this.lexEre(c, advf);
    }
  }

  protected lexBracket(c: number, advf: boolean): boolean {
    if (c === ch(']')) {
      if (this.lasttype === '[') this.set('PLAIN', c);
      else {
        this.lexcon = 'ere';
        this.set(']');
      }
    } else if (c === ch('\\')) {
      if (!advf) this.set('PLAIN', c);
      else {
        if (this.atEos()) throw reError('eescape');
        this.lexEscape();
        const t = this.nexttype;
        if (t !== 'PLAIN' && t !== 'CCLASSS' && t !== 'CCLASSC') throw reError('eescape');
      }
    } else if (c === ch('-')) {
      if (this.lasttype === '[' || this.next1(']')) this.set('PLAIN', c);
      else this.set('RANGE', c);
    } else if (c === ch('[')) {
      if (this.atEos()) throw reError('ebrack');
      const d = this.p[this.now++]!;
      if (d === ch('.')) {
        this.lexcon = 'collel';
        this.set('COLLEL');
      } else if (d === ch('=')) {
        this.lexcon = 'eclass';
        this.set('ECLASS');
      } else if (d === ch(':')) {
        this.lexcon = 'cclass';
        this.set('CCLASS');
      } else {
        this.now--;
        this.set('PLAIN', c);
      }
    } else this.set('PLAIN', c);
    return true;
  }

  protected lexEre(c: number, advf: boolean): boolean {
    const p = this.p;
    const quantifier = (t: Tok): void => {
      if (advf && this.next1('?')) {
        this.now++;
        this.set(t, 0);
      } else this.set(t, 1);
    };
    switch (String.fromCodePoint(c)) {
      case '|':
        this.set('|');
        return true;
      case '*':
      case '+':
      case '?':
        quantifier(String.fromCodePoint(c) as Tok);
        return true;
      case '{':
        if (this.cflags & reExpanded) this.skip();
        if (this.atEos() || !isAsciiDigit(p[this.now]!)) this.set('PLAIN', c);
        else {
          this.lexcon = 'bound';
          this.set('{');
        }
        return true;
      case '(':
        if (advf && this.next1('?')) {
          this.now++;
          if (this.atEos()) throw reError('badrpt');
          const d = String.fromCodePoint(p[this.now++]!);
          if (d === ':') this.set('(', 0);
          else if (d === '#') {
            while (!this.atEos() && p[this.now] !== ch(')')) this.now++;
            if (!this.atEos()) this.now++;
            this.nexttype = this.lasttype;
            return false;
          } else if (d === '=') this.set('LACON', 0);
          else if (d === '!') this.set('LACON', 1);
          else if (d === '<') {
            if (this.atEos()) throw reError('badrpt');
            const e = String.fromCodePoint(p[this.now++]!);
            if (e === '=') this.set('LACON', 2);
            else if (e === '!') this.set('LACON', 3);
            else throw reError('badrpt');
          } else throw reError('badrpt');
        } else this.set('(', 1);
        return true;
      case ')':
        this.set(')', c);
        return true;
      case '[': {
        const at = this.now;
        if (
          p.length - at >= 6 &&
          p[at] === ch('[') &&
          p[at + 1] === ch(':') &&
          (p[at + 2] === ch('<') || p[at + 2] === ch('>')) &&
          p[at + 3] === ch(':') &&
          p[at + 4] === ch(']') &&
          p[at + 5] === ch(']')
        ) {
          const which = p[at + 2] === ch('<') ? '<' : '>';
          this.now += 6;
          this.set(which);
          return true;
        }
        this.lexcon = 'bracket';
        if (this.next1('^')) {
          this.now++;
          this.set('[', 0);
        } else this.set('[', 1);
        return true;
      }
      case '.':
      case '^':
      case '$':
        this.set(String.fromCodePoint(c) as Tok);
        return true;
      case '\\':
        if (this.atEos()) throw reError('eescape');
        if (!advf) this.set('PLAIN', p[this.now++]!);
        else this.lexEscape();
        return true;
      default:
        this.set('PLAIN', c);
        return true;
    }
  }

  /** An ARE backslash escape, the backslash already eaten (regc_lex.c lexescape). */
  protected lexEscape(): void {
    const c = this.p[this.now++]!;
    if (!isAsciiAlpha(c) && !isAsciiDigit(c)) {
      this.set('PLAIN', c);
      return;
    }
    const s = String.fromCodePoint(c);
    const simple = simpleEscapes[s];
    if (simple) this.set(simple[0], simple[1]);
    else if (s === 'c') {
      if (this.atEos()) throw reError('eescape');
      this.set('PLAIN', this.p[this.now++]! & 0o37);
    } else if (s === 'u' || s === 'U' || s === 'x') {
      const [min, max] = s === 'u' ? [4, 4] : s === 'U' ? [8, 8] : [1, 255];
      const v = this.lexDigits(16, min, max);
      if (v > 0x7ffffffe) throw reError('eescape');
      this.set('PLAIN', v);
    } else if (isAsciiDigit(c)) {
      if (s !== '0' && this.backref()) return;
      this.now--;
      let v = this.lexDigits(8, 1, 3);
      if (v > 0xff) {
        this.now--;
        v >>= 3;
      }
      this.set('PLAIN', v);
    } else throw reError('eescape');
  }

  /** \N: a back-reference when one digit, or a number no larger than the groups opened so far. */
  protected backref(): boolean {
    const save = this.now;
    this.now--;
    const n = this.lexDigits(10, 1, 255);
    if (this.now === save || (n > 0 && n <= this.nsubexp)) {
      this.set('BACKREF', n);
      return true;
    }
    this.now = save;
    return false;
  }

  protected lexDigits(base: number, minLen: number, maxLen: number): number {
    let n = 0;
    let len = 0;
    for (; len < maxLen && !this.atEos(); len++) {
      const c = this.p[this.now]!;
      const d = isAsciiDigit(c) ? c - 48 : isAsciiAlpha(c) && (c | 32) <= ch('f') ? (c | 32) - 87 : -1;
      if (d < 0 || d >= base) break;
      this.now++;
      n = (n * base + d) >>> 0;
    }
    if (len < minLen) throw reError('eescape');
    return n;
  }
}
