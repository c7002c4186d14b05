// Name resolution: the relations a query level can see (its FROM items, then the enclosing levels
// for correlated references), their columns with types, and PostgreSQL's errors for unknown (42703,
// 42P01) and ambiguous (42702) names.

import { ChorusError, UndefinedTableError } from '../../errors.js';
import { internalPrefix } from '../namespaces.js';
import type { TypeRef } from '../types/pg-types.js';
import type { CatalogColumn, CatalogRelation } from './context.js';

export interface ScopeColumn {
  name: string;
  type: TypeRef;
  /** SQLite expression that reads the column at this level. */
  sql: string;
  /** The catalog column, when it comes straight from a table. */
  catalog?: CatalogColumn;
  /** The relation it comes from (for RowDescription's table OID / attnum). */
  relation?: CatalogRelation;
  /** Hidden from `*` (e.g. the right-hand copy of a USING column). */
  hidden?: boolean;
}

export interface RangeItem {
  /** The name the query uses for it (alias or relation name). */
  alias: string;
  /** Set for a relation named with a schema, so `schema.rel.col` resolves. */
  schema?: string;
  relation?: CatalogRelation;
  columns: ScopeColumn[];
  /** Only visible to LATERAL items and the query itself after it is joined. */
  visible: boolean;
  /** Left of a RIGHT or FULL join whose right side is being analyzed: LATERAL may not read it. */
  lateralBlocked?: boolean;
}

export class Scope {
  readonly items: RangeItem[] = [];
  /** Relations of CTEs visible at this level and below (WITH). */
  readonly ctes = new Map<string, { columns: { name: string; type: TypeRef }[]; sql: string }>();
  /** References to this level's items from deeper levels (a LATERAL subquery's correlation). */
  outerRefs = 0;

  constructor(readonly parent: Scope | null) {}

  add(item: RangeItem, position?: number): void {
    if (this.items.some((i) => i.alias === item.alias && i.schema === item.schema)) {
      throw new ChorusError('42712', `table name "${item.alias}" specified more than once`, { position });
    }
    this.items.push(item);
  }

  cte(name: string): { columns: { name: string; type: TypeRef }[]; sql: string } | undefined {
    for (let s: Scope | null = this; s; s = s.parent) {
      const c = s.ctes.get(name);
      if (c) return c;
    }
    return undefined;
  }

  /**
   * Resolve a column reference (`col`, `rel.col`, `schema.rel.col`). Searches this level, then the
   * enclosing ones; `levelsUp` says where it was found (0: this query).
   */
  column(
    fields: readonly string[],
    position?: number,
  ): { col: ScopeColumn; item: RangeItem; levelsUp: number } {
    const colName = fields[fields.length - 1]!;
    const relName = fields.length >= 2 ? fields[fields.length - 2] : undefined;
    const schema = fields.length >= 3 ? fields[fields.length - 3] : undefined;
    let levelsUp = 0;
    for (let s: Scope | null = this; s; s = s.parent, levelsUp++) {
      if (relName !== undefined) {
        const items = s.items.filter(
          (i) =>
            i.visible &&
            i.alias === relName &&
            (schema === undefined || i.schema === schema || schema === 'public'),
        );
        if (items.length === 0) continue;
        if (items.length > 1)
          throw new ChorusError('42702', `table reference "${relName}" is ambiguous`, { position });
        const item = items[0]!;
        const col = item.columns.find((c) => c.name === colName);
        if (!col) {
          throw new ChorusError('42703', `column ${relName}.${colName} does not exist`, {
            position,
            hint: this.suggest(colName, relName),
          });
        }
        reached(s, item, levelsUp, position);
        return { col, item, levelsUp };
      }
      let found: { col: ScopeColumn; item: RangeItem } | null = null;
      for (const item of s.items) {
        if (!item.visible) continue;
        const matches = item.columns.filter((c) => c.name === colName && !c.hidden);
        if (matches.length === 0) continue;
        if (found || matches.length > 1) {
          throw new ChorusError('42702', `column reference "${colName}" is ambiguous`, { position });
        }
        found = { col: matches[0]!, item };
      }
      if (found) {
        reached(s, found.item, levelsUp, position);
        return { ...found, levelsUp };
      }
    }
    // PostgreSQL's errorMissingRTE / errorMissingColumn: an entry this part of the query cannot see.
    const hidden = this.hiddenItems();
    if (relName !== undefined) {
      if (hidden.some((i) => i.alias === relName)) {
        throw new ChorusError('42P01', `invalid reference to FROM-clause entry for table "${relName}"`, {
          position,
          hint: `There is an entry for table "${relName}", but it cannot be referenced from this part of the query.`,
        });
      }
      throw new ChorusError('42P01', `missing FROM-clause entry for table "${relName}"`, { position });
    }
    const owner = hidden.find((i) => i.alias !== '' && i.columns.some((c) => c.name === colName));
    throw new ChorusError('42703', `column "${colName}" does not exist`, {
      position,
      hint: owner
        ? `There is a column named "${colName}" in table "${owner.alias}", but it cannot be referenced from this part of the query.`
        : this.suggest(colName),
    });
  }

