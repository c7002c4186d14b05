// Name resolution: the relations a query level can see (its FROM items, then the enclosing levels
// for correlated references), their columns with types, and PostgreSQL's errors for unknown (42703,
// 42P01) and ambiguous (42702) names.

import { ChorusError, UndefinedTableError } from '../../errors.js';
import { internalPrefix } from '../../storage/internal-schema.js';
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
}

export class Scope {
  readonly items: RangeItem[] = [];
  /** Relations of CTEs visible at this level and below (WITH). */
  readonly ctes = new Map<string, { columns: { name: string; type: TypeRef }[]; sql: string }>();

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
  column(fields: readonly string[], position?: number): { col: ScopeColumn; item: RangeItem; levelsUp: number } {
    const colName = fields[fields.length - 1]!;
    const relName = fields.length >= 2 ? fields[fields.length - 2] : undefined;
    const schema = fields.length >= 3 ? fields[fields.length - 3] : undefined;
    let levelsUp = 0;
    for (let s: Scope | null = this; s; s = s.parent, levelsUp++) {
      if (relName !== undefined) {
        const items = s.items.filter(
          (i) => i.visible && i.alias === relName && (schema === undefined || i.schema === schema || schema === 'public'),
        );
        if (items.length === 0) continue;
        if (items.length > 1) throw new ChorusError('42702', `table reference "${relName}" is ambiguous`, { position });
        const item = items[0]!;
        const col = item.columns.find((c) => c.name === colName);
        if (!col) {
          throw new ChorusError('42703', `column ${relName}.${colName} does not exist`, { position });
        }
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
      if (found) return { ...found, levelsUp };
    }
    if (relName !== undefined) {
      throw new ChorusError('42P01', `missing FROM-clause entry for table "${relName}"`, { position });
    }
    throw new ChorusError('42703', `column "${colName}" does not exist`, { position });
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
      if (item) return item.columns.filter((c) => !c.hidden || item.relation);
    }
    throw new ChorusError('42P01', `missing FROM-clause entry for table "${relName}"`, { position });
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

