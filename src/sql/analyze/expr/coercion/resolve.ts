// PostgreSQL's choice among overloaded operators and functions (parse_oper.c / parse_func.c:
// exact match, then func_select_candidate's rounds: implicit coercibility, most exact matches,
// preferred types, categories for unknown inputs, and the "same as the known input" last gasp).

import { type PgType, T } from '../../../types/pg-types.js';
import { canCoerce } from './coerce.js';

/** Pseudo-types a signature may use. */
export const anyNonArray: PgType = Object.freeze({
  oid: 2776,
  name: 'anynonarray',
  category: 'P',
  preferred: false,
  len: 4,
  arrayOid: 0,
});
export const anyElement: PgType = Object.freeze({
  oid: 2283,
  name: 'anyelement',
  category: 'P',
  preferred: false,
  len: 4,
  arrayOid: 0,
});

export const anyArray: PgType = Object.freeze({
  oid: 2277,
  name: 'anyarray',
  category: 'P',
  preferred: false,
  len: -1,
  arrayOid: 0,
});

export interface Signature {
  argTypes: readonly PgType[];
}

export function isPolymorphic(t: PgType): boolean {
  return t === anyNonArray || t === anyElement || t === anyArray;
}

function accepts(declared: PgType, input: PgType): boolean {
  if (input === T.unknown)
    return !isPolymorphic(declared) || declared === anyElement || declared === anyArray;
  if (declared === anyArray) return input.elem !== undefined;
  if (declared === anyNonArray) return input.elem === undefined;
  if (isPolymorphic(declared)) return input !== T.unknown;
  return canCoerce(input, declared, 'implicit');
}

/** The candidates PostgreSQL would pick for these input types; [] when none, >1 when ambiguous. */
export function selectCandidate<S extends Signature>(
  candidates: readonly S[],
  inputs: readonly PgType[],
): S[] {
  const n = inputs.length;
  const sized = candidates.filter((c) => c.argTypes.length === n);
  // Exact match (unknowns match anything only through the rules below).
  const exact = sized.filter((c) => c.argTypes.every((a, i) => a === inputs[i]));
  if (exact.length === 1) return exact;
  // binary_oper_exact: one unknown input, the other known: try the known type on both sides.
  const known = inputs.filter((t) => t !== T.unknown);
  if (known.length > 0 && known.length < n && known.every((k) => k === known[0])) {
    const same = sized.filter((c) => c.argTypes.every((a) => a === known[0]));
    if (same.length === 1) return same;
  }
  let cands = sized.filter((c) => c.argTypes.every((a, i) => accepts(a, inputs[i]!)));
  if (cands.length <= 1) return cands;

  // Most exact matches (a polymorphic argument is not one: func_select_candidate compares types).
  cands = keepMax(
    cands,
    (c) => c.argTypes.filter((a, i) => inputs[i] !== T.unknown && a === inputs[i]).length,
  );
  if (cands.length === 1) return cands;
  // Between equally exact candidates, a specific signature beats a polymorphic one.
  cands = keepMax(cands, (c) => -c.argTypes.filter(isPolymorphic).length);
  if (cands.length === 1) return cands;

  // Exact or preferred types where coercion is needed.
  cands = keepMax(
    cands,
    (c) =>
      c.argTypes.filter(
        (a, i) => inputs[i] !== T.unknown && (a === inputs[i] || (a.preferred && !isPolymorphic(a))),
      ).length,
  );
  if (cands.length === 1) return cands;

  // Unknown inputs: choose a category per position (string wins), then its preferred type.
  if (inputs.some((t) => t === T.unknown)) {
    let resolvedAny = false;
    for (let i = 0; i < n; i++) {
      if (inputs[i] !== T.unknown) continue;
      const types = cands.map((c) => c.argTypes[i]!);
      let category: string | null = null;
      let conflict = false;
      for (const t of types) {
        if (t.category === 'S') {
          category = 'S';
          break;
        }
        if (category === null) category = t.category;
        else if (category !== t.category) conflict = true;
      }
      if (category !== 'S' && conflict) continue;
      resolvedAny = true;
      const preferred = types.some((t) => t.category === category && t.preferred);
      const next = cands.filter(
        (c) => c.argTypes[i]!.category === category && (!preferred || c.argTypes[i]!.preferred),
      );
      if (next.length > 0) cands = next;
    }
    if (resolvedAny && cands.length === 1) return cands;
    // Last gasp: unknowns take the type of the (single) known input type.
    if (known.length > 0 && known.every((k) => k === known[0])) {
      const k = known[0]!;
      const last = cands.filter((c) =>
        c.argTypes.every((a, i) => (inputs[i] === T.unknown ? accepts(a, k) : true)),
      );
      const exactish = last.filter((c) => c.argTypes.every((a, i) => inputs[i] !== T.unknown || a === k));
      if (exactish.length === 1) return exactish;
      if (last.length === 1) return last;
    }
  }
  return cands;
}

function keepMax<S>(items: readonly S[], score: (s: S) => number): S[] {
  let best = -1;
  let out: S[] = [];
  for (const s of items) {
    const v = score(s);
    if (v > best) {
      best = v;
      out = [s];
    } else if (v === best) out.push(s);
  }
  return out;
}
