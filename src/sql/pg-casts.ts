// PostgreSQL casts and type names for SQLite: `x::type` and `CAST(x AS type)` with the type mapped
// to its SQLite affinity ('t'::bool and friends become 1/0); unmapped types are left alone.

import { isKeyword, joinTokens, type Token, tokenize } from './lexer.js';
import { matchParen, primaryStart, type ReplaceRange, sigOf } from './pg-tokens.js';

export const integerTypes = new Set(['INT', 'INTEGER', 'INT2', 'INT4', 'INT8', 'BIGINT', 'SMALLINT']);
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
export function parseType(sig: Token[], i: number): ParsedType | null {
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

/** `x::type` → `CAST(x AS type)`; unmapped types are left alone. */
export function rewriteColonCasts(input: Token[]): Token[] {
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

/** `CAST(x AS pgtype)` at sig[i] → `CAST(x AS sqlitetype)` (or a boolean literal as 1/0). */
export function rewriteCastCall(sig: Token[], i: number, set: ReplaceRange): void {
  if (sig[i + 1]?.kind !== 'lparen') return;
  const close = matchParen(sig, i + 1);
  if (close < 0) return;
  let depth = 0;
  let as = -1;
  for (let k = i + 1; k < close; k++) {
    const u = sig[k]!;
    if (u.kind === 'lparen') depth++;
    else if (u.kind === 'rparen') depth--;
    else if (depth === 1 && isKeyword(u, 'AS')) as = k;
  }
  if (as < 0) return;
  const type = parseType(sig, as + 1);
  if (!type || type.sqlite === null || type.end !== close) return;
  const lit = type.bool ? boolLiteral(sig.slice(i + 2, as)) : null;
  if (lit) set(i, close, lit);
  else set(as + 1, close - 1, type.sqlite);
}
