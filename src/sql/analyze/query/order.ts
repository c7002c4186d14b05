// ORDER BY (output positions and names first, then expressions; NULLS LAST for ascending and NULLS
// FIRST for descending, PostgreSQL's default, always spelled out for SQLite) and window
// definitions (WINDOW clauses and OVER (...), frames included).

import type * as P from '@pgsql/types';
import { ChorusError, FeatureNotSupportedError } from '../../../errors.js';
import { nodeOf } from '../../parse/parser.js';
import type { Typed } from '../context.js';
import { type Analyzer, type Level, pos, strings } from '../level.js';
import { quoteId } from '../scope.js';

export interface OutputRef {
  name: string;
  e: Typed;
}

/** One sort key's direction and NULLS placement as SQLite text. */
function direction(s: P.SortBy): string {
  if (s.sortby_dir === 'SORTBY_USING') throw new FeatureNotSupportedError('ORDER BY ... USING');
  const desc = s.sortby_dir === 'SORTBY_DESC';
  const nullsFirst =
    s.sortby_nulls === 'SORTBY_NULLS_DEFAULT' || s.sortby_nulls === undefined
      ? desc
      : s.sortby_nulls === 'SORTBY_NULLS_FIRST';
  return `${desc ? ' DESC' : ''} NULLS ${nullsFirst ? 'FIRST' : 'LAST'}`;
}

/**
 * ORDER BY of a query level. `outputsOnly`: a set operation or VALUES, where only output columns
 * can be named; `distinct`: expressions must appear in the select list.
 */
export function orderBy(
  an: Analyzer,
  sorts: readonly P.Node[],
  lv: Level,
  outputs: readonly OutputRef[],
  distinctOrSetOp: boolean,
): string {
  if (sorts.length === 0) return '';
  const keys = sorts.map((n) => {
    const s = nodeOf(n)[1] as P.SortBy;
    return `${sortKey(an, s, lv, outputs, distinctOrSetOp)}${direction(s)}`;
  });
  return ` ORDER BY ${keys.join(', ')}`;
}

function sortKey(
  an: Analyzer,
  s: P.SortBy,
  lv: Level,
  outputs: readonly OutputRef[],
  restricted: boolean,
): string {
  const st = an.st;
  const [tag, body] = nodeOf(s.node!);
  if (tag === 'A_Const' && (body as P.A_Const).ival !== undefined) {
    const n = (body as P.A_Const).ival!.ival ?? 0;
    if (n < 1 || n > outputs.length) {
      throw new ChorusError('42P10', `ORDER BY position ${n} is not in select list`, {
        position: pos(st, (body as P.A_Const).location),
      });
    }
    return `"c${n}"`;
  }
  if (tag === 'ColumnRef') {
    const fields = strings((body as P.ColumnRef).fields);
    if (fields.length === 1) {
      const matches = outputs.map((o, i) => ({ o, i })).filter((x) => x.o.name === fields[0]);
      if (matches.length > 1 && new Set(matches.map((m) => m.o.e.sql)).size > 1) {
        throw new ChorusError('42702', `ORDER BY "${fields[0]}" is ambiguous`, {
          position: pos(st, (body as P.ColumnRef).location),
        });
      }
      if (matches.length > 0) return `"c${matches[0]!.i + 1}"`;
    }
  }
  if (restricted && lv.scope.items.length === 0) {
    throw new FeatureNotSupportedError(
      'ORDER BY on a UNION/INTERSECT/EXCEPT result other than output column names or positions',
    );
  }
  const e = an.expr(s.node!, lv);
  if (restricted) {
    const i = outputs.findIndex((o) => o.e.sql === e.sql);
    if (i < 0) {
      throw new ChorusError('42P10', 'for SELECT DISTINCT, ORDER BY expressions must appear in select list', {
        position: pos(st, s.location),
      });
    }
    return `"c${i + 1}"`;
  }
  return e.sql;
}

