// Rows a replicated ALTER TABLE meets on a peer that its origin never saw — written here
// concurrently with it. They are treated as the origin treats the same change arriving after the
// ALTER: a value the new type cannot hold becomes NULL (conversion_conflict, old value kept in the
// record); a row a new NOT NULL, CHECK or FOREIGN KEY refuses is removed (constraint_conflict); of
// rows colliding on a new UNIQUE constraint the one written last keeps the value, as unique
// collisions are settled (unique_conflict). Every node thus ends with the same rows.

import type Database from 'better-sqlite3';
import type { ReplTx } from '../../../log/records.js';
import { quoteIdent } from '../../../sql/lexer.js';
import { tableShape } from '../../../storage/capture/capture.js';
import type { PeerRows } from '../../../storage/tables/table-alter.js';
import type { RowBook } from '../rows/row-meta.js';
import { keyJsonSql, rowJsonSql } from '../rows/row-sql.js';

/**
 * The other path to the same end: a change written before an ALTER arrives after it. Values its
 * conversion could not hold were set to NULL (shape-upgrade.ts): recorded with the old value.
 */
export function recordConversions(
  book: RowBook,
  tbl: string,
  pk: string,
  tx: ReplTx,
  nulled: readonly { old: string }[],
): void {
  for (const n of nulled)
    book.recordConflict(tbl, pk, book.nodeId, tx, 'conversion_conflict', n.old, null, null, 0, {
      strategy: 'type_conversion',
    });
}

/**
 * A change a constraint added concurrently refuses: its row goes (capture is off while applying),
 * as on the nodes that held the change when the constraint arrived. Its values as JSON, or null
 * when the row was not there.
 */
export function removeRefusedRow(
  a: {
    rowJson(tbl: string, shape: { columns: Set<string>; primaryKey: string[] }, pk: string): string | null;
    pkWhere(pkCols: string[]): string;
    stmt(key: string, build: () => string): Database.Statement;
    readonly crdt: { deleteRow(tbl: string, pk: string): void } | null;
  },
  tbl: string,
  shape: { columns: Set<string>; primaryKey: string[] },
  pk: string,
): string | null {
  const row = a.rowJson(tbl, shape, pk);
  if (row === null) return null;
  const where = a.pkWhere(shape.primaryKey);
  a.stmt(`${tbl}|delete`, () => `DELETE FROM ${quoteIdent(tbl)} WHERE ${where}`).run({ pk });
  a.crdt?.deleteRow(tbl, pk);
  return row;
}

/** The PeerRows of one replicated ALTER TABLE (transaction `tx`) on `table`. */
export function peerRowsFor(db: Database.Database, table: string, tx: ReplTx, book: RowBook): PeerRows {
  const t = quoteIdent(table);
  const shape = tableShape(db, table);
  const read = db.prepare(
    `SELECT ${keyJsonSql(shape.primaryKey)} AS pk, ${rowJsonSql(shape.columns)} AS row FROM ${t} WHERE rowid = ?`,
  );
  const remove = db.prepare(`DELETE FROM ${t} WHERE rowid = ?`);
  const lastWrite = (pk: string): string =>
    // biome-ignore lint/complexity/useMathMinMax: order keys are strings compared as text
    Object.values(book.loadMeta(table, pk).cols).reduce((k, c) => (c[0] > k ? c[0] : k), '');
  return {
    nulled(rowid, column, old) {
      const r = read.get(rowid) as { pk: string; row: string };
      const oldJson = JSON.stringify({ [column]: jsonOf(old) });
      book.recordConflict(
        table,
        r.pk,
        book.nodeId,
        tx,
        'conversion_conflict',
        oldJson,
        null,
        JSON.stringify({ [column]: null }),
        0,
        {
          strategy: 'type_conversion',
        },
      );
    },
    refuse(rowid, constraint, unique) {
      const r = read.get(rowid) as { pk: string; row: string } | undefined;
      if (!r) return;
      book.recordConflict(
        table,
        r.pk,
        book.nodeId,
        tx,
        unique ? 'unique_conflict' : 'constraint_conflict',
        r.row,
        null,
        null,
        0,
        {
          strategy: unique ? 'last_write_wins' : `removed: violates ${constraint}`,
        },
      );
      remove.run(rowid);
      if (shape.primaryKey.length === 0) return;
      book.crdt?.deleteRow(table, r.pk);
      // The key is as if never written here: a later change of it resolves as on the other nodes.
      const m = book.loadMeta(table, r.pk);
      book.saveMeta(table, r.pk, { vv: m.vv, dels: m.dels, deleted: false, cols: {} });
    },
    keepOne(rowids) {
      let best = rowids[0]!;
      let bestKey = '';
      for (const rowid of rowids) {
        const r = read.get(rowid) as { pk: string };
        const k = shape.primaryKey.length > 0 ? lastWrite(r.pk) : '';
        if (k > bestKey) {
          best = rowid;
          bestKey = k;
        }
      }
      return best;
    },
  };
}

/** A stored value as JSON, as conflict records show values (BLOBs as {"$b": hex}). */
function jsonOf(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (Buffer.isBuffer(v)) return { $b: v.toString('hex') };
  return v;
}
