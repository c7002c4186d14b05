// PostgreSQL's regular expressions as SQLite functions: ~ ~* !~ !~*, regexp_like, regexp_replace,
// substring(text from pattern) and SIMILAR TO. Patterns run on ChorusDB's own engine (regex/): PostgreSQL's
// syntax, its leftmost-longest matching and its rules for what each capture group gets, in time
// linear in the text for any pattern (no backtracking, so no pattern can stall the process).
// Back-references are refused (0A000); lookahead and lookbehind constraints are supported.
// Compiled patterns are kept per connection in a bounded cache.

import type Database from 'better-sqlite3';
import { ChorusError } from '../../errors.js';
import {
  compileRegex,
  type Match,
  type Regex,
  reAdvanced,
  reExpanded,
  reExtended,
  reIcase,
  reNewline,
  reNlAnchor,
  reNlStop,
  reQuote,
} from './regex/engine.js';

const pure = { deterministic: true, safeIntegers: true } as const;
/** Compiled patterns kept per connection (least recently used dropped first). */
const regexCacheEntriesMax = 256;
/** Capture groups a replacement string can name (\1 .. \9). */
const replacementGroupsMax = 9;

export { compileRegex };

/** Compiled patterns by flags and text, least recently used first. */
export class RegexCache {
  private readonly entries = new Map<string, Regex>();

  get(pattern: string, cflags: number): Regex {
    const key = `${cflags}/${pattern}`;
    let re = this.entries.get(key);
    if (re) this.entries.delete(key);
    else {
      re = compileRegex(pattern, cflags);
      if (this.entries.size >= regexCacheEntriesMax) this.entries.delete(this.entries.keys().next().value!);
    }
    this.entries.set(key, re);
    return re;
  }
}

interface ReFlags {
  cflags: number;
  glob: boolean;
}

/** The flags argument of regexp_replace / regexp_like (PostgreSQL's parse_re_flags). */
export function parseReFlags(text: string): ReFlags {
  let cflags = reAdvanced;
  let glob = false;
  for (const f of text) {
    if (f === 'g') glob = true;
    else if (f === 'b') cflags &= ~(reAdvanced | reExtended | reQuote);
    else if (f === 'c') cflags &= ~reIcase;
    else if (f === 'e')
      cflags = (cflags | reExtended) & ~(reAdvanced | reQuote); // BRE, as PostgreSQL does
    else if (f === 'i') cflags |= reIcase;
    else if (f === 'm' || f === 'n') cflags |= reNewline;
    else if (f === 'p') cflags = (cflags | reNlStop) & ~reNlAnchor;
    else if (f === 'q') cflags = (cflags | reQuote) & ~(reAdvanced | reExtended);
    else if (f === 's') cflags &= ~reNewline;
    else if (f === 't') cflags &= ~reExpanded;
    else if (f === 'w') cflags = (cflags & ~reNlStop) | reNlAnchor;
    else if (f === 'x') cflags |= reExpanded;
    else throw new ChorusError('22023', `invalid regular expression option: "${f}"`);
  }
  return { cflags, glob };
}

/** Slices of a string by code point index (the engine's positions). */
export class CodePoints {
  private readonly offsets: Int32Array | undefined;

  constructor(
    private readonly text: string,
    n: number,
  ) {
    if (n === text.length) return;
    this.offsets = new Int32Array(n + 1);
    let i = 0;
    let k = 0;
    for (const c of text) {
      this.offsets[k++] = i;
      i += c.length;
    }
    this.offsets[k] = i;
  }

  slice(from: number, to: number): string {
    const o = this.offsets;
    return o ? this.text.slice(o[from]!, o[to]!) : this.text.slice(from, to);
  }
}

/** Appends a replacement string with \1..\9, \& and \\ filled in from a match (appendStringInfoRegexpSubstr). */
function appendReplacement(out: string[], r: string, m: Match, cps: CodePoints): void {
  let i = 0;
  for (;;) {
    const at = r.indexOf('\\', i);
    if (at < 0) {
      out.push(r.slice(i));
      return;
    }
    out.push(r.slice(i, at));
    const c = r[at + 1];
    if (c === undefined) {
      out.push('\\');
      return;
    }
    let group = -1;
    if (c >= '1' && c <= '9') group = c.charCodeAt(0) - 48;
    else if (c === '&') group = 0;
    if (group >= 0) {
      const so = 2 * group < m.length ? m[2 * group]! : -1;
      const eo = 2 * group < m.length ? m[2 * group + 1]! : -1;
      if (so >= 0 && eo >= 0) out.push(cps.slice(so, eo));
      i = at + 2;
    } else if (c === '\\') {
      out.push('\\');
      i = at + 2;
    } else {
      out.push('\\');
      i = at + 1;
    }
  }
}

