// PostgreSQL's regular expression syntax (AREs, EREs, literal strings; embedded options, ***: and
// ***=) parsed into branches of quantified atoms, following PostgreSQL's regcomp.c (and, in lex.ts,
// regc_lex.c) token by token so that what PostgreSQL accepts, refuses and how it words a refusal are
// the same.

import { FeatureNotSupportedError } from '../../../errors.js';
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
import {
  ch,
  classNames,
  collatingNames,
  Lexer,
  lookTypes,
  type ReErrorCode,
  reAdvanced,
  reError,
  reExtended,
  reIcase,
  reNlAnchor,
  reNlStop,
  repeatCountMax,
} from './lex.js';

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

class Parser extends Lexer {
  private readonly closedGroups = new Set<number>();
  private readonly looks: Look[] = [];
  private sawBackref = false;

  run(): ParsedRe {
    this.start();
    const re = this.parse('EOS', false);
    if (this.sawBackref) throw new FeatureNotSupportedError('back-references in regular expressions');
    return { re, nsub: this.nsubexp, looks: this.looks, cflags: this.cflags };
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
