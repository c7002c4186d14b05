// PostgreSQL casts and type names for SQLite: `x::type` and `CAST(x AS type)` with the type mapped
// to its SQLite affinity ('t'::bool and friends become 1/0); unmapped types are left alone. Date/time
// casts of literals become the literal PostgreSQL prints, `'5 minutes'::interval` an INTERVAL literal.

import { ChorusError, FeatureNotSupportedError } from '../errors.js';
import { isKeyword, joinTokens, quoteLiteral, type Token, tokenize } from './lexer.js';
import { canonicalDateTime } from './pg-interval.js';
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
  /** The type's first word, upper case; TIMESTAMPTZ for `timestamp with time zone`. */
  name: string;
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
  let name = v;
  if (v === 'DOUBLE' && isKeyword(sig[end], 'PRECISION')) {
    end++;
    sqlite = 'REAL';
  } else if (v === 'CHARACTER' && isKeyword(sig[end], 'VARYING')) {
    end++;
    sqlite = 'TEXT';
  } else if (integerTypes.has(v)) sqlite = 'INTEGER';
  // REAL, not NUMERIC: SQLite's NUMERIC turns 10.0 into the integer 10, so `x::numeric / 4` would
  // divide as integers (PostgreSQL: 2.5)
  else if (v === 'NUMERIC' || v === 'DECIMAL') sqlite = 'REAL';
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
    if (isKeyword(sig[end + 1], 'TIME') && isKeyword(sig[end + 2], 'ZONE')) {
      if (sig[end]!.value === 'WITH') name = v === 'TIMESTAMP' ? 'TIMESTAMPTZ' : 'TIMETZ';
      end += 3;
    }
  }
  // arrays (text[]) are not mapped
  if (sig[end]?.kind === 'qident' && sig[end]!.text.startsWith('[')) sqlite = null;
  return { sqlite, bool, name, end };
}

const intRanges: Record<string, bigint> = {
  SMALLINT: 2n ** 15n,
  INT2: 2n ** 15n,
  INT: 2n ** 31n,
  INTEGER: 2n ** 31n,
  INT4: 2n ** 31n,
  BIGINT: 2n ** 63n,
  INT8: 2n ** 63n,
};
const trueWords = new Set(['true', 't', 'yes', 'y', 'on', '1']);
const falseWords = new Set(['false', 'f', 'no', 'n', 'off', '0']);
const numberText = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function invalidInput(type: string, text: string): ChorusError {
  return new ChorusError('22P02', `invalid input syntax for type ${type}: "${text}"`);
}

/** An integer literal in range for the cast's type (PostgreSQL rounds numeric literals half away from zero). */
function integerLiteral(type: ParsedType, text: string, fromNumber: boolean): string {
  const t = text.trim();
  let n: bigint;
  if (/^[+-]?\d+$/.test(t)) n = BigInt(t);
  else if (fromNumber && numberText.test(t)) {
    const x = Number(t);
    n = BigInt(Math.sign(x) * Math.round(Math.abs(x)));
  } else throw invalidInput(type.name === 'BIGINT' || type.name === 'INT8' ? 'bigint' : 'integer', text);
  const limit = intRanges[type.name] ?? 2n ** 63n;
  if (n >= limit || n < -limit) throw new ChorusError('22003', `${type.name.toLowerCase()} out of range`);
  return String(n);
}

/**
 * Casts of literals, evaluated when the statement is rewritten as PostgreSQL evaluates them: invalid
 * input fails (22P02, 22007) instead of SQLite's silent 0; date/time literals become the text
 * PostgreSQL prints, interval literals INTERVAL literals (rewritten with the interval arithmetic).
 * Also `x::date` → SQLite's date(x). Null when a plain CAST does.
 */
function literalCast(type: ParsedType, operand: Token[], inner: string): string | null {
  const one = operand.length === 1 ? operand[0]! : undefined;
  const literal = one?.kind === 'string' ? one.value : null;
  const isNull = isKeyword(one, 'NULL');
  if (type.name === 'INTERVAL') {
    if (isNull) return 'NULL';
    if (literal === null)
      throw new FeatureNotSupportedError('casting an expression to interval (only literals)');
    return `INTERVAL ${quoteLiteral(literal)}`;
  }
  if (['TIMESTAMP', 'TIMESTAMPTZ', 'DATE', 'TIME'].includes(type.name)) {
    const name = type.name as 'TIMESTAMP' | 'TIMESTAMPTZ' | 'DATE' | 'TIME';
    if (literal !== null) return quoteLiteral(canonicalDateTime(name, literal));
    return name === 'DATE' && !isNull ? `date(${inner})` : null;
  }
  if (type.bool) {
    if (literal === null) return null;
    const v = literal.trim().toLowerCase();
    if (trueWords.has(v)) return '1';
    if (falseWords.has(v)) return '0';
    throw invalidInput('boolean', literal);
  }
  if (type.sqlite === 'INTEGER') {
    if (literal !== null) return integerLiteral(type, literal, false);
    if (one?.kind === 'number' && !one.text.startsWith('0x')) return integerLiteral(type, one.text, true);
    return null;
  }
  if (type.sqlite === 'BLOB' && literal !== null && literal.startsWith('\\x')) {
    const hex = literal.slice(2).replace(/\s+/g, '');
    const bad = /[^0-9a-fA-F]/.exec(hex);
    if (bad) throw new ChorusError('22023', `invalid hexadecimal digit: "${bad[0]}"`);
    if (hex.length % 2 !== 0)
      throw new ChorusError('22023', 'invalid hexadecimal data: odd number of digits');
    return `X'${hex}'`;
  }
  if (type.sqlite === 'REAL' && literal !== null) {
    if (/^\s*[+-]?(nan|inf|infinity)\s*$/i.test(literal)) return null;
    if (!numberText.test(literal.trim())) {
      throw invalidInput(
        type.name === 'NUMERIC' || type.name === 'DECIMAL' ? 'numeric' : 'double precision',
        literal,
      );
    }
    return `CAST(${quoteLiteral(literal.trim())} AS REAL)`;
  }
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
    if (!type || (type.sqlite === null && type.name !== 'INTERVAL') || start < 0) {
      skip++;
      continue;
    }
    const operand = sig.slice(start, at);
    const first = operand[0]!;
    const lastTok = sig[type.end - 1]!;
    const from = tokens.indexOf(first);
    const to = tokens.indexOf(lastTok);
    const inner = joinTokens(tokens.slice(from, tokens.indexOf(sig[at - 1]!) + 1));
    const replacement = literalCast(type, operand, inner) ?? `CAST(${inner} AS ${type.sqlite})`;
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
  if (!type || type.end !== close) return;
  const operand = sig.slice(i + 2, as);
  const lit = literalCast(type, operand, '');
  if (lit === 'date()') {
    set(i, i + 1, 'date(');
    set(as, close - 1, '');
  } else if (lit !== null) set(i, close, lit);
  else if (type.sqlite !== null) set(as + 1, close - 1, type.sqlite);
}
