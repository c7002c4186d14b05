// PostgreSQL dialect layer: token-level rewrites of PostgreSQL spellings SQLite lacks (casts,
// SERIAL, storage options, multi-table DROP, date/time functions, ...). Owned by the
// dialect work; the plan cache calls expandPgStatement on every statement before planning.
// Casts live in pg-casts.ts, date/time rewrites in pg-datetime-rewrite.ts, SQL-standard syntax and
// LIKE in pg-syntax.ts, refusals (0A000) in pg-unsupported.ts.

import { isKeyword, isTrivia, joinTokens, type StatementText, type Token, tokenize } from './lexer.js';
import { integerTypes, rewriteCastCall, rewriteColonCasts } from './pg-casts.js';
import {
  nowExpression,
  rewriteDateTrunc,
  rewriteExtract,
  rewriteIntervals,
  rewriteTypedLiterals,
} from './pg-datetime-rewrite.js';
import { plainStrings, rewriteStandardSyntax, rewriteValuesAliases } from './pg-syntax.js';
import { matchParen, type ReplaceRange, sigOf } from './pg-tokens.js';
import { rejectUnsupportedExpressions, rejectUnsupportedStatement } from './pg-unsupported.js';
import { nameList } from './table-statements.js';

export { nowExpression } from './pg-datetime-rewrite.js';

/** Identifiers whose presence means some expression rewrite may apply. */
const triggerWords = new Set([
  'CAST',
  'NOW',
  'INTERVAL',
  'TIMESTAMP',
  'TIMESTAMPTZ',
  'DATE',
  'TIME',
  'DATE_TRUNC',
  'EXTRACT',
  'LIKE',
  'ILIKE',
  'POSITION',
  'SUBSTRING',
  'TRIM',
  'PERCENTILE_CONT',
  'PERCENTILE_DISC',
  'SERIAL',
  'BIGSERIAL',
  'SMALLSERIAL',
  'SERIAL2',
  'SERIAL4',
  'SERIAL8',
  'GENERATED',
  'TABLESPACE',
  'WITH',
  // refused with 0A000 (pg-unsupported.ts)
  'FOR',
  'ARRAY',
  'ANY',
  'ALL',
  'SOME',
  'SIMILAR',
]);

const statementWords = new Set([
  'SET',
  'DROP',
  'VACUUM',
  'ANALYZE',
  'ANALYSE',
  'CREATE',
  'GRANT',
  'REVOKE',
  'DO',
  'COMMENT',
  'LOCK',
  'ALTER',
]);

/**
 * One PostgreSQL statement as one or more SQLite-ready statements (e.g. `DROP TABLE a, b` becomes
 * two). Constructs that cannot be supported throw FeatureNotSupportedError (0A000) naming them.
 */
export function expandPgStatement(stmt: StatementText): StatementText[] {
  const first = stmt.tokens.find((t) => !isTrivia(t));
  const statementLevel = first !== undefined && first.kind === 'ident' && statementWords.has(first.value);
  const expressionLevel = needsExpressionRewrite(stmt.tokens);
  if (!statementLevel && !expressionLevel) return [stmt];
  if (statementLevel) {
    rejectUnsupportedStatement(sigOf(stmt.tokens));
    const split = splitStatement(sigOf(stmt.tokens));
    if (split) return split.map(make);
    if (first.value === 'SET') return [rewriteSet(stmt)];
  }
  let tokens = stmt.tokens;
  if (expressionLevel) {
    const sig = sigOf(tokens);
    // catalog queries (psql's \d, drivers) use ARRAY(...) and = ANY(...): the catalog rewrite handles them
    if (!sig.some((t) => t.kind === 'ident' && t.value.startsWith('PG_'))) rejectUnsupportedExpressions(sig);
    tokens = plainStrings(tokens);
    if (isKeyword(first, 'CREATE', 'ALTER')) tokens = rewriteZonedTypes(tokens);
    tokens = rewriteTypedLiterals(tokens);
    tokens = rewriteColonCasts(tokens);
    tokens = rewriteStandardSyntax(tokens);
    tokens = rewriteValuesAliases(tokens);
    tokens = rewriteExpressions(tokens);
    if (isKeyword(sigOf(tokens)[0], 'CREATE')) tokens = rewriteCreateTable(tokens);
  }
  const sql = joinTokens(tokens).trim();
  if (sql === stmt.sql) return [stmt];
  return [make(sql)];
}

