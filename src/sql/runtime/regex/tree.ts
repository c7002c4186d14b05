// The subexpression tree PostgreSQL builds while parsing (regcomp.c parseqatom's bookkeeping): runs
// of plain atoms stay one leaf, and only captures or clashing preferences split the tree. The tree's
// shape and each node's preference decide how a match is divided among capture groups, so it is
// built here exactly as PostgreSQL builds it.

import {
  type Atom,
  capturing,
  type Expr,
  emptyExpr,
  type Item,
  longer,
  mixed,
  type Re,
  rep,
  repeatUnbounded,
  seq,
  shorter,
} from './ast.js';

export interface Subre {
  /** '=' leaf, '.' concatenation (two children), '|' alternation, '*' iteration, '(' capture wrapper. */
  op: '=' | '.' | '|' | '*' | '(';
  flags: number;
  /** Capture group number set by this node (0: none). */
  capno: number;
  children: Subre[];
  min: number;
  max: number;
  /** The node's language. */
  expr: Expr;
}

const upProp = mixed | capturing;
const up = (f: number): number => (f & upProp) | ((f << 2) & (f << 1) & mixed);
const messy = (f: number): number => f & (mixed | capturing);
const pref = (f: number): number => f & (longer | shorter);
const pref2 = (a: number, b: number): number => (pref(a) !== 0 ? pref(a) : pref(b));
const combine = (a: number, b: number): number => up(a | b) | pref2(a, b);

function node(op: Subre['op'], flags: number, expr: Expr, children: Subre[] = []): Subre {
  return { op, flags, capno: 0, children, min: 1, max: 1, expr };
}

/** The tree of a whole RE (PostgreSQL's parse()). */
export function buildTree(re: Re): Subre {
  const branches = re.branches.map((items) => branch(items, 0));
  if (branches.length === 1) return branches[0]!;
  let flags = longer;
  for (const b of branches) flags |= up(flags | b.flags);
  const expr: Expr = { k: 'alt', alts: branches.map((b) => b.expr) };
  return messy(flags) ? node('|', flags, expr, branches) : node('=', flags, expr);
}

function atomTree(atom: Atom & { t: 'group' }): Subre {
  const t = buildTree(atom.re);
  if (atom.capno === 0) return t;
  if (t.capno === 0) {
    t.flags |= capturing;
    t.capno = atom.capno;
    return t;
  }
  const wrapper = node('(', t.flags | capturing, t.expr, [t]);
  wrapper.capno = atom.capno;
  return wrapper;
}

/** One branch from item `from` on (PostgreSQL's parsebranch with parseqatom's recursion). */
function branch(items: Item[], from: number): Subre {
  let topFlags = 0;
  const prefix: Expr[] = [];
  for (let i = from; i < items.length; i++) {
    const it = items[i]!;
    if (it.t === 'constraint') {
      prefix.push(it.expr);
      continue;
    }
    const { atom, min, max, prefer } = it;
    if (min === 0 && max === 0) {
      prefix.push(emptyExpr);
      continue;
    }
    const sub = atom.t === 'group' ? atomTree(atom) : undefined;
    const atomExpr: Expr = sub ? sub.expr : atom.t === 'set' ? { k: 'set', set: atom.set } : emptyExpr;
    const f = topFlags | prefer | (sub ? sub.flags : 0);
    const capturingGroup = atom.t === 'group' && atom.capno > 0;
    if (!capturingGroup && !messy(up(f))) {
      prefix.push(rep(atomExpr, min, max));
      topFlags = f;
      continue;
    }
    // The messy case: split the branch into prefix, quantified atom and the rest.
    const vacuous = prefix.length === 0;
    const head = node('=', topFlags, seq(prefix));
    const quantified = quantify(sub ?? node('=', 0, atomExpr), min, max, prefer);
    if (i < items.length - 1) {
      const rest = branch(items, i + 1);
      let tFlags = combine(prefer, (sub ?? { flags: 0 }).flags);
      tFlags |= combine(tFlags, rest.flags);
      const flags = topFlags | combine(topFlags, tFlags);
      if (vacuous) return node('.', flags, seq([quantified.expr, rest.expr]), [quantified, rest]);
      let t = node('.', tFlags, seq([quantified.expr, rest.expr]), [quantified, rest]);
      if (quantified.op === '=' && rest.op === '=' && !messy(up(quantified.flags | rest.flags))) {
        t = node('=', combine(quantified.flags, rest.flags), t.expr);
      }
      return node('.', flags, seq([head.expr, t.expr]), [head, t]);
    }
    if (vacuous) return quantified;
    const flags = topFlags | combine(topFlags, quantified.flags);
    return node('.', flags, seq([head.expr, quantified.expr]), [head, quantified]);
  }
  return node('=', topFlags, seq(prefix));
}

/** The atom under its quantifier (the four cases at the end of parseqatom). */
function quantify(atom: Subre, min: number, max: number, prefer: number): Subre {
  const atomPref = atom.flags & (longer | shorter | mixed);
  if (min === 1 && max === 1 && (prefer === 0 || atomPref === 0 || prefer === atomPref)) return atom;
  const f = combine(prefer, atom.flags);
  const expr = rep(atom.expr, min, max);
  if (!(atom.flags & capturing)) return node('=', f, expr);
  if (min > 0) {
    const before = node('=', pref(f), rep(atom.expr, min - 1, max === repeatUnbounded ? max : max - 1));
    return node('.', f, expr, [before, atom]);
  }
  const iter = node('*', f, expr, [atom]);
  iter.min = min;
  iter.max = max;
  return iter;
}
