// The query level an aggregate belongs to (PostgreSQL's agglevelsup): the lowest level of the
// columns its arguments, FILTER and ORDER BY reference. `(SELECT sum(o.x) FROM t)` with o an outer
// table aggregates the outer query (SQLite evaluates it there too), so the outer query is grouped
// and its other columns must be grouped (42803). Marks are kept per Scope of the owning level.

import type * as P from '@pgsql/types';
import { ChorusError } from '../../../../errors.js';
import { type Level, strings } from '../../level.js';
import type { Scope } from '../../scope.js';

interface Mark {
  count: number;
  /** The latest one's position. */
  position?: number;
}

const marks = new WeakMap<Scope, Mark>();

function collect(n: unknown, out: P.ColumnRef[]): void {
  if (Array.isArray(n)) {
    for (const x of n) collect(x, out);
    return;
  }
  if (n === null || typeof n !== 'object') return;
  for (const [k, v] of Object.entries(n)) {
    if (k === 'ColumnRef') out.push(v as P.ColumnRef);
    // Columns inside a nested subquery are resolved against scopes not built here: not counted.
    else if (k !== 'SubLink') collect(v, out);
  }
}

/** How many levels up the aggregate call belongs (0: this level). */
export function aggregateLevelsUp(fc: P.FuncCall, lv: Level): number {
  const refs: P.ColumnRef[] = [];
  collect([fc.args ?? [], fc.agg_filter ?? null, fc.agg_order ?? []], refs);
  if (refs.length === 0) return 0;
  let min = Number.POSITIVE_INFINITY;
  for (const r of refs) {
    const fields = strings(r.fields);
    if (fields.at(-1) === '*') return 0;
    try {
      min = Math.min(min, lv.scope.column(fields).levelsUp);
    } catch {
      return 0; // the arguments' analysis reports it
    }
    if (min === 0) return 0;
  }
  return min;
}

/** Record an aggregate of the level `levelsUp` above `scope`. */
export function markOuterAggregate(scope: Scope, levelsUp: number, position?: number): void {
  let s: Scope | null = scope;
  for (let i = 0; i < levelsUp && s; i++) s = s.parent;
  if (!s) return;
  const m = marks.get(s);
  if (m) {
    m.count++;
    m.position = position;
  } else marks.set(s, { count: 1, position });
}

/** Whether an inner query holds an aggregate of this level. */
export function hasOuterAggregate(scope: Scope): boolean {
  return (marks.get(scope)?.count ?? 0) > 0;
}

/** The number of such aggregates seen so far (to tell which clause they appeared in). */
export function outerAggregateCount(scope: Scope): number {
  return marks.get(scope)?.count ?? 0;
}

/** PostgreSQL's 42803 when an outer-level aggregate appeared in a clause that allows none. */
export function checkNoOuterAggregate(scope: Scope, before: number, clause: string): void {
  const m = marks.get(scope);
  if (m && m.count > before) {
    throw new ChorusError('42803', `aggregate functions are not allowed in ${clause}`, {
      position: m.position,
    });
  }
}
