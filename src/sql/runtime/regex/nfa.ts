// Thompson NFAs and their simulation over a subject string: every run keeps a set of states (never a
// backtracking stack), so a run costs O(text length x NFA states) whatever the pattern. Zero-width
// tests (^ $ \m \M \y \Y, lookaround) are evaluated against the whole subject at each position.

import { type AssertKind, type Expr, type Look, repeatUnbounded } from './ast.js';
import { type CharSet, isWordChar, newline } from './charset.js';

/** NFA states one compiled pattern may have (PostgreSQL refuses patterns past a similar size). */
export const nfaStatesMax = 40_000;

export class TooComplexError extends Error {}

const assertKinds: AssertKind[] = [
  'bos',
  'eos',
  'bol',
  'eol',
  'wordBegin',
  'wordEnd',
  'wordBoundary',
  'notWordBoundary',
];
/** Guards on epsilon edges: 0 none, 1..8 assertKinds, lookGuardBase + look id. */
const lookGuardBase = 16;

export interface Nfa {
  size: number;
  start: number;
  accept: number;
  /** The set a state consumes (undefined: it only has epsilon edges). */
  set: (CharSet | undefined)[];
  /** Where a state goes after consuming. */
  setTo: Int32Array;
  /** Epsilon edges per state: [to, guard, to, guard, ...]. */
  eps: number[][];
  /** Reverse edges, for runs from right to left. */
  setFrom: number[][];
  epsFrom: number[][];
  /** Whether some epsilon edge needs a lookaround (then no DFA can stand for the NFA). */
  looks: boolean;
  /** Two state lists reused by every run of this NFA (runs of one NFA never nest). */
  lists?: [StateList, StateList];
}

function listsOf(nfa: Nfa): [StateList, StateList] {
  nfa.lists ??= [new StateList(nfa.size), new StateList(nfa.size)];
  return nfa.lists;
}

/** Builds the NFA of an expression; throws TooComplexError past nfaStatesMax states. */
export function buildNfa(expr: Expr): Nfa {
  const set: (CharSet | undefined)[] = [];
  const setTo: number[] = [];
  const eps: number[][] = [];
  const state = (): number => {
    if (set.length >= nfaStatesMax) throw new TooComplexError();
    set.push(undefined);
    setTo.push(-1);
    eps.push([]);
    return set.length - 1;
  };
  const edge = (from: number, to: number, guard = 0): void => {
    eps[from]!.push(to, guard);
  };
  /** Builds e between fresh states; returns [in, out]. */
  const build = (e: Expr): [number, number] => {
    switch (e.k) {
      case 'set': {
        const a = state();
        const b = state();
        set[a] = e.set;
        setTo[a] = b;
        return [a, b];
      }
      case 'seq': {
        const [first, last] = build(e.items[0]!);
        let out = last;
        for (const item of e.items.slice(1)) {
          const [i, o] = build(item);
          edge(out, i);
          out = o;
        }
        return [first, out];
      }
      case 'alt': {
        const a = state();
        const b = state();
        for (const alt of e.alts) {
          const [i, o] = build(alt);
          edge(a, i);
          edge(o, b);
        }
        return [a, b];
      }
      case 'rep': {
        const a = state();
        let out = a;
        for (let n = 0; n < e.min; n++) {
          const [i, o] = build(e.e);
          edge(out, i);
          out = o;
        }
        if (e.max === repeatUnbounded) {
          const loop = state();
          edge(out, loop);
          const [i, o] = build(e.e);
          edge(loop, i);
          edge(o, loop);
          out = loop;
        } else if (e.max > e.min) {
          const b = state();
          for (let n = e.min; n < e.max; n++) {
            const [i, o] = build(e.e);
            edge(out, i);
            edge(out, b);
            out = o;
          }
          edge(out, b);
          out = b;
        }
        return [a, out];
      }
      case 'assert':
      case 'look': {
        const a = state();
        const b = state();
        edge(a, b, e.k === 'assert' ? assertKinds.indexOf(e.a) + 1 : lookGuardBase + e.look.id);
        return [a, b];
      }
      case 'empty': {
        const a = state();
        const b = state();
        edge(a, b);
        return [a, b];
      }
    }
  };
  const [start, accept] = build(expr);
  const size = set.length;
  const setFrom: number[][] = Array.from({ length: size }, () => []);
  const epsFrom: number[][] = Array.from({ length: size }, () => []);
  let looks = false;
  for (let s = 0; s < size; s++) {
    if (set[s]) setFrom[setTo[s]!]!.push(s);
    const out = eps[s]!;
    for (let k = 0; k < out.length; k += 2) {
      epsFrom[out[k]!]!.push(s, out[k + 1]!);
      if (out[k + 1]! >= lookGuardBase) looks = true;
    }
  }
  return { size, start, accept, set, setTo: Int32Array.from(setTo), eps, setFrom, epsFrom, looks };
}

