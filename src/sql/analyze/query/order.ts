// ORDER BY (output positions and names first, then expressions; NULLS LAST for ascending and NULLS
// FIRST for descending, PostgreSQL's default, always spelled out for SQLite) and window
// definitions (WINDOW clauses and OVER (...), frames included). Values sort, partition and are
// peers by PostgreSQL's order and equality (expr/keys.ts).

import type * as P from '@pgsql/types';
import { ChorusError, FeatureNotSupportedError } from '../../../errors.js';
import { nodeOf } from '../../parse/parser.js';
import { formatType, isIntegerType, ref, T } from '../../types/pg-types.js';
import type { Typed } from '../context.js';
import { canCoerce, coerce } from '../expr/coercion/coerce.js';
import {
  groupKeySql,
  peerKeySql,
  requireEquality,
  requireOrdering,
  sortKeySql,
} from '../expr/comparison/keys.js';
import { type Analyzer, exprPos, type Level, pos, strings } from '../level.js';
import { quoteId } from '../scope.js';

export interface OutputRef {
  name: string;
  e: Typed;
  /** SQL reading the output where ORDER BY is applied around the query (a keyed DISTINCT: "cN"). */
  keySql?: string;
}

/** One sort key's direction and NULLS placement as SQLite text. */
export function direction(s: P.SortBy): string {
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
  const keys = sorts.map((n, i) => {
    const s = nodeOf(n)[1] as P.SortBy;
    return `${sortKey(an, s, lv, outputs, distinctOrSetOp, i === sorts.length - 1)}${direction(s)}`;
  });
  return ` ORDER BY ${keys.join(', ')}`;
}

function sortKey(
  an: Analyzer,
  s: P.SortBy,
  lv: Level,
  outputs: readonly OutputRef[],
  restricted: boolean,
  last: boolean,
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
    return outputKey(outputs[n - 1]!, n, last, pos(st, (body as P.A_Const).location));
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
      if (matches.length > 0) {
        const m = matches[0]!;
        return outputKey(m.o, m.i + 1, last, pos(st, (body as P.ColumnRef).location));
      }
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
    return outputKey(outputs[i]!, i + 1, last, pos(st, s.location));
  }
  requireOrdering(e.type, exprPos(st, s.node));
  return orderKeySql(e, last);
}

/**
 * A sort key's SQL: the last key may sort equal values in any order (numeric and interval storage
 * sorts by value, then by its display form: index-friendly); an earlier one must let equal values
 * tie so that the next key decides.
 */
function orderKeySql(e: Typed, last: boolean): string {
  return last ? sortKeySql(e) : peerKeySql(e);
}

/** An output column as a sort key: by its name, or its expression's key when it needs one. */
function outputKey(o: OutputRef, n: number, last: boolean, position?: number): string {
  requireOrdering(o.e.type, position);
  const e = o.keySql ? { ...o.e, sql: o.keySql } : o.e;
  const key = orderKeySql(e, last);
  return key === e.sql ? `"c${n}"` : key;
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
    // Partitions by PostgreSQL's equality; peers (rank, RANGE frames) by its order and equality.
    const keys = w.partitionClause.map((p) => {
      const e = an.expr(p, lv);
      requireEquality(e.type, exprPos(an.st, p));
      return groupKeySql(e);
    });
    parts.push(`PARTITION BY ${keys.join(', ')}`);
  }
  const orderTypes: Typed[] = [];
  if (w.orderClause && w.orderClause.length > 0) {
    parts.push(
      `ORDER BY ${w.orderClause
        .map((n) => {
          const s = nodeOf(n)[1] as P.SortBy;
          const e = an.expr(s.node!, lv);
          requireOrdering(e.type, exprPos(an.st, s.node));
          orderTypes.push(e);
          return `${peerKeySql(e)}${direction(s)}`;
        })
        .join(', ')}`,
    );
  }
  const f = w.frameOptions ?? 0;
  if (f & frameFlags.nonDefault) parts.push(frameSql(an, w, lv, f, orderTypes));
  return `(${parts.join(' ')})`;
}

/**
 * A RANGE frame's offset: SQLite measures it on the ORDER BY value itself, which is PostgreSQL's
 * in_range only for integers and floats; other types PostgreSQL supports are refused (0A000).
 */
function rangeOffset(an: Analyzer, offset: P.Node, lv: Level, order: readonly Typed[]): string {
  const o = an.expr(offset, lv);
  const key = order[0];
  if (order.length !== 1 || !key) return o.sql; // SQLite's own error (one ORDER BY expression)
  const t = key.type;
  const position = exprPos(an.st, offset);
  const shown = (x: Typed): string => formatType(x.type, -1);
  if (isIntegerType(t)) {
    if (o.type === T.unknown) return coerce(an.st, o, ref(T.int8), 'implicit', position).sql;
    if (isIntegerType(o.type)) return o.sql;
    throw new FeatureNotSupportedError(
      `RANGE with offset PRECEDING/FOLLOWING for column type ${shown(key)} and offset type ${shown(o)}`,
      { position },
    );
  }
  if (t === T.float4 || t === T.float8) {
    if (o.type === T.unknown || canCoerce(o.type, T.float8, 'implicit'))
      return coerce(an.st, o, ref(T.float8), 'implicit', position).sql;
    throw new FeatureNotSupportedError(
      `RANGE with offset PRECEDING/FOLLOWING for column type ${shown(key)} and offset type ${shown(o)}`,
      { position },
    );
  }
  if (
    t === T.numeric ||
    t === T.interval ||
    t === T.date ||
    t === T.time ||
    t === T.timestamp ||
    t === T.timestamptz
  ) {
    throw new FeatureNotSupportedError(
      `RANGE with offset PRECEDING/FOLLOWING over ${shown(key)} (ChorusDB measures RANGE offsets over integer and float keys only)`,
      { position },
    );
  }
  throw new FeatureNotSupportedError(`RANGE with offset PRECEDING/FOLLOWING for column type ${shown(key)}`, {
    position,
  });
}

function frameSql(an: Analyzer, w: P.WindowDef, lv: Level, f: number, order: readonly Typed[]): string {
  const mode = f & frameFlags.rows ? 'ROWS' : f & frameFlags.groups ? 'GROUPS' : 'RANGE';
  const bound = (start: boolean): string => {
    const F = frameFlags;
    if (f & (start ? F.startUnboundedPreceding : F.endUnboundedPreceding)) return 'UNBOUNDED PRECEDING';
    if (f & (start ? F.startUnboundedFollowing : F.endUnboundedFollowing)) return 'UNBOUNDED FOLLOWING';
    if (f & (start ? F.startCurrentRow : F.endCurrentRow)) return 'CURRENT ROW';
    const offset = start ? w.startOffset : w.endOffset;
    const sql = !offset
      ? '0'
      : mode === 'RANGE'
        ? rangeOffset(an, offset, lv, order)
        : an.expr(offset, lv).sql;
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
    .map((n, i) => {
      const s = nodeOf(n)[1] as P.SortBy;
      const e = an.expr(s.node!, lv);
      requireOrdering(e.type, exprPos(an.st, s.node));
      return `${orderKeySql(e, i === sorts.length - 1)}${direction(s)}`;
    })
    .join(', ');
}