function make(sql: string): StatementText {
  return { sql, tokens: tokenize(sql) };
}

/** `::`, a trigger word, an E'...' / $$...$$ string or `(VALUES` make the expression rewrites run. */
function needsExpressionRewrite(tokens: readonly Token[]): boolean {
  let prev: Token | undefined;
  for (const t of tokens) {
    if (isTrivia(t)) continue;
    if (t.kind === 'op' && t.text === '::') return true;
    if (
      t.kind === 'ident' &&
      (triggerWords.has(t.value) || (t.value === 'VALUES' && prev?.kind === 'lparen'))
    ) {
      return true;
    }
    if (t.kind === 'string' && t.text[0] !== "'") return true;
    prev = t;
  }
  return false;
}

/** DDL column types `timestamp [(p)] with[out] time zone` / `time ... zone` → TIMESTAMPTZ, TIMESTAMP, TIMETZ, TIME. */
function rewriteZonedTypes(input: Token[]): Token[] {
  const tokens = input.map((t) => ({ ...t }));
  const sig = sigOf(tokens);
  for (let i = 0; i < sig.length; i++) {
    const t = sig[i]!;
    if (!isKeyword(t, 'TIMESTAMP', 'TIME') || sig[i - 1]?.kind === 'dot') continue;
    let j = i + 1;
    if (sig[j]?.kind === 'lparen') j = matchParen(sig, j) + 1;
    if (j <= 0 || !isKeyword(sig[j], 'WITH', 'WITHOUT') || !isKeyword(sig[j + 1], 'TIME')) continue;
    if (!isKeyword(sig[j + 2], 'ZONE')) continue;
    if (sig[j]!.value === 'WITH') t.text = t.value === 'TIMESTAMP' ? 'TIMESTAMPTZ' : 'TIMETZ';
    for (let k = tokens.indexOf(sig[j - 1]!) + 1; k <= tokens.indexOf(sig[j + 2]!); k++) tokens[k]!.text = '';
    i = j + 2;
  }
  return tokenize(joinTokens(tokens));
}

// ---------------------------------------------------------------------------------------------
// SET

/**
 * SET spellings as the session's SET parser takes them: `SET name TO value` → `SET name = value`,
 * `SET SESSION CHARACTERISTICS AS TRANSACTION ...` → `SET TRANSACTION ...` (both accepted; every write
 * transaction is serializable).
 */
function rewriteSet(stmt: StatementText): StatementText {
  const sig = sigOf(stmt.tokens);
  let i = 1;
  if (
    isKeyword(sig[i], 'SESSION') &&
    isKeyword(sig[i + 1], 'CHARACTERISTICS') &&
    isKeyword(sig[i + 2], 'AS')
  ) {
    const from = stmt.tokens.indexOf(sig[i + 3]!);
    return make(`SET ${joinTokens(stmt.tokens.slice(from))}`);
  }
  if (isKeyword(sig[i], 'SESSION', 'LOCAL')) i++;
  if (sig[i]?.kind !== 'ident' && sig[i]?.kind !== 'qident') return stmt;
  while (sig[i + 1]?.kind === 'dot' && (sig[i + 2]?.kind === 'ident' || sig[i + 2]?.kind === 'qident'))
    i += 2;
  const to = sig[i + 1];
  if (!isKeyword(to, 'TO')) return stmt;
  return make(joinTokens(stmt.tokens.map((t) => (t === to ? { ...t, text: '=' } : t))));
}

// ---------------------------------------------------------------------------------------------
// VACUUM / ANALYZE

/**
 * What a VACUUM without FULL runs: nothing. PostgreSQL's plain VACUUM makes dead rows' space
 * reusable without rewriting the table; SQLite reuses freed pages by itself, and its VACUUM is
 * VACUUM FULL (a rewrite of the whole file, under the writer). The session recognizes this text.
 */
