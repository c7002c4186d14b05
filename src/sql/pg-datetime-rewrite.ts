// PostgreSQL date/time spellings SQLite lacks: now(), `ts +/- INTERVAL '...'` (also
// `'5 minutes'::interval`), typed literals (`TIMESTAMP '...'`), date_trunc and EXTRACT, rewritten
// onto SQLite's strftime/datetime. Literal values are parsed in pg-interval.ts.

import { FeatureNotSupportedError } from '../errors.js';
import { isKeyword, joinTokens, quoteLiteral, type Token, tokenize } from './lexer.js';
import {
  addIntervals,
  canonicalDateTime,
  extractFromInterval,
  formatInterval,
  type Interval,
  intervalModifiers,
  parseInterval,
} from './pg-interval.js';
import {
  isOperatorKeyword,
  matchParen,
  primaryEnd,
  primaryStart,
  type ReplaceRange,
  sigOf,
} from './pg-tokens.js';

/** PostgreSQL's now() as text SQLite's date functions can read back. */
export const nowExpression = "(strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))";

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

/** `date_trunc('unit', ts)` at sig[i] → `strftime('<format>', ts)`; unknown units are left alone. */
export function rewriteDateTrunc(sig: Token[], i: number): void {
  const t = sig[i]!;
  const unit = sig[i + 2];
  if (sig[i + 1]?.kind !== 'lparen' || unit?.kind !== 'string' || sig[i + 3]?.kind !== 'comma') return;
  const fmt = truncFormats[unit.value.toLowerCase()];
  if (!fmt) return;
  t.text = 'strftime';
  unit.text = quoteLiteral(fmt);
}

/**
 * `EXTRACT(field FROM ts)` at sig[i] → `CAST(strftime('<format>', ts) AS <type>)`;
 * `EXTRACT(field FROM INTERVAL '...')` → its value.
 */
export function rewriteExtract(sig: Token[], i: number, set: ReplaceRange): void {
  const t = sig[i]!;
  const field = sig[i + 2];
  if (sig[i + 1]?.kind !== 'lparen' || !field || !isKeyword(sig[i + 3], 'FROM')) return;
  const name = field.kind === 'string' ? field.value.toUpperCase() : field.value;
  if (isKeyword(sig[i + 4], 'INTERVAL') && sig[i + 5]?.kind === 'string' && sig[i + 6]?.kind === 'rparen') {
    const v = extractFromInterval(name, parseInterval(sig[i + 5]!.value));
    if (v === null) throw new FeatureNotSupportedError(`EXTRACT(${field.text} FROM interval)`);
    set(i, i + 6, String(v));
    return;
  }
  const f = extractFormats[name];
  if (!f) throw new FeatureNotSupportedError(`EXTRACT(${field.text} FROM ...)`);
  const close = matchParen(sig, i + 1);
  if (close < 0) return;
  t.text = 'CAST(strftime';
  field.text = quoteLiteral(f[0]);
  sig[i + 3]!.text = ',';
  sig[close]!.text = `) AS ${f[1]})`;
}

/** `TIMESTAMP '...'`, `DATE '...'`, `TIME '...'`, `TIMESTAMPTZ '...'` → the literal text PostgreSQL prints. */
export function rewriteTypedLiterals(input: Token[]): Token[] {
  const tokens = input.map((t) => ({ ...t }));
  const sig = sigOf(tokens);
  for (let i = 0; i < sig.length; i++) {
    const t = sig[i]!;
    if (t.kind !== 'ident' || sig[i - 1]?.kind === 'dot') continue;
    if (!['TIMESTAMP', 'TIMESTAMPTZ', 'DATE', 'TIME'].includes(t.value)) continue;
    let j = i + 1;
    let type = t.value as 'TIMESTAMP' | 'TIMESTAMPTZ' | 'DATE' | 'TIME';
    if (
      (type === 'TIMESTAMP' || type === 'TIME') &&
      isKeyword(sig[j], 'WITH', 'WITHOUT') &&
      isKeyword(sig[j + 1], 'TIME') &&
      isKeyword(sig[j + 2], 'ZONE')
    ) {
      if (type === 'TIME' && sig[j]!.value === 'WITH') continue;
      if (type === 'TIMESTAMP' && sig[j]!.value === 'WITH') type = 'TIMESTAMPTZ';
      j += 3;
    }
    const lit = sig[j];
    if (lit?.kind !== 'string') continue;
    const text = quoteLiteral(canonicalDateTime(type, lit.value));
    const a = tokens.indexOf(t);
    const b = tokens.indexOf(lit);
    tokens[a]!.text = text;
    for (let k = a + 1; k <= b; k++) tokens[k]!.text = '';
    i = j;
  }
  return tokenize(joinTokens(tokens));
}

const intervalFields = new Set(['YEAR', 'MONTH', 'DAY', 'HOUR', 'MINUTE', 'SECOND']);

