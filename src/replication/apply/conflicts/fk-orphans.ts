// Foreign keys under concurrent writes: a child written on one master while its parent is deleted on
// another. Apply defers foreign-key checks (PRAGMA defer_foreign_keys, set by the storage engine for
// every apply transaction), and after each replicated transaction the rows it left pointing at a
// missing parent — orphans — are settled the same way on every node: the foreign key's ON DELETE
// action is applied to the orphan as if the delete had seen it. SET NULL / SET DEFAULT set the
// referencing columns; every other action (CASCADE, NO ACTION, RESTRICT) removes the row, as a
// delete wins over concurrent writes of its own row. Each settled orphan is a constraint_conflict.

import type Database from 'better-sqlite3';
import { coversVector, type ReplTx, type Vector } from '../../../log/records.js';
import { quoteIdent } from '../../../sql/lexer.js';
import { tableShape } from '../../../storage/capture/capture.js';
import type { RowBook } from '../rows/row-meta.js';
import { fromJson, keyJsonSql, rowJsonSql } from '../rows/row-sql.js';

/** The ON DELETE actions SQLite carries out itself when a parent row is deleted. */
const rowActions: ReadonlySet<string> = new Set(['CASCADE', 'SET NULL', 'SET DEFAULT']);

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
    const keys = new Map<string, string[]>();
    const keyOf = (t: string): string[] => {
      let k = keys.get(t);
      if (!k) {
        const exists = this.db
          .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name = ?")
          .get(t);
        k = exists ? tableShape(this.db, t).primaryKey : [];
        keys.set(t, k);
      }
      return k;
    };
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
        if (fk.to.length === 0) fk.to = [...key];
        fk.byParentKey = fk.to.length === key.length && fk.to.every((c, i) => c === key[i]);
      }
    this.byChild = byChild;
    this.byParent = byParent;
    return byChild;
  }
}

/** A change of one replicated transaction, as the orphan check needs it. */
export interface TouchedRow {
  tbl: string;
  op: string;
  /** The row's key (JSON array), null for a table without a primary key. */
  pk: string | null;
  /** A keyless row's rowid (its insert), when known: only that row is checked, not the whole table. */
  rowid?: bigint | null;
  /** Columns the change wrote (JSON object text), null for a DELETE. */
  cols: string | null;
  /** Written before an ALTER TABLE it had not seen: a constraint added since refuses it, so it goes. */
  removeOnly: boolean;
}

type Check =
  | { kind: 'row'; fk: ForeignKey; pk: string; removeOnly: boolean }
  | { kind: 'children'; fk: ForeignKey; pk: string }
  | { kind: 'scan'; fk: ForeignKey }
  | { kind: 'rowid'; fk: ForeignKey; rowid: bigint };

/** What of the applier settling orphans uses (the Applier itself). */
export type OrphanBook = RowBook & {
  readonly crdt: { deleteRow(tbl: string, pk: string): void } | null;
  stmt(key: string, build: () => string): Database.Statement;
  parkRow(tbl: string, pk: string, row: string, cols: Record<string, [string, string, number]>): void;
};

/**
 * Settle the orphans the changes of `tx` left (see the top of this file). Returns how many rows were
 * removed or changed. Runs inside the apply transaction, after tx's entries.
 */
