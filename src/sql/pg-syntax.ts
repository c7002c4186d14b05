// PostgreSQL expression syntax SQLite spells differently, rewritten on tokens: SQL-standard
// POSITION(a IN b) / SUBSTRING(s FROM a FOR b) / TRIM(BOTH x FROM s), ILIKE (→ lower() LIKE lower())
// and LIKE's default backslash escape, E'...' and $$...$$ strings, and VALUES lists with column
// aliases (`(VALUES ...) AS v(a, b)`).

import { FeatureNotSupportedError } from '../errors.js';
import { isKeyword, joinTokens, quoteLiteral, type Token, tokenize } from './lexer.js';
import { matchParen, primaryEnd, primaryStart, sigOf } from './pg-tokens.js';

/** E'...' and $$...$$ strings become standard SQL strings (the lexer has already unescaped them). */
export function plainStrings(tokens: Token[]): Token[] {
  if (!tokens.some((t) => t.kind === 'string' && t.text[0] !== "'")) return tokens;
  return tokens.map((t) =>
    t.kind === 'string' && t.text[0] !== "'" ? { ...t, text: quoteLiteral(t.value) } : t,
  );
}

interface Replacement {
  from: number;
  to: number;
  text: string;
}

/** Top-level (depth 1) keywords inside the parentheses opened at sig[open]. */
function topLevel(sig: Token[], open: number, close: number, ...words: string[]): Map<string, number> {
  const found = new Map<string, number>();
  let depth = 0;
  for (let k = open; k < close; k++) {
    const u = sig[k]!;
    if (u.kind === 'lparen') depth++;
    else if (u.kind === 'rparen') depth--;
    else if (depth === 1 && isKeyword(u, ...words) && !found.has(u.value)) found.set(u.value, k);
  }
  return found;
}

const trimFunctions: Record<string, string> = { BOTH: 'trim', LEADING: 'ltrim', TRAILING: 'rtrim' };

/**
 * POSITION(a IN b), SUBSTRING(s FROM a FOR b), TRIM([BOTH|LEADING|TRAILING] [x] FROM s),
 * `a [NOT] ILIKE b` (→ lower(a) LIKE lower(b)) and LIKE's default backslash escape, at sig[i].
 */
function standardSyntaxAt(
  sig: Token[],
  i: number,
  src: (from: number, to: number) => string,
): Replacement | null {
  const t = sig[i]!;
  if (t.value === 'LIKE' || t.value === 'ILIKE') {
    // PostgreSQL's LIKE escapes with a backslash unless ESCAPE says otherwise
    let end = primaryEnd(sig, i + 1);
    while (end >= 0 && sig[end + 1]?.kind === 'op' && sig[end + 1]!.text === '||')
      end = primaryEnd(sig, end + 2);
    const escapeClause = end >= 0 && !isKeyword(sig[end + 1], 'ESCAPE') ? " ESCAPE '\\'" : '';
    if (t.value === 'LIKE')
      return escapeClause === '' ? null : { from: end, to: end, text: `${src(end, end)}${escapeClause}` };
    const not = isKeyword(sig[i - 1], 'NOT');
    const lhsEnd = not ? i - 2 : i - 1;
    let start = primaryStart(sig, lhsEnd);
    while (start >= 2 && sig[start - 1]!.kind === 'op' && sig[start - 1]!.text === '||') {
      start = primaryStart(sig, start - 2);
    }
    if (start < 0 || end < 0) throw new FeatureNotSupportedError('ILIKE on this expression');
    const like = `lower(${src(start, lhsEnd)}) ${not ? 'NOT ' : ''}LIKE lower(${src(i + 1, end)})`;
    return { from: start, to: end, text: like + escapeClause };
  }
  if (sig[i + 1]?.kind !== 'lparen') return null;
  const close = matchParen(sig, i + 1);
  if (close < 0) return null;
  const kw = topLevel(sig, i + 1, close, 'IN', 'FROM', 'FOR');
  if (t.value === 'POSITION') {
    const at = kw.get('IN');
    if (at === undefined) return null;
    return { from: i, to: close, text: `instr(${src(at + 1, close - 1)}, ${src(i + 2, at - 1)})` };
  }
  if (t.value === 'SUBSTRING') {
    const from = kw.get('FROM');
    const forAt = kw.get('FOR');
    if (from === undefined && forAt === undefined) return null;
    if (from !== undefined && sig[from + 1]?.kind === 'string') {
      throw new FeatureNotSupportedError('SUBSTRING(... FROM pattern) (regular expressions)');
    }
    const sEnd = (from ?? forAt!) - 1;
    const start = from === undefined ? '1' : src(from + 1, (forAt ?? close) - 1);
    const length = forAt === undefined ? '' : `, ${src(forAt + 1, close - 1)}`;
    return { from: i, to: close, text: `substr(${src(i + 2, sEnd)}, ${start}${length})` };
  }
  if (t.value === 'TRIM') {
    const mode = isKeyword(sig[i + 2], 'BOTH', 'LEADING', 'TRAILING') ? sig[i + 2]!.value : null;
    const from = kw.get('FROM');
    if (mode === null && from === undefined) return null;
    const first = mode === null ? i + 2 : i + 3;
    const fn = trimFunctions[mode ?? 'BOTH']!;
    if (from === undefined) return { from: i, to: close, text: `${fn}(${src(first, close - 1)})` };
    const chars = first <= from - 1 ? `, ${src(first, from - 1)}` : '';
    return { from: i, to: close, text: `${fn}(${src(from + 1, close - 1)}${chars})` };
  }
  return null;
}

