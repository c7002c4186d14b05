// PostgreSQL's regular expression syntax (AREs, EREs, literal strings; embedded options, ***: and
// ***=) parsed into branches of quantified atoms, following PostgreSQL's regc_lex.c and regcomp.c
// token by token so that what PostgreSQL accepts, refuses and how it words a refusal are the same.

import { ChorusError, FeatureNotSupportedError } from '../../../errors.js';
import {
  type Atom,
  type Expr,
  type Item,
  type Look,
  longer,
  type Re,
  repeatUnbounded,
  shorter,
} from './ast.js';
import { anyChar, CharSet, classSet, newline, rangeSet } from './charset.js';

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
const collatingNames: ReadonlyMap<string, number> = new Map(
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

type Tok =
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

type LexContext = 'ere' | 'quote' | 'bound' | 'bracket' | 'collel' | 'eclass' | 'cclass';

const lookTypes = ['aheadPos', 'aheadNeg', 'behindPos', 'behindNeg'] as const;

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
const classNames = ['digit', 'space', 'word'] as const;

const ch = (s: string): number => s.charCodeAt(0);
const isAsciiAlpha = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isAsciiDigit = (c: number): boolean => c >= 48 && c <= 57;
const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);

export interface ParsedRe {
  re: Re;
  /** Number of capturing groups. */
  nsub: number;
  looks: Look[];
  /** Compile flags after embedded options. */
  cflags: number;
}

/** Parses a pattern under compile flags; throws 2201B for what PostgreSQL refuses, 0A000 for what ChorusDB does not run. */
export function parsePattern(pattern: string, cflags: number): ParsedRe {
  return new Parser(
    Array.from(pattern, (c) => c.codePointAt(0)!),
    cflags,
  ).run();
}

class Parser {
  private now = 0;
  private lexcon: LexContext = 'ere';
  private nexttype: Tok = 'EMPTY';
  private nextvalue = 0;
  private lasttype: Tok = 'EMPTY';
  private nsubexp = 0;
  private readonly closedGroups = new Set<number>();
  private readonly looks: Look[] = [];
  private sawBackref = false;

  constructor(
    private readonly p: number[],
    private cflags: number,
  ) {}

  run(): ParsedRe {
    this.prefixes();
    if (this.cflags & reQuote) this.lexcon = 'quote';
    else if (this.cflags & reExtended) this.lexcon = 'ere';
    else throw new FeatureNotSupportedError('basic regular expression (BRE) syntax');
    this.nexttype = 'EMPTY';
    this.next();
    const re = this.parse('EOS', false);
    if (this.sawBackref) throw new FeatureNotSupportedError('back-references in regular expressions');
    return { re, nsub: this.nsubexp, looks: this.looks, cflags: this.cflags };
  }

  // --- lexer (regc_lex.c) ---

  private atEos(): boolean {
    return this.now >= this.p.length;
  }

  private next1(c: string): boolean {
    return !this.atEos() && this.p[this.now] === ch(c);
  }

  private set(t: Tok, v = 0): void {
    this.nexttype = t;
    this.nextvalue = v;
  }

  private see(t: Tok): boolean {
    return this.nexttype === t;
  }

  private eat(t: Tok): boolean {
    if (!this.see(t)) return false;
    this.next();
    return true;
  }