export function settleOrphans(
  db: Database.Database,
  fks: ForeignKeyMap,
  book: OrphanBook,
  tx: ReplTx,
  touched: readonly TouchedRow[],
): number {
  const queue: Check[] = [];
  const queued = new Set<string>();
  const push = (c: Check, key: string): void => {
    if (queued.has(key)) return;
    queued.add(key);
    queue.push(c);
  };
  const parentChanged = (tbl: string, pk: string | null, writtenCols: string[] | null): void => {
    for (const fk of fks.incoming(tbl)) {
      if (writtenCols && !fk.to.some((c) => writtenCols.includes(c))) continue;
      if (fk.byParentKey && pk !== null && writtenCols === null)
        push({ kind: 'children', fk, pk }, `c\0${fk.child}\0${fk.from.join(',')}\0${pk}`);
      else push({ kind: 'scan', fk }, `s\0${fk.child}\0${fk.from.join(',')}`);
    }
  };
  for (const t of touched) {
    if (t.op === 'DELETE') {
      parentChanged(t.tbl, t.pk, null);
      continue;
    }
    const written = t.cols === null ? [] : Object.keys(JSON.parse(t.cols) as object);
    for (const fk of fks.outgoing(t.tbl)) {
      if (t.op !== 'INSERT' && !fk.from.some((c) => written.includes(c))) continue;
      if (t.pk === null && t.rowid != null)
        push({ kind: 'rowid', fk, rowid: t.rowid }, `i\0${fk.child}\0${fk.from.join(',')}\0${t.rowid}`);
      else if (t.pk === null) push({ kind: 'scan', fk }, `s\0${fk.child}\0${fk.from.join(',')}`);
      else
        push(
          { kind: 'row', fk, pk: t.pk, removeOnly: t.removeOnly },
          `r\0${fk.child}\0${fk.from.join(',')}\0${t.pk}`,
        );
    }
    if (t.op === 'UPDATE') parentChanged(t.tbl, t.pk, written);
  }
  const seen: Vector = { ...tx.deps, [tx.origin]: tx.seq };
  let settled = 0;
  for (let i = 0; i < queue.length; i++) {
    const c = queue[i]!;
    const found = orphansOf(book, c);
    // A parent deleted concurrently and made again since: the child still goes with the delete.
    if (found.length === 0 && (c.kind === 'row' || c.kind === 'rowid')) {
      const rowid = childOfRecreatedParent(
        book,
        c.fk,
        c.kind === 'row' ? { pk: c.pk } : { rowid: c.rowid },
        seen,
      );
      if (rowid !== null) found.push(rowid);
    }
    // The parent was made again in this same transaction: its children the delete had not seen go.
    if (found.length === 0 && c.kind === 'children') found.push(...unseenChildren(book, c.fk, c.pk, seen));
    for (const rowid of found) {
      const removed = settle(db, book, tx, c.fk, rowid, c.kind === 'row' && c.removeOnly);
      settled++;
      // A removed row may itself have been a parent.
      if (removed !== undefined) parentChanged(c.fk.child, removed, null);
    }
  }
  return settled;
}

/** Settle the orphans of every foreign key, wherever they are (a whole scan of each child table). */
export function settleAllOrphans(
  db: Database.Database,
  fks: ForeignKeyMap,
  book: OrphanBook,
  tx: ReplTx,
): number {
  // A keyless INSERT of each child table makes settleOrphans scan it for every foreign key.
  const touched: TouchedRow[] = fks
    .children()
    .map((tbl) => ({ tbl, op: 'INSERT', pk: null, cols: null, removeOnly: false }));
  return settleOrphans(db, fks, book, tx, touched);
}

/**
 * The rowid of the child (by key, or a keyless row by rowid) when the parent it names was deleted
 * by a transaction `seen` does not cover (and made again since): a child written concurrently with
 * its parent's delete goes with it, also where the parent was re-created before it arrived. Null
 * otherwise.
 */
function childOfRecreatedParent(
  book: OrphanBook,
  fk: ForeignKey,
  child: { pk: string } | { rowid: bigint },
  seen: Vector,
): bigint | null {
  if (!fk.byParentKey) return null;
  const byKey = 'pk' in child;
  if (byKey && fk.childKey.length === 0) return null;
  const r = book
    .stmt(`${fk.child}|parent-key|${byKey ? 'pk' : 'rowid'}|${fk.from.join(',')}|${fk.parent}`, () => {
      const at = byKey
        ? fk.childKey.map((k, i) => `c.${quoteIdent(k)} IS ${fromJson(':pk', `$[${i}]`)}`).join(' AND ')
        : 'c.rowid = :rowid';
      const notNull = fk.from.map((f) => `c.${quoteIdent(f)} IS NOT NULL`).join(' AND ');
      const parentKey = keyJsonSql(fk.from, 'c');
      return `SELECT c.rowid AS rowid, ${parentKey} AS parent FROM ${quoteIdent(fk.child)} c WHERE ${at} AND ${notNull}`;
    })
    .safeIntegers(true)
    .get(child) as { rowid: bigint; parent: string } | undefined;
  if (!r) return null;
  return coversVector(seen, book.loadMeta(fk.parent, r.parent).dels) ? null : r.rowid;
}

