// String functions whose SQLite namesakes differ from PostgreSQL (Unicode case mapping, negative
// lengths, character counting) or that SQLite lacks, as the front end's SQL calls them. Strict:
// a NULL argument gives NULL (concat / concat_ws / format skip NULLs as PostgreSQL does).

import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { ChorusError } from '../../errors.js';
import { valueBytesMax } from '../../limits.js';
import { charLength } from '../types/values-simple.js';
import { regexFunctions } from './regex.js';

const pure = { deterministic: true, safeIntegers: true } as const;

function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
  return String(v);
}

function num(v: unknown): number {
  return typeof v === 'bigint' ? Number(v) : Number(v);
}

/** Characters (code points) of a string. */
function chars(s: string): string[] {
  return Array.from(s);
}

// The database's locale is C (as `initdb --locale=C`): case mapping and word characters are ASCII.

function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

function asciiUpper(s: string): string {
  return s.replace(/[a-z]+/g, (m) => m.toUpperCase());
}

function initcap(s: string): string {
  let out = '';
  let inWord = false;
  for (const ch of s) {
    const alnum = /[A-Za-z0-9]/.test(ch);
    out += alnum ? (inWord ? asciiLower(ch) : asciiUpper(ch)) : ch;
    inWord = alnum;
  }
  return out;
}

/** substr(s, start, len) with PostgreSQL's rules for start < 1 and negative lengths. */
function substr(s: string, start: number, len: number | null): string {
  const cs = chars(s);
  if (len !== null && len < 0) throw new ChorusError('22011', 'negative substring length not allowed');
  const from = Math.max(start, 1);
  const to = len === null ? cs.length + 1 : start + len;
  if (to <= from) return '';
  return cs.slice(from - 1, to - 1).join('');
}

function bytesSubstr(b: Buffer, start: number, len: number | null): Buffer {
  if (len !== null && len < 0) throw new ChorusError('22011', 'negative substring length not allowed');
  const from = Math.max(start, 1);
  const to = len === null ? b.length + 1 : start + len;
  if (to <= from) return Buffer.alloc(0);
  return Buffer.from(b.subarray(from - 1, to - 1));
}

/** A function's result may not exceed valueBytesMax (PostgreSQL: "requested length too large"). */
export function checkResultBytes(bytes: number): void {
  if (bytes > valueBytesMax) {
    throw new ChorusError('54000', 'requested length too large', {
      hint: `ChorusDB builds values of at most ${valueBytesMax} bytes.`,
    });
  }
}

function pad(s: string, n: number, fill: string, left: boolean): string {
  const cs = chars(s);
  if (n <= 0) return '';
  if (cs.length >= n) return cs.slice(0, n).join('');
  const f = chars(fill);
  if (f.length === 0) return s;
  const fillBytes = Math.max(...f.map((c) => Buffer.byteLength(c)));
  checkResultBytes(Buffer.byteLength(s) + (n - cs.length) * fillBytes);
  const whole = Math.floor((n - cs.length) / f.length);
  const padding = fill.repeat(whole) + f.slice(0, n - cs.length - whole * f.length).join('');
  return left ? padding + s : s + padding;
}

/** quote_ident: quotes unless the name is a lower-case identifier that is not a keyword. */
function quoteIdent(s: string): string {
  if (/^[a-z_][a-z0-9_$]*$/.test(s) && !reservedWords.has(s)) return s;
  return `"${s.replaceAll('"', '""')}"`;
}

const reservedWords = new Set(
  'all analyse analyze and any array as asc asymmetric both case cast check collate column constraint create current_catalog current_date current_role current_time current_timestamp current_user default deferrable desc distinct do else end except false fetch for foreign from grant group having in initially intersect into lateral leading limit localtime localtimestamp not null offset on only or order placing primary references returning select session_user some symmetric table then to trailing true union unique user using variadic when where window with authorization binary collation concurrently cross current_schema freeze full ilike inner is isnull join left like natural notnull outer overlaps right similar tablesample verbose'.split(
    ' ',
  ),
);

function quoteLiteral(s: string): string {
  const body = s.replaceAll("'", "''");
  return s.includes('\\') ? `E'${body.replaceAll('\\', '\\\\')}'` : `'${body}'`;
}

