// One replicated row change of a keyed table, applied by the Applier: delete-wins, column
// last-write-wins from the clocks of _chorus_rowmeta, CRDT and delta columns, a custom resolver
// settling concurrent columns, and the change a constraint refused.

import { failpoints } from '../../config/failpoints.js';
import type { LogEntry, ReplTx, Vector } from '../../log/records.js';
import { quoteIdent } from '../../sql/lexer.js';
import { type ConflictHost, resolveUnique, settleByResolver } from './conflicts/conflict-rules.js';
import type { RowSettlement } from './conflicts/row-settlement.js';
import { removeRefusedRow } from './ddl/ddl-rows.js';
import type { ConflictType, RowMeta } from './rows/row-meta.js';
import { colPath, fromJson, pkWhere, type RowSql } from './rows/row-sql.js';

type Shape = { columns: Set<string>; primaryKey: string[] };

/** Row changes of keyed tables, for one Applier (which is the host). */
export class RowChanges {
  constructor(
    private readonly host: ConflictHost,
    private readonly settlement: RowSettlement,
    private readonly rows: RowSql,
    /** The Applier's counters. */
    private readonly stats: { skipped: number; resurrected: number },
  ) {}

  /**
   * Apply one row change of a keyed table: delete-wins, then column last-write-wins (CRDT columns
   * joined, a custom resolver settling conflicting columns); true when it brought a parked row back.
   */
  apply(
    e: LogEntry,
    shape: { columns: Set<string>; primaryKey: string[] },
    tx: ReplTx,
    seen: Vector,
    hlc: string,
  ): boolean {
    const t0 = performance.now();
    const tbl = e.tbl;
    const pk = e.pk!;
    const h = this.host;
    let resurrected = false;
    const m = h.loadMeta(tbl, pk);
    const concurrentWith = (v: Vector): boolean => Object.entries(v).some(([o, s]) => s > (seen[o] ?? 0));
    const where = pkWhere(shape.primaryKey);
    // A key with no metadata has never been replicated here: for an INSERT (the bulk case) skip the
    // lookup; the insert below upserts in case the row predates replication.
    let exists =
      !m.known && e.op === 'INSERT'
        ? false
        : this.rows
            .stmt(`${tbl}|exists`, () => `SELECT 1 FROM ${quoteIdent(tbl)} WHERE ${where}`)
            .get({ pk }) !== undefined;

    if (e.op === 'DELETE' || (e.op === 'INSERT' && exists)) this.settlement.forget(tbl, pk);
    if (e.op === 'DELETE') {
      if (exists) {
        if (concurrentWith(m.vv)) {
          const local = this.rows.rowJson(tbl, shape, pk);
          h.recordConflict(
            tbl,
            pk,
            this.lastWriter(m, seen),
            tx,
            'delete_conflict',
            local,
            null,
            null,
            performance.now() - t0,
          );
        }
        this.rows.stmt(`${tbl}|delete`, () => `DELETE FROM ${quoteIdent(tbl)} WHERE ${where}`).run({ pk });
        h.crdt?.deleteRow(tbl, pk);
      }
      m.vv[tx.origin] = Math.max(m.vv[tx.origin] ?? 0, tx.seq);
      m.dels[tx.origin] = Math.max(m.dels[tx.origin] ?? 0, tx.seq);
      m.deleted = true;
      m.cols = {};
      h.saveMeta(tbl, pk, m);
      return false;
    }

    m.vv[tx.origin] = Math.max(m.vv[tx.origin] ?? 0, tx.seq);
    if (concurrentWith(m.dels)) {
      // A delete this transaction had not seen wins over it: the row stays deleted everywhere.
      h.recordConflict(
        tbl,
        pk,
        this.lastDeleter(m, seen),
        tx,
        'delete_conflict',
        null,
        e.cols,
        null,
        performance.now() - t0,
      );
      h.saveMeta(tbl, pk, m);
      return false;
    }
    const cols = Object.keys(JSON.parse(e.cols ?? '{}') as object).filter((c) => shape.columns.has(c));
    // CRDT columns carry deltas: join them into the states and write the merged values.
    const merged = e.cols ? (h.crdt?.mergeRemote(tbl, pk, e.cols, tx.origin, tx.seq) ?? null) : null;
    const colsText = merged?.cols ?? e.cols;
    // An insert of a key removed here for a cause its writer had not seen (conflicts/parked-rows.ts):
    // merged with the removed row, clock by clock, as where the row was never removed; then settled.
    if (!exists && e.op === 'INSERT' && this.settlement.restore(tbl, pk, shape, m)) {
      exists = true;
      resurrected = true;
    }
    if (!exists) {
      if (e.op === 'INSERT') {
        const key = `${tbl}|insert|${cols.join(',')}`;
        this.rows
          .stmt(key, () => {
            const names = cols.map(quoteIdent).join(', ');
            const values = cols.map((c) => fromJson(':cols', colPath(c))).join(', ');
            const pkCols = shape.primaryKey.map(quoteIdent).join(', ');
            const sets = cols
              .filter((c) => !shape.primaryKey.includes(c))
              .map((c) => `${quoteIdent(c)} = excluded.${quoteIdent(c)}`);
            const upsert = sets.length > 0 ? `DO UPDATE SET ${sets.join(', ')}` : 'DO NOTHING';
            return `INSERT INTO ${quoteIdent(tbl)} (${names}) VALUES (${values}) ON CONFLICT (${pkCols}) ${upsert}`;
          })
          .run({ cols: colsText });
        m.cols = {};
        for (const c of cols) m.cols[c] = [hlc, tx.origin, tx.seq];
        m.deleted = false;
        this.rebaseDeltas(tbl, pk, cols, merged);
      } else {
        // Removed here for a cause its origin had not heard of: back, with this update
        // (conflicts/parked-rows.ts); else an update of a row this node does not have (removed by a
        // change that won): nothing to do.
        const back = this.settlement.resurrect(e, shape, tx, hlc, m);
        if (back > 0) resurrected = true;
        else this.stats.skipped++;
        this.stats.resurrected += back;
      }
      h.saveMeta(tbl, pk, m);
      return resurrected;
    }
    const win: string[] = [];
    const conflicting: string[] = [];
    let localWriter = '';
    let localKey = '';
    const resolver = h.resolvers?.forTable(tbl) ?? null;
    for (const c of cols) {
      const cm = m.cols[c];
      if (merged?.crdtCols.has(c)) win.push(c);
      else if (cm && cm[2] > (seen[cm[1]] ?? 0)) {
        conflicting.push(c);
        localWriter ||= cm[1];
        if (cm[0] > localKey) localKey = cm[0];
        // With a custom resolver the conflicting columns are settled below, not by LWW.
        if (!resolver && (hlc > cm[0] || failpoints.lwwArrivalOrder)) win.push(c);
      } else win.push(c);
    }
    const before = conflicting.length > 0 ? this.rows.rowJson(tbl, shape, pk, conflicting) : null;
    const fullBefore = conflicting.length > 0 && resolver ? this.rows.rowJson(tbl, shape, pk) : null;
    if (win.length > 0) {
      const key = `${tbl}|update|${win.join(',')}`;
      this.rows
        .stmt(key, () => {
          const sets = win.map((c) => `${quoteIdent(c)} = ${fromJson(':cols', colPath(c))}`).join(', ');
          return `UPDATE ${quoteIdent(tbl)} SET ${sets} WHERE ${where}`;
        })
        .run({ cols: colsText, pk });
      for (const c of win) m.cols[c] = [hlc, tx.origin, tx.seq];
      this.rebaseDeltas(tbl, pk, win, merged);
    }
    let status: { strategy: string; status: string; error: string | null } = {
      strategy: 'last_write_wins',
      status: 'resolved',
      error: null,
    };
    if (conflicting.length > 0 && resolver) {
      status = settleByResolver(h, resolver, tbl, pk, shape, where, m, conflicting, fullBefore!, colsText!, {
        localKey,
        localWriter,
        remoteKey: hlc,
        tx,
      });
    }
    m.deleted = false;
    h.saveMeta(tbl, pk, m);
    if (conflicting.length > 0) {
      const remote = this.rows.subset(e.cols!, conflicting);
      const resolved = this.rows.rowJson(tbl, shape, pk, conflicting);
      h.recordConflict(
        tbl,
        pk,
        localWriter,
        tx,
        'write_conflict',
        before,
        remote,
        resolved,
        performance.now() - t0,
        { ...status, localKey, remoteKey: hlc },
      );
    }
    return resurrected;
  }

