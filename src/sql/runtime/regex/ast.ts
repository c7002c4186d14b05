// The regex engine's shapes: what the parser produces (PostgreSQL's grammar: branches of quantified
// atoms and constraints) and the plain expressions (languages, no preferences) the NFAs are built from.

import type { CharSet } from './charset.js';

/** Unbounded repetition count ({m,}, *, +). */
export const repeatUnbounded = -1;

/** Quantifier preferences and subexpression flags, as PostgreSQL's regcomp.c names them. */
export const longer = 1;
export const shorter = 2;
export const mixed = 4;
export const capturing = 8;

/** Zero-width tests at a position; `bol`/`eol` also hold next to a newline (newline-sensitive mode). */
export type AssertKind =
  | 'bos'
  | 'eos'
  | 'bol'
  | 'eol'
  | 'wordBegin'
  | 'wordEnd'
  | 'wordBoundary'
  | 'notWordBoundary';

/** A lookahead or lookbehind constraint: `re` matches starting (ahead) or ending (behind) here. */
export interface Look {
  id: number;
  ahead: boolean;
  negate: boolean;
  expr: Expr;
}

export type Expr =
  | { k: 'set'; set: CharSet }
  | { k: 'seq'; items: Expr[] }
  | { k: 'alt'; alts: Expr[] }
  | { k: 'rep'; e: Expr; min: number; max: number }
  | { k: 'assert'; a: AssertKind }
  | { k: 'look'; look: Look }
  | { k: 'empty' };

export type Atom = { t: 'set'; set: CharSet } | { t: 'group'; capno: number; re: Re } | { t: 'backref' };

export type Item =
  | { t: 'constraint'; expr: Expr }
  /** A quantified atom: min..max repetitions (max may be repeatUnbounded), prefer 0, longer or shorter. */
  | { t: 'atom'; atom: Atom; min: number; max: number; prefer: number };

/** An RE: branches separated by `|`, each a sequence of items. */
export interface Re {
  branches: Item[][];
}

export const emptyExpr: Expr = { k: 'empty' };

export function seq(items: Expr[]): Expr {
  const flat = items.flatMap((e) => (e.k === 'seq' ? e.items : e.k === 'empty' ? [] : [e]));
  if (flat.length === 0) return emptyExpr;
  return flat.length === 1 ? flat[0]! : { k: 'seq', items: flat };
}

export function rep(e: Expr, min: number, max: number): Expr {
  if (min === 1 && max === 1) return e;
  if (max === 0) return emptyExpr;
  return { k: 'rep', e, min, max };
}
