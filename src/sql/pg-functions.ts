// SQL functions PostgreSQL users expect that SQLite lacks: now(), date_trunc() with a non-literal
// unit, and the ordered-set aggregates percentile_cont / percentile_disc (the dialect layer turns
// `percentile_cont(p) WITHIN GROUP (ORDER BY x)` into `percentile_cont(x, p)`).

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

export function registerPgFunctions(db: Database.Database): void {
  db.function('now', { deterministic: false }, () => pgTimestamp(new Date()));
  db.function('date_trunc', { deterministic: true }, (unit: unknown, ts: unknown) => dateTrunc(unit, ts));
  // The typings model one-argument aggregates only; these take two (value, fraction).
  db.aggregate('percentile_cont', percentileAggregate(true) as never);
  db.aggregate('percentile_disc', percentileAggregate(false) as never);
}
