// The data side of recovering from a split brain (replicate.sync_from_canonical_partition): void
// the transactions this node's partition wrote that the canonical partition never saw (their
// entries leave the log, their (origin, seq) stay so no peer waits for a gap — peers receive them
// empty), keep this node's value of every row they touched in _chorus_split_brain_dropped, and
// overwrite diverging rows with the canonical node's rows, version metadata and CRDT state
// included, so later writes resolve exactly as they do on the canonical side.

import type Database from 'better-sqlite3';
import type { Vector } from '../../log/records.js';
import { quoteIdent } from '../../sql/lexer.js';
import { jsonValue, tableShape } from '../../storage/capture/capture.js';
import type { StorageEngine } from '../../storage/engine/engine.js';
import { colPath, fromJson, pkWhere } from '../apply/rows/row-sql.js';

/** Transactions voided in one write transaction (a sync goes on in batches until none is left). */
export const splitBrainVoidTxsMax = 100_000;
/** Rows one fetch request asks for. */
export const splitBrainRowsPerFetchMax = 500;
/** Bytes of row data one fetch reply carries (at least one row goes; the requester asks for the rest). */
export const splitBrainReplyBytesMax = 4 * 1024 * 1024;

/** A row as the canonical node holds it: values, version metadata and CRDT states. */
export interface FetchedRow {
  tbl: string;
  pk: string;
  /** JSON object of every column (BLOBs as {"$b": hex}), or null when the row does not exist. */
  row: string | null;
  meta: { vv: string; dels: string; deleted: number; cols: string } | null;
  crdt: { col: string; state: string }[];
}

export interface VoidResult {
  voidedTxs: number;
  /** Rows the voided transactions touched (each once), in the order first touched. */
  rows: { tbl: string; pk: string }[];
}

export class SplitBrainRepair {
  private readonly db: Database.Database;

  constructor(private readonly engine: StorageEngine) {
    this.db = engine.writer;
  }

  private shapeOf(
    tbl: string,
    db: Database.Database = this.db,
  ): { columns: string[]; primaryKey: string[] } | null {
    const shape = tableShape(db, tbl);
    return shape.columns.length === 0 || shape.primaryKey.length === 0
      ? null
      : { columns: [...shape.columns], primaryKey: [...shape.primaryKey] };
  }

  private rowJson(
    tbl: string,
    shape: { columns: string[]; primaryKey: string[] },
    pk: string,
    db: Database.Database = this.db,
  ): string | null {
    const pairs = shape.columns
      .map((c) => `'${c.replaceAll("'", "''")}', ${jsonValue(quoteIdent(c))}`)
      .join(', ');
    const row = db
      .prepare(`SELECT json_object(${pairs}) AS j FROM ${quoteIdent(tbl)} WHERE ${pkWhere(shape.primaryKey)}`)
      .get({ pk }) as { j: string } | undefined;
    return row?.j ?? null;
  }

