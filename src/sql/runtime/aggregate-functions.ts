// Aggregates with PostgreSQL's equality and order: DISTINCT aggregates, min / max with
// PostgreSQL's choice among equal values, sum / avg of intervals and string_agg for DISTINCT.
//
// | aggregate                          | does                                                       |
// |------------------------------------|------------------------------------------------------------|
// | <name>_distinct(dirs, k1..kn, a..) | <name>(a..) over the rows distinct by keys k1..kn, fed in   |
// |                                    | the keys' order (dirs: one letter per key, a / A ascending |
// |                                    | NULLS LAST / FIRST, d / D descending NULLS FIRST / LAST);   |
// |                                    | the first row of each set of equal keys is the one used    |
// | pg_min(v, oid), pg_max(v, oid)     | min / max by the type's order; among equal values the      |
// |                                    | latest wins, the earliest for bpchar (PostgreSQL's         |
// |                                    | *_smaller / *_larger); _w: the same as window functions    |
// | pg_interval_sum(iv), _avg(iv)      | sum / avg of intervals (22008 on overflow)                 |
// | pg_string_agg(v, delimiter)        | string_agg (the DISTINCT form's base)                      |
//
// Keys are SQL values ordered as SQLite orders them (numbers, then text byte-wise, then BLOBs):
// the analyzer passes each argument's order/equality key (analyze/expr/comparison/keys.ts).

import type Database from 'better-sqlite3';
import { ChorusError } from '../../errors.js';
import { valueBytesMax } from '../../limits.js';
import { decodeInterval, encodeInterval, type Interval, ZERO_INTERVAL } from '../types/interval/interval.js';
import { intervalDiv, intervalMi, intervalPl } from '../types/interval/interval-arith.js';
import { T, typeByOid } from '../types/pg-types.js';
import type { StorageValue } from '../types/values.js';
import { compareStorage } from './cast.js';
import { checkResultBytes } from './text-functions.js';

type Step = (acc: unknown, ...args: unknown[]) => unknown;

/** better-sqlite3's aggregate options (step and inverse return the new state, or undefined to keep it). */
export interface AggregateSpec<S = unknown> {
  start?: S | (() => S) | null;
  step: (acc: S, ...args: never[]) => unknown;
  inverse?: (acc: S, ...args: never[]) => unknown;
  result?: (acc: S) => unknown;
  safeIntegers?: boolean;
}

/**
 * Register an aggregate, its DISTINCT form `<name>_distinct`, and — when it has no inverse
 * transition — its window form `<name>_w` (see defineWindowForm).
 */
export function defineAggregate<S>(db: Database.Database, name: string, spec: AggregateSpec<S>): void {
  const options = { deterministic: true, ...spec };
  db.aggregate(name, options as unknown as Parameters<Database.Database['aggregate']>[1]);
  db.aggregate(
    `${name}_distinct`,
    distinctForm(spec) as unknown as Parameters<Database.Database['aggregate']>[1],
  );
  if (!spec.inverse) {
    const start = spec.start;
    defineWindowForm(db, name, {
      start: () => (typeof start === 'function' ? (start as () => S)() : (start as S)),
      step: spec.step as (state: S, ...args: unknown[]) => S | undefined,
      result: (s) => (spec.result ? spec.result(s) : s),
      safeIntegers: spec.safeIntegers,
    });
  }
}

interface WindowRows<S> {
  rows: unknown[][];
  head: number;
  state: S;
  /** Rows left the frame since the state was built. */
  dirty: boolean;
}

/** Rows of a frame that have left it before they are dropped from its array. */
const frameRowsDroppedMin = 1024;

/**
 * The window form (`<name>_w`) of an aggregate without an inverse transition. PostgreSQL restarts
 * such an aggregate when rows leave the frame; so does this: the frame's rows are kept, and after a
 * row leaves, the state is rebuilt over the rest in order (so float sums round as PostgreSQL's).
 */
