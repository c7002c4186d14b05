// PostgreSQL dialect layer: token-level rewrites of PostgreSQL spellings SQLite lacks (casts,
// SERIAL, storage options, multi-table DROP, date/time functions, ...). Owned by the
// dialect work; the plan cache calls expandPgStatement on every statement before planning.
// Casts live in pg-casts.ts, date/time rewrites in pg-datetime-rewrite.ts.

import { FeatureNotSupportedError } from '../errors.js';
import { isKeyword, isTrivia, joinTokens, type StatementText, type Token, tokenize } from './lexer.js';
import { integerTypes, rewriteCastCall, rewriteColonCasts } from './pg-casts.js';
import { nowExpression, rewriteDateTrunc, rewriteExtract, rewriteIntervals } from './pg-datetime-rewrite.js';
import { matchParen, type ReplaceRange, sigOf } from './pg-tokens.js';
import { nameList } from './table-statements.js';

export { nowExpression } from './pg-datetime-rewrite.js';

/** Identifiers whose presence means some expression rewrite may apply. */
const triggerWords = new Set([
  'CAST',
  'NOW',
  'INTERVAL',
  'DATE_TRUNC',
  'EXTRACT',
  'ILIKE',
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
]);

const statementWords = new Set([
  'DROP',
  'VACUUM',
  'ANALYZE',
  'ANALYSE',
  'CREATE',
  'LISTEN',
  'UNLISTEN',
  'NOTIFY',
  'GRANT',
  'REVOKE',
  'DO',
  'COMMENT',
]);

/**
 * One PostgreSQL statement as one or more SQLite-ready statements (e.g. `DROP TABLE a, b` becomes
 * two). Constructs that cannot be supported throw FeatureNotSupportedError (0A000) naming them.
 */
export function expandPgStatement(stmt: StatementText): StatementText[] {
  const first = stmt.tokens.find((t) => !isTrivia(t));
  const statementLevel = first !== undefined && first.kind === 'ident' && statementWords.has(first.value);
  const expressionLevel = stmt.tokens.some(
    (t) => (t.kind === 'op' && t.text === '::') || (t.kind === 'ident' && triggerWords.has(t.value)),
  );
  if (!statementLevel && !expressionLevel) return [stmt];
  if (statementLevel) {
    rejectUnsupported(sigOf(stmt.tokens));
    const split = splitStatement(sigOf(stmt.tokens));
    if (split) return split.map(make);
  }
  let tokens = stmt.tokens;
  if (expressionLevel) {
    tokens = rewriteColonCasts(tokens);
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

// ---------------------------------------------------------------------------------------------
// Unsupported statements

function rejectUnsupported(sig: Token[]): void {
  const [a, b, c, d] = sig;
  if (isKeyword(a, 'LISTEN', 'UNLISTEN', 'NOTIFY')) throw new FeatureNotSupportedError(a!.value);
  if (isKeyword(a, 'GRANT', 'REVOKE')) throw new FeatureNotSupportedError(a!.value);
  if (isKeyword(a, 'DO')) throw new FeatureNotSupportedError('DO (anonymous code blocks)');
  if (isKeyword(a, 'COMMENT') && isKeyword(b, 'ON')) throw new FeatureNotSupportedError('COMMENT ON');
  if (!isKeyword(a, 'CREATE')) return;
  let kw = b;
  if (isKeyword(b, 'OR') && isKeyword(c, 'REPLACE')) kw = d;
  if (isKeyword(kw, 'FUNCTION', 'PROCEDURE')) {
    throw new FeatureNotSupportedError(`CREATE ${kw!.value} (user-defined functions)`);
  }
  if (isKeyword(kw, 'EXTENSION', 'SCHEMA', 'ROLE', 'USER', 'SEQUENCE', 'TYPE', 'DOMAIN', 'DATABASE')) {
    throw new FeatureNotSupportedError(`CREATE ${kw!.value}`);
  }
}

// ---------------------------------------------------------------------------------------------
// DROP TABLE a, b / VACUUM / ANALYZE

function splitStatement(sig: Token[]): string[] | null {
  const [a, b] = sig;
  if (isKeyword(a, 'DROP') && isKeyword(b, 'TABLE', 'VIEW', 'INDEX')) {
    let i = 2;
    let ifExists = '';
    if (isKeyword(sig[2], 'IF') && isKeyword(sig[3], 'EXISTS')) {
      ifExists = ' IF EXISTS';
      i = 4;
    }
    const { names, end } = nameList(sig, i, ['CASCADE', 'RESTRICT']);
    const hasOption = end < sig.length;
    if (names.length <= 1 && !hasOption) return null;
    if (end < sig.length - 1) return null; // something unexpected after CASCADE: let SQLite report it
    return names.map((n) => `DROP ${b!.value}${ifExists} ${joinTokens(n)}`);
  }
  if (isKeyword(a, 'VACUUM')) {
    if (sig.length === 1) return null;
    return ['VACUUM'];
  }
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
    if (names.length === 0) return ['ANALYZE'];
    return names.map((n) => `ANALYZE ${joinTokens(n)}`);
  }
  return null;
}

/** NOW(), INTERVAL arithmetic, DATE_TRUNC, EXTRACT, ILIKE, PERCENTILE_CONT, CAST(x AS pgtype). */
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
      case 'ILIKE':
        t.text = 'LIKE';
        break;
      case 'CAST':
        rewriteCastCall(sig, i, set);
        break;
      case 'DATE_TRUNC':
        rewriteDateTrunc(sig, i);
        break;
      case 'EXTRACT':
        rewriteExtract(sig, i);
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