/** format(): %s, %I, %L, %% with optional argument positions (%1$s) and widths (%-10s). */
/** PostgreSQL's text_format: `%[n$][-][width|*|*n$](s|I|L)` and `%%`, with its errors. */
function format(fmt: string, args: readonly (string | null)[]): string {
  const bad = (message: string): ChorusError =>
    new ChorusError('22023', message, { hint: 'For a single "%" use "%%".' });
  let next = 0;
  let out = '';
  let i = 0;
  const digits = (): number | null => {
    const m = /^\d+/.exec(fmt.slice(i));
    if (!m) return null;
    i += m[0].length;
    return Number(m[0]);
  };
  const arg = (index: number): string | null => {
    if (index >= args.length) throw new ChorusError('22023', 'too few arguments for format()');
    next = index + 1;
    return args[index] ?? null;
  };
  const argNumber = (n: number): number => {
    if (n === 0)
      throw new ChorusError('22023', 'format specifies argument 0, but arguments are numbered from 1');
    return n - 1;
  };
  while (i < fmt.length) {
    const c = fmt[i]!;
    if (c !== '%') {
      out += c;
      i++;
      continue;
    }
    i++;
    if (i >= fmt.length) throw bad('unterminated format() type specifier');
    if (fmt[i] === '%') {
      out += '%';
      i++;
      continue;
    }
    // An argument position n$ (digits not followed by $ are the width).
    let position: number | null = null;
    const save = i;
    const n = digits();
    if (n !== null && fmt[i] === '$') {
      position = argNumber(n);
      i++;
    } else i = save;
    let minus = false;
    while (fmt[i] === '-') {
      minus = true;
      i++;
    }
    let width = 0;
    if (fmt[i] === '*') {
      i++;
      const m = digits();
      let index = next;
      if (m !== null) {
        if (fmt[i] !== '$') throw bad('unterminated format() type specifier');
        index = argNumber(m);
        i++;
      }
      const w = arg(index);
      if (w !== null) {
        if (!/^\s*[-+]?\d+\s*$/.test(w))
          throw new ChorusError('22P02', `invalid input syntax for type integer: "${w}"`);
        width = Number(w);
        if (width < 0) {
          minus = true;
          width = -width;
        }
      }
    } else width = digits() ?? 0;
    if (i >= fmt.length) throw bad('unterminated format() type specifier');
    const kind = fmt[i]!;
    i++;
    if (kind !== 's' && kind !== 'I' && kind !== 'L')
      throw bad(`unrecognized format() type specifier "${kind}"`);
    const v = arg(position ?? next);
    let text: string;
    if (kind === 's') text = v ?? '';
    else if (kind === 'I') {
      if (v === null) throw new ChorusError('22004', 'null values cannot be formatted as an SQL identifier');
      text = quoteIdent(v);
    } else text = v === null ? 'NULL' : quoteLiteral(v);
    const length = [...text].length;
    const fill = ' '.repeat(Math.max(0, width - length));
    out += minus ? text + fill : fill + text;
  }
  return out;
}