/** regexp_replace: the first match (every match with 'g') replaced (PostgreSQL's replace_text_regexp). */
export function regexpReplace(re: Regex, text: string, replacement: string, glob: boolean): string {
  const subj = re.subject(text);
  const cps = new CodePoints(text, subj.n);
  const captures = new RegExp(`\\\\[1-${replacementGroupsMax}]`).test(replacement);
  const out: string[] = [];
  let copied = 0;
  let searchStart = 0;
  while (searchStart <= subj.n) {
    const m = re.exec(subj, searchStart, captures);
    if (!m) break;
    out.push(cps.slice(copied, m[0]!));
    appendReplacement(out, replacement, m, cps);
    copied = m[1]!;
    if (!glob) break;
    searchStart = m[1]! + (m[0] === m[1] ? 1 : 0);
  }
  out.push(cps.slice(copied, subj.n));
  return out.join('');
}

/** substring(text from pattern): the first capture group's text when there are groups, else the match. */
export function regexpSubstring(re: Regex, text: string): string | null {
  const subj = re.subject(text);
  const m = re.exec(subj, 0, re.nsub > 0);
  if (!m) return null;
  const [so, eo] = re.nsub > 0 ? [m[2]!, m[3]!] : [m[0]!, m[1]!];
  if (so < 0 || eo < 0) return null;
  return new CodePoints(text, subj.n).slice(so, eo);
}

/**
 * Every match from code point `start` on (setup_regexp_matches, global): the next search begins
 * where a match ended, one further after an empty match.
 */
export function allMatches(re: Regex, text: string, start: number): { matches: Match[]; cps: CodePoints } {
  const subj = re.subject(text);
  const matches: Match[] = [];
  let searchStart = start;
  while (searchStart <= subj.n) {
    const m = re.exec(subj, searchStart, re.nsub > 0);
    if (!m) break;
    matches.push(m);
    searchStart = m[1]! + (m[0] === m[1] ? 1 : 0);
  }
  return { matches, cps: new CodePoints(text, subj.n) };
}

function positive(name: string, v: unknown, min: number): number {
  const n = Number(v);
  if (n < min) throw new ChorusError('22023', `invalid value for parameter "${name}": ${n}`);
  return n;
}

/** The flags of regexp_count / regexp_instr / regexp_substr, which refuse 'g'. */
function notGlobalFlags(fn: string, flags: unknown): number {
  const f = parseReFlags(String(flags));
  if (f.glob) throw new ChorusError('22023', `${fn}() does not support the "global" option`);
  return f.cflags;
}

/** A SIMILAR TO pattern as the regular expression PostgreSQL matches it with (similar_escape_internal). */
export function similarToRegex(pattern: string, escapeChar: string | null): string {
  let esc: string | null = '\\';
  if (escapeChar !== null) {
    const chars = Array.from(escapeChar);
    if (chars.length > 1) {
      throw new ChorusError('22025', 'invalid escape string', {
        hint: 'Escape string must be empty or one character.',
      });
    }
    esc = chars.length === 0 ? null : chars[0]!;
  }
  let out = '^(?:';
  let afterEscape = false;
  let inClass = false;
  let quotes = 0;
  for (const c of pattern) {
    if (afterEscape) {
      if (c === '"' && !inClass) {
        if (quotes === 0) out += '){1,1}?(';
        else if (quotes === 1) out += '){1,1}(?:';
        else {
          throw new ChorusError(
            '2200C',
            'SQL regular expression may not contain more than two escape-double-quote separators',
          );
        }
        quotes++;
      } else out += `\\${c}`;
      afterEscape = false;
    } else if (esc !== null && c === esc) afterEscape = true;
    else if (inClass) {
      if (c === '\\') out += '\\';
      out += c;
      if (c === ']') inClass = false;
    } else if (c === '[') {
      out += c;
      inClass = true;
    } else if (c === '%') out += '.*';
    else if (c === '_') out += '.';
    else if (c === '(') out += '(?:';
    else if (c === '\\' || c === '.' || c === '^' || c === '$') out += `\\${c}`;
    else out += c;
  }
  return `${out})$`;
}