/** What a zero-width test sees on each side of a position: the string's edge, a newline, a word character, other. */
export const edgeClass = 0;
export const newlineClass = 1;
export const wordClass = 2;
export const otherClass = 3;

export function charClass(c: number): number {
  return c === newline ? newlineClass : isWordChar(c) ? wordClass : otherClass;
}

/** Whether an assertion guard (not a lookaround) holds between characters of the given classes. */
export function assertHolds(guard: number, before: number, after: number): boolean {
  const wordBefore = before === wordClass;
  const wordAfter = after === wordClass;
  switch (assertKinds[guard - 1]) {
    case 'bos':
      return before === edgeClass;
    case 'eos':
      return after === edgeClass;
    case 'bol':
      return before === edgeClass || before === newlineClass;
    case 'eol':
      return after === edgeClass || after === newlineClass;
    case 'wordBegin':
      return !wordBefore && wordAfter;
    case 'wordEnd':
      return wordBefore && !wordAfter;
    case 'wordBoundary':
      return wordBefore !== wordAfter;
    default:
      return wordBefore === wordAfter;
  }
}

/** A subject string and what runs over it share: code points, lookaround results. */
export class Subject {
  readonly n: number;
  private readonly lookTables = new Map<number, Uint8Array>();

  constructor(
    readonly cps: Int32Array,
    private readonly looks: readonly Look[],
    private readonly lookNfa: (look: Look) => Nfa,
  ) {
    this.n = cps.length;
  }

  /** Whether a zero-width guard holds at position p. */
  holds(guard: number, p: number): boolean {
    if (guard === 0) return true;
    if (guard >= lookGuardBase) return this.lookTable(guard - lookGuardBase)[p] === 1;
    const before = p > 0 ? charClass(this.cps[p - 1]!) : edgeClass;
    const after = p < this.n ? charClass(this.cps[p]!) : edgeClass;
    return assertHolds(guard, before, after);
  }

  /** For each position, whether the lookaround holds there (one linear pass per lookaround). */
  private lookTable(id: number): Uint8Array {
    let table = this.lookTables.get(id);
    if (table) return table;
    const look = this.looks[id]!;
    const nfa = this.lookNfa(look);
    table = look.ahead ? unanchoredBackward(nfa, this) : unanchoredForward(nfa, this);
    if (look.negate) for (let p = 0; p <= this.n; p++) table[p] = table[p] ? 0 : 1;
    this.lookTables.set(id, table);
    return table;
  }
}

/** A reusable state list with generation marks (no allocation per step). */
export class StateList {
  readonly states: Int32Array;
  readonly label: Int32Array;
  length = 0;
  private readonly mark: Int32Array;
  private gen = 1;
  private readonly stack: Int32Array;

  constructor(size: number) {
    this.states = new Int32Array(size);
    this.label = new Int32Array(size);
    this.mark = new Int32Array(size);
    this.stack = new Int32Array(size);
  }

  clear(): void {
    this.length = 0;
    this.gen++;
  }

  has(s: number): boolean {
    return this.mark[s] === this.gen;
  }

  /** Adds s and every state reachable from it by epsilon edges whose guards hold at p. */
  close(s: number, p: number, lbl: number, edges: number[][], subj: Subject): void {
    if (this.mark[s] === this.gen) return;
    const stack = this.stack;
    let top = 0;
    this.mark[s] = this.gen;
    stack[top++] = s;
    while (top > 0) {
      const t = stack[--top]!;
      this.states[this.length] = t;
      this.label[t] = lbl;
      this.length++;
      const out = edges[t]!;
      for (let k = 0; k < out.length; k += 2) {
        const to = out[k]!;
        if (this.mark[to] !== this.gen && subj.holds(out[k + 1]!, p)) {
          this.mark[to] = this.gen;
          stack[top++] = to;
        }
      }
    }
  }
}