export const vacuumWithoutRewriteSql = 'VACUUM /* chorus: no rewrite */';

/** Whether a VACUUM statement asks for FULL (`VACUUM FULL t`, `VACUUM (FULL) t`, `(FULL true)`). */
function vacuumRewrites(sig: Token[]): boolean {
  if (sig[1]?.kind !== 'lparen') {
    for (let i = 1; isKeyword(sig[i], 'FULL', 'FREEZE', 'VERBOSE', 'ANALYZE', 'ANALYSE'); i++)
      if (isKeyword(sig[i], 'FULL')) return true;
    return false;
  }
  for (let i = 2; i < sig.length && sig[i]!.kind !== 'rparen'; i++) {
    if (!isKeyword(sig[i], 'FULL') || sig[i - 1]!.kind === 'ident') continue;
    const v = sig[i + 1];
    const off = isKeyword(v, 'FALSE', 'OFF') || (v !== undefined && v.text === '0');
    if (!off) return true;
  }
  return false;
}

function splitStatement(sig: Token[]): string[] | null {
  const [a] = sig;
  // DROP TABLE / VIEW / INDEX lists are run by the session (session/ddl/drop.ts), one command tag.
  if (isKeyword(a, 'VACUUM')) return [vacuumRewrites(sig) ? 'VACUUM' : vacuumWithoutRewriteSql];
  if (isKeyword(a, 'ANALYZE', 'ANALYSE')) {
    let i = 1;
    if (sig[1]?.kind === 'lparen') {
      while (i < sig.length && sig[i]!.kind !== 'rparen') i++;
      i++;
    }
    while (isKeyword(sig[i], 'VERBOSE', 'SKIP_LOCKED')) i++;
    if (
      i === 1 &&
      a!.value === 'ANALYZE' &&
      !sig.slice(1).some((t) => t.kind === 'comma' || t.kind === 'lparen')
    )
      return null;
    const { names } = nameList(sig, i, []);
    // Several tables: one ANALYZE of everything, so the client gets one command tag as from PostgreSQL
    if (names.length !== 1) return ['ANALYZE'];
    return [`ANALYZE ${joinTokens(names[0]!)}`];
  }
  return null;
}

/** NOW(), DATE_TRUNC, EXTRACT, PERCENTILE_CONT, CAST(x AS pgtype), then INTERVAL literals and arithmetic. */
function rewriteExpressions(input: Token[]): Token[] {
  const tokens = input.map((t) => ({ ...t }));
  const sig = tokens.filter((t) => !isTrivia(t));
  const set: ReplaceRange = (from, to, text) => {
    // replace sig[from..to] (inclusive) and everything between with text
    const a = tokens.indexOf(sig[from]!);
    const b = tokens.indexOf(sig[to]!);
    tokens[a]!.text = text;
    for (let k = a + 1; k <= b; k++) tokens[k]!.text = '';
  };
  for (let i = 0; i < sig.length; i++) {
    const t = sig[i]!;
    if (t.kind !== 'ident') continue;
    const prevDot = sig[i - 1]?.kind === 'dot';
    if (prevDot) continue;
    switch (t.value) {
      case 'NOW':
        if (sig[i + 1]?.kind === 'lparen' && sig[i + 2]?.kind === 'rparen') {
          set(i, i + 2, nowExpression);
          i += 2;
        }
        break;
      case 'CAST':
        rewriteCastCall(sig, i, set);
        break;
      case 'DATE_TRUNC':
        rewriteDateTrunc(sig, i);
        break;
      case 'EXTRACT':
        rewriteExtract(sig, i, set);
        break;
      case 'PERCENTILE_CONT':
      case 'PERCENTILE_DISC': {
        if (sig[i + 1]?.kind !== 'lparen') break;
        const closeP = matchParen(sig, i + 1);
        if (
          closeP < 0 ||
          !isKeyword(sig[closeP + 1], 'WITHIN') ||
          !isKeyword(sig[closeP + 2], 'GROUP') ||
          sig[closeP + 3]?.kind !== 'lparen' ||
          !isKeyword(sig[closeP + 4], 'ORDER') ||
          !isKeyword(sig[closeP + 5], 'BY')
        )
          break;
        const closeO = matchParen(sig, closeP + 3);
        if (closeO < 0) break;
        let exprEnd = closeO - 1;
        let desc = false;
        if (isKeyword(sig[exprEnd], 'DESC', 'ASC')) {
          desc = sig[exprEnd]!.value === 'DESC';
          exprEnd--;
        }
        const text = (from: number, to: number): string =>
          joinTokens(tokens.slice(tokens.indexOf(sig[from]!), tokens.indexOf(sig[to]!) + 1));
        const p = text(i + 2, closeP - 1);
        const x = text(closeP + 6, exprEnd);
        const frac = desc ? `1.0 - (${p})` : p;
        set(i, closeO, `${t.value.toLowerCase()}(${x}, ${frac})`);
        i = closeO;
        break;
      }
      default:
    }
  }
  return rewriteIntervals(tokenize(joinTokens(tokens)));
}