  private prefixes(): void {
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

  private skip(): void {
    for (;;) {
      while (!this.atEos() && isSpace(this.p[this.now]!)) this.now++;
      if (this.atEos() || this.p[this.now] !== ch('#')) break;
      while (!this.atEos() && this.p[this.now] !== newline) this.now++;
    }
  }

  private next(): void {
    for (;;) {
      if (this.lexOne()) return;
    }
  }

  /** One token; false when a comment was eaten and lexing must restart. */
  private lexOne(): boolean {
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

  private lexBracket(c: number, advf: boolean): boolean {
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

  private lexEre(c: number, advf: boolean): boolean {
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
  private lexEscape(): void {
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
  private backref(): boolean {
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

  private lexDigits(base: number, minLen: number, maxLen: number): number {
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

  // --- parser (regcomp.c parse / parsebranch / parseqatom) ---

  private parse(stopper: 'EOS' | ')', lacon: boolean): Re {
    const branches: Item[][] = [];
    do {
      const items: Item[] = [];
      while (!this.see('|') && !this.see(stopper) && !this.see('EOS')) {
        items.push(this.parseQAtom(lacon));
      }
      branches.push(items);
    } while (this.eat('|'));
    if (!this.see(stopper)) throw reError('eparen');
    return { branches };
  }

  private constraint(expr: Expr): Item {
    this.next();
    return { t: 'constraint', expr };
  }

  private parseQAtom(lacon: boolean): Item {
    const nlAnchor = (this.cflags & reNlAnchor) !== 0;
    let atom: Atom;
    switch (this.nexttype) {
      case '^':
        return this.constraint({ k: 'assert', a: nlAnchor ? 'bol' : 'bos' });
      case '$':
        return this.constraint({ k: 'assert', a: nlAnchor ? 'eol' : 'eos' });
      case 'SBEGIN':
        return this.constraint({ k: 'assert', a: 'bos' });
      case 'SEND':
        return this.constraint({ k: 'assert', a: 'eos' });
      case '<':
        return this.constraint({ k: 'assert', a: 'wordBegin' });
      case '>':
        return this.constraint({ k: 'assert', a: 'wordEnd' });
      case 'WBDRY':
        return this.constraint({ k: 'assert', a: 'wordBoundary' });
      case 'NWBDRY':
        return this.constraint({ k: 'assert', a: 'notWordBoundary' });
      case 'LACON': {
        const type = lookTypes[this.nextvalue]!;
        this.next();
        const sub = this.parse(')', true);
        this.next();
        const look: Look = {
          id: this.looks.length,
          ahead: type.startsWith('ahead'),
          negate: type.endsWith('Neg'),
          expr: reExpr(sub),
        };
        this.looks.push(look);
        return { t: 'constraint', expr: { k: 'look', look } };
      }
      case '*':
      case '+':
      case '?':
      case '{':
        throw reError('badrpt');
      case ')':
        if ((this.cflags & reAdvanced) !== reExtended) throw reError('eparen');
        atom = { t: 'set', set: this.oneChar(ch(')')) };
        this.next();
        break;
      case 'PLAIN':
        atom = { t: 'set', set: this.oneChar(this.nextvalue) };
        this.next();
        break;
      case '[':
        atom = { t: 'set', set: this.bracket() };
        this.next();
        break;
      case 'CCLASSS':
        atom = { t: 'set', set: this.escapeClass(this.nextvalue) };
        this.next();
        break;
      case 'CCLASSC':
        atom = { t: 'set', set: this.escapeClass(this.nextvalue).complement() };
        this.next();
        break;
      case '.':
        atom = { t: 'set', set: this.cflags & reNlStop ? anyChar.without(newline) : anyChar };
        this.next();
        break;
      case '(': {
        const capno = lacon || this.nextvalue === 0 ? 0 : ++this.nsubexp;
        this.next();
        const re = this.parse(')', lacon);
        this.next();
        if (capno > 0) this.closedGroups.add(capno);
        atom = { t: 'group', capno, re };
        break;
      }
      case 'BACKREF':
        if (lacon || !this.closedGroups.has(this.nextvalue)) throw reError('esubreg');
        this.sawBackref = true;
        atom = { t: 'backref' };
        this.next();
        break;
      default:
        throw reError('badpat');
    }
    return this.quantifier(atom);
  }

  private quantifier(atom: Atom): Item {
    let min = 1;
    let max = 1;
    let prefer = 0;
    const greedy = (): number => (this.nextvalue ? longer : shorter);
    switch (this.nexttype) {
      case '*':
        [min, max, prefer] = [0, repeatUnbounded, greedy()];
        this.next();
        break;
      case '+':
        [min, max, prefer] = [1, repeatUnbounded, greedy()];
        this.next();
        break;
      case '?':
        [min, max, prefer] = [0, 1, greedy()];
        this.next();
        break;
      case '{':
        this.next();
        min = this.scanNum();
        if (this.eat(',')) {
          max = this.see('DIGIT') ? this.scanNum() : repeatUnbounded;
          if (max !== repeatUnbounded && min > max) throw reError('badbr');
          prefer = greedy();
        } else max = min;
        if (!this.see('}')) throw reError('badbr');
        this.next();
        break;
      default:
        break;
    }
    return { t: 'atom', atom, min, max, prefer };
  }

  private scanNum(): number {
    let n = 0;
    while (this.see('DIGIT') && n < repeatCountMax) {
      n = n * 10 + this.nextvalue;
      this.next();
    }
    if (this.see('DIGIT') || n > repeatCountMax) throw reError('badbr');
    return n;
  }

  private icase(): boolean {
    return (this.cflags & reIcase) !== 0;
  }

  private oneChar(c: number): CharSet {
    return rangeSet(c, c, this.icase());
  }

  private escapeClass(which: number): CharSet {
    return classSet(classNames[which]!, this.icase())!;
  }

  /** A bracket expression; the current token is `[` (value 0 when complemented). Ends on `]`. */
  private bracket(): CharSet {
    const complemented = this.nextvalue === 0;
    this.next();
    let set = new CharSet([]);
    while (!this.see(']') && !this.see('EOS')) set = set.union(this.bracketPart());
    if (!complemented) return set;
    if (this.cflags & reNlStop) set = set.union(new CharSet([newline, newline]));
    return set.complement();
  }

  private bracketPart(): CharSet {
    let start: number;
    switch (this.nexttype) {
      case 'RANGE':
        throw reError('erange');
      case 'PLAIN':
        start = this.nextvalue;
        this.next();
        if (!this.see('RANGE')) return this.oneChar(start);
        break;
      case 'COLLEL':
        start = this.element(this.scanPlain('ecollate'));
        break;
      case 'ECLASS':
        return this.oneChar(this.element(this.scanPlain('ecollate')));
      case 'CCLASS': {
        const set = classSet(this.scanPlain('ectype'), this.icase());
        if (!set) throw reError('ectype');
        return set;
      }
      case 'CCLASSS': {
        const set = this.escapeClass(this.nextvalue);
        this.next();
        return set;
      }
      case 'CCLASSC': {
        const set = this.escapeClass(this.nextvalue).complement();
        this.next();
        return set;
      }
      default:
        throw reError('badpat');
    }
    let end = start;
    if (this.see('RANGE')) {
      this.next();
      if (this.see('PLAIN') || this.see('RANGE')) {
        end = this.nextvalue;
        this.next();
      } else if (this.see('COLLEL')) end = this.element(this.scanPlain('ecollate'));
      else throw reError('erange');
    }
    if (start > end) throw reError('erange');
    return rangeSet(start, end, this.icase());
  }

  /** The text of [. .], [= =] or [: :]; the current token opens it. */
  private scanPlain(emptyError: ReErrorCode): string {
    this.next();
    let text = '';
    while (this.see('PLAIN')) {
      text += String.fromCodePoint(this.nextvalue);
      this.next();
    }
    this.next();
    if (text === '') throw reError(emptyError);
    return text;
  }

  private element(name: string): number {
    const cps = Array.from(name);
    if (cps.length === 1) return cps[0]!.codePointAt(0)!;
    const c = collatingNames.get(name);
    if (c === undefined) throw reError('ecollate');
    return c;
  }
}

/** The language of a parsed RE, preferences dropped (lookaround bodies, whole patterns). */
export function reExpr(re: Re): Expr {
  const alts = re.branches.map((items) => ({ k: 'seq', items: items.map(itemExpr) }) as Expr);
  return alts.length === 1 ? alts[0]! : { k: 'alt', alts };
}

function itemExpr(it: Item): Expr {
  if (it.t === 'constraint') return it.expr;
  const e: Expr =
    it.atom.t === 'set'
      ? { k: 'set', set: it.atom.set }
      : it.atom.t === 'group'
        ? reExpr(it.atom.re)
        : { k: 'empty' };
  return it.min === 1 && it.max === 1 ? e : { k: 'rep', e, min: it.min, max: it.max };
}
