// Token-walking helpers shared by the PostgreSQL dialect rewrites (pg-dialect.ts, pg-casts.ts,
// pg-datetime-rewrite.ts): significant tokens, paren matching, the start of a primary expression.

import { isKeyword, isTrivia, type Token } from './lexer.js';

export function sigOf(tokens: readonly Token[]): Token[] {
  return tokens.filter((t) => !isTrivia(t));
}

export function matchParen(sig: Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < sig.length; i++) {
    if (sig[i]!.kind === 'lparen') depth++;
    else if (sig[i]!.kind === 'rparen' && --depth === 0) return i;
  }
  return -1;
}

/** Index in sig where the primary expression ending at sig[end] starts (walks back over parens, a.b, CASE..END). */
export function primaryStart(sig: Token[], end: number): number {
  let i = end;
  const t = sig[i];
  if (!t) return -1;
  if (t.kind === 'rparen') {
    let depth = 0;
    for (; i >= 0; i--) {
      if (sig[i]!.kind === 'rparen') depth++;
      else if (sig[i]!.kind === 'lparen' && --depth === 0) break;
    }
    if (i < 0) return -1;
    // function call: name(...)
    const before = sig[i - 1];
    if (before && (before.kind === 'ident' || before.kind === 'qident') && !isOperatorKeyword(before)) i--;
    else return i;
  } else if (isKeyword(t, 'END')) {
    let depth = 0;
    for (; i >= 0; i--) {
      if (isKeyword(sig[i], 'END')) depth++;
      else if (isKeyword(sig[i], 'CASE') && --depth === 0) break;
    }
    return i;
  } else if (!['string', 'number', 'param', 'ident', 'qident', 'blob'].includes(t.kind)) return -1;
  // qualified name: a.b.c
  while (
    i >= 2 &&
    sig[i - 1]!.kind === 'dot' &&
    (sig[i - 2]!.kind === 'ident' || sig[i - 2]!.kind === 'qident')
  )
    i -= 2;
  return i;
}

const operatorKeywords = new Set([
  'AND',
  'OR',
  'NOT',
  'IN',
  'IS',
  'LIKE',
  'SELECT',
  'WHERE',
  'ON',
  'EXISTS',
  'VALUES',
  'AS',
  'THEN',
  'ELSE',
  'WHEN',
  'FROM',
  'USING',
  'ANY',
  'ALL',
  'RETURNING',
  'SET',
  'BY',
  'HAVING',
  'BETWEEN',
  'CASE',
  'DEFAULT',
  'DISTINCT',
  'LIMIT',
  'OFFSET',
]);

export function isOperatorKeyword(t: Token | undefined): boolean {
  return t !== undefined && t.kind === 'ident' && operatorKeywords.has(t.value);
}

/** Index in sig where the primary expression starting at sig[start] ends (a literal, a.b, f(...), (...), CASE..END); -1 if none. */
export function primaryEnd(sig: Token[], start: number): number {
  const t = sig[start];
  if (!t) return -1;
  if (t.kind === 'lparen') return matchParen(sig, start);
  if (isKeyword(t, 'CASE')) {
    let depth = 0;
    for (let i = start; i < sig.length; i++) {
      if (isKeyword(sig[i], 'CASE')) depth++;
      else if (isKeyword(sig[i], 'END') && --depth === 0) return i;
    }
    return -1;
  }
  if (['string', 'number', 'param', 'blob'].includes(t.kind)) return start;
  if ((t.kind !== 'ident' && t.kind !== 'qident') || isOperatorKeyword(t)) return -1;
  let i = start;
  while (sig[i + 1]?.kind === 'dot' && (sig[i + 2]?.kind === 'ident' || sig[i + 2]?.kind === 'qident'))
    i += 2;
  if (sig[i + 1]?.kind === 'lparen') return matchParen(sig, i + 1);
  return i;
}

/** Replace sig[from..to] (inclusive) and everything between with text. */
export type ReplaceRange = (from: number, to: number, text: string) => void;