export function defineWindowForm<S>(
  db: Database.Database,
  name: string,
  spec: {
    start: () => S;
    step: (state: S, ...args: unknown[]) => unknown;
    result: (state: S) => unknown;
    safeIntegers?: boolean;
  },
): void {
  const apply = (w: WindowRows<S>, args: unknown[]): void => {
    const next = spec.step(w.state, ...args);
    if (next !== undefined) w.state = next as S;
  };
  db.aggregate(`${name}_w`, {
    deterministic: true,
    varargs: true,
    safeIntegers: spec.safeIntegers ?? false,
    start: (): WindowRows<S> => ({ rows: [], head: 0, state: spec.start(), dirty: false }),
    step: (w: WindowRows<S>, ...args: unknown[]) => {
      w.rows.push(args);
      if (!w.dirty) apply(w, args);
    },
    inverse: (w: WindowRows<S>) => {
      w.head++;
      w.dirty = true;
      if (w.head > frameRowsDroppedMin && w.head * 2 > w.rows.length) {
        w.rows = w.rows.slice(w.head);
        w.head = 0;
      }
    },
    result: (w: WindowRows<S>) => {
      if (w.dirty) {
        w.state = spec.start();
        for (let i = w.head; i < w.rows.length; i++) apply(w, w.rows[i]!);
        w.dirty = false;
      }
      return spec.result(w.state);
    },
  } as unknown as Parameters<Database.Database['aggregate']>[1]);
}

function rank(v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number' || typeof v === 'bigint') return 1;
  if (typeof v === 'string') return 2;
  return 3;
}

