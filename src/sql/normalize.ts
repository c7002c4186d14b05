// Literal normalization for the simple query protocol: clients inline literals, so every query text
// is new to SQLite. Replacing literals in safe positions with parameters lets one compiled
// statement serve them all (PERFORMANCE-NOTES: simple mode 16-21k -> 47k selects/s).

import type { Token } from './lexer.js';

export type LiteralValue = bigint | number | string;

export interface Normalized {
  sql: string;
  params: LiteralValue[];
}

/** Integer literals beyond this many digits stay inline (they may be REAL in SQLite). */
const integerLiteralDigitsMax = 18;

/**
 * Rewrite literals to `?` parameters where that cannot change the statement's meaning or its
 * result column names: not in a SELECT's result list, not in ORDER BY / GROUP BY (where an integer
 * means a column position), not in RETURNING, and only in plain DML/SELECT statements.
 * Returns null when nothing was replaced or the statement is not eligible.
 */
export function normalizeLiterals(tokens: readonly Token[]): Normalized | null {
  const firstSig = tokens.find((t) => t.kind !== 'ws' && t.kind !== 'comment');
  if (firstSig?.kind !== 'ident') return null;
  if (!['SELECT', 'INSERT', 'UPDATE', 'DELETE'].includes(firstSig.value)) return null;
  // pragma_*() arguments name tables; the internal-name guard must see them as written. Admin
  // calls (replicate.*) take literal arguments and are no hot path.
  if (tokens.some((t) => t.kind === 'ident' && (t.value.startsWith('PRAGMA_') || t.value === 'REPLICATE')))
    return null;

  // Per parenthesis depth: are we inside a select list / ORDER BY / GROUP BY / RETURNING clause?
  const protectedAt: boolean[] = [false];
  let depth = 0;
  let prevSig: Token | undefined;
  const params: LiteralValue[] = [];
  let sql = '';
  let replaced = false;
  for (const t of tokens) {
    if (t.kind === 'ws' || t.kind === 'comment') {
      sql += t.text;
      continue;
    }
    if (t.kind === 'param') return null; // mixing our ? with explicit parameters would renumber them
    if (t.kind === 'lparen') {
      // Inside parentheses the clause of the enclosing level applies (upper('x') in a select list
      // stays literal) until a keyword inside says otherwise (a subquery's FROM / WHERE).
      depth++;
      protectedAt[depth] = protectedAt[depth - 1] ?? false;
    } else if (t.kind === 'rparen') {
      depth = Math.max(0, depth - 1);
    } else if (t.kind === 'ident') {
      switch (t.value) {
        case 'SELECT':
        case 'RETURNING':
          protectedAt[depth] = true;
          break;
        case 'BY':
          if (prevSig?.kind === 'ident' && (prevSig.value === 'ORDER' || prevSig.value === 'GROUP')) {
            protectedAt[depth] = true;
          }
          break;
        case 'FROM':
        case 'WHERE':
        case 'HAVING':
        case 'LIMIT':
        case 'OFFSET':
        case 'SET':
        case 'VALUES':
        case 'UNION':
        case 'EXCEPT':
        case 'INTERSECT':
        case 'ON':
          protectedAt[depth] = false;
          break;
        default:
      }
    }
    const literal = toLiteral(t, prevSig);
    if (literal !== undefined && !protectedAt[depth]) {
      params.push(literal);
      sql += '?';
      replaced = true;
    } else {
      sql += t.text;
    }
    prevSig = t;
  }
  return replaced ? { sql, params } : null;
}