// ---------------------------------------------------------------------------------------------
// CREATE TABLE: SERIAL, identity columns, storage options

const serialTypes = new Set(['SERIAL', 'BIGSERIAL', 'SMALLSERIAL', 'SERIAL2', 'SERIAL4', 'SERIAL8']);

function rewriteCreateTable(input: Token[]): Token[] {
  const tokens = input.map((t) => ({ ...t }));
  const sig = tokens.filter((t) => !isTrivia(t));
  let i = 1;
  while (isKeyword(sig[i], 'UNLOGGED', 'TEMP', 'TEMPORARY', 'GLOBAL', 'LOCAL')) i++;
  if (!isKeyword(sig[i], 'TABLE')) return input;
  i++;
  if (isKeyword(sig[i], 'IF')) i += 3;
  i++; // name
  if (sig[i]?.kind === 'dot') i += 2;
  if (sig[i]?.kind !== 'lparen') return input;
  const open = i;
  const close = matchParen(sig, open);
  if (close < 0) return input;
  const blank = (from: number, to: number): void => {
    for (let k = tokens.indexOf(sig[from]!); k <= tokens.indexOf(sig[to]!); k++) tokens[k]!.text = '';
  };
  let depth = 0;
  let defStart = open + 1; // first token of the current column definition
  for (let k = open; k < close; k++) {
    const t = sig[k]!;
    if (t.kind === 'lparen') depth++;
    else if (t.kind === 'rparen') depth--;
    else if (t.kind === 'comma' && depth === 1) defStart = k + 1;
    else if (depth === 1 && t.kind === 'ident' && serialTypes.has(t.value) && k === defStart + 1) {
      t.text = 'INTEGER';
    } else if (depth === 1 && isKeyword(t, 'GENERATED')) {
      let j = k + 1;
      if (isKeyword(sig[j], 'ALWAYS')) j++;
      else if (isKeyword(sig[j], 'BY') && isKeyword(sig[j + 1], 'DEFAULT')) j += 2;
      else continue;
      if (!isKeyword(sig[j], 'AS') || !isKeyword(sig[j + 1], 'IDENTITY')) continue;
      j++;
      if (sig[j + 1]?.kind === 'lparen') j = matchParen(sig, j + 1);
      blank(k, j);
      const type = sig[defStart + 1];
      if (type && integerTypes.has(type.value) && type.kind === 'ident') type.text = 'INTEGER';
      k = j;
    }
  }
  // storage options after the column list
  for (let k = close + 1; k < sig.length; k++) {
    if (isKeyword(sig[k], 'WITH') && sig[k + 1]?.kind === 'lparen') {
      const end = matchParen(sig, k + 1);
      if (end < 0) break;
      blank(k, end);
      k = end;
    } else if (isKeyword(sig[k], 'TABLESPACE') && sig[k + 1]) {
      blank(k, k + 1);
      k++;
    } else if (isKeyword(sig[k], 'WITHOUT') && isKeyword(sig[k + 1], 'OIDS')) {
      blank(k, k + 1);
      k++;
    }
  }
  return tokens;
}
