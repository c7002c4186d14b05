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
import {
  childKeyUnseen,
  childOfRewrittenHolder,
  childRowid,
  keylessRowSeen,
  type LostChild,
  referencedValues,
} from './fk-unique-refs.js';
import { type ForeignKey, type ForeignKeyMap, rowActions } from './foreign-keys.js';

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
  | { kind: 'rowid'; fk: ForeignKey; rowid: bigint }
  | { kind: 'lost'; fk: ForeignKey; pk: string | null; rowid?: bigint; row?: string };

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
  lost: readonly LostChild[] = [],
  /** Rows (`tbl\0pk`) brought back from parking in tx: their loss was recorded when they were parked. */
  restored?: ReadonlySet<string>,
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
  // Lost children first: settled by whichever check finds them first, they are recorded with the
  // row they had before the change (an ON UPDATE action may have changed it since).
  for (const l of lost)
    push(
      { kind: 'lost', fk: l.fk, pk: l.pk, rowid: l.rowid, row: l.row },
      `l\0${l.fk.child}\0${l.fk.from.join(',')}\0${l.pk ?? `rowid ${l.rowid}`}`,
    );
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
  // A row is settled once per foreign key, whichever checks find it.
  const done = new Set<string>();
  for (let i = 0; i < queue.length; i++) {
    const c = queue[i]!;
    const found: bigint[] = [];
    if (c.kind === 'lost') {
      const rowid = c.pk === null ? (c.rowid ?? null) : childRowid(book, c.fk, c.pk);
      if (rowid !== null) found.push(rowid);
    } else found.push(...orphansOf(book, c));
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
      const at = `${c.fk.child}\0${c.fk.from.join(',')}\0${rowid}`;
      if (done.has(at)) continue;
      done.add(at);
      const removed = settle(db, book, tx, c.fk, rowid, {
        removeOnly: c.kind === 'row' && c.removeOnly,
        restored,
        before: c.kind === 'lost' ? c.row : undefined,
      });
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
  if (!fk.byParentKey) return childOfRewrittenHolder(book, fk, child, seen);
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

/**
 * Rowids of the children of parent key `pk` whose key columns were written by a write `seen` does
 * not cover (childKeyUnseen; a keyless child: its inserting transaction, keylessRowSeen).
 */
function unseenChildren(book: OrphanBook, fk: ForeignKey, pk: string, seen: Vector): bigint[] {
  const rows = book
    .stmt(`${fk.child}|children-keys|${fk.from.join(',')}|${fk.parent}`, () => {
      const at = fk.from.map((f, i) => `c.${quoteIdent(f)} = ${fromJson(':pk', `$[${i}]`)}`).join(' AND ');
      const key = keyJsonSql(fk.childKey, 'c');
      return `SELECT c.rowid AS rowid, ${key} AS pk FROM ${quoteIdent(fk.child)} c WHERE ${at}`;
    })
    .safeIntegers(true)
    .all({ pk }) as { rowid: bigint; pk: string }[];
  const keyed = fk.childKey.length > 0;
  return rows
    .filter((r) =>
      keyed ? childKeyUnseen(book, fk, r.pk, seen) : !keylessRowSeen(book, fk.child, r.rowid, seen),
    )
    .map((r) => r.rowid);
}

/** Rowids of the rows a check finds pointing at a missing parent (statements cached per check shape). */
function orphansOf(book: OrphanBook, c: Exclude<Check, { kind: 'lost' }>): bigint[] {
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

/** The strategy a settled or cascaded child is recorded with, the same whichever arrives second. */
const strategyOf = (action: string): string =>
  action === 'NO ACTION' || action === 'RESTRICT'
    ? 'removed: parent deleted concurrently'
    : `foreign key ${action.toLowerCase()}: parent deleted concurrently`;

/** Set fk's key columns of the row `rowid` of fk.child as its ON DELETE SET NULL / SET DEFAULT does. */
function setKeyColumns(db: Database.Database, fk: ForeignKey, rowid: bigint): void {
  db.prepare(`UPDATE ${quoteIdent(fk.child)} SET ${keyColumnValues(db, fk, '=', ', ')} WHERE rowid = ?`).run(
    rowid,
  );
}

/** fk's key columns `col <op> value` (NULL, or the column's default for SET DEFAULT), joined by `sep`. */
function keyColumnValues(db: Database.Database, fk: ForeignKey, op: string, sep: string): string {
  const defaults = new Map(
    (
      db.prepare('SELECT name, dflt_value FROM pragma_table_info(?)').all(fk.child) as {
        name: string;
        dflt_value: string | null;
      }[]
    ).map((r) => [r.name, r.dflt_value]),
  );
  const value = (f: string): string =>
    fk.onDelete === 'SET NULL' ? 'NULL' : `(${defaults.get(f) ?? 'NULL'})`;
  return fk.from.map((f) => `${quoteIdent(f)} ${op} ${value(f)}`).join(sep);
}

/**
 * The row `rowid` of fk.child (log JSON form) as fk's ON DELETE SET NULL / SET DEFAULT leaves it:
 * set in a savepoint rolled back, so it is exactly what settle's UPDATE makes where the child
 * arrives second. Null when the action cannot set it (the delete will fail or remove it).
 */
function actionResult(db: Database.Database, fk: ForeignKey, rowid: bigint): string | null {
  db.exec('SAVEPOINT chorus_fk_action_result');
  try {
    setKeyColumns(db, fk, rowid);
    return (
      (db
        .prepare(`SELECT ${rowJsonSql(fk.childColumns)} FROM ${quoteIdent(fk.child)} WHERE rowid = ?`)
        .pluck()
        .get(rowid) as string | undefined) ?? null
    );
  } catch {
    return null;
  } finally {
    db.exec('ROLLBACK TO chorus_fk_action_result; RELEASE chorus_fk_action_result');
  }
}

/**
 * Apply fk's ON DELETE action to the orphan `rowid` of fk.child (or remove it when `removeOnly`),
 * record it (as `before` when given: the row before the change that lost its parent), and return
 * the removed row's key (null for a keyless row), or undefined when the row was changed rather than
 * removed (or was not there).
 */
function settle(
  db: Database.Database,
  book: OrphanBook,
  tx: ReplTx,
  fk: ForeignKey,
  rowid: bigint,
  opts: { removeOnly: boolean; restored: ReadonlySet<string> | undefined; before?: string | undefined },
): string | null | undefined {
  const { removeOnly, restored } = opts;
  const t = quoteIdent(fk.child);
  const shape = tableShape(db, fk.child);
  const keyed = shape.primaryKey.length > 0;
  const read = db.prepare(
    `SELECT ${keyJsonSql(shape.primaryKey)} AS pk, ${rowJsonSql(shape.columns)} AS row FROM ${t} WHERE rowid = ?`,
  );
  const found = read.get(rowid) as { pk: string; row: string } | undefined;
  if (!found) return undefined;
  const before = { pk: found.pk, row: opts.before ?? found.row };
  // A row brought back from parking in this transaction and settled again is not recorded again:
  // where it was never parked, its removal is recorded once.
  const quiet = keyed && restored?.has(`${fk.child}\0${before.pk}`) === true;
  const record = (resolved: string | null, strategy: string): void => {
    if (quiet) return;
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
  };
  const action = fk.onDelete;
  if (!removeOnly && (action === 'SET NULL' || action === 'SET DEFAULT')) {
    // An orphan already holding the default (SQLite's own SET DEFAULT, recorded by
    // recordCascadeLosses, named a missing parent) is not set again: it goes, recorded once more,
    // as where the orphan arrives second.
    const isSet = db
      .prepare(`SELECT ${keyColumnValues(db, fk, 'IS', ' AND ')} FROM ${t} WHERE rowid = ?`)
      .pluck()
      .get(rowid);
    if (!isSet) {
      setKeyColumns(db, fk, rowid);
      const after = read.get(rowid) as { pk: string; row: string };
      record(after.row, strategyOf(action));
      // A default that names a missing parent leaves it an orphan still: then it goes.
      if (orphansOf(book, { kind: 'rowid', fk, rowid }).length === 0) return undefined;
    }
  }
  db.prepare(`DELETE FROM ${t} WHERE rowid = ?`).run(rowid);
  // A removal is CASCADE's where the key says so (as recordCascadeLosses records it), else 'removed'.
  record(null, strategyOf(!removeOnly && action === 'CASCADE' ? action : 'NO ACTION'));
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
  const seen: Vector = { ...tx.deps, [tx.origin]: tx.seq };
  const queue: { tbl: string; pk: string; depth: number }[] = [{ tbl, pk, depth: 0 }];
  for (let i = 0; i < queue.length; i++) {
    const at = queue[i]!;
    for (const fk of fks.incoming(at.tbl)) {
      if (!rowActions.has(fk.onDelete)) continue;
      // The values the children reference: the parent's key, or its UNIQUE columns read before the delete.
      const values = fk.byParentKey ? at.pk : referencedValues(book, fk, at.pk);
      if (values === null) continue;
      const keyed = fk.childKey.length > 0;
      const rows = book
        .stmt(`${fk.child}|cascade|${fk.from.join(',')}|${fk.parent}`, () => {
          const key = keyJsonSql(fk.childKey, 'c');
          const row = rowJsonSql(tableShape(db, fk.child).columns, 'c');
          const at = fk.from
            .map((f, j) => `c.${quoteIdent(f)} = ${fromJson(':pk', `$[${j}]`)}`)
            .join(' AND ');
          return `SELECT c.rowid AS rowid, ${key} AS pk, ${row} AS row FROM ${quoteIdent(fk.child)} c WHERE ${at}`;
        })
        .safeIntegers(true)
        .all({ pk: values }) as { rowid: bigint; pk: string; row: string }[];
      for (const r of rows) {
        // A keyed row the transaction deletes or updates itself was seen; a keyless row was seen when
        // the transaction that inserted it is covered (its range, storage/tables/keyless-rows.ts).
        if (keyed ? inTx(fk.child, r.pk) : keylessRowSeen(book, fk.child, r.rowid, seen)) continue;
        // SET NULL / SET DEFAULT: the row as the action leaves it, as settle records it.
        const resolved = fk.onDelete === 'CASCADE' ? null : actionResult(db, fk, r.rowid);
        book.recordConflict(
          fk.child,
          r.pk,
          book.nodeId,
          tx,
          'constraint_conflict',
          r.row,
          null,
          resolved,
          0,
          {
            strategy: strategyOf(fk.onDelete),
          },
        );
        if (keyed && fk.onDelete === 'CASCADE' && at.depth + 1 < cascadeRecordDepthMax)
          queue.push({ tbl: fk.child, pk: r.pk, depth: at.depth + 1 });
      }
    }
  }
}