/** Rowids of the children of parent key `pk` with a write `seen` does not cover (keyed children only). */
function unseenChildren(book: OrphanBook, fk: ForeignKey, pk: string, seen: Vector): bigint[] {
  if (fk.childKey.length === 0) return [];
  const rows = book
    .stmt(`${fk.child}|children-keys|${fk.from.join(',')}|${fk.parent}`, () => {
      const at = fk.from.map((f, i) => `c.${quoteIdent(f)} = ${fromJson(':pk', `$[${i}]`)}`).join(' AND ');
      const key = keyJsonSql(fk.childKey, 'c');
      return `SELECT c.rowid AS rowid, ${key} AS pk FROM ${quoteIdent(fk.child)} c WHERE ${at}`;
    })
    .safeIntegers(true)
    .all({ pk }) as { rowid: bigint; pk: string }[];
  return rows.filter((r) => !coversVector(seen, book.loadMeta(fk.child, r.pk).vv)).map((r) => r.rowid);
}

/** Rowids of the rows a check finds pointing at a missing parent (statements cached per check shape). */
function orphansOf(book: OrphanBook, c: Check): bigint[] {
  const { fk } = c;
  const sql = (): string => {
    const missing =
      fk.from.map((f) => `c.${quoteIdent(f)} IS NOT NULL`).join(' AND ') +
      ` AND NOT EXISTS (SELECT 1 FROM ${quoteIdent(fk.parent)} p WHERE ${fk.from
        .map((f, i) => `p.${quoteIdent(fk.to[i]!)} = c.${quoteIdent(f)}`)
        .join(' AND ')})`;
    const at =
      c.kind === 'row'
        ? `${fk.childKey.map((k, i) => `c.${quoteIdent(k)} IS ${fromJson(':pk', `$[${i}]`)}`).join(' AND ')} AND `
        : c.kind === 'children'
          ? `${fk.from.map((f, i) => `c.${quoteIdent(f)} = ${fromJson(':pk', `$[${i}]`)}`).join(' AND ')} AND `
          : c.kind === 'rowid'
            ? 'c.rowid = :rowid AND '
            : '';
    return `SELECT c.rowid AS r FROM ${quoteIdent(fk.child)} c WHERE ${at}${missing}`;
  };
  const stmt = book.stmt(`${fk.child}|orphans|${c.kind}|${fk.from.join(',')}|${fk.parent}`, sql);
  const params =
    c.kind === 'row' || c.kind === 'children' ? { pk: c.pk } : c.kind === 'rowid' ? { rowid: c.rowid } : {};
  return stmt.pluck().safeIntegers(true).all(params) as bigint[];
}

/**
 * Apply fk's ON DELETE action to the orphan `rowid` of fk.child (or remove it when `removeOnly`),
 * record it, and return the removed row's key (null for a keyless row), or undefined when the row
 * was changed rather than removed (or was not there).
 */