export function regexFunctions(db: Database.Database): void {
  const cache = new RegexCache();
  db.function('pg_regex_match', pure, (s: unknown, p: unknown, ci: unknown, want: unknown) => {
    if (s === null || p === null) return null;
    const re = cache.get(String(p), reAdvanced | (Number(ci) ? reIcase : 0));
    return re.test(re.subject(String(s))) === Boolean(Number(want)) ? 1n : 0n;
  });
  db.function('pg_regexp_like', pure, (s: unknown, p: unknown, flags: unknown) => {
    if (s === null || p === null || flags === null) return null;
    const f = parseReFlags(String(flags));
    if (f.glob) throw new ChorusError('22023', 'regexp_like() does not support the "global" option');
    const re = cache.get(String(p), f.cflags);
    return re.test(re.subject(String(s))) ? 1n : 0n;
  });
  db.function('pg_regexp_replace', pure, (s: unknown, p: unknown, r: unknown, flags: unknown) => {
    if (s === null || p === null || r === null || flags === null) return null;
    const f = parseReFlags(String(flags));
    return regexpReplace(cache.get(String(p), f.cflags), String(s), String(r), f.glob);
  });
  db.function('pg_regexp_substr', pure, (s: unknown, p: unknown) => {
    if (s === null || p === null) return null;
    return regexpSubstring(cache.get(String(p), reAdvanced), String(s));
  });
  const strictVar = (name: string, f: (...args: unknown[]) => unknown): void => {
    db.function(name, { ...pure, varargs: true }, (...args: unknown[]) =>
      args.some((a) => a === null) ? null : f(...args),
    );
  };
  // regexp_count(string, pattern, start, flags)
  strictVar('pg_regexp_count', (s, p, start, flags) => {
    const st = positive('start', start, 1);
    const cflags = notGlobalFlags('regexp_count', flags);
    return BigInt(allMatches(cache.get(String(p), cflags), String(s), st - 1).matches.length);
  });
  // regexp_instr(string, pattern, start, n, endoption, flags, subexpr)
  strictVar('pg_regexp_instr', (s, p, start, n, endoption, flags, subexpr) => {
    const st = positive('start', start, 1);
    const k = positive('n', n, 1);
    const end = Number(endoption);
    if (end !== 0 && end !== 1)
      throw new ChorusError('22023', `invalid value for parameter "endoption": ${end}`);
    const cflags = notGlobalFlags('regexp_instr', flags);
    const group = positive('subexpr', subexpr, 0);
    const re = cache.get(String(p), cflags);
    const m = allMatches(re, String(s), st - 1).matches[k - 1];
    if (!m || group > re.nsub) return 0n;
    const so = m[2 * group]!;
    const eo = m[2 * group + 1]!;
    if (so < 0 || eo < 0) return 0n;
    return BigInt((end ? eo : so) + 1);
  });
  // regexp_substr(string, pattern, start, n, flags, subexpr)
  strictVar('pg_regexp_substr_n', (s, p, start, n, flags, subexpr) => {
    const st = positive('start', start, 1);
    const k = positive('n', n, 1);
    const cflags = notGlobalFlags('regexp_substr', flags);
    const group = positive('subexpr', subexpr, 0);
    const re = cache.get(String(p), cflags);
    const { matches, cps } = allMatches(re, String(s), st - 1);
    const m = matches[k - 1];
    if (!m || group > re.nsub) return null;
    const so = m[2 * group]!;
    const eo = m[2 * group + 1]!;
    return so < 0 || eo < 0 ? null : cps.slice(so, eo);
  });
  db.function('pg_similar', pure, (s: unknown, p: unknown, esc: unknown, want: unknown) => {
    if (s === null || p === null) return null;
    const re = cache.get(similarToRegex(String(p), esc === null ? null : String(esc)), reAdvanced);
    return re.test(re.subject(String(s))) === Boolean(Number(want)) ? 1n : 0n;
  });
}