  /**
   * Void every transaction in the log that `canonical` does not cover and that a node outside the
   * canonical partition (`members`) wrote, keeping this node's value of each row they touched. A
   * member's transaction is canonical even if the node we compare with has not received it yet.
   * Schema changes and admin commands stay (they are not row data). Runs in its own write
   * transaction; the caller holds the writer.
   */
  voidUncovered(
    canonical: Vector,
    members: string[],
    partition: string,
    canonicalMaster: string,
    nowIso: string,
  ): VoidResult {
    return this.engine.runInternal(() => {
      const txs = this.db
        .prepare(
          `SELECT txid, origin, origin_seq FROM _chorus_tx t
            WHERE origin_seq > coalesce(json_extract(?, '$."' || origin || '"'), 0)
              AND origin NOT IN (SELECT value FROM json_each(?))
              AND EXISTS (SELECT 1 FROM _chorus_log l WHERE l.txid = t.txid AND l.op <> 'DDL')
            ORDER BY txid LIMIT ?`,
        )
        .all(JSON.stringify(canonical), JSON.stringify(members), splitBrainVoidTxsMax) as {
        txid: number;
        origin: string;
        origin_seq: number;
      }[];
      const entries = this.db.prepare(
        "SELECT tbl, op, pk FROM _chorus_log WHERE txid = ? AND op <> 'DDL' AND pk IS NOT NULL AND pk <> '[]' ORDER BY lsn",
      );
      const drop = this.db.prepare("DELETE FROM _chorus_log WHERE txid = ? AND op <> 'DDL'");
      const keep = this.db.prepare(
        `INSERT INTO _chorus_split_brain_dropped (table_name, row_id, dropped_value, origin, origin_seq, operation,
           partition_id, canonical_master, dropped_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      const touched = new Map<string, { tbl: string; pk: string; origin: string; seq: number; op: string }>();
      for (const tx of txs) {
        for (const e of entries.all(tx.txid) as { tbl: string; op: string; pk: string }[]) {
          touched.set(`${e.tbl}\u0000${e.pk}`, {
            tbl: e.tbl,
            pk: e.pk,
            origin: tx.origin,
            seq: tx.origin_seq,
            op: e.op,
          });
        }
        drop.run(tx.txid);
      }
      for (const t of touched.values()) {
        const shape = this.shapeOf(t.tbl);
        const value = shape ? this.rowJson(t.tbl, shape, t.pk) : null;
        keep.run(t.tbl, t.pk, value, t.origin, t.seq, t.op, partition, canonicalMaster, nowIso);
      }
      return { voidedTxs: txs.length, rows: [...touched.values()].map(({ tbl, pk }) => ({ tbl, pk })) };
    });
  }

  /**
   * Rows as this node holds them, with their version metadata, read on `db` (a read-only
   * connection: committed data only, never a client's open transaction).
   */
  readRows(db: Database.Database, keys: { tbl: string; pk: string }[]): FetchedRow[] {
    const meta = db.prepare('SELECT vv, dels, deleted, cols FROM _chorus_rowmeta WHERE tbl = ? AND pk = ?');
    meta.safeIntegers(false);
    const crdt = db.prepare('SELECT col, state FROM _chorus_crdt WHERE tbl = ? AND pk = ? ORDER BY col');
    const tables = new Set(this.engine.replicatedTables());
    const out: FetchedRow[] = [];
    let bytes = 0;
    for (const { tbl, pk } of keys.slice(0, splitBrainRowsPerFetchMax)) {
      if (out.length > 0 && bytes >= splitBrainReplyBytesMax) break;
      const shape = tables.has(tbl) ? this.shapeOf(tbl, db) : null;
      const row: FetchedRow = {
        tbl,
        pk,
        row: shape ? this.rowJson(tbl, shape, pk, db) : null,
        meta: (meta.get(tbl, pk) as FetchedRow['meta'] | undefined) ?? null,
        crdt: crdt.all(tbl, pk) as { col: string; state: string }[],
      };
      bytes += (row.row?.length ?? 0) + row.crdt.reduce((n, c) => n + c.state.length, 0) + 256;
      out.push(row);
    }
    return out;
  }

  /**
   * Make these rows exactly the canonical node's (values, metadata, CRDT state), capture silent:
   * this is not a new change, it undoes ours. Records the canonical value next to dropped rows.
   * Returns how many rows were written. A row is updated in place (never deleted and inserted
   * again, which would cascade to rows referencing it); foreign keys are checked at commit.
   */
  installRows(rows: FetchedRow[]): number {
    const tables = new Set(this.engine.replicatedTables());
    this.engine.beginApply();
    try {
      this.db.pragma('defer_foreign_keys = ON');
      let n = 0;
      const putMeta = this.db.prepare(
        'INSERT OR REPLACE INTO _chorus_rowmeta (tbl, pk, vv, dels, deleted, cols) VALUES (?, ?, ?, ?, ?, ?)',
      );
      const delMeta = this.db.prepare('DELETE FROM _chorus_rowmeta WHERE tbl = ? AND pk = ?');
      const delCrdt = this.db.prepare('DELETE FROM _chorus_crdt WHERE tbl = ? AND pk = ?');
      const putCrdt = this.db.prepare('INSERT INTO _chorus_crdt (tbl, pk, col, state) VALUES (?, ?, ?, ?)');
      const noteCanonical = this.db.prepare(
        'UPDATE _chorus_split_brain_dropped SET canonical_value = ? WHERE table_name = ? AND row_id = ? AND canonical_value IS NULL',
      );
      for (const r of rows) {
        const shape = tables.has(r.tbl) ? this.shapeOf(r.tbl) : null;
        if (!shape) continue;
        if (r.row === null) {
          this.db
            .prepare(`DELETE FROM ${quoteIdent(r.tbl)} WHERE ${pkWhere(shape.primaryKey)}`)
            .run({ pk: r.pk });
        } else {
          const present = Object.keys(JSON.parse(r.row) as object).filter((c) => shape.columns.includes(c));
          const values = present.map((c) => fromJson(':row', colPath(c))).join(', ');
          const rest = present.filter((c) => !shape.primaryKey.includes(c));
          const onConflict =
            rest.length === 0
              ? 'DO NOTHING'
              : `DO UPDATE SET ${rest.map((c) => `${quoteIdent(c)} = excluded.${quoteIdent(c)}`).join(', ')}`;
          this.db
            .prepare(
              `INSERT INTO ${quoteIdent(r.tbl)} (${present.map(quoteIdent).join(', ')}) VALUES (${values})
                 ON CONFLICT (${shape.primaryKey.map(quoteIdent).join(', ')}) ${onConflict}`,
            )
            .run({ row: r.row });
        }
        delMeta.run(r.tbl, r.pk);
        if (r.meta) putMeta.run(r.tbl, r.pk, r.meta.vv, r.meta.dels, r.meta.deleted, r.meta.cols);
        delCrdt.run(r.tbl, r.pk);
        for (const c of r.crdt) putCrdt.run(r.tbl, r.pk, c.col, c.state);
        noteCanonical.run(r.row ?? 'null', r.tbl, r.pk);
        n++;
      }
      this.engine.commitApply();
      return n;
    } catch (e) {
      this.engine.rollbackWrite();
      throw e;
    }
  }
}