/** SQLite's order of two values (BINARY collation): numbers < text < BLOBs; NULLs handled by callers. */
export function sqlValueCompare(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 1) {
    if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
    const x = Number(a);
    const y = Number(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (ra === 2) return Buffer.compare(Buffer.from(a as string, 'utf8'), Buffer.from(b as string, 'utf8'));
  if (ra === 3) {
    const x = a as Uint8Array;
    const y = b as Uint8Array;
    return Buffer.compare(
      Buffer.from(x.buffer, x.byteOffset, x.byteLength),
      Buffer.from(y.buffer, y.byteOffset, y.byteLength),
    );
  }
  return 0;
}

/** Compare key tuples by the direction letters (see the table above). */
export function compareKeys(dirs: string, a: readonly unknown[], b: readonly unknown[]): number {
  for (let i = 0; i < dirs.length; i++) {
    const d = dirs[i]!;
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    let c: number;
    if (x === null || y === null) {
      if (x === y) continue;
      const nullsFirst = d === 'A' || d === 'd';
      c = x === null ? (nullsFirst ? -1 : 1) : nullsFirst ? 1 : -1;
      return c;
    }
    c = sqlValueCompare(x, y);
    if (c !== 0) return d === 'd' || d === 'D' ? -c : c;
  }
  return 0;
}

interface DistinctState {
  dirs: string;
  rows: { keys: unknown[]; args: unknown[] }[];
}

function distinctForm<S>(spec: AggregateSpec<S>): Record<string, unknown> {
  return {
    deterministic: true,
    varargs: true,
    ...(spec.safeIntegers === undefined ? {} : { safeIntegers: spec.safeIntegers }),
    start: (): DistinctState => ({ dirs: '', rows: [] }),
    step: (s: DistinctState, dirs: unknown, ...rest: unknown[]) => {
      s.dirs = String(dirs);
      const n = s.dirs.length;
      s.rows.push({ keys: rest.slice(0, n), args: rest.slice(n) });
    },
    result: (s: DistinctState) => {
      const rows = s.rows.slice().sort((a, b) => compareKeys(s.dirs, a.keys, b.keys));
      let acc = typeof spec.start === 'function' ? (spec.start as () => S)() : (spec.start ?? null);
      const step = spec.step as unknown as Step;
      let prev: unknown[] | null = null;
      for (const r of rows) {
        if (prev !== null && compareKeys(s.dirs, prev, r.keys) === 0) continue;
        prev = r.keys;
        const next = step(acc, ...r.args);
        if (next !== undefined) acc = next as S;
      }
      return spec.result ? spec.result(acc as S) : acc;
    },
  };
}

interface MinMaxState {
  values: StorageValue[];
  /** Index of the first row still in the frame. */
  head: number;
  best: number;
  dirty: boolean;
  oid: number;
}

/** Whether `v` replaces `best` for min (sign -1) / max (sign 1): equal values replace except for bpchar. */
function better(sign: number, oid: number, v: StorageValue, best: StorageValue): boolean {
  const type = typeByOid(oid) ?? T.text;
  const c = sign * compareStorage(type, v, best);
  return c > 0 || (c === 0 && type !== T.bpchar);
}

function registerMinMax(db: Database.Database): void {
  for (const [name, sign] of [
    ['pg_min', -1],
    ['pg_max', 1],
  ] as const) {
    defineAggregate(db, name, {
      safeIntegers: true,
      start: () => ({ best: null as StorageValue, oid: 0 }),
      step: (acc, v, oid) => {
        const s = acc as { best: StorageValue; oid: number };
        if (v === null) return;
        s.oid = Number(oid);
        if (s.best === null || better(sign, s.oid, v as StorageValue, s.best)) s.best = v as StorageValue;
      },
      result: (acc) => (acc as { best: StorageValue }).best,
    });
    // The window form keeps the frame's values: rows leave the frame first in, first out.
    db.aggregate(`${name}_w`, {
      deterministic: true,
      safeIntegers: true,
      start: (): MinMaxState => ({ values: [], head: 0, best: -1, dirty: false, oid: 0 }),
      step: (s: MinMaxState, v: unknown, oid: unknown) => {
        s.oid = Number(oid);
        s.values.push(v as StorageValue);
        if (v === null || s.dirty) return;
        const i = s.values.length - 1;
        if (s.best < 0 || better(sign, s.oid, v as StorageValue, s.values[s.best]!)) s.best = i;
      },
      inverse: (s: MinMaxState) => {
        if (s.head === s.best) s.dirty = true;
        s.values[s.head++] = null;
        if (s.head > 1024 && s.head * 2 > s.values.length) {
          s.values = s.values.slice(s.head);
          s.best = s.dirty ? -1 : s.best - s.head;
          s.head = 0;
        }
      },
      result: (s: MinMaxState) => {
        if (s.dirty) {
          s.best = -1;
          for (let i = s.head; i < s.values.length; i++) {
            const v = s.values[i]!;
            if (v !== null && (s.best < 0 || better(sign, s.oid, v, s.values[s.best]!))) s.best = i;
          }
          s.dirty = false;
        }
        return s.best < 0 ? null : s.values[s.best]!;
      },
    } as never);
  }
}

interface IntervalAcc {
  sum: Interval;
  n: number;
}

function registerIntervalAggregates(db: Database.Database): void {
  const start = (): IntervalAcc => ({ sum: ZERO_INTERVAL, n: 0 });
  const step: Step = (acc, v) => {
    if (v === null) return;
    const a = acc as IntervalAcc;
    a.sum = intervalPl(a.sum, decodeInterval(v as Uint8Array));
    a.n++;
  };
  const inverse: Step = (acc, v) => {
    if (v === null) return;
    const a = acc as IntervalAcc;
    a.sum = intervalMi(a.sum, decodeInterval(v as Uint8Array));
    a.n--;
  };
  defineAggregate(db, 'pg_interval_sum', {
    start,
    step,
    inverse,
    result: (acc) => ((acc as IntervalAcc).n === 0 ? null : encodeInterval((acc as IntervalAcc).sum)),
  });
  defineAggregate(db, 'pg_interval_avg', {
    start,
    step,
    inverse,
    result: (acc) => {
      const a = acc as IntervalAcc;
      return a.n === 0 ? null : encodeInterval(intervalDiv(a.sum, a.n));
    },
  });
}

function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
  return String(v);
}

export function registerAggregateFunctions(db: Database.Database): void {
  // A scalar subquery's value (over at most two of its rows): PostgreSQL refuses a second row.
  db.aggregate('pg_scalar_subquery', {
    safeIntegers: true,
    start: () => ({ rows: 0, value: null as unknown }),
    step: (acc: { rows: number; value: unknown }, v: unknown) => {
      if (++acc.rows > 1)
        throw new ChorusError('21000', 'more than one row returned by a subquery used as an expression');
      acc.value = v;
      return acc;
    },
    result: (acc: { rows: number; value: unknown }) => acc.value,
  } as unknown as Parameters<Database.Database['aggregate']>[1]);
  registerMinMax(db);
  registerIntervalAggregates(db);
  defineAggregate(db, 'pg_string_agg', {
    start: () => ({ out: null as string | null }),
    step: (acc, v, delimiter) => {
      const a = acc as { out: string | null };
      if (v === null) return;
      a.out = a.out === null ? text(v) : a.out + (delimiter === null ? '' : text(delimiter)) + text(v);
      if (a.out.length * 3 > valueBytesMax) checkResultBytes(Buffer.byteLength(a.out));
    },
    result: (acc) => (acc as { out: string | null }).out,
  });
}
