// The node's own write transactions: BEGIN, the log entries the node writes itself (DDL, admin
// commands, table operations), and COMMIT with its transaction header (origin sequence, HLC, order key).

import { formatHlc, type HlcTimestamp } from '../../clock/hlc.js';
import { ChorusError, InternalError } from '../../errors.js';
import type { SequenceStore } from '../sequences/sequences.js';
import { type TableOp, tableOpSql } from '../tables/table-ops.js';
import { requireOpen, type WriteState } from './write-state.js';

export interface CommitInfo {
  txid: number;
  originSeq: number;
  hlc: HlcTimestamp;
}

/** Called inside a local write transaction, before COMMIT, once its origin seq and HLC are known. */
export type LocalCommitHook = (txid: number, origin: string, seq: number, orderKey: string) => void;

/** What a local commit needs of the engine beyond its write state (StorageEngine is one). */
export interface LocalCommitHost {
  readonly commitGuard: (() => void) | null;
  readonly localCommitHook: LocalCommitHook | null;
  readonly sequences: SequenceStore;
  logDdl(table: string, sql: string): void;
  rollbackWrite(): void;
}

/** Start the write transaction on the writer connection (the caller holds the writer lock). */
export function beginLocalWrite(s: WriteState): void {
  if (s.open) throw new InternalError('beginWrite while a write transaction is open');
  s.writer.exec('BEGIN IMMEDIATE');
  s.open = { txid: s.lastTxid + 1, captured: false, applying: false, recorded: [] };
}

/** Zero-padded decimal, so keys compare correctly as text. */
function pad(n: number, width: number): string {
  return String(Math.max(0, Math.floor(n))).padStart(width, '0');
}

/** The order key of a transaction committed now by this node. */
function orderKey(s: WriteState, hlc: HlcTimestamp, clientTsMs: number | null): string {
  switch (s.timestampSource) {
    case 'logical_clock':
      s.lamport += 1;
      return `${pad(s.lamport, 16)}.${s.nodeId}`;
    case 'client_timestamp':
      return `${pad(clientTsMs ?? hlc.wallMs, 13)}.${formatHlc(hlc)}`;
    default:
      return formatHlc(hlc);
  }
}

/** Commit the open write transaction; returns what was logged, or null if nothing was captured. */
export function commitLocalWrite(
  s: WriteState,
  host: LocalCommitHost,
  clientTsMs: number | null,
): CommitInfo | null {
  const open = requireOpen(s);
  let info: CommitInfo | null = null;
  try {
    if (host.sequences.dirty) host.sequences.flush((table, sql) => host.logDdl(table, sql));
    if (open.captured) {
      host.commitGuard?.();
      if (!s.clock) throw new InternalError('no clock attached to the storage engine');
      const hlc = s.clock.now();
      const originSeq = s.lastLocalSeq + 1;
      const key = orderKey(s, hlc, clientTsMs);
      s.stmts.insertTx.run(
        BigInt(open.txid),
        s.nodeId,
        BigInt(originSeq),
        BigInt(hlc.wallMs),
        BigInt(hlc.logical),
        BigInt(s.physical.nowMs()),
        JSON.stringify(Object.fromEntries(s.applied)),
        key,
      );
      s.keylessNotes.flush(s.writer, s.nodeId, originSeq);
      host.localCommitHook?.(open.txid, s.nodeId, originSeq, key);
      info = { txid: open.txid, originSeq, hlc };
      const logged = s.stmts.loggedBytes.get(BigInt(open.txid)) as {
        b: number | bigint;
        m: number | bigint;
      };
      const entryMax = s.logEntryBytesMax;
      if (entryMax !== undefined && Number(logged.m) > entryMax)
        throw new ChorusError(
          '54000',
          `a row change of ${Number(logged.m)} bytes exceeds the ${entryMax} bytes a replication batch may carry: the transaction is rolled back`,
          {
            hint: 'Raise [replication] max_batch_size_mb on every node, or store the value in smaller rows.',
          },
        );
      s.logWrites.writes++;
      s.logWrites.bytes += Number(logged.b);
      s.logWrites.lastWriteMs = s.physical.nowMs();
    }
    s.keylessNotes.clear();
    s.writer.exec('COMMIT');
  } catch (e) {
    host.rollbackWrite();
    throw e;
  }
  s.open = null;
  if (info) {
    s.lastTxid = info.txid;
    s.lastLocalSeq = info.originSeq;
    s.applied.set(s.nodeId, info.originSeq);
  }
  return info;
}

/** Record DDL text in the log, in the open write transaction. */
export function logDdlEntry(s: WriteState, table: string, sql: string): void {
  const open = requireOpen(s);
  open.captured = true;
  s.stmts.insertDdl.run(BigInt(open.txid), table, sql);
}

/** Record a cluster-wide admin command (applied by every replica) in the open write transaction. */
export function logAdminEntry(s: WriteState, table: string, sql: string, admin: object): void {
  const open = requireOpen(s);
  open.captured = true;
  s.writer
    .prepare(
      "INSERT INTO _chorus_log (txid, tbl, op, pk, cols) VALUES (?, ?, 'DDL', NULL, json_object('sql', ?, 'admin', json(?)))",
    )
    .run(BigInt(open.txid), table, sql, JSON.stringify(admin));
}

/** Record a table operation (TRUNCATE, ADD PRIMARY KEY) that every replica runs on its own copy. */
export function logTableOpEntry(s: WriteState, table: string, op: TableOp): void {
  const open = requireOpen(s);
  open.captured = true;
  s.writer
    .prepare(
      "INSERT INTO _chorus_log (txid, tbl, op, pk, cols) VALUES (?, ?, 'DDL', NULL, json_object('sql', ?, 'tableOp', json(?)))",
    )
    .run(BigInt(open.txid), table, tableOpSql(table, op), JSON.stringify(op));
}
