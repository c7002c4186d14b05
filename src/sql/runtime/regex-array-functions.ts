// The regular-expression functions that return arrays or rows: regexp_match, regexp_matches
// (table-valued), regexp_split_to_array and regexp_split_to_table (table-valued), on ChorusDB's
// regex engine with PostgreSQL's rules (regexp.c: setup_regexp_matches, degenerate splits).

import type Database from 'better-sqlite3';
import { ChorusError } from '../../errors.js';
import { encodeArray } from '../types/array/array-storage.js';
import { T } from '../types/pg-types.js';
import type { Match, Regex } from './regex/engine.js';
import { allMatches, CodePoints, parseReFlags, RegexCache } from './regex.js';

const pure = { deterministic: true, safeIntegers: true } as const;

/** A match as PostgreSQL's text[]: the capture groups, or the whole match when there are none. */
function matchArray(re: Regex, m: Match, cps: CodePoints): string {
  const groups: (string | null)[] = [];
  if (re.nsub === 0) groups.push(cps.slice(m[0]!, m[1]!));
  for (let g = 1; g <= re.nsub; g++) {
    const so = m[2 * g]!;
    const eo = m[2 * g + 1]!;
    groups.push(so < 0 || eo < 0 ? null : cps.slice(so, eo));
  }
  return encodeArray(groups, T.text);
}

function noGlobal(fn: string, flags: unknown, hint?: string): number {
  const f = parseReFlags(String(flags));
  if (f.glob) {
    throw new ChorusError('22023', `${fn}() does not support the "global" option`, hint ? { hint } : {});
  }
  return f.cflags;
}

/** regexp_split_*: the pieces between non-degenerate matches (every match, always). */
function splitPieces(re: Regex, text: string): string[] {
  const subj = re.subject(text);
  const { matches, cps } = allMatches(re, text, 0);
  const out: string[] = [];
  let prevEnd = 0;
  for (const m of matches) {
    const so = m[0]!;
    const eo = m[1]!;
    // Degenerate matches (empty at the start or end, or right after the previous one) do not split.
    if (so < subj.n && eo > prevEnd) {
      out.push(cps.slice(prevEnd, so));
      prevEnd = eo;
    }
  }
  out.push(cps.slice(prevEnd, subj.n));
  return out;
}

export function registerRegexArrayFunctions(db: Database.Database): void {
  const cache = new RegexCache();
  db.function('pg_regexp_match', pure, (s: unknown, p: unknown, flags: unknown) => {
    if (s === null || p === null || flags === null) return null;
    const cflags = noGlobal('regexp_match', flags, 'Use the regexp_matches function instead.');
    const re = cache.get(String(p), cflags);
    const text = String(s);
    const subj = re.subject(text);
    const m = re.exec(subj, 0, true);
    if (!m) return null;
    return matchArray(re, m, new CodePoints(text, subj.n));
  });
  db.function('pg_regexp_split_to_array', pure, (s: unknown, p: unknown, flags: unknown) => {
    if (s === null || p === null || flags === null) return null;
    const re = cache.get(String(p), noGlobal('regexp_split_to_array', flags));
    return encodeArray(splitPieces(re, String(s)), T.text);
  });
  db.table('pg_regexp_matches', {
    columns: ['c1', 'n'],
    parameters: ['s', 'p', 'flags'],
    safeIntegers: true,
    *rows(...args: unknown[]) {
      const [s, p, flags] = args;
      const f = parseReFlags(String(flags));
      const re = cache.get(String(p), f.cflags);
      const text = String(s);
      const { matches, cps } = allMatches(re, text, 0);
      let n = 0n;
      for (const m of f.glob ? matches : matches.slice(0, 1)) yield [matchArray(re, m, cps), ++n];
    },
  });
  db.table('pg_regexp_split_to_table', {
    columns: ['c1', 'n'],
    parameters: ['s', 'p', 'flags'],
    safeIntegers: true,
    *rows(...args: unknown[]) {
      const [s, p, flags] = args;
      const re = cache.get(String(p), noGlobal('regexp_split_to_table', flags));
      let n = 0n;
      for (const piece of splitPieces(re, String(s))) yield [piece, ++n];
    },
  });
}
