// PostgreSQL date/time spellings SQLite lacks: now(), `ts +/- INTERVAL '...'`, date_trunc and
// EXTRACT, rewritten onto SQLite's strftime/datetime.

import { FeatureNotSupportedError } from '../errors.js';
import { isKeyword, joinTokens, quoteLiteral, type Token, tokenize } from './lexer.js';
import { matchParen, primaryStart, sigOf } from './pg-tokens.js';

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

/** `EXTRACT(field FROM ts)` at sig[i] → `CAST(strftime('<format>', ts) AS <type>)`. */
export function rewriteExtract(sig: Token[], i: number): void {
  const t = sig[i]!;
  const field = sig[i + 2];
  if (sig[i + 1]?.kind !== 'lparen' || !field || !isKeyword(sig[i + 3], 'FROM')) return;
  const name = field.kind === 'string' ? field.value.toUpperCase() : field.value;
  const f = extractFormats[name];
  if (!f) throw new FeatureNotSupportedError(`EXTRACT(${field.text} FROM ...)`);
  const close = matchParen(sig, i + 1);
  if (close < 0) return;
  t.text = 'CAST(strftime';
  field.text = quoteLiteral(f[0]);
  sig[i + 3]!.text = ',';
  sig[close]!.text = `) AS ${f[1]})`;
}

/** `ts + INTERVAL '5 minutes'` → `datetime(ts, '+5 minutes')`. */
export function rewriteIntervals(input: Token[]): Token[] {
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
