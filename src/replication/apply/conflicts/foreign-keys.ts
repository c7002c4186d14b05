// The foreign keys between replicated tables as the orphan rules need them (read once per schema
// from pragma_foreign_key_list): by child, by parent, each with its ON DELETE action and key shapes.

import type Database from 'better-sqlite3';
import { tableShape } from '../../../storage/capture/capture.js';

/** The ON DELETE actions SQLite carries out itself when a parent row is deleted. */
export const rowActions: ReadonlySet<string> = new Set(['CASCADE', 'SET NULL', 'SET DEFAULT']);

/** One foreign key: `child(from...) REFERENCES parent(to...)`. */
export interface ForeignKey {
  child: string;
  parent: string;
  from: string[];
  to: string[];
  /** The ON DELETE action as SQLite names it, upper case: NO ACTION, RESTRICT, CASCADE, SET NULL, SET DEFAULT. */
  onDelete: string;
  /** `to` is the parent's primary key, in its order: children of a deleted row are found by its key. */
  byParentKey: boolean;
  /** The child's primary key (empty for a table without one). */
  childKey: string[];
  /** The child's columns (its rows as recorded). */
  childColumns: string[];
  /** The parent's primary key (empty for a table without one). */
  parentKey: string[];
}

/** The foreign keys between replicated tables, by child and by parent (read once per schema). */
export class ForeignKeyMap {
  private byChild: Map<string, ForeignKey[]> | null = null;
  private byParent = new Map<string, ForeignKey[]>();

  constructor(private readonly db: Database.Database) {}

  invalidate(): void {
    this.byChild = null;
  }

  /** The tables with foreign keys. */
  children(): string[] {
    return [...this.load().keys()];
  }

  outgoing(tbl: string): ForeignKey[] {
    return this.load().get(tbl) ?? [];
  }

  incoming(tbl: string): ForeignKey[] {
    this.load();
    return this.byParent.get(tbl) ?? [];
  }

  /** Whether deleting a row of `tbl` sets off ON DELETE actions (CASCADE, SET NULL, SET DEFAULT). */
  hasActions(tbl: string): boolean {
    return this.incoming(tbl).some((fk) => rowActions.has(fk.onDelete));
  }

  /** Whether a change of `tbl` can leave an orphan (tbl references or is referenced). */
  involves(tbl: string): boolean {
    const m = this.load();
    return m.size > 0 && (m.has(tbl) || this.byParent.has(tbl));
  }

  private load(): Map<string, ForeignKey[]> {
    if (this.byChild) return this.byChild;
    const rows = this.db
      .prepare(
        `SELECT m.name AS child, f.id AS id, f."table" AS parent, f."from" AS col, f."to" AS ref, f.on_delete AS action
           FROM sqlite_schema m, pragma_foreign_key_list(m.name) f
          WHERE m.type = 'table' AND m.name NOT LIKE '\\_chorus%' ESCAPE '\\' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
          ORDER BY m.name, f.id, f.seq`,
      )
      .all() as {
      child: string;
      id: number;
      parent: string;
      col: string;
      ref: string | null;
      action: string;
    }[];
    const byChild = new Map<string, ForeignKey[]>();
    const byParent = new Map<string, ForeignKey[]>();
    let last: { child: string; id: number; fk: ForeignKey } | null = null;
    const shapes = new Map<string, { primaryKey: string[]; columns: string[] }>();
    const shapeOf = (t: string): { primaryKey: string[]; columns: string[] } => {
      let k = shapes.get(t);
      if (!k) {
        const exists = this.db
          .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name = ?")
          .get(t);
        k = exists ? tableShape(this.db, t) : { primaryKey: [], columns: [] };
        shapes.set(t, k);
      }
      return k;
    };
    const keyOf = (t: string): string[] => shapeOf(t).primaryKey;
    for (const r of rows) {
      if (!last || last.child !== r.child || last.id !== r.id) {
        const fk: ForeignKey = {
          child: r.child,
          parent: r.parent,
          from: [],
          to: [],
          onDelete: r.action.toUpperCase(),
          byParentKey: false,
          childKey: keyOf(r.child),
          childColumns: shapeOf(r.child).columns,
          parentKey: [],
        };
        last = { child: r.child, id: r.id, fk };
        byChild.set(r.child, [...(byChild.get(r.child) ?? []), fk]);
        byParent.set(r.parent, [...(byParent.get(r.parent) ?? []), fk]);
      }
      last.fk.from.push(r.col);
      if (r.ref !== null) last.fk.to.push(r.ref);
    }
    for (const fks of byChild.values())
      for (const fk of fks) {
        const key = keyOf(fk.parent);
        fk.parentKey = key;
        if (fk.to.length === 0) fk.to = [...key];
        fk.byParentKey = fk.to.length === key.length && fk.to.every((c, i) => c === key[i]);
      }
    this.byChild = byChild;
    this.byParent = byParent;
    return byChild;
  }
}
