// PostgreSQL dialect layer: token-level rewrites of PostgreSQL spellings SQLite lacks (casts,
// SERIAL, storage options, multi-table DROP/TRUNCATE, date/time functions, ...). Owned by the
// dialect work; the plan cache calls expandPgStatement on every statement before planning.

import { FeatureNotSupportedError } from '../errors.js';
import {
  isKeyword,
  isTrivia,
  joinTokens,
  quoteLiteral,
  type StatementText,
  type Token,
  tokenize,
} from './lexer.js';

/** PostgreSQL's now() as text SQLite's date functions can read back. */
export const nowExpression = "(strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))";

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
  'TRUNCATE',
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

function sigOf(tokens: readonly Token[]): Token[] {
  return tokens.filter((t) => !isTrivia(t));
}

function nameText(t: Token): string {
  return t.kind === 'qident' ? t.value : t.text;
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
// DROP TABLE a, b / TRUNCATE / VACUUM / ANALYZE

/** Split a comma-separated list of (possibly qualified) names, ignoring parenthesized column lists. */
function nameList(sig: Token[], from: number, stopWords: string[]): { names: Token[][]; end: number } {
  const names: Token[][] = [];
  let current: Token[] = [];
  let i = from;
  for (; i < sig.length; i++) {
    const t = sig[i]!;
    if (isKeyword(t, ...stopWords)) break;
    if (t.kind === 'comma') {
      names.push(current);
      current = [];
      continue;
    }
    if (t.kind === 'lparen') {
      // ANALYZE t (cols): skip the column list
      let depth = 0;
      for (; i < sig.length; i++) {
        if (sig[i]!.kind === 'lparen') depth++;
        else if (sig[i]!.kind === 'rparen' && --depth === 0) break;
      }
      continue;
    }
    if (t.kind === 'op' && t.text === '*') continue; // TRUNCATE t *
    if (isKeyword(t, 'ONLY') && current.length === 0) continue;
    current.push(t);
  }
  if (current.length > 0) names.push(current);
  return { names, end: i };
}

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
  if (isKeyword(a, 'TRUNCATE')) {
    const i = isKeyword(b, 'TABLE') ? 2 : 1;
    const { names, end } = nameList(sig, i, ['RESTART', 'CONTINUE', 'CASCADE', 'RESTRICT']);
    if (names.length === 0) return null;
    const restart = isKeyword(sig[end], 'RESTART');
    const out = names.map((n) => `DELETE FROM ${joinTokens(n)}`);
    if (restart) {
      const list = names.map((n) => quoteLiteral(nameText(n[n.length - 1]!))).join(', ');
      out.push(`DELETE FROM sqlite_sequence WHERE name IN (${list})`);
    }
    return out;
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

// ---------------------------------------------------------------------------------------------
// Type names

const integerTypes = new Set(['INT', 'INTEGER', 'INT2', 'INT4', 'INT8', 'BIGINT', 'SMALLINT']);
const textTypes = new Set([
  'TEXT',
  'VARCHAR',
  'CHAR',
  'CHARACTER',
  'BPCHAR',
  'UUID',
  'JSON',
  'JSONB',
  'DATE',
  'TIME',
  'TIMETZ',
  'TIMESTAMP',
  'TIMESTAMPTZ',
  'CITEXT',
]);

interface ParsedType {
  /** SQLite type, or null when the type is not mapped (left alone). */
  sqlite: string | null;
  bool: boolean;
  /** Index (into sig) after the type. */
  end: number;
}

/** Parse a PostgreSQL type name at sig[i]. */
function parseType(sig: Token[], i: number): ParsedType | null {
  const t = sig[i];
  if (t?.kind !== 'ident') return null;
  let end = i + 1;
  let sqlite: string | null = null;
  let bool = false;
  const v = t.value;
  if (v === 'DOUBLE' && isKeyword(sig[end], 'PRECISION')) {
    end++;
    sqlite = 'REAL';
  } else if (v === 'CHARACTER' && isKeyword(sig[end], 'VARYING')) {
    end++;
    sqlite = 'TEXT';
  } else if (integerTypes.has(v)) sqlite = 'INTEGER';
  else if (v === 'NUMERIC' || v === 'DECIMAL') sqlite = 'NUMERIC';
  else if (v === 'REAL' || v === 'FLOAT' || v === 'FLOAT4' || v === 'FLOAT8') sqlite = 'REAL';
  else if (textTypes.has(v)) sqlite = 'TEXT';
  else if (v === 'BOOL' || v === 'BOOLEAN') {
    sqlite = 'INTEGER';
    bool = true;
  } else if (v === 'BYTEA') sqlite = 'BLOB';
  // type modifiers: varchar(10), numeric(10, 2)
  if (sig[end]?.kind === 'lparen') {
    let depth = 0;
    for (; end < sig.length; end++) {
      if (sig[end]!.kind === 'lparen') depth++;
      else if (sig[end]!.kind === 'rparen' && --depth === 0) break;
    }
    end++;
  }
  // timestamp with[out] time zone
  if ((v === 'TIMESTAMP' || v === 'TIME') && isKeyword(sig[end], 'WITH', 'WITHOUT')) {
    if (isKeyword(sig[end + 1], 'TIME') && isKeyword(sig[end + 2], 'ZONE')) end += 3;
  }
  // arrays (text[]) are not mapped
  if (sig[end]?.kind === 'qident' && sig[end]!.text.startsWith('[')) sqlite = null;
  return { sqlite, bool, end };
}

const trueWords = new Set(['true', 't', 'yes', 'y', 'on', '1']);
const falseWords = new Set(['false', 'f', 'no', 'n', 'off', '0']);

function boolLiteral(operand: Token[]): string | null {
  if (operand.length !== 1 || operand[0]!.kind !== 'string') return null;
  const v = operand[0]!.value.trim().toLowerCase();
  if (trueWords.has(v)) return '1';
  if (falseWords.has(v)) return '0';
  return null;
}

// ---------------------------------------------------------------------------------------------
// Expression rewrites

/** Index in sig where the primary expression ending at sig[end] starts (walks back over parens, a.b, CASE..END). */
function primaryStart(sig: Token[], end: number): number {
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
]);

function isOperatorKeyword(t: Token): boolean {
  return t.kind === 'ident' && operatorKeywords.has(t.value);
}

/** `x::type` → `CAST(x AS type)`; unmapped types are left alone. */
function rewriteColonCasts(input: Token[]): Token[] {
  let tokens = input;
  let skip = 0;
  for (let guard = 0; guard < 10_000; guard++) {
    const sig = sigOf(tokens);
    let seen = 0;
    let at = -1;
    for (let k = 0; k < sig.length; k++) {
      if (sig[k]!.kind === 'op' && sig[k]!.text === '::' && seen++ === skip) {
        at = k;
        break;
      }
    }
    if (at < 0) return tokens;
    const type = parseType(sig, at + 1);
    const start = primaryStart(sig, at - 1);
    if (!type || type.sqlite === null || start < 0) {
      skip++;
      continue;
    }
    const operand = sig.slice(start, at);
    const first = operand[0]!;
    const lastTok = sig[type.end - 1]!;
    const from = tokens.indexOf(first);
    const to = tokens.indexOf(lastTok);
    const inner = joinTokens(tokens.slice(from, tokens.indexOf(sig[at - 1]!) + 1));
    const lit = type.bool ? boolLiteral(operand) : null;
    const replacement = lit ?? `CAST(${inner} AS ${type.sqlite})`;
    const sql = joinTokens(tokens.slice(0, from)) + replacement + joinTokens(tokens.slice(to + 1));
    tokens = tokenize(sql);
  }
  return tokens;
}

const extractFormats: Record<string, [string, string]> = {
  EPOCH: ['%s', 'INTEGER'],
  YEAR: ['%Y', 'INTEGER'],
  MONTH: ['%m', 'INTEGER'],
  DAY: ['%d', 'INTEGER'],
  HOUR: ['%H', 'INTEGER'],
  MINUTE: ['%M', 'INTEGER'],
  SECOND: ['%f', 'REAL'],
  DOW: ['%w', 'INTEGER'],
  DOY: ['%j', 'INTEGER'],
};

const truncFormats: Record<string, string> = {
  second: '%Y-%m-%d %H:%M:%S',
  minute: '%Y-%m-%d %H:%M:00',
  hour: '%Y-%m-%d %H:00:00',
  day: '%Y-%m-%d 00:00:00',
  month: '%Y-%m-01 00:00:00',
  year: '%Y-01-01 00:00:00',
};

const intervalUnits: Record<string, [number, string]> = {
  second: [1, 'seconds'],
  sec: [1, 'seconds'],
  minute: [1, 'minutes'],
  min: [1, 'minutes'],
  hour: [1, 'hours'],
  hr: [1, 'hours'],
  day: [1, 'days'],
  week: [7, 'days'],
  month: [1, 'months'],
  mon: [1, 'months'],
  year: [1, 'years'],
};

/** '1 day 2 hours' → ['+1 days', '+2 hours'] (negated for subtraction). */
function intervalModifiers(text: string, negate: boolean): string[] {
  const parts = text.trim().split(/\s+/);
  if (parts.length % 2 !== 0 || parts.length === 0) throw new FeatureNotSupportedError(`INTERVAL '${text}'`);
  const out: string[] = [];
  for (let k = 0; k < parts.length; k += 2) {
    const n = Number(parts[k]);
    let unit = parts[k + 1]!.toLowerCase();
    if (unit.endsWith('s') && unit.length > 1 && !(unit in intervalUnits)) unit = unit.slice(0, -1);
    const u = intervalUnits[unit];
    if (!Number.isFinite(n) || !u) throw new FeatureNotSupportedError(`INTERVAL '${text}'`);
    const v = n * u[0] * (negate ? -1 : 1);
    out.push(`${v < 0 ? '' : '+'}${v} ${u[1]}`);
  }
  return out;
}

function matchParen(sig: Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < sig.length; i++) {
    if (sig[i]!.kind === 'lparen') depth++;
    else if (sig[i]!.kind === 'rparen' && --depth === 0) return i;
  }
  return -1;
}

