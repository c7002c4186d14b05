// Matching with PostgreSQL's semantics: the match starts as early as possible and is the longest (or,
// when the whole RE prefers shortest, the shortest) from there; then the span is divided among the
// subexpression tree's nodes as PostgreSQL's regexec.c does (concatenations by the left part's
// preference, alternatives in order, iterations left to right). Each step is an NFA run, and an
// iteration's search for its pieces is memoized, so no pattern makes the work exponential.

import { repeatUnbounded, shorter } from './ast.js';
import { SearchDfa } from './dfa.js';
import { reError } from './lex.js';
import { buildNfa, endsFrom, leftmostStart, type Nfa, Subject, startsTo, TooComplexError } from './nfa.js';
import { type ParsedRe, parsePattern } from './parse.js';
import { buildTree, type Subre } from './tree.js';

export {
  reAdvanced,
  reExpanded,
  reExtended,
  reIcase,
  reNewline,
  reNlAnchor,
  reNlStop,
  reQuote,
} from './lex.js';

/** A match: [start, end] of the whole match then of each capture group (-1, -1 when unset). */
export type Match = Int32Array;

export class Regex {
  readonly nsub: number;
  private readonly root: Subre;
  private readonly nfas = new Map<object, Nfa>();
  private readonly nfa: Nfa;
  private readonly dfa: SearchDfa | undefined;

  constructor(private readonly parsed: ParsedRe) {
    this.nsub = parsed.nsub;
    this.root = buildTree(parsed.re);
    this.nfa = this.nfaOf(this.root);
    for (const look of parsed.looks) this.nfaOf(look);
    this.dfa = this.nfa.looks ? undefined : new SearchDfa(this.nfa);
  }

  /** The code points of a string, as the engine indexes it. */
  subject(text: string): Subject {
    const cps = new Int32Array(text.length);
    let n = 0;
    for (const c of text) cps[n++] = c.codePointAt(0)!;
    return new Subject(cps.subarray(0, n), this.parsed.looks, (look) => this.nfaOf(look));
  }

  /** Whether the pattern matches anywhere in the subject. */
  test(subj: Subject): boolean {
    if (this.dfa) return this.dfa.test(subj.cps);
    return leftmostStart(this.nfa, subj, 0, true) >= 0;
  }

  /** The first match starting at or after `from`; with `captures`, the groups' spans too. */
  exec(subj: Subject, from: number, captures: boolean): Match | null {
    if (from === 0 && this.dfa && !this.dfa.test(subj.cps)) return null;
    const begin = leftmostStart(this.nfa, subj, from);
    if (begin < 0) return null;
    const ends = endsFrom(this.nfa, subj, begin, subj.n, (this.root.flags & shorter) !== 0);
    const m = new Int32Array(2 * (this.nsub + 1)).fill(-1);
    m[0] = begin;
    m[1] = ends[ends.length - 1]!;
    if (captures && this.nsub > 0) tooDeep(() => new Dissection(this, subj, m).run(this.root, m[0]!, m[1]!));
    return m;
  }

  nfaOf(key: Subre | { expr: Subre['expr'] }): Nfa {
    let nfa = this.nfas.get(key);
    if (!nfa) {
      try {
        nfa = buildNfa(key.expr);
      } catch (e) {
        if (e instanceof TooComplexError) throw reError('etoobig');
        throw e;
      }
      this.nfas.set(key, nfa);
    }
    return nfa;
  }
}

/** Compiles a pattern under PostgreSQL compile flags (2201B for invalid patterns, 0A000 for refused features). */
export function compileRegex(pattern: string, cflags: number): Regex {
  return tooDeep(() => new Regex(parsePattern(pattern, cflags)));
}

/** Runs fn, turning a stack overflow (parentheses nested thousands deep) into PostgreSQL's error. */
function tooDeep<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof RangeError) throw reError('etoobig');
    throw e;
  }
}