/** Ends e in [begin, limit] where the NFA matches subject[begin, e), ascending; stops after the first if `first`. */
export function endsFrom(nfa: Nfa, subj: Subject, begin: number, limit: number, first = false): number[] {
  let [cur, nxt] = listsOf(nfa);
  const out: number[] = [];
  cur.clear();
  cur.close(nfa.start, begin, 0, nfa.eps, subj);
  for (let p = begin; ; p++) {
    if (cur.has(nfa.accept)) {
      out.push(p);
      if (first) return out;
    }
    if (p >= limit || cur.length === 0) return out;
    const c = subj.cps[p]!;
    nxt.clear();
    for (let k = 0; k < cur.length; k++) {
      const s = cur.states[k]!;
      if (nfa.set[s]?.has(c)) nxt.close(nfa.setTo[s]!, p + 1, 0, nfa.eps, subj);
    }
    [cur, nxt] = [nxt, cur];
  }
}

/** Starts b in [low, end] where the NFA matches subject[b, end), as a table indexed by b - low. */
export function startsTo(nfa: Nfa, subj: Subject, end: number, low: number): Uint8Array {
  const table = new Uint8Array(end - low + 1);
  let [cur, nxt] = listsOf(nfa);
  cur.clear();
  cur.close(nfa.accept, end, 0, nfa.epsFrom, subj);
  for (let p = end; ; p--) {
    if (cur.has(nfa.start)) table[p - low] = 1;
    if (p <= low || cur.length === 0) return table;
    const c = subj.cps[p - 1]!;
    nxt.clear();
    for (let k = 0; k < cur.length; k++) {
      for (const s of nfa.setFrom[cur.states[k]!]!) {
        if (nfa.set[s]!.has(c)) nxt.close(s, p - 1, 0, nfa.epsFrom, subj);
      }
    }
    [cur, nxt] = [nxt, cur];
  }
}

/** The leftmost start b >= from of any match, or -1; with `any`, the first match found answers 0. */
export function leftmostStart(nfa: Nfa, subj: Subject, from: number, any = false): number {
  let [cur, nxt] = listsOf(nfa);
  let best = -1;
  cur.clear();
  cur.close(nfa.start, from, from, nfa.eps, subj);
  for (let p = from; ; p++) {
    if (cur.has(nfa.accept)) {
      if (any) return 0;
      const lbl = cur.label[nfa.accept]!;
      if (best < 0 || lbl < best) best = lbl;
    }
    if (best >= 0) {
      // Threads that started at or after the best start cannot improve it.
      let keep = 0;
      while (keep < cur.length && cur.label[cur.states[keep]!]! < best) keep++;
      if (keep === 0) return best;
      cur.length = keep;
    }
    if (p >= subj.n) return best;
    const c = subj.cps[p]!;
    nxt.clear();
    for (let k = 0; k < cur.length; k++) {
      const s = cur.states[k]!;
      if (nfa.set[s]?.has(c)) nxt.close(nfa.setTo[s]!, p + 1, cur.label[s]!, nfa.eps, subj);
    }
    if (best < 0) nxt.close(nfa.start, p + 1, p + 1, nfa.eps, subj);
    [cur, nxt] = [nxt, cur];
  }
}

/** Positions p where some match of the NFA ends at p (lookbehind). */
function unanchoredForward(nfa: Nfa, subj: Subject): Uint8Array {
  const table = new Uint8Array(subj.n + 1);
  let [cur, nxt] = listsOf(nfa);
  cur.clear();
  for (let p = 0; ; p++) {
    cur.close(nfa.start, p, 0, nfa.eps, subj);
    if (cur.has(nfa.accept)) table[p] = 1;
    if (p >= subj.n) return table;
    const c = subj.cps[p]!;
    nxt.clear();
    for (let k = 0; k < cur.length; k++) {
      const s = cur.states[k]!;
      if (nfa.set[s]?.has(c)) nxt.close(nfa.setTo[s]!, p + 1, 0, nfa.eps, subj);
    }
    [cur, nxt] = [nxt, cur];
  }
}

/** Positions p where some match of the NFA starts at p (lookahead). */
function unanchoredBackward(nfa: Nfa, subj: Subject): Uint8Array {
  const table = new Uint8Array(subj.n + 1);
  let [cur, nxt] = listsOf(nfa);
  cur.clear();
  for (let p = subj.n; ; p--) {
    cur.close(nfa.accept, p, 0, nfa.epsFrom, subj);
    if (cur.has(nfa.start)) table[p] = 1;
    if (p <= 0) return table;
    const c = subj.cps[p - 1]!;
    nxt.clear();
    for (let k = 0; k < cur.length; k++) {
      for (const s of nfa.setFrom[cur.states[k]!]!) {
        if (nfa.set[s]!.has(c)) nxt.close(s, p - 1, 0, nfa.epsFrom, subj);
      }
    }
    [cur, nxt] = [nxt, cur];
  }
}