/** NOW(), INTERVAL arithmetic, DATE_TRUNC, EXTRACT, ILIKE, PERCENTILE_CONT, CAST(x AS pgtype). */
function rewriteExpressions(input: Token[]): Token[] {
  const tokens = input.map((t) => ({ ...t }));
  const sig = tokens.filter((t) => !isTrivia(t));
  const set = (from: number, to: number, text: string): void => {
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
      case 'CAST': {
        if (sig[i + 1]?.kind !== 'lparen') break;
        const close = matchParen(sig, i + 1);
        if (close < 0) break;
        let depth = 0;
        let as = -1;
        for (let k = i + 1; k < close; k++) {
          const u = sig[k]!;
          if (u.kind === 'lparen') depth++;
          else if (u.kind === 'rparen') depth--;
          else if (depth === 1 && isKeyword(u, 'AS')) as = k;
        }
        if (as < 0) break;
        const type = parseType(sig, as + 1);
        if (!type || type.sqlite === null || type.end !== close) break;
        const lit = type.bool ? boolLiteral(sig.slice(i + 2, as)) : null;
        if (lit) set(i, close, lit);
        else set(as + 1, close - 1, type.sqlite);
        break;
      }
      case 'DATE_TRUNC': {
        const unit = sig[i + 2];
        if (sig[i + 1]?.kind !== 'lparen' || unit?.kind !== 'string' || sig[i + 3]?.kind !== 'comma') break;
        const fmt = truncFormats[unit.value.toLowerCase()];
        if (!fmt) break;
        t.text = 'strftime';
        unit.text = quoteLiteral(fmt);
        break;
      }
      case 'EXTRACT': {
        const field = sig[i + 2];
        if (sig[i + 1]?.kind !== 'lparen' || !field || !isKeyword(sig[i + 3], 'FROM')) break;
        const name = field.kind === 'string' ? field.value.toUpperCase() : field.value;
        const f = extractFormats[name];
        if (!f) throw new FeatureNotSupportedError(`EXTRACT(${field.text} FROM ...)`);
        const close = matchParen(sig, i + 1);
        if (close < 0) break;
        t.text = 'CAST(strftime';
        field.text = quoteLiteral(f[0]);
        sig[i + 3]!.text = ',';
        sig[close]!.text = `) AS ${f[1]})`;
        break;
      }
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

/** `ts + INTERVAL '5 minutes'` → `datetime(ts, '+5 minutes')`. */
function rewriteIntervals(input: Token[]): Token[] {
  let tokens = input;
  for (let guard = 0; guard < 1000; guard++) {
    const sig = sigOf(tokens);
    let at = -1;
    for (let k = 1; k < sig.length; k++) {
      const u = sig[k]!;
      if (
        isKeyword(u, 'INTERVAL') &&
        sig[k + 1]?.kind === 'string' &&
        sig[k - 1]!.kind === 'op' &&
        (sig[k - 1]!.text === '+' || sig[k - 1]!.text === '-')
      ) {
        at = k;
        break;
      }
    }
    if (at < 0) return tokens;
    const op = sig[at - 1]!;
    const start = primaryStart(sig, at - 2);
    if (start < 0) throw new FeatureNotSupportedError('INTERVAL arithmetic on this expression');
    const mods = intervalModifiers(sig[at + 1]!.value, op.text === '-');
    const from = tokens.indexOf(sig[start]!);
    const lhsEnd = tokens.indexOf(sig[at - 2]!);
    const to = tokens.indexOf(sig[at + 1]!);
    const lhs = joinTokens(tokens.slice(from, lhsEnd + 1));
    const replacement = `datetime(${lhs}, ${mods.map(quoteLiteral).join(', ')})`;
    tokens = tokenize(joinTokens(tokens.slice(0, from)) + replacement + joinTokens(tokens.slice(to + 1)));
  }
  return tokens;
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
