// A lazily built DFA for "does the pattern match anywhere" (the ~ operators, regexp_like, SIMILAR
// TO): each DFA state is a set of NFA states plus the class of the character before it (string edge,
// newline, word, other: all ^ $ \m \M \y \Y need), made the first time a text leads to it and kept
// for later calls, so a repeated test costs one table step per character. Not for patterns with
// lookaround; the cache is bounded and starts over when full.

import { assertHolds, charClass, edgeClass, type Nfa } from './nfa.js';

/** DFA states kept per pattern before the cache starts over. */
export const dfaStatesMax = 2_000;

interface DState {
  /** NFA states entered by the last character (before epsilon moves). */
  kernel: number[];
  /** Class of the character before this position. */
  before: number;
  /** Per next character: the next state, or `true` when a match ends here. */
  ascii: (DState | true | undefined)[];
  other: Map<number, DState | true>;
  /** Whether a match ends here when the text ends here (undefined: not computed yet). */
  atEnd: boolean | undefined;
}

export class SearchDfa {
  private states = new Map<string, DState>();
  private start: DState;
  private readonly seen: Uint8Array;

  constructor(private readonly nfa: Nfa) {
    this.seen = new Uint8Array(nfa.size);
    this.start = this.state([], edgeClass);
  }

  /** Whether the NFA matches some substring of the code points. */
  test(cps: Int32Array): boolean {
    let d = this.start;
    for (let i = 0; i < cps.length; i++) {
      const c = cps[i]!;
      const next = (c < 128 ? d.ascii[c] : d.other.get(c)) ?? this.step(d, c);
      if (next === true) return true;
      d = next;
    }
    d.atEnd ??= this.closure(d, edgeClass).accept;
    return d.atEnd;
  }

  private step(d: DState, c: number): DState | true {
    const nfa = this.nfa;
    const cls = charClass(c);
    const { states, accept } = this.closure(d, cls);
    let next: DState | true = true;
    if (!accept) {
      const kernel: number[] = [];
      for (const s of states) if (nfa.set[s]?.has(c)) kernel.push(nfa.setTo[s]!);
      if (this.states.size >= dfaStatesMax) {
        this.states = new Map();
        this.start = this.state([], edgeClass);
      }
      next = this.state(kernel, cls);
    }
    if (c < 128) d.ascii[c] = next;
    else d.other.set(c, next);
    return next;
  }

  /** The states reachable from the kernel and a new start, with zero-width tests seeing `after` next. */
  private closure(d: DState, after: number): { states: number[]; accept: boolean } {
    const nfa = this.nfa;
    const seen = this.seen;
    seen.fill(0);
    const states: number[] = [];
    const stack = [...d.kernel, nfa.start];
    for (const s of stack) seen[s] = 1;
    while (stack.length > 0) {
      const s = stack.pop()!;
      states.push(s);
      const eps = nfa.eps[s]!;
      for (let k = 0; k < eps.length; k += 2) {
        const to = eps[k]!;
        const guard = eps[k + 1]!;
        if (!seen[to] && (guard === 0 || assertHolds(guard, d.before, after))) {
          seen[to] = 1;
          stack.push(to);
        }
      }
    }
    return { states, accept: seen[nfa.accept] === 1 };
  }

  private state(kernel: number[], before: number): DState {
    const sorted = [...new Set(kernel)].sort((a, b) => a - b);
    const key = `${before}:${sorted.join(',')}`;
    let d = this.states.get(key);
    if (!d) {
      d = { kernel: sorted, before, ascii: new Array(128), other: new Map(), atEnd: undefined };
      this.states.set(key, d);
    }
    return d;
  }
}
