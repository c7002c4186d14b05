// Linearizability of a map of registers (read / write / cas), checked per key (P-compositionality)
// with the Wing & Gong search as Lowe and Porcupine refine it: memoized (linearized set, state),
// indeterminate operations allowed, bounded by linStatesMax (then "unknown", never a hang).

/** One operation on one register, as the checker sees it. */
export interface LinOp {
  /** Shown in reports: the history index of the invocation. */
  id: number;
  process: number;
  key: number;
  f: 'read' | 'write' | 'cas';
  /** write: the value; cas: [expected, new]; read: null. */
  arg: number | [number, number] | null;
  /**
   * The outcome when the operation completed ok: read → the value (null: no row), cas → whether it
   * swapped. Absent when indeterminate (ret null).
   */
  out?: number | null | boolean;
  /** Position of the invocation in the history (any total order of invocations and completions). */
  call: number;
  /** Position of the completion; null when indeterminate: it may or may not have taken effect. */
  ret: number | null;
}

/** Search steps (linearization attempts) one key may take before the verdict is "unknown". */
export const linStatesMax = 2_000_000;

export type LinVerdict =
  | { verdict: 'ok'; explored: number }
  | { verdict: 'unknown'; explored: number }
  | {
      verdict: 'violation';
      explored: number;
      /** The operation whose completion came before any linearization could include it. */
      op: LinOp;
      /** Register values it could have seen at the deepest point the search reached. */
      states: (number | null)[];
      /** The longest linearized prefix found (its last operations, most recent last). */
      prefix: LinOp[];
    };

type State = number | null;

/** The register model: the state after op, or undefined when op cannot happen in state s. */
function step(s: State, op: LinOp): State | undefined {
  const known = op.ret !== null;
  switch (op.f) {
    case 'read':
      return !known || op.out === s ? s : undefined;
    case 'write':
      return op.arg as number;
    case 'cas': {
      const [from, to] = op.arg as [number, number];
      if (!known) return s === from ? to : s;
      if (op.out === true) return s === from ? to : undefined;
      return s === from ? undefined : s;
    }
  }
}

interface Entry {
  op: number; // index into ops
  isCall: boolean;
  match: Entry | null; // a call's return entry (null for an indeterminate op)
  prev: Entry | null;
  next: Entry | null;
}

/**
 * Indeterminate operations that cannot matter: reads (no effect, no known output), and writes / cas
 * whose new value nobody observed (no read returned it, no cas expected it) — such an operation can
 * always be linearized last, after every other. Dropping those is exact when no cas on the key
 * failed (a failed cas is the only operation that can depend on an unobserved value being there).
 */
function pruned(ops: LinOp[]): LinOp[] {
  const observed = new Set<number | null>();
  let failedCas = false;
  for (const op of ops) {
    if (op.f === 'read' && op.ret !== null) observed.add(op.out as number | null);
    if (op.f === 'cas') {
      observed.add((op.arg as [number, number])[0]);
      if (op.ret !== null && op.out === false) failedCas = true;
    }
  }
  return ops.filter((op) => {
    if (op.ret !== null) return true;
    if (op.f === 'read') return false;
    if (failedCas) return true;
    const to = op.f === 'write' ? (op.arg as number) : (op.arg as [number, number])[1];
    return observed.has(to);
  });
}

/** Zobrist-style 2×32-bit hash of a set of operations, updated in O(1) per change. */
function opHashes(n: number): Uint32Array {
  const h = new Uint32Array(2 * n);
  let x = 0x9e3779b9;
  for (let i = 0; i < h.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    h[i] = x >>> 0;
  }
  return h;
}

