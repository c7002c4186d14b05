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
import { indexDuplicates, parseUniqueIndex } from '../../../storage/tables/index-def.js';
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
  // The row's last write of `columns` (all columns when null): the key a collision arriving
  // later is settled by (conflicts/conflict-rules.ts, resolveUnique).
  const lastWrite = (pk: string, columns: readonly string[] | null): string => {
    const cols = book.loadMeta(table, pk).cols;
    const clocks = columns === null ? Object.values(cols) : columns.map((c) => cols[c]);
    return clocks.reduce((k: string, c) => (c && c[0] > k ? c[0] : k), '');
  };
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
      const m = book.loadMeta(table, r.pk);
      if (unique) {
        // As a holder that loses a collision arriving later is removed (resolveUnique): parked with
        // its clocks, so a later update from a node that had not seen the collision settles it again.
        book.parkRow(table, r.pk, r.row, m.cols);
        book.rowRemoved(table, r.pk, r.row);
        book.saveMeta(table, r.pk, { vv: m.vv, dels: m.dels, deleted: true, cols: {} });
        return;
      }
      // The key is as if never written here: a later change of it resolves as on the other nodes.
      book.saveMeta(table, r.pk, { vv: m.vv, dels: m.dels, deleted: false, cols: {} });
    },
    keepOne(rowids, columns) {
      return keepLatest(rowids, columns);
    },
  };
  function keepLatest(rowids: readonly number[], columns: readonly string[] | null): number {
    let best = rowids[0]!;
    let bestKey = '';
    for (const rowid of rowids) {
      const r = read.get(rowid) as { pk: string };
      const k = shape.primaryKey.length > 0 ? lastWrite(r.pk, columns) : '';
      if (k > bestKey) {
        best = rowid;
        bestKey = k;
      }
    }
    return best;
  }
}

/**
 * A replicated `CREATE UNIQUE INDEX` (SQL text) meets rows written here concurrently that share its
 * keys: of each group the row whose write of the key columns is the latest keeps them, the others
 * go (unique_conflict) — as a duplicate arriving after the index is settled, so the index exists on
 * every node and every node keeps the same row. Runs before the index is made.
 */
export function settleUniqueIndex(db: Database.Database, sql: string, tx: ReplTx, book: RowBook): void {
  if (!/^\s*CREATE\s+UNIQUE\s+INDEX\b/i.test(sql)) return;
  const ix = parseUniqueIndex(sql);
  if (ix === null) return;
  const exists = db.prepare('SELECT type FROM sqlite_schema WHERE name = ?').pluck();
  if (exists.get(ix.table) !== 'table' || exists.get(ix.name) !== undefined) return;
  const groups = indexDuplicates(db, ix);
  if (groups.length === 0) return;
  const peer = peerRowsFor(db, ix.table, tx, book);
  for (const rowids of groups) {
    const keep = peer.keepOne(rowids, ix.columns);
    for (const r of rowids) if (r !== keep) peer.refuse(r, ix.name, true);
  }
}

/** A stored value as JSON, as conflict records show values (BLOBs as {"$b": hex}). */
function jsonOf(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (Buffer.isBuffer(v)) return { $b: v.toString('hex') };
  return v;
}
