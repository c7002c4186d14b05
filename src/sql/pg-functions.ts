// SQL functions PostgreSQL users expect that SQLite lacks: now(), date_trunc() with a non-literal
// unit, the ordered-set aggregates percentile_cont / percentile_disc (the dialect layer turns
// `percentile_cont(p) WITHIN GROUP (ORDER BY x)` into `percentile_cont(x, p)`), greatest/least,
// bool_and/bool_or/every, gen_random_uuid() and the common string functions (left, lpad, split_part,
// initcap, strpos, translate, md5, ...).

import { createHash, randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { ChorusError } from '../errors.js';

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** A timestamp with time zone as text, like PostgreSQL's (UTC), readable by SQLite's date functions. */
export function pgTimestamp(d: Date): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}+00:00`;
}

const truncUnits = ['second', 'minute', 'hour', 'day', 'month', 'year'] as const;

/** date_trunc(unit, ts) on a 'YYYY-MM-DD HH:MM:SS...' text; null in, null out. */
export function dateTrunc(unit: unknown, ts: unknown): string | null {
  if (unit === null || ts === null || ts === undefined) return null;
  const u = String(unit).toLowerCase();
  const level = truncUnits.indexOf(u as (typeof truncUnits)[number]);
  if (level < 0) throw new ChorusError('22023', `date_trunc: unit "${String(unit)}" not recognized`);
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(String(ts));
  if (!m) throw new ChorusError('22007', `invalid input syntax for type timestamp: "${String(ts)}"`);
  const [, y, mo, d, h = '00', mi = '00', s = '00'] = m;
  const parts = [
    y,
    level >= 5 ? '01' : mo,
    level >= 4 ? '01' : d,
    level >= 3 ? '00' : h,
    level >= 2 ? '00' : mi,
    level >= 1 ? '00' : s,
  ];
  return `${parts[0]}-${parts[1]}-${parts[2]} ${parts[3]}:${parts[4]}:${parts[5]}`;
}

function percentile(values: number[], p: number, continuous: boolean): number | null {
  if (values.length === 0) return null;
  values.sort((a, b) => a - b);
  if (!continuous) return values[Math.max(0, Math.ceil(p * values.length) - 1)]!;
  const pos = p * (values.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return values[lo]! + (values[hi]! - values[lo]!) * (pos - lo);
}

function percentileAggregate(continuous: boolean) {
  return {
    start: (): { values: number[]; p: number | null } => ({ values: [], p: null }),
    step: (acc: { values: number[]; p: number | null }, x: unknown, p: unknown) => {
      const frac = Number(p);
      if (!(frac >= 0 && frac <= 1)) {
        throw new ChorusError('22003', `percentile value ${String(p)} is not between 0 and 1`);
      }
      acc.p = frac;
      if (x !== null && x !== undefined) acc.values.push(Number(x));
    },
    result: (acc: { values: number[]; p: number | null }) =>
      acc.p === null ? null : percentile(acc.values, acc.p, continuous),
  };
}

/** greatest()/least(): NULLs are ignored (NULL only when every argument is NULL), as in PostgreSQL. */
function extreme(args: unknown[], greater: boolean): unknown {
  let best: unknown = null;
  for (const v of args) {
    if (v === null || v === undefined) continue;
    if (best === null) best = v;
    else if (greater ? (v as number) > (best as number) : (v as number) < (best as number)) best = v;
  }
  return best;
}

const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : Number(v));

/** Text functions: arguments of SQL NULL give NULL (PostgreSQL's strict functions). */
function textFunction(db: Database.Database, name: string, fn: (...args: string[]) => string | bigint): void {
  db.function(name, { deterministic: true, varargs: true }, (...args: unknown[]) =>
    args.some((a) => a === null || a === undefined) ? null : fn(...args.map((a) => String(a))),
  );
}

function padText(s: string, length: string, fill: string, left: boolean): string {
  const chars = [...s];
  const n = Math.max(0, num(length));
  if (chars.length >= n) return chars.slice(0, n).join('');
  const f = [...fill];
  if (f.length === 0) return s;
  const padding = Array.from({ length: n - chars.length }, (_, i) => f[i % f.length]).join('');
  return left ? padding + s : s + padding;
}

function registerStringFunctions(db: Database.Database): void {
  textFunction(db, 'left', (s, n) => {
    const c = [...s];
    const k = num(n);
    return c.slice(0, k < 0 ? Math.max(0, c.length + k) : k).join('');
  });
  textFunction(db, 'right', (s, n) => {
    const c = [...s];
    const k = num(n);
    return c.slice(k < 0 ? Math.min(c.length, -k) : Math.max(0, c.length - k)).join('');
  });
  textFunction(db, 'lpad', (s, n, fill = ' ') => padText(s, n, fill, true));
  textFunction(db, 'rpad', (s, n, fill = ' ') => padText(s, n, fill, false));
  textFunction(db, 'repeat', (s, n) => s.repeat(Math.max(0, num(n))));
  textFunction(db, 'reverse', (s) => [...s].reverse().join(''));
  textFunction(db, 'split_part', (s, delim, n) => {
    const k = num(n);
    if (k === 0) throw new ChorusError('22023', 'field position must not be zero');
    const parts = delim === '' ? [s] : s.split(delim);
    return parts[k > 0 ? k - 1 : parts.length + k] ?? '';
  });
  textFunction(db, 'initcap', (s) =>
    s
      .toLowerCase()
      .replace(/(^|[^\p{L}\p{N}])(\p{L})/gu, (_, sep: string, c: string) => sep + c.toUpperCase()),
  );
  textFunction(db, 'strpos', (s, sub) => {
    const i = s.indexOf(sub);
    return BigInt(i < 0 ? 0 : [...s.slice(0, i)].length + 1);
  });
  for (const name of ['char_length', 'character_length'])
    textFunction(db, name, (s) => BigInt([...s].length));
  textFunction(db, 'btrim', (s, chars = ' ') => {
    const set = new Set(chars);
    const c = [...s];
    let a = 0;
    let b = c.length;
    while (a < b && set.has(c[a]!)) a++;
    while (b > a && set.has(c[b - 1]!)) b--;
    return c.slice(a, b).join('');
  });
  textFunction(db, 'translate', (s, from, to) => {
    const f = [...from];
    const t = [...to];
    return [...s]
      .map((ch) => {
        const i = f.indexOf(ch);
        return i < 0 ? ch : (t[i] ?? '');
      })
      .join('');
  });
  db.function('encode', { deterministic: true }, (data: unknown, format: unknown) => {
    if (data === null || format === null) return null;
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(String(data), 'utf8');
    const f = String(format).toLowerCase();
    if (f !== 'hex' && f !== 'base64')
      throw new ChorusError('22023', `unrecognized encoding: "${String(format)}"`);
    return buf.toString(f);
  });
  db.function('decode', { deterministic: true }, (text: unknown, format: unknown) => {
    if (text === null || format === null) return null;
    const f = String(format).toLowerCase();
    if (f === 'hex' && !/^([0-9a-fA-F]{2})*$/.test(String(text))) {
      throw new ChorusError('22023', `invalid hexadecimal data: "${String(text)}"`);
    }
    if (f !== 'hex' && f !== 'base64')
      throw new ChorusError('22023', `unrecognized encoding: "${String(format)}"`);
    return Buffer.from(String(text), f);
  });
  textFunction(db, 'md5', (s) => createHash('md5').update(s, 'utf8').digest('hex'));
  textFunction(db, 'starts_with', (s, prefix) => (s.startsWith(prefix) ? 1n : 0n));
}

function boolAggregate(all: boolean) {
  return {
    start: (): { v: boolean | null } => ({ v: null }),
    step: (acc: { v: boolean | null }, x: unknown) => {
      if (x === null || x === undefined) return;
      const b = num(x) !== 0;
      acc.v = acc.v === null ? b : all ? acc.v && b : acc.v || b;
    },
    result: (acc: { v: boolean | null }) => (acc.v === null ? null : acc.v ? 1n : 0n),
  };
}

export function registerPgFunctions(db: Database.Database): void {
  db.function('greatest', { deterministic: true, varargs: true }, (...a: unknown[]) => extreme(a, true));
  db.function('least', { deterministic: true, varargs: true }, (...a: unknown[]) => extreme(a, false));
  db.function('gen_random_uuid', { deterministic: false }, () => randomUUID());
  registerStringFunctions(db);
  db.aggregate('bool_and', boolAggregate(true) as never);
  db.aggregate('every', boolAggregate(true) as never);
  db.aggregate('bool_or', boolAggregate(false) as never);
  db.function('now', { deterministic: false }, () => pgTimestamp(new Date()));
  db.function('date_trunc', { deterministic: true }, (unit: unknown, ts: unknown) => dateTrunc(unit, ts));
  // The typings model one-argument aggregates only; these take two (value, fraction).
  db.aggregate('percentile_cont', percentileAggregate(true) as never);
  db.aggregate('percentile_disc', percentileAggregate(false) as never);
}
