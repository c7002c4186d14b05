// POSIX regular expressions as PostgreSQL spells them (~, ~*, regexp_replace, regexp_like,
// substring(text from pattern), SIMILAR TO), run with JavaScript's engine after translating the
// PostgreSQL-only syntax ([[:alpha:]] classes, \m \M \y word boundaries, \A \Z). Compiled
// patterns are kept in a bounded cache.

import type Database from 'better-sqlite3';
import { ChorusError } from '../../errors.js';

const pure = { deterministic: true, safeIntegers: true } as const;
/** Compiled patterns kept per connection (oldest dropped first). */
const regexCacheEntriesMax = 256;

const classes: Record<string, string> = {
  alpha: '\\p{L}',
  digit: '0-9',
  alnum: '\\p{L}\\p{N}',
  upper: '\\p{Lu}',
  lower: '\\p{Ll}',
  space: '\\s',
  punct: '\\p{P}',
  xdigit: '0-9A-Fa-f',
  word: '\\w',
  blank: ' \\t',
  cntrl: '\\p{Cc}',
  print: '\\P{Cc}',
  graph: '\\p{L}\\p{N}\\p{P}\\p{S}',
};

/** PostgreSQL ARE syntax → JavaScript (unicode mode). */
export function translatePattern(p: string): string {
  let out = p.replace(/\[:([a-z]+):\]/g, (m, name: string) => classes[name] ?? m);
  out = out
    .replace(/\\m/g, '\\b(?=\\w)')
    .replace(/\\M/g, '\\b(?<=\\w)')
    .replace(/\\y/g, '\\b')
    .replace(/\\Y/g, '\\B');
  out = out.replace(/\\A/g, '^').replace(/\\Z/g, '$');
  return out;
}

const cache = new Map<string, RegExp>();

export function compile(pattern: string, flags: string): RegExp {
  const key = `${flags}/${pattern}`;
  let re = cache.get(key);
  if (!re) {
    try {
      re = new RegExp(translatePattern(pattern), `${flags}u`);
    } catch (e) {
      throw new ChorusError('2201B', `invalid regular expression: ${(e as Error).message}`);
    }
    if (cache.size >= regexCacheEntriesMax) cache.delete(cache.keys().next().value!);
    cache.set(key, re);
  }
  re.lastIndex = 0;
  return re;
}

/** regexp_replace / regexp_like flags → JavaScript flags (g and i; others refused). */
function jsFlags(flags: string, allowGlobal: boolean): string {
  let out = '';
  for (const f of flags) {
    if (f === 'g' && allowGlobal) out += out.includes('g') ? '' : 'g';
    else if (f === 'i') out += out.includes('i') ? '' : 'i';
    else if (f === 'c' || f === 'n' || f === 's') continue;
    else throw new ChorusError('22023', `invalid regular expression option: "${f}"`);
  }
  return out;
}

/** A PostgreSQL replacement string (\1, \&) as JavaScript's ($1, $&). */
function replacement(r: string): string {
  return r
    .replaceAll('$', '$$$$')
    .replace(/\\(\d|&|\\)/g, (_m, c: string) => (c === '&' ? '$&' : c === '\\' ? '\\' : `$${c}`));
}

/** SIMILAR TO pattern → anchored regular expression (PostgreSQL's similar_to_escape). */
export function similarToRegex(p: string, escapeChar: string | null): string {
  const esc = escapeChar ?? '\\';
  let out = '';
  let inBracket = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (esc !== '' && c === esc) {
      const n = p[i + 1];
      if (n !== undefined) {
        out += /[a-zA-Z0-9]/.test(n) ? n : `\\${n}`;
        i++;
      }
      continue;
    }
    if (inBracket) {
      out += c;
      if (c === ']') inBracket = false;
      continue;
    }
    if (c === '[') inBracket = true;
    if (c === '%') out += '.*';
    else if (c === '_') out += '.';
    else if (c === '.' || c === '^' || c === '$') out += `\\${c}`;
    else out += c;
  }
  return `^(?:${out})$`;
}

export function regexFunctions(db: Database.Database): void {
  db.function('pg_regex_match', pure, (s: unknown, p: unknown, ci: unknown, want: unknown) => {
    if (s === null || p === null) return null;
    const hit = compile(String(p), Number(ci) ? 'i' : '').test(String(s));
    return hit === Boolean(Number(want)) ? 1n : 0n;
  });
  db.function('pg_regexp_like', pure, (s: unknown, p: unknown, flags: unknown) => {
    if (s === null || p === null || flags === null) return null;
    return compile(String(p), jsFlags(String(flags), false)).test(String(s)) ? 1n : 0n;
  });
  db.function('pg_regexp_replace', pure, (s: unknown, p: unknown, r: unknown, flags: unknown) => {
    if (s === null || p === null || r === null || flags === null) return null;
    return String(s).replace(compile(String(p), jsFlags(String(flags), true)), replacement(String(r)));
  });
  db.function('pg_regexp_substr', pure, (s: unknown, p: unknown) => {
    if (s === null || p === null) return null;
    const m = compile(String(p), '').exec(String(s));
    if (!m) return null;
    return m.length > 1 ? (m[1] ?? null) : m[0];
  });
  db.function('pg_similar', pure, (s: unknown, p: unknown, esc: unknown, want: unknown) => {
    if (s === null || p === null) return null;
    const e = esc === null ? null : String(esc);
    if (e !== null && e.length > 1) throw new ChorusError('22025', 'invalid escape string');
    const hit = compile(similarToRegex(String(p), e), 's').test(String(s));
    return hit === Boolean(Number(want)) ? 1n : 0n;
  });
}