  /**
   * A change a constraint refused (its savepoint rolled back): a unique collision between keys is
   * settled (conflicts/conflict-rules.ts); else it is recorded, and the row goes when the constraint
   * was added concurrently (ddl/ddl-rows.ts). The change's origin and seq enter the row's vector.
   */
  refused(
    err: unknown,
    e: LogEntry,
    pk: string,
    shape: Shape,
    keyless: boolean,
    constrained: boolean,
    tx: ReplTx,
    seen: Vector,
    hlc: string,
  ): void {
    const h = this.host;
    const code = (err as { code?: string }).code ?? '';
    if (
      code === 'SQLITE_CONSTRAINT_UNIQUE' &&
      e.op !== 'DELETE' &&
      !keyless &&
      resolveUnique(h, e, shape, tx, seen, hlc)
    )
      return;
    const type: ConflictType =
      code === 'SQLITE_CONSTRAINT_UNIQUE' ? 'unique_conflict' : 'constraint_conflict';
    h.warn(
      { err, table: e.tbl, pk: e.pk, origin: tx.origin, seq: tx.seq },
      'replicated change refused by a constraint',
    );
    // A constraint added concurrently refuses it: the row goes, as on the nodes that held the
    // change when the constraint arrived (replication/apply/ddl/ddl-rows.ts).
    const removed =
      constrained && !keyless && e.op !== 'DELETE' ? removeRefusedRow(h, e.tbl, shape, pk) : null;
    h.recordConflict(e.tbl, pk, h.nodeId, tx, type, removed, e.cols, null, 0);
    if (keyless) return;
    const m = h.loadMeta(e.tbl, pk);
    if (removed !== null) m.cols = {};
    m.vv[tx.origin] = Math.max(m.vv[tx.origin] ?? 0, tx.seq);
    h.saveMeta(e.tbl, pk, m);
  }

  /** Plain values written into delta columns (by a master that did not know them as such): see CrdtColumns.rebaseDelta. */
  private rebaseDeltas(
    tbl: string,
    pk: string,
    written: string[],
    merged: { crdtCols: Set<string> } | null,
  ): void {
    const crdt = this.host.crdt;
    const deltas = crdt?.deltaColumns(tbl);
    if (!crdt || !deltas || deltas.size === 0) return;
    for (const c of written) if (!merged?.crdtCols.has(c) && deltas.has(c)) crdt.rebaseDelta(tbl, pk, c);
  }

  private lastWriter(m: RowMeta, seen: Vector): string {
    return Object.entries(m.vv).find(([o, s]) => s > (seen[o] ?? 0))?.[0] ?? this.host.nodeId;
  }

  private lastDeleter(m: RowMeta, seen: Vector): string {
    return Object.entries(m.dels).find(([o, s]) => s > (seen[o] ?? 0))?.[0] ?? this.host.nodeId;
  }
}