/** Rewrites standardSyntaxAt spellings one at a time (re-tokenizing, so nested ones are seen). */
export function rewriteStandardSyntax(input: Token[]): Token[] {
  let tokens = input;
  for (let guard = 0; guard < 1000; guard++) {
    const sig = sigOf(tokens);
    const src = (from: number, to: number): string =>
      from > to ? '' : joinTokens(tokens.slice(tokens.indexOf(sig[from]!), tokens.indexOf(sig[to]!) + 1));
    let r: Replacement | null = null;
    for (let i = 0; i < sig.length && r === null; i++) {
      const t = sig[i]!;
      if (t.kind !== 'ident' || sig[i - 1]?.kind === 'dot') continue;
      if (['LIKE', 'ILIKE', 'POSITION', 'SUBSTRING', 'TRIM'].includes(t.value))
        r = standardSyntaxAt(sig, i, src);
    }
    if (r === null) return tokens;
    const a = tokens.indexOf(sig[r.from]!);
    const b = tokens.indexOf(sig[r.to]!);
    tokens = tokenize(joinTokens(tokens.slice(0, a)) + r.text + joinTokens(tokens.slice(b + 1)));
  }
  return tokens;
}

/** `(VALUES (1, 'a'), ...) [AS] v(id, name)` → `(SELECT column1 AS id, column2 AS name FROM (VALUES ...)) AS v`. */
export function rewriteValuesAliases(input: Token[]): Token[] {
  let tokens = input;
  let from = 0;
  for (let guard = 0; guard < 1000; guard++) {
    const sig = sigOf(tokens);
    const open = sig.findIndex((t, k) => k >= from && t.kind === 'lparen' && isKeyword(sig[k + 1], 'VALUES'));
    if (open < 0) return tokens;
    const close = matchParen(sig, open);
    if (close < 0) return tokens;
    let k = close + 1;
    if (isKeyword(sig[k], 'AS')) k++;
    const alias = sig[k];
    const cols: Token[] = [];
    let end = -1;
    if ((alias?.kind === 'ident' || alias?.kind === 'qident') && sig[k + 1]?.kind === 'lparen') {
      for (let j = k + 2; j < sig.length; j++) {
        const t = sig[j]!;
        if (
          (t.kind === 'ident' || t.kind === 'qident') &&
          (sig[j + 1]?.kind === 'comma' || sig[j + 1]?.kind === 'rparen')
        ) {
          cols.push(t);
          if (sig[j + 1]!.kind === 'rparen') {
            end = j + 1;
            break;
          }
          j++;
        } else break;
      }
    }
    if (end < 0) {
      from = open + 1;
      continue;
    }
    const text = (a: Token, b: Token): string =>
      joinTokens(tokens.slice(tokens.indexOf(a), tokens.indexOf(b) + 1));
    const select = cols.map((c, n) => `column${n + 1} AS ${c.text}`).join(', ');
    const replacement = `(SELECT ${select} FROM ${text(sig[open]!, sig[close]!)}) AS ${alias!.text}`;
    const a = tokens.indexOf(sig[open]!);
    const b = tokens.indexOf(sig[end]!);
    tokens = tokenize(joinTokens(tokens.slice(0, a)) + replacement + joinTokens(tokens.slice(b + 1)));
    from = open + 1;
  }
  return tokens;
}