/** Checks one key's operations (all of the same key) from the initial state. */
export function linearizableKey(
  allOps: LinOp[],
  initial: number | null,
  statesMax = linStatesMax,
): LinVerdict {
  const ops = pruned(allOps);
  const n = ops.length;
  if (n === 0) return { verdict: 'ok', explored: 0 };
  // Entries in history order; a call sorts before a return at the same position (concurrent).
  const events: { pos: number; isCall: boolean; op: number }[] = [];
  ops.forEach((op, i) => {
    events.push({ pos: op.call, isCall: true, op: i });
    if (op.ret !== null) events.push({ pos: op.ret, isCall: false, op: i });
  });
  events.sort((a, b) => a.pos - b.pos || (a.isCall === b.isCall ? 0 : a.isCall ? -1 : 1));
  const head: Entry = { op: -1, isCall: false, match: null, prev: null, next: null };
  let tail = head;
  const callOf = new Array<Entry>(n);
  for (const e of events) {
    const entry: Entry = { op: e.op, isCall: e.isCall, match: null, prev: tail, next: null };
    tail.next = entry;
    tail = entry;
    if (e.isCall) callOf[e.op] = entry;
    else callOf[e.op]!.match = entry;
  }
  const lift = (c: Entry): void => {
    c.prev!.next = c.next;
    if (c.next) c.next.prev = c.prev;
    const r = c.match;
    if (r) {
      r.prev!.next = r.next;
      if (r.next) r.next.prev = r.prev;
    }
  };
  const unlift = (c: Entry): void => {
    const r = c.match;
    if (r) {
      r.prev!.next = r;
      if (r.next) r.next.prev = r;
    }
    c.prev!.next = c;
    if (c.next) c.next.prev = c;
  };

  const words = (n + 31) >>> 5;
  const linearized = new Uint32Array(words);
  const zob = opHashes(n);
  let h1 = 0;
  let h2 = 0;
  // (hash, state) → the linearized sets seen with it (compared exactly: no false pruning).
  const cache = new Map<string, Uint32Array[]>();
  const remember = (state: State): boolean => {
    const key = `${h1}:${h2}:${state}`;
    const seen = cache.get(key);
    if (seen) {
      for (const s of seen) if (s.every((w, i) => w === linearized[i])) return false;
      seen.push(linearized.slice());
    } else cache.set(key, [linearized.slice()]);
    return true;
  };
  const toggle = (i: number): void => {
    linearized[i >>> 5]! ^= 1 << (i & 31);
    h1 ^= zob[2 * i]!;
    h2 ^= zob[2 * i + 1]!;
  };

  const stack: { call: Entry; before: State }[] = [];
  let state: State = initial;
  let explored = 0;
  let deepest = -1;
  let blocked: { op: number; states: Set<State>; prefix: number[] } | null = null;
  let entry: Entry | null = head.next;
  while (head.next !== null) {
    if (entry?.isCall) {
      if (++explored > statesMax) return { verdict: 'unknown', explored };
      const op = ops[entry.op]!;
      const next = step(state, op);
      if (next !== undefined) {
        toggle(entry.op);
        if (remember(next)) {
          stack.push({ call: entry, before: state });
          state = next;
          lift(entry);
          entry = head.next;
          continue;
        }
        toggle(entry.op);
      }
      entry = entry.next;
      continue;
    }
    // A return (its operation must have been linearized by now and was not), or the end of the
    // list with only indeterminate calls left that lead nowhere new: backtrack.
    if (entry !== null) {
      if (stack.length > deepest) {
        deepest = stack.length;
        blocked = { op: entry.op, states: new Set([state]), prefix: stack.map((s) => s.call.op) };
      } else if (stack.length === deepest && blocked?.op === entry.op) blocked.states.add(state);
    }
    if (stack.length === 0) break;
    const top = stack.pop()!;
    unlift(top.call);
    toggle(top.call.op);
    state = top.before;
    entry = top.call.next;
  }
  if (head.next === null) return { verdict: 'ok', explored };
  // Not reachable in the register model (an indeterminate call is always admissible), kept so
  // that a search without a blocking return cannot report a violation without an operation.
  if (blocked === null) return { verdict: 'unknown', explored };
  const b = blocked;
  return {
    verdict: 'violation',
    explored,
    op: ops[b.op]!,
    states: [...b.states],
    prefix: b.prefix.slice(-8).map((i) => ops[i]!),
  };
}

/** One line describing an operation, for reports. */
export function describeLinOp(op: LinOp): string {
  const what =
    op.f === 'read'
      ? `read → ${op.ret === null ? '?' : String(op.out)}`
      : op.f === 'write'
        ? `write ${op.arg as number}`
        : `cas ${(op.arg as number[]).join('→')}${op.ret === null ? ' ?' : op.out ? ' ok' : ' failed'}`;
  return `#${op.id} p${op.process} key ${op.key} ${what} [${op.call}, ${op.ret ?? '∞'}]`;
}

export interface LinReport {
  keys: number;
  ops: number;
  explored: number;
  violations: string[];
  unknownKeys: number[];
}

/** Checks every key separately (a map of registers is linearizable iff each register is). */
export function checkLinearizableMap(
  ops: LinOp[],
  initial: (key: number) => number | null,
  statesMax = linStatesMax,
): LinReport {
  const byKey = new Map<number, LinOp[]>();
  for (const op of ops) {
    const list = byKey.get(op.key);
    if (list) list.push(op);
    else byKey.set(op.key, [op]);
  }
  const report: LinReport = {
    keys: byKey.size,
    ops: ops.length,
    explored: 0,
    violations: [],
    unknownKeys: [],
  };
  for (const [key, list] of [...byKey].sort((a, b) => a[0] - b[0])) {
    const v = linearizableKey(list, initial(key), statesMax);
    report.explored += v.explored;
    if (v.verdict === 'unknown') report.unknownKeys.push(key);
    if (v.verdict === 'violation')
      report.violations.push(
        `key ${key}: ${describeLinOp(v.op)} cannot be linearized: the register held ${v.states.join(' or ')} ` +
          `after the longest linearizable prefix (last: ${v.prefix.map(describeLinOp).join('; ') || 'none'})`,
      );
  }
  return report;
}
