// The apply transaction: one SQLite transaction in which replicated transactions are applied and
// logged verbatim (origin, origin sequence, HLC, dependencies); the applied vector moves at COMMIT.

import { InternalError } from '../../errors.js';
import type { ReplTx } from '../../log/records.js';
import { lamportOf, requireOpen, type WriteState } from './write-state.js';

/** Start a transaction that applies replicated transactions (the caller holds the writer lock). */
export function beginApplyTransaction(s: WriteState): void {
  if (s.open) throw new InternalError('beginApply while a write transaction is open');
  s.writer.exec('BEGIN IMMEDIATE');
  // Foreign keys are checked when the transaction commits, not per statement: a child written on
  // one master while its parent was deleted on another is settled after its transaction
  // (replication/apply/conflicts/fk-orphans.ts), the same way whichever arrives first. Reset by COMMIT.
  s.writer.pragma('defer_foreign_keys = ON');
  s.open = { txid: s.lastTxid, captured: false, applying: true, recorded: [] };
}

/** Log entries [from, to) of the replicated transaction being recorded (recordRemote ends it). */
export function logRemoteEntries(s: WriteState, tx: ReplTx, from: number, to: number): void {
  const open = requireOpen(s);
  if (!open.applying) throw new InternalError('recordRemoteEntries outside an apply transaction');
  const txid = BigInt(open.txid + 1);
  for (let i = from; i < to; i++) {
    const e = tx.entries[i]!;
    s.stmts.insertEntry.run(txid, e.tbl, e.op, e.pk, e.cols);
  }
}

/**
 * Log a replicated transaction verbatim, with its original origin, seq, HLC and dependencies;
 * entries before `entriesFrom` were already logged by logRemoteEntries.
 */
export function logRemoteTransaction(s: WriteState, tx: ReplTx, entriesFrom: number): number {
  const open = requireOpen(s);
  if (!open.applying) throw new InternalError('recordRemote outside an apply transaction');
  const txid = open.txid + 1;
  logRemoteEntries(s, tx, entriesFrom, tx.entries.length);
  s.stmts.insertTx.run(
    BigInt(txid),
    tx.origin,
    BigInt(tx.seq),
    BigInt(tx.hlcWall),
    BigInt(tx.hlcLogical),
    BigInt(s.physical.nowMs()),
    JSON.stringify(tx.deps),
    tx.orderKey,
  );
  s.lamport = Math.max(s.lamport, lamportOf(tx.orderKey));
  s.keylessNotes.flush(s.writer, tx.origin, tx.seq);
  open.txid = txid;
  open.recorded.push({ origin: tx.origin, seq: tx.seq, txid });
  return txid;
}

/** Commit an apply transaction; the applied vector moves only once COMMIT succeeded. */
export function commitApplyTransaction(
  s: WriteState,
  host: { rollbackWrite(): void },
  settleForeignKeys: (() => void) | undefined,
): void {
  const open = requireOpen(s);
  s.keylessNotes.clear();
  try {
    try {
      s.writer.exec('COMMIT');
    } catch (e) {
      // A foreign key still broken (an orphan the per-transaction check did not reach): the
      // transaction stays open; settle every orphan and commit once more.
      if ((e as { code?: string }).code !== 'SQLITE_CONSTRAINT_FOREIGNKEY' || !settleForeignKeys) throw e;
      if (!s.writer.inTransaction) throw e;
      settleForeignKeys();
      s.writer.exec('COMMIT');
    }
  } catch (e) {
    host.rollbackWrite();
    throw e;
  }
  s.open = null;
  for (const r of open.recorded) {
    if ((s.applied.get(r.origin) ?? 0) < r.seq) s.applied.set(r.origin, r.seq);
    s.lastTxid = Math.max(s.lastTxid, r.txid);
  }
}