export function registerTextFunctions(db: Database.Database): void {
  const strict = (name: string, fn: (...a: unknown[]) => unknown): void => {
    db.function(name, { ...pure, varargs: true }, (...a: unknown[]) =>
      a.some((x) => x === null) ? null : fn(...a),
    );
  };
  strict('pg_lower', (s) => asciiLower(str(s)));
  strict('pg_upper', (s) => asciiUpper(str(s)));
  strict('pg_initcap', (s) => initcap(str(s)));
  db.function('pg_substr', pure, (s: unknown, start: unknown, len: unknown) => {
    if (s === null || start === null) return null;
    const l = len === null || len === undefined ? null : num(len);
    if (s instanceof Uint8Array) return bytesSubstr(Buffer.from(s), num(start), l);
    return substr(str(s), num(start), l);
  });
  strict('pg_repeat', (s, n) => {
    const k = num(n);
    if (k <= 0) return '';
    checkResultBytes(Buffer.byteLength(str(s)) * k);
    return str(s).repeat(k);
  });
  strict('pg_reverse', (s) => chars(str(s)).reverse().join(''));
  strict('pg_left', (s, n) => {
    const cs = chars(str(s));
    const k = num(n);
    return (k >= 0 ? cs.slice(0, k) : cs.slice(0, Math.max(0, cs.length + k))).join('');
  });
  strict('pg_right', (s, n) => {
    const cs = chars(str(s));
    const k = num(n);
    return (k >= 0 ? cs.slice(Math.max(0, cs.length - k)) : cs.slice(Math.min(cs.length, -k))).join('');
  });
  strict('pg_lpad', (s, n, f) => pad(str(s), num(n), str(f), true));
  strict('pg_rpad', (s, n, f) => pad(str(s), num(n), str(f), false));
  strict('pg_split_part', (s, d, n) => {
    const k = num(n);
    if (k === 0) throw new ChorusError('22023', 'field position must not be zero');
    const parts = str(d) === '' ? [str(s)] : str(s).split(str(d));
    const i = k > 0 ? k - 1 : parts.length + k;
    return parts[i] ?? '';
  });
  strict('pg_starts_with', (s, p) => (str(s).startsWith(str(p)) ? 1n : 0n));
  strict('pg_md5', (s) =>
    createHash('md5')
      .update(s instanceof Uint8Array ? s : str(s))
      .digest('hex'),
  );
  strict('pg_to_hex', (v, bits) => BigInt.asUintN(num(bits), BigInt(v as bigint)).toString(16));
  strict('pg_chr', (n) => {
    const c = num(n);
    if (c === 0) throw new ChorusError('54000', 'null character not permitted');
    if (c < 0 || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
      throw new ChorusError('54000', `requested character too large for encoding: ${c}`);
    }
    return String.fromCodePoint(c);
  });
  strict('pg_ascii', (s) => BigInt(str(s).codePointAt(0) ?? 0));
  strict('pg_translate', (s, from, to) => {
    const f = chars(str(from));
    const t = chars(str(to));
    return chars(str(s))
      .map((ch) => {
        const i = f.indexOf(ch);
        return i < 0 ? ch : (t[i] ?? '');
      })
      .join('');
  });
  strict('pg_encode', (b, fmt) => encode(Buffer.from(b as Uint8Array), str(fmt)));
  strict('pg_decode', (s, fmt) => decode(str(s), str(fmt)));
  strict('pg_quote_ident', (s) => quoteIdent(str(s)));
  strict('pg_quote_literal', (s) => quoteLiteral(str(s)));
  strict('pg_overlay', (s, r, from, count) => {
    const cs = chars(str(s));
    const start = num(from);
    if (start < 1) throw new ChorusError('22011', 'negative substring length not allowed');
    const n = count === undefined ? chars(str(r)).length : num(count);
    return cs.slice(0, start - 1).join('') + str(r) + cs.slice(start - 1 + n).join('');
  });
  strict('pg_bytea_cat', (a, b) =>
    Buffer.concat([Buffer.from(a as Uint8Array), Buffer.from(b as Uint8Array)]),
  );
  db.function('pg_concat', { ...pure, varargs: true }, (...a: unknown[]) =>
    a.map((x) => (x === null ? '' : str(x))).join(''),
  );
  db.function('pg_concat_ws', { ...pure, varargs: true }, (sep: unknown, ...a: unknown[]) =>
    sep === null
      ? null
      : a
          .filter((x) => x !== null)
          .map(str)
          .join(str(sep)),
  );
  db.function('pg_format', { ...pure, varargs: true }, (fmt: unknown, ...a: unknown[]) =>
    fmt === null
      ? null
      : format(
          str(fmt),
          a.map((x) => (x === null ? null : str(x))),
        ),
  );
  db.function('pg_char_length', pure, (s: unknown) => (s === null ? null : BigInt(charLength(str(s)))));
  regexFunctions(db);
}

function encode(b: Buffer, fmt: string): string {
  switch (fmt.toLowerCase()) {
    case 'hex':
      return b.toString('hex');
    case 'base64':
      return (b.toString('base64').match(/.{1,76}/g) ?? ['']).join('\n');
    case 'escape':
      return Array.from(b)
        .map((c) =>
          c === 0x5c
            ? '\\\\'
            : c < 0x20 || c > 0x7e
              ? `\\${c.toString(8).padStart(3, '0')}`
              : String.fromCharCode(c),
        )
        .join('');
    default:
      throw new ChorusError('22023', `unrecognized encoding: "${fmt}"`);
  }
}

function decode(s: string, fmt: string): Buffer {
  switch (fmt.toLowerCase()) {
    case 'hex':
      {
        const bad = /[^0-9a-fA-F\s]/.exec(s);
        if (bad) throw new ChorusError('22023', `invalid hexadecimal digit: "${bad[0]}"`);
      }
      if (s.replace(/\s/g, '').length % 2)
        throw new ChorusError('22023', 'invalid hexadecimal data: odd number of digits');
      return Buffer.from(s.replace(/\s/g, ''), 'hex');
    case 'base64':
      return Buffer.from(s.replace(/\s/g, ''), 'base64');
    case 'escape':
      return Buffer.from(
        s.replace(/\\\\|\\([0-7]{3})/g, (_m, o: string | undefined) =>
          o ? String.fromCharCode(Number.parseInt(o, 8)) : '\\',
        ),
        'latin1',
      );
    default:
      throw new ChorusError('22023', `unrecognized encoding: "${fmt}"`);
  }
}