/** Divides a match among capture groups (regexec.c cdissect and its helpers). */
class Dissection {
  constructor(
    private readonly re: Regex,
    private readonly subj: Subject,
    private readonly m: Match,
  ) {}

  run(t: Subre, begin: number, end: number): void {
    switch (t.op) {
      case '=':
        break;
      case '(':
        this.run(t.children[0]!, begin, end);
        break;
      case '.':
        this.concatenation(t, begin, end);
        break;
      case '|':
        for (const alt of t.children) {
          const ends = endsFrom(this.re.nfaOf(alt), this.subj, begin, end);
          if (ends[ends.length - 1] === end) {
            this.run(alt, begin, end);
            break;
          }
        }
        break;
      case '*':
        this.iteration(t, begin, end);
        break;
    }
    if (t.capno > 0) {
      this.m[2 * t.capno] = begin;
      this.m[2 * t.capno + 1] = end;
    }
  }

  private concatenation(t: Subre, begin: number, end: number): void {
    const [left, right] = t.children as [Subre, Subre];
    const leftEnds = endsFrom(this.re.nfaOf(left), this.subj, begin, end);
    const rightStarts = startsTo(this.re.nfaOf(right), this.subj, end, begin);
    const mids = leftEnds.filter((p) => rightStarts[p - begin] === 1);
    if (mids.length === 0) throw new Error('regex dissection found no midpoint');
    const mid = left.flags & shorter ? mids[0]! : mids[mids.length - 1]!;
    this.run(left, begin, mid);
    this.run(right, mid, end);
  }

  /** Splits [begin, end) into iterations of the child, each as long (or short) as the rest allows. */
  private iteration(t: Subre, begin: number, end: number): void {
    const child = t.children[0]!;
    const nfa = this.re.nfaOf(child);
    const greedy = (child.flags & shorter) === 0;
    const maxMatches = Math.max(1, t.max === repeatUnbounded ? end - begin : Math.min(end - begin, t.max));
    if (begin === end) {
      // PostgreSQL prefers one empty iteration (so captures are set) when the child allows it.
      if (greedy && endsFrom(nfa, this.subj, begin, end).includes(end)) this.clearAndRun(child, begin, end);
      return;
    }
    // Depth-first over iteration boundaries, longest (or shortest) piece first, as PostgreSQL's
    // citerdissect tries them; a (count, position) that failed once fails again, so it is skipped.
    const endsAt = new Map<number, number[]>();
    const failed = new Set<number>();
    const key = (k: number, pos: number): number => (t.max === repeatUnbounded ? pos : pos * 256 + k);
    const frames: { k: number; pos: number; candidates: number[]; next: number }[] = [];
    const open = (k: number, pos: number): void => {
      let ends = endsAt.get(pos);
      if (!ends) {
        ends = endsFrom(nfa, this.subj, pos, end);
        endsAt.set(pos, ends);
      }
      const candidates = ends.filter((e) => e > pos && (k < maxMatches || e === end));
      if (greedy) candidates.reverse();
      frames.push({ k, pos, candidates, next: 0 });
    };
    open(1, begin);
    let last = -1;
    while (frames.length > 0 && last < 0) {
      const f = frames[frames.length - 1]!;
      if (f.next >= f.candidates.length) {
        failed.add(key(f.k, f.pos));
        frames.pop();
        continue;
      }
      const e = f.candidates[f.next++]!;
      if (e === end) last = f.pos;
      else if (!failed.has(key(f.k + 1, e))) open(f.k + 1, e);
    }
    if (last < 0) throw new Error('regex dissection found no iteration split');
    this.clearAndRun(child, last, end);
  }

  private clearAndRun(t: Subre, begin: number, end: number): void {
    const clear = (s: Subre): void => {
      if (s.capno > 0) this.m.fill(-1, 2 * s.capno, 2 * s.capno + 2);
      for (const c of s.children) clear(c);
    };
    clear(t);
    this.run(t, begin, end);
  }
}
