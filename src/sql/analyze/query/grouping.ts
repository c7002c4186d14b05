// GROUP BY and PostgreSQL's grouping rule (42803): in a grouped query level, a column outside an
// aggregate must be grouped, be inside an expression that is grouped, or belong to a table whose
// primary key is grouped. GROUP BY items may be output positions or output names, as in PostgreSQL.

import type * as P from '@pgsql/types';
import { ChorusError, FeatureNotSupportedError } from '../../../errors.js';
import { nodeOf } from '../../parse/parser.js';
import type { Typed } from '../context.js';
import { groupKeySql, requireEquality } from '../expr/comparison/keys.js';
import { type Analyzer, exprPos, type Level, strings } from '../level.js';
import type { Scope } from '../scope.js';

export interface GroupChecker {
  check(col: string, table: string | undefined, position?: number): void;
}

export interface GroupState {
  sql: string;
  checker: LazyGroupCheck;
  /** Fingerprints of grouped expressions (not plain columns). */
  fingerprints: Set<string>;
}

/** A parse subtree without its locations: equal text for equal expressions. */
export function fingerprint(n: P.Node): string {
  return JSON.stringify(n, (k, v) => (k === 'location' ? undefined : v));
}

/** The checker for a query level: violations are kept and thrown only if the level turns out grouped. */
export class LazyGroupCheck implements GroupChecker {
  readonly plainColumns = new Set<string>();
  readonly groupedTables = new Set<string>();
  firstViolation: ChorusError | null = null;

  constructor(private readonly throwNow: boolean) {}

  check(col: string, table: string | undefined, position?: number): void {
    if (table !== undefined && (this.plainColumns.has(`${table}.${col}`) || this.groupedTables.has(table)))
      return;
    if (table === undefined && [...this.plainColumns].some((c) => c.endsWith(`.${col}`))) return;
    const shown = table ? `${table}.${col}` : col;
    const err = new ChorusError(
      '42803',
      `column "${shown}" must appear in the GROUP BY clause or be used in an aggregate function`,
      { position },
    );
    if (this.throwNow) throw err;
    this.firstViolation ??= err;
  }
}

/**
 * GROUP BY of a SELECT: emits the clause and prepares the grouping check. Positions and output names
 * are replaced by the select-list expressions they name (so they also match as grouped expressions).
 */
export function groupBy(an: Analyzer, s: P.SelectStmt, scope: Scope): GroupState | null {
  if (!s.groupClause || s.groupClause.length === 0) return null;
  const targets = (s.targetList ?? []).map((t) => nodeOf(t)[1] as P.ResTarget);
  const items = s.groupClause.map((g) => resolveGroupItem(g, targets, scope));
  const checker = new LazyGroupCheck(true);
  const fingerprints = new Set<string>();
  const lv: Level = an.level(scope, 'GROUP BY');
  const sqls: string[] = [];
  for (const item of items) {
    const [tag, body] = nodeOf(item);
    if (tag === 'GroupingSet') throw new FeatureNotSupportedError('GROUPING SETS, ROLLUP and CUBE');
    const e: Typed = an.expr(item, lv);
    if (tag === 'ColumnRef') {
      const fields = strings((body as P.ColumnRef).fields);
      const { item: rangeItem, col, levelsUp } = scope.column(fields);
      if (levelsUp === 0) {
        checker.plainColumns.add(`${rangeItem.alias}.${col.name}`);
        const rel = rangeItem.relation;
        const grouped = new Set(
          [...checker.plainColumns]
            .filter((c) => c.startsWith(`${rangeItem.alias}.`))
            .map((c) => c.slice(rangeItem.alias.length + 1)),
        );
        if (rel && rel.primaryKey.length > 0 && rel.primaryKey.every((k) => grouped.has(k))) {
          checker.groupedTables.add(rangeItem.alias);
        }
      }
    } else fingerprints.add(fingerprint(item));
    requireEquality(e.type, exprPos(an.st, item));
    sqls.push(groupKeySql(e));
  }
  return { sql: ` GROUP BY ${sqls.join(', ')}`, checker, fingerprints };
}

export { groupKeySql, needsGroupKey } from '../expr/comparison/keys.js';

function resolveGroupItem(g: P.Node, targets: readonly P.ResTarget[], scope: Scope): P.Node {
  const [tag, body] = nodeOf(g);
  if (tag === 'A_Const') {
    const c = body as P.A_Const;
    if (c.ival !== undefined) {
      const n = c.ival.ival ?? 0;
      const t = targets[n - 1];
      if (!t?.val) throw new ChorusError('42P10', `GROUP BY position ${n} is not in select list`);
      return t.val;
    }
  }
  if (tag === 'ColumnRef') {
    const fields = strings((body as P.ColumnRef).fields);
    if (fields.length === 1) {
      // An input column wins over an output name (unlike ORDER BY).
      try {
        scope.column(fields);
        return g;
      } catch {
        const t = targets.find((x) => x.name === fields[0]);
        if (t?.val) return t.val;
      }
    }
  }
  return g;
}