// A type modifier (CAST(x AS VARCHAR(10))) would become VARCHAR(?), which SQLite rejects at
// prepare time; the executor then falls back to the original text, so that case stays correct.
function toLiteral(t: Token, prev: Token | undefined): LiteralValue | undefined {
  if (t.kind === 'string') {
    if (prev?.kind === 'ident' && (prev.value === 'COLLATE' || prev.value === 'ESCAPE')) return undefined;
    // E'...' escapes (octal, \x, \u) are PostgreSQL's parser's to read: left in the text.
    if (t.text[0] === 'E' || t.text[0] === 'e') return undefined;
    return t.value;
  }
  if (t.kind !== 'number') return undefined;
  const text = t.text;
  if (/^[0-9]+$/.test(text)) {
    if (text.length > integerLiteralDigitsMax) return undefined;
    return BigInt(text);
  }
  if (/^0[xX]/.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/** A simple query's text with its literals as $n parameters (the PostgreSQL front end's form). */
export interface PgNormalized {
  sql: string;
  /** What each $n was: its literal kind (typed as the literal was) and its text. */
  kinds: LiteralKind[];
  values: string[];
}

export type LiteralKind = 'int4' | 'int8' | 'numeric' | 'string';

/** Keywords after which a string literal is an ordinary literal (not a typed literal like DATE '...'). */
const literalContexts = new Set([
  'LIKE',
  'ILIKE',
  'SIMILAR',
  'TO',
  'THEN',
  'ELSE',
  'WHEN',
  'AND',
  'OR',
  'NOT',
  'IN',
  'BETWEEN',
  'IS',
  'DISTINCT',
  'FROM',
  'WHERE',
  'HAVING',
  'ON',
  'SET',
  'VALUES',
  'LIMIT',
  'OFFSET',
  'ANY',
  'ALL',
  'SOME',
  'EXISTS',
]);

const int32Max = 2147483647n;

/**
 * The literals of a SELECT / INSERT / UPDATE / DELETE as $n parameters, in the positions
 * normalizeLiterals allows (never select lists, ORDER BY / GROUP BY, RETURNING), and only strings
 * that are not typed literals (DATE '...'). Null when nothing was replaced or not eligible.
 */
export function normalizeForPg(tokens: readonly Token[]): PgNormalized | null {
  const firstSig = tokens.find((t) => t.kind !== 'ws' && t.kind !== 'comment');
  if (firstSig?.kind !== 'ident') return null;
  if (!['SELECT', 'INSERT', 'UPDATE', 'DELETE'].includes(firstSig.value)) return null;
  if (tokens.some((t) => t.kind === 'ident' && t.value === 'REPLICATE')) return null;
  const protectedAt: boolean[] = [false];
  let depth = 0;
  let prevSig: Token | undefined;
  const kinds: LiteralKind[] = [];
  const values: string[] = [];
  let sql = '';
  for (const t of tokens) {
    if (t.kind === 'ws' || t.kind === 'comment') {
      sql += t.text;
      continue;
    }
    if (t.kind === 'param') return null; // explicit parameters: numbering would clash
    if (t.kind === 'lparen') {
      depth++;
      protectedAt[depth] = protectedAt[depth - 1] ?? false;
    } else if (t.kind === 'rparen') depth = Math.max(0, depth - 1);
    else if (t.kind === 'ident') {
      if (t.value === 'SELECT' || t.value === 'RETURNING') protectedAt[depth] = true;
      else if (
        t.value === 'BY' &&
        prevSig?.kind === 'ident' &&
        (prevSig.value === 'ORDER' || prevSig.value === 'GROUP')
      )
        protectedAt[depth] = true;
      else if (
        [
          'FROM',
          'WHERE',
          'HAVING',
          'LIMIT',
          'OFFSET',
          'SET',
          'VALUES',
          'UNION',
          'EXCEPT',
          'INTERSECT',
          'ON',
        ].includes(t.value)
      )
        protectedAt[depth] = false;
    }
    const kind = protectedAt[depth] ? undefined : pgLiteralKind(t, prevSig);
    if (kind !== undefined) {
      kinds.push(kind);
      values.push(t.kind === 'string' ? t.value : t.text);
      sql += `$${kinds.length}`;
    } else sql += t.text;
    prevSig = t;
  }
  return kinds.length > 0 ? { sql, kinds, values } : null;
}

function pgLiteralKind(t: Token, prev: Token | undefined): LiteralKind | undefined {
  if (t.kind === 'string') {
    // E'...' escapes (octal, \x, \u) are PostgreSQL's parser's to read: left in the text.
    if (t.text[0] !== "'" && t.text[0] !== '$') return undefined;
    if (!prev) return undefined;
    if (prev.kind === 'ident') return literalContexts.has(prev.value) ? 'string' : undefined;
    if (prev.kind === 'op') return prev.text === '&' || prev.text === '::' ? undefined : 'string';
    return prev.kind === 'comma' || prev.kind === 'lparen' ? 'string' : undefined;
  }
  if (t.kind !== 'number' || /^0[xXoObB]/.test(t.text) || t.text.includes('_')) return undefined;
  // A type modifier (varchar(10)) becomes varchar($1), which analysis refuses (modifiers must be
  // constants); the plan cache then plans the original text instead.
  void prev;
  if (/^\d+$/.test(t.text)) {
    if (t.text.length > integerLiteralDigitsMax) return undefined;
    return BigInt(t.text) <= int32Max ? 'int4' : 'int8';
  }
  return 'numeric';
}