function isOp(t: Token | undefined, ...ops: string[]): boolean {
  return t?.kind === 'op' && ops.includes(t.text);
}

/** sig[i] is a binary operator's position only when an operand ends right before it. */
function endsOperand(t: Token | undefined): boolean {
  if (!t) return false;
  if (t.kind === 'rparen' || t.kind === 'string' || t.kind === 'number' || t.kind === 'param') return true;
  return (t.kind === 'ident' || t.kind === 'qident') && (!isOperatorKeyword(t) || isKeyword(t, 'END'));
}

/**
 * INTERVAL literals (after casts became `INTERVAL '...'`): `ts ± INTERVAL '5 minutes'` and
 * `INTERVAL '5 minutes' + ts` → `datetime(ts, '+5 minutes')`; `INTERVAL 'a' ± INTERVAL 'b'` folded;
 * any other INTERVAL literal → the text PostgreSQL prints for it ('00:05:00').
 */
export function rewriteIntervals(input: Token[]): Token[] {
  let tokens = input;
  for (let guard = 0; guard < 1000; guard++) {
    const sig = sigOf(tokens);
    const at = sig.findIndex(
      (u, k) => isKeyword(u, 'INTERVAL') && sig[k + 1]?.kind === 'string' && sig[k - 1]?.kind !== 'dot',
    );
    if (at < 0) return tokens;
    const lit = sig[at + 1]!;
    if (isKeyword(sig[at + 2], ...intervalFields)) {
      throw new FeatureNotSupportedError(
        `INTERVAL '${lit.value}' ${sig[at + 2]!.value} (interval field qualifiers)`,
      );
    }
    const iv = parseInterval(lit.value);
    const before = sig[at - 1];
    const after = sig[at + 2];
    const replace = (from: number, to: number, text: string): void => {
      const a = tokens.indexOf(sig[from]!);
      const b = tokens.indexOf(sig[to]!);
      tokens = tokenize(joinTokens(tokens.slice(0, a)) + text + joinTokens(tokens.slice(b + 1)));
    };
    const folded = (x: Interval): string => `INTERVAL ${quoteLiteral(formatInterval(x))}`;
    if (before?.kind === 'lparen' && after?.kind === 'rparen' && !endsOperand(sig[at - 2])) {
      // (INTERVAL '...'): drop the parentheses so the arithmetic around them applies
      replace(at - 1, at + 2, `INTERVAL ${quoteLiteral(lit.value)}`);
      continue;
    }
    if (isOp(before, '*', '/') || isOp(after, '*', '/')) {
      throw new FeatureNotSupportedError('INTERVAL multiplication and division');
    }
    if (isOp(before, '+', '-') && endsOperand(sig[at - 2])) {
      const negate = before!.text === '-';
      const lhsEnd = at - 2;
      if (sig[lhsEnd]!.kind === 'string' && isKeyword(sig[lhsEnd - 1], 'INTERVAL')) {
        const sum = addIntervals(parseInterval(sig[lhsEnd]!.value), iv, negate ? -1 : 1);
        replace(lhsEnd - 1, at + 1, folded(sum));
        continue;
      }
      const start = primaryStart(sig, lhsEnd);
      if (start < 0) throw new FeatureNotSupportedError('INTERVAL arithmetic on this expression');
      const lhs = joinTokens(tokens.slice(tokens.indexOf(sig[start]!), tokens.indexOf(sig[lhsEnd]!) + 1));
      replace(
        start,
        at + 1,
        `datetime(${lhs}, ${intervalModifiers(iv, negate).map(quoteLiteral).join(', ')})`,
      );
      continue;
    }
    if (isOp(before, '-')) {
      // unary minus
      replace(at - 1, at + 1, folded(addIntervals({ months: 0, days: 0, micros: 0 }, iv, -1)));
      continue;
    }
    if (isOp(after, '+', '-')) {
      const rhs = sig[at + 3];
      if (isKeyword(rhs, 'INTERVAL') && sig[at + 4]?.kind === 'string') {
        const sum = addIntervals(iv, parseInterval(sig[at + 4]!.value), after!.text === '-' ? -1 : 1);
        replace(at, at + 4, folded(sum));
        continue;
      }
      if (after!.text === '+') {
        const end = primaryEnd(sig, at + 3);
        if (end < 0) throw new FeatureNotSupportedError('INTERVAL arithmetic on this expression');
        const rhsText = joinTokens(tokens.slice(tokens.indexOf(rhs!), tokens.indexOf(sig[end]!) + 1));
        replace(
          at,
          end,
          `datetime(${rhsText}, ${intervalModifiers(iv, false).map(quoteLiteral).join(', ')})`,
        );
        continue;
      }
    }
    replace(at, at + 1, quoteLiteral(formatInterval(iv)));
  }
  return tokens;
}