/** The WINDOW clause of a SELECT: `WINDOW w AS (...)`. */
export function windowClause(an: Analyzer, defs: readonly P.Node[] | undefined, lv: Level): string {
  if (!defs || defs.length === 0) return '';
  const parts = defs.map((n) => {
    const w = nodeOf(n)[1] as P.WindowDef;
    return `${quoteId(w.name!)} AS ${windowSpec(an, w, lv, false)}`;
  });
  return ` WINDOW ${parts.join(', ')}`;
}

const frameFlags = {
  nonDefault: 0x1,
  range: 0x2,
  rows: 0x4,
  groups: 0x8,
  between: 0x10,
  startUnboundedPreceding: 0x20,
  endUnboundedPreceding: 0x40,
  startUnboundedFollowing: 0x80,
  endUnboundedFollowing: 0x100,
  startCurrentRow: 0x200,
  endCurrentRow: 0x400,
  startOffsetPreceding: 0x800,
  endOffsetPreceding: 0x1000,
  startOffsetFollowing: 0x2000,
  endOffsetFollowing: 0x4000,
  excludeCurrentRow: 0x8000,
  excludeGroup: 0x10000,
  excludeTies: 0x20000,
} as const;

/** An OVER (...) specification (`over`: an OVER clause, where a bare name refers to a WINDOW). */
export function windowSpec(an: Analyzer, w: P.WindowDef, lv: Level, over = true): string {
  if (over && w.name) return quoteId(w.name);
  const parts: string[] = [];
  if (w.refname) parts.push(quoteId(w.refname));
  if (w.partitionClause && w.partitionClause.length > 0) {
    parts.push(`PARTITION BY ${w.partitionClause.map((p) => an.expr(p, lv).sql).join(', ')}`);
  }
  if (w.orderClause && w.orderClause.length > 0) {
    parts.push(
      `ORDER BY ${w.orderClause
        .map((n) => {
          const s = nodeOf(n)[1] as P.SortBy;
          return `${an.expr(s.node!, lv).sql}${direction(s)}`;
        })
        .join(', ')}`,
    );
  }
  const f = w.frameOptions ?? 0;
  if (f & frameFlags.nonDefault) parts.push(frameSql(an, w, lv, f));
  return `(${parts.join(' ')})`;
}

function frameSql(an: Analyzer, w: P.WindowDef, lv: Level, f: number): string {
  const mode = f & frameFlags.rows ? 'ROWS' : f & frameFlags.groups ? 'GROUPS' : 'RANGE';
  const bound = (start: boolean): string => {
    const F = frameFlags;
    if (f & (start ? F.startUnboundedPreceding : F.endUnboundedPreceding)) return 'UNBOUNDED PRECEDING';
    if (f & (start ? F.startUnboundedFollowing : F.endUnboundedFollowing)) return 'UNBOUNDED FOLLOWING';
    if (f & (start ? F.startCurrentRow : F.endCurrentRow)) return 'CURRENT ROW';
    const offset = start ? w.startOffset : w.endOffset;
    const sql = offset ? an.expr(offset, lv).sql : '0';
    if (f & (start ? F.startOffsetPreceding : F.endOffsetPreceding)) return `${sql} PRECEDING`;
    return `${sql} FOLLOWING`;
  };
  let out =
    f & frameFlags.between ? `${mode} BETWEEN ${bound(true)} AND ${bound(false)}` : `${mode} ${bound(true)}`;
  if (f & frameFlags.excludeCurrentRow) out += ' EXCLUDE CURRENT ROW';
  else if (f & frameFlags.excludeGroup) out += ' EXCLUDE GROUP';
  else if (f & frameFlags.excludeTies) out += ' EXCLUDE TIES';
  return out;
}

/** An ORDER BY list inside an aggregate call (expressions only), without the keywords. */
export function orderByList(an: Analyzer, sorts: readonly P.Node[], lv: Level): string {
  return sorts
    .map((n) => {
      const s = nodeOf(n)[1] as P.SortBy;
      return `${an.expr(s.node!, lv).sql}${direction(s)}`;
    })
    .join(', ');
}