function settle(
  db: Database.Database,
  book: OrphanBook,
  tx: ReplTx,
  fk: ForeignKey,
  rowid: bigint,
  removeOnly: boolean,
): string | null | undefined {
  const t = quoteIdent(fk.child);
  const shape = tableShape(db, fk.child);
  const keyed = shape.primaryKey.length > 0;
  const read = db.prepare(
    `SELECT ${keyJsonSql(shape.primaryKey)} AS pk, ${rowJsonSql(shape.columns)} AS row FROM ${t} WHERE rowid = ?`,
  );
  const before = read.get(rowid) as { pk: string; row: string } | undefined;
  if (!before) return undefined;
  const record = (resolved: string | null, strategy: string): void =>
    book.recordConflict(
      fk.child,
      before.pk,
      book.nodeId,
      tx,
      'constraint_conflict',
      before.row,
      null,
      resolved,
      0,
      {
        strategy,
      },
    );
  const action = fk.onDelete;
  if (!removeOnly && (action === 'SET NULL' || action === 'SET DEFAULT')) {
    const defaults = new Map(
      (
        db.prepare('SELECT name, dflt_value FROM pragma_table_info(?)').all(fk.child) as {
          name: string;
          dflt_value: string | null;
        }[]
      ).map((r) => [r.name, r.dflt_value]),
    );
    const sets = fk.from.map(
      (f) => `${quoteIdent(f)} = ${action === 'SET NULL' ? 'NULL' : `(${defaults.get(f) ?? 'NULL'})`}`,
    );
    db.prepare(`UPDATE ${t} SET ${sets.join(', ')} WHERE rowid = ?`).run(rowid);
    const after = read.get(rowid) as { pk: string; row: string };
    record(after.row, `foreign key ${fk.onDelete.toLowerCase()}: parent deleted concurrently`);
    // A default that names a missing parent leaves it an orphan still: then it goes.
    if (orphansOf(book, { kind: 'rowid', fk, rowid }).length === 0) return undefined;
  }
  db.prepare(`DELETE FROM ${t} WHERE rowid = ?`).run(rowid);
  record(null, 'removed: parent deleted concurrently');
  if (!keyed) return null;
  book.crdt?.deleteRow(fk.child, before.pk);
  // The key is as if never written here: a later change of it resolves as on the other nodes.
  const m = book.loadMeta(fk.child, before.pk);
  // A later update from a master that had not seen the delete brings it back (parked-rows.ts).
  book.parkRow(fk.child, before.pk, before.row, m.cols);
  book.saveMeta(fk.child, before.pk, { vv: m.vv, dels: m.dels, deleted: false, cols: {} });
  return before.pk;
}

/** How deep a chain of ON DELETE CASCADE foreign keys is followed to record what it removes. */
export const cascadeRecordDepthMax = 16;

/**
 * Before a replicated DELETE of `pk` in `tbl`: the rows SQLite's own ON DELETE CASCADE / SET NULL /
 * SET DEFAULT actions are about to remove or change that the deleting master had not seen (their
 * own change is not in `tx`) lose a write concurrent with the delete. Record each, as the node
 * that receives them after the delete records them (settleOrphans).
 */
export function recordCascadeLosses(
  db: Database.Database,
  fks: ForeignKeyMap,
  book: OrphanBook,
  tx: ReplTx,
  tbl: string,
  pk: string,
  inTx: (tbl: string, pk: string) => boolean,
): void {
  const queue: { tbl: string; pk: string; depth: number }[] = [{ tbl, pk, depth: 0 }];
  for (let i = 0; i < queue.length; i++) {
    const at = queue[i]!;
    for (const fk of fks.incoming(at.tbl)) {
      if (!rowActions.has(fk.onDelete) || !fk.byParentKey || fk.childKey.length === 0) continue;
      const rows = book
        .stmt(`${fk.child}|cascade|${fk.from.join(',')}|${fk.parent}`, () => {
          const key = keyJsonSql(fk.childKey, 'c');
          const row = rowJsonSql(tableShape(db, fk.child).columns, 'c');
          const at = fk.from
            .map((f, j) => `c.${quoteIdent(f)} = ${fromJson(':pk', `$[${j}]`)}`)
            .join(' AND ');
          return `SELECT ${key} AS pk, ${row} AS row FROM ${quoteIdent(fk.child)} c WHERE ${at}`;
        })
        .all({ pk: at.pk }) as { pk: string; row: string }[];
      for (const r of rows) {
        if (inTx(fk.child, r.pk)) continue;
        book.recordConflict(fk.child, r.pk, book.nodeId, tx, 'constraint_conflict', r.row, null, null, 0, {
          strategy: `foreign key ${fk.onDelete.toLowerCase()}: parent deleted concurrently`,
        });
        if (fk.onDelete === 'CASCADE' && at.depth + 1 < cascadeRecordDepthMax)
          queue.push({ tbl: fk.child, pk: r.pk, depth: at.depth + 1 });
      }
    }
  }
}