  /** Whether an unqualified `name` names a column at this level or an enclosing one. */
  hasColumn(name: string): boolean {
    for (let s: Scope | null = this; s; s = s.parent)
      if (s.items.some((i) => i.visible && i.columns.some((c) => c.name === name && !c.hidden))) return true;
    return false;
  }

  /** A FROM item named `name` at this level or an enclosing one (a whole-row reference), or null. */
  wholeRow(name: string, position?: number): { item: RangeItem; levelsUp: number } | null {
    let levelsUp = 0;
    for (let s: Scope | null = this; s; s = s.parent, levelsUp++) {
      const items = s.items.filter((i) => i.visible && i.alias === name);
      if (items.length > 1)
        throw new ChorusError('42702', `table reference "${name}" is ambiguous`, { position });
      if (items.length === 1) {
        reached(s, items[0]!, levelsUp, position);
        return { item: items[0]!, levelsUp };
      }
    }
    return null;
  }

  private hiddenItems(): RangeItem[] {
    const out: RangeItem[] = [];
    for (let s: Scope | null = this; s; s = s.parent) out.push(...s.items.filter((i) => !i.visible));
    return out;
  }

  /**
   * PostgreSQL's hint for a misspelled column: the visible column(s) within Levenshtein distance
   * min(3, length / 2), one or two of them (from different tables).
   */
  private suggest(name: string, relName?: string): string | undefined {
    const limit = Math.min(fuzzyDistanceMax, Math.floor(name.length / 2));
    let best = limit + 1;
    let found: { table: string; col: string }[] = [];
    for (let s: Scope | null = this; s; s = s.parent) {
      for (const item of s.items) {
        if (!item.visible || item.alias === '' || (relName !== undefined && item.alias !== relName)) continue;
        for (const c of item.columns) {
          const d = levenshtein(name, c.name, best);
          if (d < best) {
            best = d;
            found = [{ table: item.alias, col: c.name }];
          } else if (d === best && d <= limit) found.push({ table: item.alias, col: c.name });
        }
      }
    }
    if (found.length === 0 || found.length > 2) return undefined;
    if (found.length === 2 && found[0]!.table === found[1]!.table) return undefined;
    const shown = found.map((f) => `the column "${f.table}.${f.col}"`).join(' or ');
    return `Perhaps you meant to reference ${shown}.`;
  }

  /** Columns `*` or `rel.*` expands to at this level. */
  star(relName?: string, position?: number): ScopeColumn[] {
    if (relName === undefined) {
      const visible = this.items.filter((i) => i.visible);
      if (visible.length === 0) {
        throw new ChorusError('42601', 'SELECT * with no tables specified is not valid', { position });
      }
      return visible.flatMap((i) => i.columns.filter((c) => !c.hidden));
    }
    for (let s: Scope | null = this; s; s = s.parent) {
      const item = s.items.find((i) => i.visible && i.alias === relName);
      if (!item) continue;
      reached(s, item, s === this ? 0 : 1, position);
      return item.columns.filter((c) => !c.hidden || item.relation);
    }
    throw new ChorusError('42P01', `missing FROM-clause entry for table "${relName}"`, { position });
  }
}

/** A reference from `levelsUp` levels down found `item` of `s`: counted as correlation, checked for LATERAL. */
function reached(s: Scope, item: RangeItem, levelsUp: number, position?: number): void {
  if (levelsUp === 0) return;
  s.outerRefs++;
  if (item.lateralBlocked) {
    throw new ChorusError('42P10', `invalid reference to FROM-clause entry for table "${item.alias}"`, {
      position,
      detail: 'The combining JOIN type must be INNER or LEFT for a LATERAL reference.',
    });
  }
}

/** A SQLite identifier. */
export function quoteId(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Relations named in FROM that are the node's own internal tables are invisible (42P01). */
export function checkInternal(name: string, position?: number): void {
  if (name.toLowerCase().startsWith(internalPrefix)) throw new UndefinedTableError(name, { position });
}

/** PostgreSQL's MAX_FUZZY_DISTANCE for column suggestions. */
const fuzzyDistanceMax = 3;

/** Levenshtein distance (unit costs); stops early once it exceeds `max`. */
function levenshtein(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      rowMin = Math.min(rowMin, v);
    }
    if (rowMin > max) return max + 1;
    prev = cur;
  }
  return prev[b.length]!;
}
